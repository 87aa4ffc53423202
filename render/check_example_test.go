package render_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Check finds, at start, what would otherwise fail every request for the
// page: here a stylesheet's name with a typo and a layout whose slot
// misspells its pagelet.
func ExampleRenderer_Check() {
	reg, _ := assets.New(fstest.MapFS{
		"site.css":             {Data: []byte("body { margin: 0 }")},
		"pagelets/weather.css": {Data: []byte(".weather { color: #036 }")},
	})
	rd, _ := render.New(reg)
	page := &pagelet.Page{
		Title:  "Home",
		CSS:    []string{"site.css"},
		Layout: func(slot pagelet.Slot) templ.Component { return slot("wether") },
		Pagelets: []pagelet.Pagelet{{
			ID:   "weather",
			Load: pagelet.Static(templ.Raw("<p>Sunny</p>")),
			CSS:  []string{"pagelets/weather.cs"},
		}},
	}
	err := rd.Check(page)
	fmt.Println(errors.Is(err, assets.ErrUnknown), errors.Is(err, render.ErrLayout))
	fmt.Println(err)
	// Output:
	// true true
	// render: page "Home": pagelet "weather": CSS "pagelets/weather.cs" is not in the renderer's asset registry (did you mean "pagelets/weather.css"?)
	// render: page "Home": pagelet "weather" is never placed by the layout: render slot("weather") once in it, or drop the pagelet
	// render: page "Home": the layout places pagelet "wether", which the page does not have: fix the slot's id, or add the pagelet to Pagelets
}

// CheckPage builds a route's page the way a request would, for a page
// that depends on the request; a site checks one request per route.
func ExampleRenderer_CheckPage() {
	reg, _ := assets.New(fstest.MapFS{"site.css": {Data: []byte("body { margin: 0 }")}})
	rd, _ := render.New(reg)
	search := func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		q := r.URL.Query().Get("q")
		return &pagelet.Page{
			Title:    "Search: " + q,
			CSS:      []string{"site.css", "search.css"},
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("results") },
			Pagelets: []pagelet.Pagelet{{ID: "results", Load: pagelet.Static(templ.Raw("<ol></ol>"))}},
		}, nil
	}
	r := httptest.NewRequest(http.MethodGet, "/search?q=harbour", nil)
	r.Pattern = "GET /search" // names the route in the report
	fmt.Println(rd.CheckPage(search, r))
	// Output:
	// route "GET /search": GET /search?q=harbour: render: page "Search: harbour": CSS "search.css" is not in the renderer's asset registry (add the file to the registry's files, or fix the name)
}

// CheckMounted sends in-process requests through the site's whole handler
// for what its pages link: here the site forgot to mount the renderer.
func ExampleRenderer_CheckMounted() {
	reg, _ := assets.New(fstest.MapFS{"site.css": {Data: []byte("body { margin: 0 }")}})
	rd, _ := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)))
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{Title: "Home", CSS: []string{"site.css"}, Layout: func(pagelet.Slot) templ.Component { return templ.NopComponent }}, nil
	}))
	mux.Handle("GET /static/", reg)
	// Forgotten: mux.Handle(rd.Path(), rd)

	err := rd.CheckMounted(context.Background(), mux)
	fmt.Println(errors.Is(err, render.ErrNotMounted))
	problems := strings.Split(err.Error(), "\n") // the second is the runtime, by its hashed URL
	fmt.Println(len(problems), "problems; the first:")
	fmt.Println(problems[0])
	// Output:
	// true
	// 2 problems; the first:
	// render: endpoint not mounted: the no-JS redirect: GET /_bigpipe/nojs?next=/ answered 404, not a redirect: mount the renderer: mux.Handle("/_bigpipe/", rd)
}
