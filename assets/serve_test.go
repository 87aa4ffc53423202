package assets_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"

	"github.com/bigpipe-go/bigpipe/assets"
)

// serve runs one request through reg; accept lines become Accept-Encoding
// lines, hdr holds other request headers as name, value pairs.
func serve(reg *assets.Registry, method, target string, accept []string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://x"+target, nil)
	for _, v := range accept {
		req.Header.Add("Accept-Encoding", v)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, req)
	return rec
}

// decode undoes a Content-Encoding.
func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	switch coding {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(r)
	default:
		t.Fatalf("unexpected Content-Encoding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", coding, err)
	}
	return out
}

// variantETag is the ETag ServeHTTP sends for a coding of a.
func variantETag(a *assets.Asset, coding string) string {
	switch coding {
	case "br":
		return strings.TrimSuffix(a.ETag, `"`) + `-br"`
	case "gzip":
		return strings.TrimSuffix(a.ETag, `"`) + `-gz"`
	}
	return a.ETag
}

func TestNegotiation(t *testing.T) {
	reg := newRegistry(t)
	big := mustLookup(t, reg, "css/big.css")
	if big.Gzip == nil || big.Brotli == nil {
		t.Fatalf("css/big.css: gzip %d bytes, brotli %d bytes; the fixture needs both", len(big.Gzip), len(big.Brotli))
	}
	tests := []struct {
		name   string
		accept []string // Accept-Encoding lines; nil sends none
		want   string   // Content-Encoding, "" for identity
	}{
		{"no header", nil, ""},
		{"empty header", []string{""}, ""},
		{"br", []string{"br"}, "br"},
		{"gzip", []string{"gzip"}, "gzip"},
		{"browser", []string{"gzip, deflate, br, zstd"}, "br"},
		{"br beats gzip at equal q", []string{"gzip;q=0.8, br;q=0.8"}, "br"},
		{"higher q wins", []string{"br;q=0.5, gzip"}, "gzip"},
		{"both refused", []string{"gzip;q=0, br;q=0"}, ""},
		{"star", []string{"*"}, "br"},
		{"star refused", []string{"*;q=0"}, ""},
		{"star but not br", []string{"br;q=0, *"}, "gzip"},
		{"star but not gzip", []string{"gzip;q=0, *;q=0.1"}, "br"},
		{"identity refused, nothing else: identity anyway", []string{"identity;q=0"}, ""},
		{"identity refused, unknown codings: identity anyway", []string{"deflate, zstd, identity;q=0"}, ""},
		{"identity preferred", []string{"identity, gzip;q=0.5"}, ""},
		{"identity less preferred", []string{"identity;q=0.5, gzip"}, "gzip"},
		{"identity equal: the smaller", []string{"identity, br"}, "br"},
		{"upper case", []string{"GZIP"}, "gzip"},
		{"x-gzip", []string{"x-gzip"}, "gzip"},
		{"unknown only", []string{"deflate, zstd"}, ""},
		{"malformed q refuses", []string{"br;q=1.5, gzip;q=0.8"}, "gzip"},
		{"refusal wins over a duplicate", []string{"br, br;q=0, gzip;q=0.2"}, "gzip"},
		{"tiny q", []string{"br;q=0.001"}, "br"},
		{"several lines", []string{"gzip;q=0.5", "br;q=0.4"}, "gzip"},
		{"whitespace", []string{" br ;\tq=0.9 ,gzip ; q=1 "}, "gzip"},
		{"empty elements", []string{",, ,br,"}, "br"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(reg, "GET", big.URL, tc.accept)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			h := rec.Header()
			if got := h.Get("Content-Encoding"); got != tc.want {
				t.Errorf("Content-Encoding %q, want %q", got, tc.want)
			}
			if got := h.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", got)
			}
			if got, want := h.Get("ETag"), variantETag(big, tc.want); got != want {
				t.Errorf("ETag %s, want %s", got, want)
			}
			if got, want := h.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
				t.Errorf("Content-Length %s, want %s (the bytes sent)", got, want)
			}
			if got := decode(t, tc.want, rec.Body.Bytes()); !bytes.Equal(got, big.Body) {
				t.Errorf("decoded body differs from the identity body")
			}
		})
	}
}

// TestVariants checks every variant of every compressible fixture decodes to
// exactly Body, is smaller, and has its own ETag; and that files that do not
// compress are served without Vary.
func TestVariants(t *testing.T) {
	reg := newRegistry(t)
	for _, a := range reg.All() {
		t.Run(a.Name, func(t *testing.T) {
			etags := map[string]string{}
			for _, coding := range []string{"", "gzip", "br"} {
				variant := map[string][]byte{"": a.Body, "gzip": a.Gzip, "br": a.Brotli}[coding]
				if coding != "" && variant == nil {
					continue
				}
				if len(variant) > len(a.Body) || (coding != "" && len(variant) == len(a.Body)) {
					t.Errorf("%q variant is %d bytes, identity %d: kept though not smaller", coding, len(variant), len(a.Body))
				}
				if got := decode(t, coding, variant); !bytes.Equal(got, a.Body) {
					t.Errorf("%q variant does not decode to Body", coding)
				}
				accept := []string{coding}
				if coding == "" {
					accept = []string{"identity"}
				}
				rec := serve(reg, "GET", a.URL, accept)
				if got := rec.Header().Get("Content-Encoding"); got != coding {
					t.Errorf("Accept-Encoding %q: Content-Encoding %q", accept[0], got)
				}
				if !bytes.Equal(rec.Body.Bytes(), variant) {
					t.Errorf("Accept-Encoding %q: served bytes differ from the variant", accept[0])
				}
				etag := rec.Header().Get("ETag")
				if prev, dup := etags[etag]; dup {
					t.Errorf("codings %q and %q share ETag %s", prev, coding, etag)
				}
				etags[etag] = coding
			}
			compressed := a.Gzip != nil || a.Brotli != nil
			rec := serve(reg, "GET", a.URL, []string{"br, gzip"})
			if got := rec.Header().Get("Vary"); (got == "Accept-Encoding") != compressed {
				t.Errorf("Vary %q with gzip=%d br=%d bytes", got, len(a.Gzip), len(a.Brotli))
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
		})
	}
	if a := mustLookup(t, reg, "img/dot.png"); a.Gzip != nil || a.Brotli != nil {
		t.Errorf("a PNG got compressed variants")
	}
}

func TestConditional(t *testing.T) {
	reg := newRegistry(t)
	big := mustLookup(t, reg, "css/big.css")
	br, gz, id := variantETag(big, "br"), variantETag(big, "gzip"), big.ETag
	tests := []struct {
		name, accept, header, value string
		want                        int
		wantETag                    string
	}{
		{"br revalidated", "br", "If-None-Match", br, 304, br},
		{"gzip revalidated", "gzip", "If-None-Match", gz, 304, gz},
		{"identity revalidated", "", "If-None-Match", id, 304, id},
		{"weak comparison", "br", "If-None-Match", "W/" + br, 304, br},
		{"in a list", "gzip", "If-None-Match", `"nope", ` + gz, 304, gz},
		{"star", "br", "If-None-Match", "*", 304, br},
		{"br tag, gzip request", "gzip", "If-None-Match", br, 200, gz},
		{"identity tag, br request", "br", "If-None-Match", id, 200, br},
		{"other tag", "br", "If-None-Match", `"nope"`, 200, br},
		{"malformed", "br", "If-None-Match", `nope`, 200, br},
		{"if-match ok", "br", "If-Match", br, 200, br},
		{"if-match weak fails", "br", "If-Match", "W/" + br, 412, br},
		{"if-match other coding fails", "gzip", "If-Match", br, 412, gz},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var accept []string
			if tc.accept != "" {
				accept = []string{tc.accept}
			}
			rec := serve(reg, "GET", big.URL, accept, tc.header, tc.value)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			h := rec.Header()
			if got := h.Get("ETag"); got != tc.wantETag {
				t.Errorf("ETag %s, want %s", got, tc.wantETag)
			}
			if got := h.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", got)
			}
			if got := h.Get("Cache-Control"); got != assets.CacheImmutable {
				t.Errorf("Cache-Control %q", got)
			}
			if tc.want != http.StatusOK && rec.Body.Len() != 0 {
				t.Errorf("%d with a %d-byte body", rec.Code, rec.Body.Len())
			}
		})
	}
}

func TestHead(t *testing.T) {
	reg := newRegistry(t)
	big := mustLookup(t, reg, "css/big.css")
	for _, coding := range []string{"", "gzip", "br"} {
		t.Run("coding="+coding, func(t *testing.T) {
			rec := serve(reg, "HEAD", big.URL, []string{coding})
			variant := map[string][]byte{"": big.Body, "gzip": big.Gzip, "br": big.Brotli}[coding]
			h := rec.Header()
			if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
				t.Errorf("status %d with %d body bytes, want 200 and none", rec.Code, rec.Body.Len())
			}
			if got, want := h.Get("Content-Length"), strconv.Itoa(len(variant)); got != want {
				t.Errorf("Content-Length %s, want %s", got, want)
			}
			if h.Get("Content-Encoding") != coding || h.Get("ETag") != variantETag(big, coding) || h.Get("Content-Type") != "text/css; charset=utf-8" {
				t.Errorf("headers %v", h)
			}
		})
	}
}

// TestRange: identity responses honour Range; compressed ones are whole 200s.
func TestRange(t *testing.T) {
	reg := newRegistry(t)
	big := mustLookup(t, reg, "css/big.css")
	rec := serve(reg, "GET", big.URL, nil, "Range", "bytes=0-3")
	if rec.Code != http.StatusPartialContent || rec.Body.String() != string(big.Body[:4]) {
		t.Errorf("identity range: status %d body %q, want 206 %q", rec.Code, rec.Body.String(), big.Body[:4])
	}
	if got := rec.Header().Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("identity range: Vary %q", got)
	}
	rec = serve(reg, "GET", big.URL, []string{"br"}, "Range", "bytes=0-3")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), big.Brotli) {
		t.Errorf("br range: status %d with %d bytes, want 200 with the whole %d", rec.Code, rec.Body.Len(), len(big.Brotli))
	}
	if got := rec.Header().Get("Accept-Ranges"); got != "" {
		t.Errorf("br response advertises Accept-Ranges %q", got)
	}
}

// TestVaryAppends keeps a Vary set by middleware in front, without
// repeating Accept-Encoding.
func TestVaryAppends(t *testing.T) {
	reg := newRegistry(t)
	big := mustLookup(t, reg, "css/big.css")
	rec := httptest.NewRecorder()
	rec.Header().Set("Vary", "Origin")
	reg.ServeHTTP(rec, httptest.NewRequest("GET", big.URL, nil))
	if got := rec.Header().Values("Vary"); len(got) != 2 || got[0] != "Origin" || got[1] != "Accept-Encoding" {
		t.Errorf("Vary %q, want [Origin Accept-Encoding]", got)
	}
	rec = httptest.NewRecorder()
	rec.Header().Set("Vary", "Origin, accept-encoding")
	reg.ServeHTTP(rec, httptest.NewRequest("GET", big.URL, nil))
	if got := rec.Header().Values("Vary"); len(got) != 1 {
		t.Errorf("Vary %q, want Accept-Encoding not repeated", got)
	}
}
