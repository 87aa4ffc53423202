package compress_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/wire"
)

const page = "<!doctype html><title>t</title><body><p>hello, hello, hello, hello</p></body></html>"

// htmlPage sets a Content-Length, as a handler that knows its size would:
// the middleware must drop it when it compresses.
func htmlPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	io.WriteString(w, page)
	http.NewResponseController(w).Flush() // no Content-Length guessed by net/http at the end
}

func typed(contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		io.WriteString(w, page)
	}
}

func status(code int, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	zw.Close()
	return b.Bytes()
}

func TestResponses(t *testing.T) {
	pre := gzipped(page)
	tests := []struct {
		name     string
		method   string
		accept   string
		opts     []compress.Option
		handler  http.HandlerFunc
		status   int
		encoding string // Content-Encoding wanted
		vary     bool   // Vary: Accept-Encoding wanted
		length   int    // Content-Length wanted: -1 none, 0 any that matches the body
		body     []byte // raw body wanted; nil: decodes to page
		etag     string
	}{
		{name: "html gzip", accept: "gzip", handler: htmlPage, encoding: "gzip", vary: true, length: -1},
		{name: "html br", accept: "gzip, deflate, br", handler: htmlPage, encoding: "br", vary: true, length: -1},
		{name: "html identity", accept: "-", handler: htmlPage, vary: true, length: len(page)},
		{name: "json with params", accept: "gzip", handler: typed("Application/JSON; charset=utf-8"), encoding: "gzip", vary: true},
		{name: "svg", accept: "br", handler: typed("image/svg+xml"), encoding: "br", vary: true},
		{name: "png untouched", accept: "gzip, br", handler: typed("image/png"), length: len(page), body: []byte(page)},
		{name: "no Content-Type untouched", accept: "gzip, br", handler: typed(""), length: len(page), body: []byte(page)},
		{
			name: "pre-compressed passes through", accept: "gzip, br",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/css")
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Length", strconv.Itoa(len(pre)))
				w.Write(pre)
			},
			encoding: "gzip", vary: true, length: len(pre), body: pre,
		},
		{name: "HEAD", method: "HEAD", accept: "br", handler: htmlPage, encoding: "br", vary: true, length: -1, body: []byte{}},
		{name: "HEAD identity", method: "HEAD", accept: "-", handler: htmlPage, vary: true, length: len(page), body: []byte{}},
		{name: "204", accept: "gzip", handler: status(http.StatusNoContent, "text/html"), status: 204, vary: true, length: -1, body: []byte{}},
		{name: "304", accept: "gzip", handler: status(http.StatusNotModified, ""), status: 304, vary: true, length: -1, body: []byte{}},
		{name: "404 page compressed", accept: "gzip", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, page)
		}, status: 404, encoding: "gzip", vary: true},
		{name: "range untouched", accept: "gzip", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Range", "bytes 0-3/100")
			w.WriteHeader(http.StatusPartialContent)
			io.WriteString(w, "<!do")
		}, status: 206, vary: true, length: 4, body: []byte("<!do")},
		{name: "Vary kept, appended once", accept: "gzip", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "User-Agent, accept-encoding")
			typed("text/html")(w, r)
		}, encoding: "gzip", vary: true},
		{name: "strong ETag made weak", accept: "gzip", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			typed("text/html")(w, r)
		}, encoding: "gzip", vary: true, etag: `W/"v1"`},
		{name: "ETag kept when not compressed", accept: "-", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			typed("text/html")(w, r)
		}, vary: true, length: len(page), etag: `"v1"`},
		{
			name: "WithContentTypes replaces the list", accept: "gzip",
			opts:    []compress.Option{compress.WithContentTypes("text/css")},
			handler: typed("text/html"), length: len(page), body: []byte(page),
		},
		{
			name: "WithContentTypes", accept: "gzip",
			opts:    []compress.Option{compress.WithContentTypes("application/xml")},
			handler: typed("application/xml"), encoding: "gzip", vary: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.handler, tc.opts...)
			method := cmpOr(tc.method, "GET")
			resp := do(t, t.Context(), method, srv.URL, tc.accept)
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			h := resp.Header
			if got, want := resp.StatusCode, cmpOr(tc.status, 200); got != want {
				t.Errorf("status %d, want %d", got, want)
			}
			if got := h.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if got := varies(h); got != tc.vary {
				t.Errorf("Vary %q: Accept-Encoding listed %v, want %v", h.Values("Vary"), got, tc.vary)
			}
			if n := strings.Count(strings.ToLower(strings.Join(h.Values("Vary"), ",")), "accept-encoding"); n > 1 {
				t.Errorf("Vary %q lists Accept-Encoding %d times", h.Values("Vary"), n)
			}
			gotLen := -1
			if v := h.Get("Content-Length"); v != "" {
				gotLen, _ = strconv.Atoi(v)
			}
			switch {
			case gotLen >= 0 && gotLen != len(raw) && method != "HEAD":
				t.Errorf("Content-Length %d, but %d body bytes", gotLen, len(raw))
			case tc.length != 0 && gotLen != tc.length:
				t.Errorf("Content-Length %q, want %d", h.Get("Content-Length"), tc.length)
			}
			if tc.etag != "" && h.Get("ETag") != tc.etag {
				t.Errorf("ETag %q, want %q", h.Get("ETag"), tc.etag)
			}
			if tc.body != nil {
				if !bytes.Equal(raw, tc.body) {
					t.Errorf("body %q, want %q", raw, tc.body)
				}
				return
			}
			if got := decodeAll(t, tc.encoding, raw); got != page {
				t.Errorf("decoded body %q, want %q", got, page)
			}
		})
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func varies(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

// TestEarlyHints: a 103 goes out before the final response, carrying the
// handler's Link header and none of the compression headers, and the final
// 200 is still compressed (chi's Compress gives up compressing here).
func TestEarlyHints(t *testing.T) {
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("Link", "</static/site.css>; rel=preload; as=style")
				w.WriteHeader(http.StatusEarlyHints)
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, chunk("M1"))
				http.NewResponseController(w).Flush()
				io.WriteString(w, chunk("M2"))
			})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			s, err := wire.Open(ctx, srv.URL, http.Header{"Accept-Encoding": {enc}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.ReadAll(); err != nil {
				t.Fatal(err)
			}

			if len(s.Informational) != 1 || s.Informational[0].Status != http.StatusEarlyHints {
				t.Fatalf("informational responses %+v, want one 103", s.Informational)
			}
			hints := s.Informational[0].Header
			if got := hints.Get("Link"); !strings.Contains(got, "/static/site.css") {
				t.Errorf("103 Link %q, want the preload", got)
			}
			for _, k := range []string{"Content-Encoding", "Vary"} {
				if v, ok := hints[k]; ok {
					t.Errorf("103 carries %s %q", k, v)
				}
			}
			if s.Status != http.StatusOK || s.Header.Get("Content-Encoding") != enc || !varies(s.Header) {
				t.Fatalf("final response %d, Content-Encoding %q, Vary %q; want 200, %q, Accept-Encoding",
					s.Status, s.Header.Get("Content-Encoding"), s.Header.Values("Vary"), enc)
			}
			if got, want := decodeAll(t, enc, s.Body()), chunk("M1")+chunk("M2"); got != want {
				t.Errorf("decoded body %q, want %q", got, want)
			}
		})
	}
}

// TestResponseController: the wrapper leads http.ResponseController to the
// connection, so deadlines and flushes work through it.
func TestResponseController(t *testing.T) {
	for _, enc := range []string{"gzip", "br", "-"} {
		t.Run(enc, func(t *testing.T) {
			errs := make(chan []error, 1)
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				rc := http.NewResponseController(w)
				w.Header().Set("Content-Type", "text/html")
				var got []error
				got = append(got, rc.SetWriteDeadline(time.Now().Add(10*time.Second)))
				io.WriteString(w, page)
				got = append(got, rc.Flush())
				got = append(got, rc.SetReadDeadline(time.Now().Add(10*time.Second)))
				got = append(got, rc.SetWriteDeadline(time.Time{}))
				errs <- got
			})
			resp := do(t, t.Context(), "GET", srv.URL, enc)
			raw, _ := io.ReadAll(resp.Body)
			for i, err := range <-errs {
				if err != nil {
					t.Errorf("call %d: %v, want nil", i, err)
				}
			}
			if got := decodeAll(t, resp.Header.Get("Content-Encoding"), raw); got != page {
				t.Errorf("decoded body %q, want %q", got, page)
			}
		})
	}
}

// TestWriteDeadlineCuts: a deadline set through the wrapper really applies
// to the connection: a write after it has passed fails.
func TestWriteDeadlineCuts(t *testing.T) {
	done := make(chan error, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, chunk("M1"))
		rc.Flush()
		if err := rc.SetWriteDeadline(time.Now().Add(-time.Second)); err != nil {
			done <- err
			return
		}
		io.WriteString(w, chunk("M2"))
		done <- rc.Flush()
	})
	resp := do(t, t.Context(), "GET", srv.URL, "gzip")
	io.Copy(io.Discard, resp.Body)
	if err := <-done; err == nil {
		t.Error("flush after a passed write deadline succeeded")
	}
}

func TestNewPanicsOnBadLevels(t *testing.T) {
	for _, opt := range []compress.Option{compress.WithGzipLevel(10), compress.WithBrotliQuality(12), compress.WithBrotliQuality(-1)} {
		func() {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.HasPrefix(s, "compress: ") {
					t.Errorf("recovered %v, want a panic prefixed %q", v, "compress: ")
				}
			}()
			compress.New(opt)
		}()
	}
	for _, l := range []int{-3, -2, -1, 0, 1, 9} {
		compress.New(compress.WithGzipLevel(l)) // valid: no panic
	}
}
