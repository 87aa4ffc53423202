package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// readmeJS returns the README's JavaScript block that starts with first.
func readmeJS(t *testing.T, first string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```js\n"+first)
	code, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("README.md has no js block starting %q", first)
	}
	return first + code
}

// gate holds the slow pagelet of the current load until the test opens it.
type gate struct {
	mu sync.Mutex
	ch chan struct{}
}

// next arms a new gate and returns its opener, which may be called twice.
func (g *gate) next(t *testing.T) func() {
	ch := make(chan struct{})
	g.mu.Lock()
	g.ch = ch
	g.mu.Unlock()
	open := sync.OnceFunc(func() { close(ch) })
	t.Cleanup(open)
	return open
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestReadmeEarlyEnhancer runs the README's "act on your own pagelet
// earlier" script, as the page's Head under the strict CSP, on a page whose
// weather pagelet is ready at once and whose other pagelet is held: in the
// BigPipe modes it must enhance the weather pagelet while the other is
// still loading (before any pagelet JS could run), and on the plain page
// once the document is there.
func TestReadmeEarlyEnhancer(t *testing.T) {
	js := readmeJS(t, "// Enhance the weather pagelet")
	reg, err := assets.New(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithCSP(true), render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	var slow gate
	head := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := fmt.Fprintf(w, "<script nonce=%q>%s</script>", render.Nonce(ctx), js)
		return err
	})
	layout := func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			for _, id := range []string{"weather", "slow"} {
				if err := slot(id).Render(ctx, w); err != nil {
					return err
				}
			}
			return nil
		})
	}
	text := func(s string) templ.Component {
		return templ.ComponentFunc(func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, s); return err })
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:  "Early",
			Head:   head,
			Layout: layout,
			Pagelets: []pagelet.Pagelet{
				{ID: "weather", Load: func(context.Context) (templ.Component, error) { return text("<p>Sunny</p>"), nil }},
				{ID: "slow", Load: func(ctx context.Context) (templ.Component, error) {
					if err := slow.wait(ctx); err != nil {
						return nil, err
					}
					return text("<p>PAGELET-slow-READY</p>"), nil
				}},
			},
		}, nil
	}))
	mux.Handle(rd.Path(), rd)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name, query, ua string
		plain           bool
	}{
		{"pipelined", "", testenv.ChromeUA, false},
		{"native", "", testenv.NativeUA, false},
		{"plain", "?nojs=1", testenv.ChromeUA, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := slow.next(t)
			tb := newTab(t)
			tb.SetUserAgent(t, tc.ua)
			tb.startNavigate(t, srv.URL+"/"+tc.query)
			if tc.plain {
				open() // the plain page's DOMContentLoaded comes after its last pagelet
			}
			tb.WaitTrue(t, `!!document.getElementById('weather') && document.getElementById('weather').classList.contains('weather--ready')`)
			if !tc.plain {
				if held := eval[bool](t, tb, `!document.getElementById('slow').textContent.includes('READY') && !bigPipe.done`); !held {
					t.Error("the weather pagelet was enhanced only once the slow one was shown too; want it enhanced while the slow one was held")
				}
				open()
				tb.WaitTrue(t, `window.bigPipe && bigPipe.done`)
			}
			tb.WaitTrue(t, `document.getElementById('slow').textContent.includes('PAGELET-slow-READY')`)
			if n := eval[int](t, tb, `document.querySelectorAll('.weather--ready').length`); n != 1 {
				t.Errorf("%d elements enhanced, want the weather pagelet once", n)
			}
		})
	}
}
