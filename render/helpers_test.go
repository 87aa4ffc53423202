package render_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Browser and crawler User-Agents used across the tests.
const (
	chromeUA    = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	googlebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	bingbotUA   = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
	w3mUA       = "w3m/0.5.3+git20230121"
	lynxUA      = "Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.9"
)

// testAssets is a small asset tree: a stand-in runtime (which serve gives
// the Renderer with WithRuntime), a page stylesheet and a
// CSS and JS file per test pagelet.
func testAssets(t testing.TB) *assets.Registry {
	t.Helper()
	reg, err := assets.New(fstest.MapFS{
		"bigpipe.js": {Data: []byte("window.bigPipe = {setup: function () {}, onPageletArrive: function () {}};\n")},
		"site.css":   {Data: []byte("body { margin: 0 }\n")},
		"shared.css": {Data: []byte(".shared { color: red }\n")},
		"a.css":      {Data: []byte(".a { color: blue }\n")},
		"a.js":       {Data: []byte("window.a = 1;\n")},
		"page.js":    {Data: []byte("window.page = 1;\n")},
		"<x>\".css":  {Data: []byte(".weird { color: green }\n")},
		"big.css":    {Data: []byte(strings.Repeat(".big { color: #123456 }\n", 400))},
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// text is a component that writes s escaped.
func text(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, templ.EscapeString(s))
		return err
	})
}

// marker is the text a test pagelet shows when it is ready.
func marker(id string) string { return "PAGELET-" + id + "-READY" }

// gated is a pagelet that becomes ready when gate is closed.
func gated(id string, gate <-chan struct{}) pagelet.Pagelet {
	return pagelet.Pagelet{
		ID: id,
		Load: func(ctx context.Context) (templ.Component, error) {
			select {
			case <-gate:
				return text(marker(id)), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		Placeholder: text("loading " + id),
	}
}

// delayed is a pagelet that becomes ready after d.
func delayed(id string, d time.Duration) pagelet.Pagelet {
	return pagelet.Pagelet{
		ID: id,
		Load: func(ctx context.Context) (templ.Component, error) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return text(marker(id)), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
	}
}

// listLayout places every pagelet in order inside <main>.
func listLayout(ids ...string) func(pagelet.Slot) templ.Component {
	return func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			if _, err := io.WriteString(w, "<main><h1>Test page</h1>"); err != nil {
				return err
			}
			for _, id := range ids {
				if err := slot(id).Render(ctx, w); err != nil {
					return err
				}
			}
			_, err := io.WriteString(w, "</main>")
			return err
		})
	}
}

// pageOf builds a page of the given pagelets, laid out in slice order.
// settled makes page's layout wait, before it renders, until every other
// goroutine of the synctest bubble it runs in is blocked or gone: the
// pagelets' loads, which start before the layout, are then done or stuck
// (on a gate, say), so that which pagelets the skeleton places does not
// depend on timing.
func settled(page *pagelet.Page) *pagelet.Page {
	layout := page.Layout
	page.Layout = func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			synctest.Wait()
			return layout(slot).Render(ctx, w)
		})
	}
	return page
}

func pageOf(pls ...pagelet.Pagelet) *pagelet.Page {
	ids := make([]string, len(pls))
	for i, p := range pls {
		ids[i] = p.ID
	}
	return &pagelet.Page{Title: "Test", CSS: []string{"site.css"}, Layout: listLayout(ids...), Pagelets: pls}
}

// serve starts a loopback server for the pages pf builds.
func serve(t testing.TB, pf render.PageFunc, opts ...render.Option) *httptest.Server {
	t.Helper()
	opts = append([]render.Option{render.WithLogger(discard()), render.WithRuntime("bigpipe.js")}, opts...)
	rd, err := render.New(testAssets(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", rd.Page(pf))
	mux.Handle(rd.Path(), rd)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// servePage serves one fixed page.
func servePage(t testing.TB, page *pagelet.Page, opts ...render.Option) *httptest.Server {
	return serve(t, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil }, opts...)
}

// open starts a GET with the given User-Agent and reads the header.
func open(t testing.TB, url, ua string) *wire.Stream {
	t.Helper()
	return openWith(t, url, http.Header{"User-Agent": {ua}})
}

// openWith starts a GET with the given headers and reads the header.
func openWith(t testing.TB, url string, h http.Header) *wire.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := wire.Open(ctx, url, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// get fetches url to the end.
func get(t testing.TB, url, ua string) *wire.Stream {
	t.Helper()
	s := open(t, url, ua)
	if err := s.ReadAll(); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return s
}

func payloadOf(id string) string { return fmt.Sprintf(`bigPipe.onPageletArrive({"id":%q`, id) }

// discard is a logger for tests that provoke failures on purpose.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// httptestServer serves h on loopback until the test ends.
func httptestServer(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
