// Command hello is the README's "Write a pagelet" example as a program: a
// page of two pagelets, one of them behind a slow backend, served the
// BigPipe way on http://localhost:8081. It uses only the library's public
// packages (pagelet, render, assets) and files of its own, as a site
// outside this repository would; its test checks that the README shows
// this very code.
//
//	go run ./examples/hello
package main

// README: begin
import (
	"context"
	"embed"
	"io/fs"
	"log"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

//go:embed static
var static embed.FS

func main() {
	site, err := newSite()
	if err != nil {
		log.Fatal(err)
	}
	log.Print("serving on http://localhost:8081")
	log.Fatal(http.ListenAndServe("localhost:8081", site))
}

// README: end

// Weather is what the weather backend answers.
type Weather struct {
	City  string
	TempC int
}

// fetchWeather stands for a slow backend call.
func fetchWeather(ctx context.Context) (Weather, error) {
	select {
	case <-time.After(300 * time.Millisecond):
		return Weather{City: "Lisbon", TempC: 21}, nil
	case <-ctx.Done():
		return Weather{}, ctx.Err()
	}
}

// fetchHeadlines stands for a fast one.
func fetchHeadlines(context.Context) ([]string, error) {
	return []string{"Harbour bridge reopens", "Library extends its hours"}, nil
}

// README: begin

// newSite builds the site: its files, the renderer and the routes.
func newSite() (http.Handler, error) {
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	reg, err := assets.New(files) // minified, fingerprinted CSS and JS
	if err != nil {
		return nil, err
	}
	rd, err := render.New(reg) // the client runtime is built in
	if err != nil {
		return nil, err
	}
	weather := pagelet.Pagelet{
		ID:          "weather",
		Load:        pagelet.Fetch(fetchWeather, WeatherCard), // typed fetch + templ view
		CSS:         []string{"weather.css"},                  // loaded before the pagelet is shown
		JS:          []string{"weather.js"},                   // run after every pagelet is shown
		Placeholder: WeatherSkeleton(),                        // same size as the content: nothing jumps
		Fallback:    func(error) templ.Component { return Unavailable("Weather") },
		Timeout:     800 * time.Millisecond,
	}
	news := pagelet.Pagelet{
		ID:       "news",
		Load:     pagelet.Fetch(fetchHeadlines, Headlines),
		Priority: 1, // flushed first when several pagelets are ready together
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		// The preflight: runs before any byte is sent, may redirect or 404.
		return &pagelet.Page{
			Title:    "Hello, BigPipe",
			Head:     Description("Today's headlines and the weather."),
			CSS:      []string{"site.css"},
			Layout:   HomeLayout,
			Pagelets: []pagelet.Pagelet{news, weather},
		}, nil
	}))
	mux.Handle("GET /static/", reg) // the CSS and JS pages link
	mux.Handle(rd.Path(), rd)       // the runtime and the no-JS redirect
	return mux, nil
}

// README: end
