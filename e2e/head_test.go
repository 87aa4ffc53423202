package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// headState is what a document's head says once its pagelets are in.
type headState struct {
	Title     string   `json:"title"`
	Meta      []string `json:"meta"` // "name=content", sorted
	Canonical string   `json:"canonical"`
	JSONLD    []string `json:"jsonld"` // each block parsed and stringified again
}

const extractHead = `(() => {
  const h = document.head;
  return {
    title: document.title,
    meta: [...h.querySelectorAll('meta[name],meta[property]')].filter((m) => m.getAttribute('name') !== 'viewport')
      .map((m) => (m.getAttribute('name') || m.getAttribute('property')) + '=' + m.getAttribute('content')).sort(),
    canonical: (h.querySelector('link[rel="canonical"]') || {}).href || '',
    jsonld: [...h.querySelectorAll('script[type="application/ld+json"]')].map((s) => JSON.stringify(JSON.parse(s.textContent))),
  };
})()`

// TestDecidedHeadInBrowser checks the head a pagelet decides
// (pagelet.WithHead), hostile strings in it, in Chromium: the BigPipe page's
// runtime applies it as the pagelet arrives, and its document then says
// what the plain page, read with JavaScript off, says in its head: the
// title, each meta tag once, the canonical link, the JSON-LD. Nothing in
// it runs. A pagelet past its timeout decides nothing: both heads are the
// page's own.
func TestDecidedHeadInBrowser(t *testing.T) {
	const hostile = `</script><script>window.pwned=1</script>"'`
	reg, err := assets.New(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithCSP(true))
	if err != nil {
		t.Fatal(err)
	}
	price := pagelet.Pagelet{
		ID:          "price",
		DecidesHead: true,
		Load: func(ctx context.Context) (templ.Component, error) {
			select {
			case <-time.After(150 * time.Millisecond): // after the skeleton
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return pagelet.WithHead(templ.Raw("<p>12.50 €</p>"), pagelet.Head{
				Title:     "Widget, 12.50 € " + hostile,
				Meta:      []pagelet.Meta{{Name: "description", Content: "In stock " + hostile}, {Property: "og:title", Content: "Widget"}},
				Canonical: "https://shop.example/widget",
				JSONLD:    []any{map[string]any{"@context": "https://schema.org", "@type": "Product", "name": "Widget " + hostile}},
			}), nil
		},
	}
	// /slow: the same pagelet past its timeout, which shows its fallback
	// and decides nothing.
	slow := price
	slow.Timeout = 50 * time.Millisecond
	mux := http.NewServeMux()
	mux.Handle(rd.Path(), rd)
	mux.Handle("/", rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		p := price
		if r.URL.Path == "/slow" {
			p = slow
		}
		return &pagelet.Page{
			Title: "Widget — Shop",
			Head:  templ.Raw(`<meta name="description" content="A widget.">`),
			Layout: func(slot pagelet.Slot) templ.Component {
				return templ.Join(templ.Raw("<h1>Widget</h1>"), slot("price"))
			},
			Pagelets: []pagelet.Pagelet{p},
		}, nil
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path string
		want headState // what the plain page's head says
	}{
		{"/", headState{Title: "Widget, 12.50 € " + hostile, Canonical: "https://shop.example/widget"}},
		{"/slow", headState{Title: "Widget — Shop", Meta: []string{"description=A widget."}}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			bp := newTab(t)
			bp.Navigate(t, srv.URL+tc.path)
			requireBigPipe(t, bp)
			bp.waitDone(t)
			got := eval[headState](t, bp, extractHead)

			plain := newTab(t)
			if _, err := chromedp.Call(plain.Ctx, emulation.SetScriptExecutionDisabled,
				emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				t.Fatalf("Emulation.setScriptExecutionDisabled: %v", err)
			}
			plain.Navigate(t, srv.URL+tc.path+"?nojs=1")
			plain.WaitTrue(t, `document.readyState === "complete"`)
			want := eval[headState](t, plain, extractHead)

			if want.Title != tc.want.Title || want.Canonical != tc.want.Canonical || (tc.want.Meta != nil && !slices.Equal(want.Meta, tc.want.Meta)) {
				t.Errorf("plain head: %+v, want %+v", want, tc.want)
			}
			if got.Title != want.Title || got.Canonical != want.Canonical {
				t.Errorf("BigPipe head: title %q, canonical %q; plain: %q, %q", got.Title, got.Canonical, want.Title, want.Canonical)
			}
			compareLists(t, "meta", got.Meta, want.Meta)
			compareLists(t, "JSON-LD", got.JSONLD, want.JSONLD)
			if eval[bool](t, bp, `!!window.pwned`) {
				t.Error("a decided string ran as script")
			}
		})
	}
}
