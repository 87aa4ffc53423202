package compress_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/bigpipe-go/bigpipe/compress"
)

// testdata/home.html is the demo site's home page as a browser gets it (the
// BigPipe mode: skeleton, then seven onPageletArrive scripts), 49 KB. To
// refresh it: go run . & curl -A 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36
// (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' localhost:8080/ > compress/testdata/home.html

// demoPage returns the home page split where the renderer flushes it.
func demoPage(b testing.TB) [][]byte {
	b.Helper()
	page, err := os.ReadFile("testdata/home.html")
	if err != nil {
		b.Fatal(err)
	}
	const cut = "<script>bigPipe.onPageletArrive"
	parts := bytes.SplitAfter(page, []byte("</script>\n"))
	var chunks [][]byte
	var cur []byte
	for _, p := range parts { // a new chunk at each pagelet script
		if bytes.HasPrefix(p, []byte(cut)) && len(cur) > 0 {
			chunks, cur = append(chunks, cur), nil
		}
		cur = append(cur, p...)
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	if len(chunks) != 8 {
		b.Fatalf("demo page has %d chunks, want 8 (skeleton + 7 pagelets)", len(chunks))
	}
	return chunks
}

// evenChunks returns the first size bytes of the demo page in n equal chunks.
func evenChunks(b testing.TB, size, n int) [][]byte {
	page := bytes.Join(demoPage(b), nil)[:size]
	var chunks [][]byte
	for i := range n {
		chunks = append(chunks, page[i*size/n:(i+1)*size/n])
	}
	return chunks
}

// sink is a ResponseWriter that keeps nothing but a count, so benchmarks
// measure the middleware, not a growing buffer.
type sink struct {
	h http.Header
	n int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) WriteHeader(int)             {}
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *sink) Flush()                      {}

// streamer writes chunks, flushing after each, as the BigPipe renderer does.
func streamer(chunks [][]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		rc := http.NewResponseController(w)
		for _, c := range chunks {
			w.Write(c)
			rc.Flush()
		}
	}
}

// runStream serves chunks through h to a sink b.N times and reports the
// bytes that would go on the wire.
func runStream(b *testing.B, h http.Handler, accept string, chunks [][]byte) {
	req := httptest.NewRequest("GET", "/", nil)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	var in int
	for _, c := range chunks {
		in += len(c)
	}
	s := &sink{h: http.Header{}}
	b.SetBytes(int64(in))
	b.ReportAllocs()
	for b.Loop() {
		clear(s.h)
		s.n = 0
		h.ServeHTTP(s, req)
	}
	b.ReportMetric(float64(s.n), "wire-B/op")
	b.ReportMetric(100*float64(s.n)/float64(in), "wire-%")
}

// BenchmarkStream: a 20 KB page in 8 flushed chunks through the middleware
// at its defaults.
func BenchmarkStream(b *testing.B) {
	chunks := evenChunks(b, 20<<10, 8)
	h := compress.New()(streamer(chunks))
	for _, enc := range []string{"gzip", "br", "identity"} {
		b.Run(enc, func(b *testing.B) { runStream(b, h, enc, chunks) })
	}
}

// BenchmarkDemoPage: the demo home page, flushed where the renderer flushes
// it, at several gzip levels and brotli qualities: the size/CPU trade-off
// behind the defaults.
func BenchmarkDemoPage(b *testing.B) {
	chunks := demoPage(b)
	for _, l := range []int{-3, 1, 4, 5, 6, 9} {
		h := compress.New(compress.WithGzipLevel(l))(streamer(chunks))
		b.Run(fmt.Sprintf("gzip=%d", l), func(b *testing.B) { runStream(b, h, "gzip", chunks) })
	}
	for _, q := range []int{1, 3, 4, 5, 6} {
		h := compress.New(compress.WithBrotliQuality(q))(streamer(chunks))
		b.Run(fmt.Sprintf("br=%d", q), func(b *testing.B) { runStream(b, h, "br", chunks) })
	}
}

// heapPer returns the live heap, per item, that hold(n) keeps until
// release is called.
func heapPer(n int, hold func(n int) (release func())) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // the second empties sync.Pool victim caches
	runtime.ReadMemStats(&before)
	release := hold(n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	release()
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkInFlight: the heap one stream holds while it waits for its next
// pagelet (here after the whole demo page, the largest the encoder gets),
// through the middleware at its defaults and with stateless gzip
// (WithGzipLevel(-3)), with nothing pooled beforehand.
func BenchmarkInFlight(b *testing.B) {
	chunks := demoPage(b)
	const streams = 32
	for _, tc := range []struct {
		name, enc string
		opts      []compress.Option
	}{
		{"gzip", "gzip", nil},
		{"gzip-stateless", "gzip", []compress.Option{compress.WithGzipLevel(-3)}},
		{"br", "br", nil},
		{"identity", "identity", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Accept-Encoding", tc.enc)
			var total float64
			for b.Loop() {
				total += heapPer(streams, func(n int) func() {
					var ready, done sync.WaitGroup
					gate := make(chan struct{})
					h := compress.New(tc.opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						streamer(chunks)(w, r)
						ready.Done()
						<-gate // a pagelet still to come
					}))
					ready.Add(n)
					for range n {
						done.Go(func() { h.ServeHTTP(&sink{h: http.Header{}}, req) })
					}
					ready.Wait()
					return func() { close(gate); done.Wait() }
				})
			}
			b.ReportMetric(total/float64(b.N), "heap-B/stream")
		})
	}
}

// BenchmarkBrotliWindow: the brotli encoder alone at qualities 4 and 5 (the
// default) and a range of windows (lgwin): output size on the demo page and
// the heap an encoder holds after it. The page fits any of these windows, so a larger
// one buys nothing here and costs memory on every stream.
func BenchmarkBrotliWindow(b *testing.B) {
	chunks := demoPage(b)
	for _, q := range []int{4, compress.DefaultBrotliQuality} {
		for _, lgwin := range []int{16, 18, 20} {
			b.Run(fmt.Sprintf("q=%d/lgwin=%d", q, lgwin), func(b *testing.B) {
				opts := brotli.WriterOptions{Quality: q, LGWin: lgwin}
				heap := heapPer(16, func(n int) func() {
					keep := make([]*brotli.Writer, n)
					for i := range keep {
						keep[i] = brotli.NewWriterOptions(io.Discard, opts)
						for _, c := range chunks {
							keep[i].Write(c)
							keep[i].Flush()
						}
					}
					return func() { runtime.KeepAlive(keep) }
				})
				var out sink
				w := brotli.NewWriterOptions(&out, opts)
				b.ReportAllocs()
				for b.Loop() {
					out.n = 0
					w.Reset(&out)
					for _, c := range chunks {
						w.Write(c)
						w.Flush()
					}
					w.Close()
				}
				b.ReportMetric(float64(out.n), "wire-B/op")
				b.ReportMetric(heap, "heap-B/stream")
			})
		}
	}
}
