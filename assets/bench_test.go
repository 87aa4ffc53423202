package assets_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/static"
)

// discard is a ResponseWriter that keeps only headers and status, so the
// benchmark measures ServeHTTP and not a recorder's buffer.
type discard struct {
	h    http.Header
	code int
}

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }
func (w *discard) WriteHeader(code int)        { w.code = code }

// BenchmarkServe serves bigpipe.js by its hashed URL in each coding, and a
// revalidation, through a writer that allocates nothing itself.
func BenchmarkServe(b *testing.B) {
	reg, err := assets.New(static.FS)
	if err != nil {
		b.Fatal(err)
	}
	a, _ := reg.Lookup("bigpipe.js")
	cases := []struct {
		name, accept, ifNoneMatch string
		want                      int
	}{
		{"br", "gzip, deflate, br, zstd", "", http.StatusOK},
		{"gzip", "gzip, deflate", "", http.StatusOK},
		{"identity", "", "", http.StatusOK},
		{"304-br", "gzip, deflate, br, zstd", `"` + a.ETag[1:len(a.ETag)-1] + `-br"`, http.StatusNotModified},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, a.URL, nil)
			if bc.accept != "" {
				req.Header.Set("Accept-Encoding", bc.accept)
			}
			if bc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", bc.ifNoneMatch)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				reg.ServeHTTP(w, req)
			}
			if w.code != bc.want {
				b.Fatalf("status %d, want %d", w.code, bc.want)
			}
		})
	}
}

// BenchmarkNew is the start-up cost of the demo's assets: read, minify,
// hash, gzip and brotli every file of static.FS.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := assets.New(static.FS); err != nil {
			b.Fatal(err)
		}
	}
}
