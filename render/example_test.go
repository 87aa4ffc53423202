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
// data is fetched. (A pagelet already done when the skeleton is written is
// placed in its slot instead: see [render.WithPayloadsOnly].)
func Example() {
	reg, _ := assets.New(fstest.MapFS{ // the site's own CSS and JS; the runtime is built in
		"weather.css": {Data: []byte(".weather { color: #036 }")},
	})
	rd, _ := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)))

	weather := pagelet.Pagelet{
		ID: "weather",
		Load: pagelet.Fetch(
			func(ctx context.Context) (int, error) { // a backend call, 20 ms away
				select {
				case <-time.After(20 * time.Millisecond):
					return 21, nil
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			},
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
	// The first-paint marker (an empty <template>) follows the skeleton
	// or, held for up to 8 ms, a payload: leave it out.
	body = strings.Replace(body, `<template id="bigpipe-first-paint"></template>`, "", 1)
	fmt.Println(body[strings.Index(body, "<body>"):])
	// Output:
	// <body><h1>Forecast</h1><div id="weather" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite"><p>…</p></div><script>bigPipe.setup({"resources":{"vfymp":{"type":"css","url":"/static/weather.a970c7c99e.css"}},"pagelets":["weather"],"js":[]})</script>
	// <script>bigPipe.onPageletArrive({"id":"weather","content":"<p>21 °C<\/p>","css":["vfymp"],"styles":{"vfymp":".weather{color:#036}"}})</script>
	// </body></html>
}
