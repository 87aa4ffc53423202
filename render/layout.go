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
	order []int        // pagelet indexes in document order
	slots []slotMarker // what slot(id) returns, by pagelet index
}

// slotMarker is the component a layout's slot(id) stands for while the
// layout is rendered: it writes the renderer's sentinel and notes where
// the pagelet goes.
type slotMarker struct {
	l        *layout
	page     *pagelet.Page
	index    int
	placed   bool
	sentinel string
}

func (m *slotMarker) Render(_ context.Context, w io.Writer) error {
	if m.placed {
		return fmt.Errorf("%w: pagelet %q placed twice", ErrLayout, m.page.Pagelets[m.index].ID)
	}
	m.placed = true
	m.l.order = append(m.l.order, m.index)
	_, err := io.WriteString(w, m.sentinel)
	return err
}

// renderLayout renders the page layout into l once, on the handler
// goroutine, with each slot written as the renderer's secret sentinel, then
// cuts it there. A layout that places an unknown pagelet, one twice, or
// misses one, fails. The caller releases l.
func (rd *Renderer) renderLayout(ctx context.Context, page *pagelet.Page, l *layout) error {
	n := len(page.Pagelets)
	*l = layout{buf: getBuf(), order: make([]int, 0, n), slots: make([]slotMarker, n)}
	for i := range l.slots {
		l.slots[i] = slotMarker{l: l, page: page, index: i, sentinel: rd.sentinel}
	}
	slot := func(id string) templ.Component {
		// A page has a few dozen pagelets at most: a scan costs less than
		// building a map for every request.
		for i := range page.Pagelets {
			if page.Pagelets[i].ID == id {
				return &l.slots[i]
			}
		}
		return templ.ComponentFunc(func(context.Context, io.Writer) error {
			return fmt.Errorf("%w: slot for unknown pagelet %q", ErrLayout, id)
		})
	}
	if err := page.Layout(slot).Render(ctx, l.buf); err != nil {
		return fmt.Errorf("render: layout: %w", err)
	}
	for i := range l.slots {
		if !l.slots[i].placed {
			return fmt.Errorf("%w: pagelet %q not placed by the layout", ErrLayout, page.Pagelets[i].ID)
		}
	}
	l.segs = bytes.Split(l.buf.Bytes(), rd.sentinelBytes)
	if len(l.segs) != len(l.order)+1 { // a slot rendered by something other than the layout's writer
		return fmt.Errorf("%w: %d slots placed, %d found", ErrLayout, len(l.order), len(l.segs)-1)
	}
	return nil
}

// release gives the layout's buffer back; l is empty afterwards.
func (l *layout) release() {
	putBuf(l.buf)
	*l = layout{}
}
