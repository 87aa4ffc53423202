package compress_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bigpipe-go/bigpipe/compress"
)

var negotiations = []struct {
	accept []string // Accept-Encoding field lines
	want   string   // Content-Encoding
}{
	{nil, ""},
	{[]string{""}, ""},
	{[]string{"gzip"}, "gzip"},
	{[]string{"br"}, "br"},
	{[]string{"gzip, deflate, br, zstd"}, "br"}, // Chromium
	{[]string{"gzip, deflate"}, "gzip"},
	{[]string{"deflate, zstd"}, ""},
	{[]string{"br;q=0.5, gzip"}, "gzip"},
	{[]string{"gzip;q=0.8, br;q=0.8"}, "br"},
	{[]string{"gzip;q=0.8, br;q=0.7"}, "gzip"},
	{[]string{"br;q=0, gzip"}, "gzip"},
	{[]string{"br;q=0, gzip;q=0"}, ""},
	{[]string{"gzip, br, br;q=0"}, "gzip"}, // listed twice: the refusal sticks
	{[]string{"*"}, "br"},
	{[]string{"*;q=0"}, ""},
	{[]string{"*, br;q=0"}, "gzip"},
	{[]string{"br;q=0.2, *;q=0.5"}, "gzip"}, // named beats "*", whatever their order
	{[]string{"identity"}, ""},
	{[]string{"gzip;q=0.5, identity"}, ""},           // identity named at a higher weight
	{[]string{"gzip;q=0.5, identity;q=0.5"}, "gzip"}, // equal: compress
	{[]string{"gzip;q=0.001"}, "gzip"},               // unnamed identity is least preferred
	{[]string{"identity;q=0"}, ""},                   // nothing acceptable: identity anyway
	{[]string{"GZIP"}, "gzip"},
	{[]string{"x-gzip"}, "gzip"},
	{[]string{" gzip ; Q=0.5 , br;q=0.4"}, "gzip"},
	{[]string{"gzip;level=9"}, "gzip"},       // unknown parameter ignored
	{[]string{"gzip;q=1.5"}, ""},             // malformed weight: element ignored
	{[]string{"gzip;q=abc, br;q=0.1"}, "br"}, // malformed weight: element ignored
	{[]string{"gzip;q=0.1234"}, ""},          // more than three decimals
	{[]string{"gzip;q=1.000, br;q=0.999"}, "gzip"},
	{[]string{"gzip;q=0.1", "br"}, "br"}, // several field lines
	{[]string{",,, ,"}, ""},
	{[]string{"zstd, br;q=0.9, gzip;q=0.8"}, "br"},
}

func TestNegotiate(t *testing.T) {
	srv := serve(t, typed("text/html"))
	c := client(t)
	for _, tc := range negotiations {
		t.Run(strings.Join(tc.accept, "|"), func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL, nil)
			if tc.accept != nil {
				req.Header["Accept-Encoding"] = tc.accept
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if got := resp.Header.Get("Content-Encoding"); got != tc.want {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.want)
			}
			if got := decodeAll(t, resp.Header.Get("Content-Encoding"), raw); got != page {
				t.Errorf("decoded body %q, want %q", got, page)
			}
		})
	}
}

// FuzzNegotiate: no header makes the middleware panic, and what it picks is
// acceptable to the client and its best choice by the header's weights.
func FuzzNegotiate(f *testing.F) {
	for _, tc := range negotiations {
		f.Add(strings.Join(tc.accept, "\n"))
	}
	for _, s := range []string{"gzip;q=", "br;q=.5", ";q=1", "*;q=0.000, identity;q=0.001", "br\tgzip", "gZiP;;q=0.3;;", "\xff", "br;q=0\n*"} {
		f.Add(s)
	}
	h := compress.New()(typed("text/html"))
	f.Fuzz(func(t *testing.T, accept string) {
		req := httptest.NewRequest("GET", "/", nil)
		lines := strings.Split(accept, "\n") // several field lines
		req.Header["Accept-Encoding"] = lines
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		got := rec.Header().Get("Content-Encoding")
		if got != "" && got != "gzip" && got != "br" {
			t.Fatalf("Content-Encoding %q", got)
		}
		w := weightsOf(lines)
		best := max(w["br"], w["gzip"])
		switch {
		case got == "" && best > 0 && w["identity"] <= best:
			t.Errorf("%q: identity, but a coding weighs %d (identity %d)", accept, best, w["identity"])
		case got != "" && w[got] <= 0:
			t.Errorf("%q: %s, which is not acceptable (weights %v)", accept, got, w)
		case got != "" && (w[got] < best || w[got] < w["identity"]):
			t.Errorf("%q: %s, not the heaviest (weights %v)", accept, got, w)
		case got == "gzip" && w["br"] == w["gzip"]:
			t.Errorf("%q: gzip, but br weighs the same", accept)
		}
		if dec := decodeAll(t, got, rec.Body.Bytes()); dec != page {
			t.Errorf("decoded body %q, want %q", dec, page)
		}
	})
}

var qvalue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// weightsOf is the test's own reading of Accept-Encoding: the weight in
// thousandths of br, gzip and identity (-1 when neither named nor covered
// by "*"), each coding taking its lowest weight when listed twice and a
// malformed weight counting as 0.
func weightsOf(lines []string) map[string]int {
	named := map[string]int{}
	for _, line := range lines {
		for _, elem := range strings.Split(line, ",") {
			parts := strings.Split(elem, ";")
			name := strings.ToLower(strings.Trim(parts[0], " \t"))
			if name == "x-gzip" {
				name = "gzip"
			}
			if name == "" {
				continue
			}
			q := 1000
			for _, p := range parts[1:] {
				k, v, _ := strings.Cut(p, "=")
				if strings.ToLower(strings.Trim(k, " \t")) != "q" {
					continue
				}
				v = strings.Trim(v, " \t")
				if !qvalue.MatchString(v) {
					q = 0
					continue
				}
				f, _ := strconv.ParseFloat(strings.TrimSuffix(v, "."), 64)
				q = min(q, int(f*1000+0.5))
			}
			if old, seen := named[name]; !seen || q < old {
				named[name] = q
			}
		}
	}
	w := map[string]int{}
	for _, c := range []string{"br", "gzip", "identity"} {
		q, ok := named[c]
		if !ok {
			q, ok = named["*"]
		}
		if !ok {
			q = -1
		}
		w[c] = q
	}
	return w
}
