package render_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// benchPage is a zero-delay page of n pagelets of realistic size (~2 KB each).
func benchPage(n int) *pagelet.Page {
	item := `<li><a href="/article/%d">Council approves the riverside housing plan after a long night of debate</a></li>`
	pls := make([]pagelet.Pagelet, n)
	for i := range pls {
		var b strings.Builder
		b.WriteString("<ul>")
		for j := range 16 {
			fmt.Fprintf(&b, item, i*100+j)
		}
		b.WriteString("</ul>")
		html := b.String()
		pls[i] = pagelet.Pagelet{ID: fmt.Sprintf("p%d", i), Load: pagelet.Static(templ.Raw(html)), CSS: []string{"a.css"}, Placeholder: text("loading")}
	}
	p := pageOf(pls...)
	return p
}

func benchHandler(b *testing.B, n int, mode render.Mode, opts ...render.Option) http.Handler {
	rd, err := render.New(testAssets(b), append([]render.Option{render.WithLogger(discard())}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	page := benchPage(n)
	return rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
		render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil }))
}

// BenchmarkPage renders a whole zero-delay page into a counting sink in each
// mode, next to the classic render (every Load in turn, then the layout with
// content in place, into one buffer). pipelined/classic is the overhead of
// pipelining a page that waits on nothing.
func BenchmarkPage(b *testing.B) {
	for _, n := range []int{6, 32} {
		for _, mode := range []render.Mode{render.Pipelined, render.InOrder, render.Serial} {
			b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) {
				h := benchHandler(b, n, mode)
				req := httptest.NewRequest("GET", "/", nil)
				w := &sink{header: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.header)
					h.ServeHTTP(w, req)
				}
				b.ReportMetric(float64(w.n)/float64(b.N), "B/page")
			})
		}
		// Tracing on, every span sampled and recorded (then dropped: no
		// exporter), against pipelined: the cost of tracing a page.
		b.Run(fmt.Sprintf("n=%d/pipelined-traced", n), func(b *testing.B) {
			tp := sdktrace.NewTracerProvider()
			defer func() { _ = tp.Shutdown(context.Background()) }()
			h := benchHandler(b, n, render.Pipelined, render.WithTracerProvider(tp))
			req := httptest.NewRequest("GET", "/", nil)
			w := &sink{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, req)
			}
		})
		// Every pagelet cached (a warm cache), against the page's own bytes
		// written from memory: what a fully cached page costs beyond the
		// write itself.
		b.Run(fmt.Sprintf("n=%d/pipelined-cached", n), func(b *testing.B) {
			c, err := cache.New()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close(context.Background())
			page := benchPage(n)
			for i := range page.Pagelets {
				page.Pagelets[i].Cache = pagelet.Cache{Fresh: time.Hour}
			}
			rd, err := render.New(testAssets(b), render.WithLogger(discard()), render.WithCache(c))
			if err != nil {
				b.Fatal(err)
			}
			h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
				render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Pipelined, nil }))
			req := httptest.NewRequest("GET", "/", nil)
			w := &sink{header: http.Header{}}
			h.ServeHTTP(w, req) // fills the cache
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, req)
			}
		})
		b.Run(fmt.Sprintf("n=%d/bytes", n), func(b *testing.B) {
			rec := httptest.NewRecorder()
			benchHandler(b, n, render.Pipelined).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			body := rec.Body.Bytes()
			h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write(body)
			})
			req := httptest.NewRequest("GET", "/", nil)
			w := &sink{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, req)
			}
		})
		b.Run(fmt.Sprintf("n=%d/pipelined-recorder", n), func(b *testing.B) {
			h := benchHandler(b, n, render.Pipelined)
			req := httptest.NewRequest("GET", "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder() // includes the recorder's own buffer growth
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/classic", n), func(b *testing.B) {
			page := benchPage(n)
			b.ReportAllocs()
			w := &sink{header: http.Header{}}
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := classic(context.Background(), &buf, page); err != nil {
					b.Fatal(err)
				}
				_, _ = w.Write(buf.Bytes()) // the same sink the modes write to
			}
			b.ReportMetric(float64(w.n)/float64(b.N), "B/page")
		})
	}
}

// classic is the page rendered the pre-BigPipe way: fetch everything in
// turn, then render one document into a buffer.
func classic(ctx context.Context, w io.Writer, page *pagelet.Page) error {
	content := map[string]templ.Component{}
	for _, p := range page.Pagelets {
		c, err := p.Load(ctx)
		if err != nil {
			return err
		}
		content[p.ID] = c
	}
	slot := func(id string) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			if _, err := fmt.Fprintf(w, `<div id="%s" class="pagelet">`, id); err != nil {
				return err
			}
			if err := content[id].Render(ctx, w); err != nil {
				return err
			}
			_, err := io.WriteString(w, "</div>")
			return err
		})
	}
	if _, err := io.WriteString(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>`+page.Title+`</title><link rel="stylesheet" href="/static/site.css"></head><body>`); err != nil {
		return err
	}
	if err := page.Layout(slot).Render(ctx, w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</body></html>")
	return err
}

// sink is a ResponseWriter that counts and drops what is written, so that
// benchmarks measure the renderer rather than a recorder's growing buffer.
type sink struct {
	header http.Header
	n      int
}

func (s *sink) Header() http.Header         { return s.header }
func (s *sink) WriteHeader(int)             {}
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *sink) Flush()                      {}

// BenchmarkHTTP serves the zero-delay 6-pagelet page over loopback HTTP/1.1
// (keep-alive, no compression) to parallel clients in each mode: what the
// bench's load figure measures, as a benchmark. pipelined's ns/op against
// serial's is the throughput ratio; compare them within one run
// (go test -run '^$' -bench HTTP -count 6 ./render | benchstat).
func BenchmarkHTTP(b *testing.B) {
	for _, mode := range []render.Mode{render.Serial, render.Pipelined} {
		b.Run(mode.String(), func(b *testing.B) {
			srv := httptest.NewServer(benchHandler(b, 6, mode))
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(srv.URL)
					if err != nil {
						b.Error(err)
						return
					}
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Errorf("status %d, %v", resp.StatusCode, err)
						return
					}
				}
			})
		})
	}
}
