package render

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"testing/fstest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// BenchmarkSkeleton measures what the handler does before its first flush:
// resolve the page's assets, render the layout and cut it at the slots,
// write the head, the placeholders and the resource map.
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
		h := rd.Page(nil)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				res, err := h.resolve(page, Pipelined)
				if err != nil {
					b.Fatal(err)
				}
				l, err := rd.renderLayout(context.Background(), page)
				if err != nil {
					b.Fatal(err)
				}
				s := &stream{buf: getStreamBuf()}
				s.buf = h.appendHead(s.buf, page, res, Pipelined, "/bench")
				for k, i := range l.order {
					s.buf = append(s.buf, l.segs[k]...)
					s.buf = appendOpen(s.buf, page.Pagelets[i].ID, Pipelined)
					if err := s.renderInto(context.Background(), page.Pagelets[i].Placeholder); err != nil {
						b.Fatal(err)
					}
					s.buf = append(s.buf, "</div>"...)
				}
				s.buf = append(s.buf, l.segs[len(l.segs)-1]...)
				s.buf = appendSetup(s.buf, page, res, l.order)
				size = len(s.buf)
				l.release()
				s.release()
			}
			b.ReportMetric(float64(size), "B/skeleton")
		})
	}
}
