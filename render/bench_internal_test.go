package render

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// BenchmarkSkeleton measures what the handler does before its first flush:
// begin the response, resolve the page's assets, render the layout and cut
// it at the slots, and write the skeleton (the head, the placeholders and
// the resource map) with the handler's own skeleton step.
func BenchmarkSkeleton(b *testing.B) {
	reg, err := assets.New(fstest.MapFS{
		"bigpipe.js": {Data: []byte("window.bigPipe = {};")},
		"site.css":   {Data: []byte("body { margin: 0 }")},
		"p.css":      {Data: []byte(".p { color: red }")},
		"p.js":       {Data: []byte("window.p = 1;")},
	})
	if err != nil {
		b.Fatal(err)
	}
	rd, err := New(reg, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{6, 32} {
		page := &pagelet.Page{Title: "Bench", CSS: []string{"site.css"}}
		for i := range n {
			page.Pagelets = append(page.Pagelets, pagelet.Pagelet{
				ID: fmt.Sprintf("p%d", i), CSS: []string{"p.css"}, JS: []string{"p.js"},
				Load:        pagelet.Static(templ.NopComponent),
				Placeholder: templ.Raw(`<span class="skeleton-line"></span><span class="skeleton-line"></span>`),
			})
		}
		page.Layout = func(slot pagelet.Slot) templ.Component {
			return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
				io.WriteString(w, "<main><h1>Bench</h1>")
				for i := range n {
					fmt.Fprintf(w, `<section><h2>Pagelet %d</h2>`, i)
					if err := slot(fmt.Sprintf("p%d", i)).Render(ctx, w); err != nil {
						return err
					}
					io.WriteString(w, "</section>")
				}
				_, err := io.WriteString(w, "</main>")
				return err
			})
		}
		h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil })
		req := httptest.NewRequest("GET", "/bench", nil)
		w := httptest.NewRecorder()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				x := h.begin(w, req)
				res, err := h.resolve(page, Pipelined, x.nonce)
				if err != nil {
					b.Fatal(err)
				}
				l := &x.l
				if err := rd.renderLayout(x.ctx, page, l); err != nil {
					b.Fatal(err)
				}
				x.s.more()
				if _, err := h.skeleton(x.ctx, &x.s, page, res, l, nil); err != nil {
					b.Fatal(err)
				}
				size = len(x.s.buf)
				l.release()
				x.s.release()
			}
			b.ReportMetric(float64(size), "B/skeleton")
		})
	}
}
