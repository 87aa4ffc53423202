package render

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// layout is a page's body markup cut at the pagelet slots:
// segs[0] slot(order[0]) segs[1] … slot(order[n-1]) segs[n].
type layout struct {
	buf   *bytes.Buffer
	segs  [][]byte
	order []int // pagelet indexes in document order
}

// renderLayout renders the page layout once, on the handler goroutine, with
// each slot written as the renderer's secret sentinel, then cuts it there.
// A layout that places an unknown pagelet, one twice, or misses one, fails.
func (rd *Renderer) renderLayout(ctx context.Context, page *pagelet.Page) (*layout, error) {
	index := make(map[string]int, len(page.Pagelets))
	for i := range page.Pagelets {
		index[page.Pagelets[i].ID] = i
	}
	l := &layout{buf: getBuf(), order: make([]int, 0, len(page.Pagelets))}
	placed := make([]bool, len(page.Pagelets))
	slot := func(id string) templ.Component {
		return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			i, ok := index[id]
			if !ok {
				return fmt.Errorf("%w: slot for unknown pagelet %q", ErrLayout, id)
			}
			if placed[i] {
				return fmt.Errorf("%w: pagelet %q placed twice", ErrLayout, id)
			}
			placed[i] = true
			l.order = append(l.order, i)
			_, err := io.WriteString(w, rd.sentinel)
			return err
		})
	}
	if err := page.Layout(slot).Render(ctx, l.buf); err != nil {
		putBuf(l.buf)
		return nil, fmt.Errorf("render: layout: %w", err)
	}
	for i, ok := range placed {
		if !ok {
			putBuf(l.buf)
			return nil, fmt.Errorf("%w: pagelet %q not placed by the layout", ErrLayout, page.Pagelets[i].ID)
		}
	}
	l.segs = bytes.Split(l.buf.Bytes(), []byte(rd.sentinel))
	if len(l.segs) != len(l.order)+1 { // a slot rendered by something other than the layout's writer
		putBuf(l.buf)
		return nil, fmt.Errorf("%w: %d slots placed, %d found", ErrLayout, len(l.order), len(l.segs)-1)
	}
	return l, nil
}

func (l *layout) release() { putBuf(l.buf) }
