package render_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Example serves a page of one pagelet. The skeleton goes out first with a
// placeholder; the pagelet follows as an onPageletArrive script once its
// data is fetched.
func Example() {
	reg, _ := assets.New(fstest.MapFS{ // the site's own CSS and JS; the runtime is built in
		"weather.css": {Data: []byte(".weather { color: #036 }")},
	})
	rd, _ := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)))

	weather := pagelet.Pagelet{
		ID: "weather",
		Load: pagelet.Fetch(
			func(ctx context.Context) (int, error) { return 21, nil }, // a backend call
			func(celsius int) templ.Component { return templ.Raw(fmt.Sprintf("<p>%d °C</p>", celsius)) },
		),
		CSS:         []string{"weather.css"},
		Placeholder: templ.Raw("<p>…</p>"),
		Timeout:     time.Second,
	}
	page := rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title: "Forecast",
			Layout: func(slot pagelet.Slot) templ.Component {
				return templ.Join(templ.Raw("<h1>Forecast</h1>"), slot("weather"))
			},
			Pagelets: []pagelet.Pagelet{weather},
		}, nil
	})

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36")
	page.ServeHTTP(rec, req)
	body := rec.Body.String()
	// The skeleton's write ends with an empty first-paint marker (a
	// <template>), after whatever pagelets were ready by then: here the
	// weather, or not, by a matter of microseconds. Leave it out.
	body = strings.Replace(body, `<template id="bigpipe-first-paint"></template>`, "", 1)
	fmt.Println(body[strings.Index(body, "<body>"):])
	// Output:
	// <body><h1>Forecast</h1><div id="weather" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite"><p>…</p></div><script>bigPipe.setup({"resources":{"vfymp":{"type":"css","url":"/static/weather.a970c7c99e.css"}},"pagelets":["weather"],"js":[]})</script>
	// <script>bigPipe.onPageletArrive({"id":"weather","content":"<p>21 °C<\/p>","css":["vfymp"],"styles":{"vfymp":".weather{color:#036}"}})</script>
	// </body></html>
}
