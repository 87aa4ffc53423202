package pagelet_test

import (
	"context"
	"fmt"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

type forecast struct{ City string }

func fetchForecast(ctx context.Context) (forecast, error) { return forecast{City: "Port Halden"}, nil }

func forecastView(f forecast) templ.Component {
	return templ.Raw("<p>" + templ.EscapeString(f.City) + "</p>")
}

// A pagelet pairs a typed fetch with a typed view; a page is a layout that
// places its pagelets.
func Example() {
	weather := pagelet.Pagelet{
		ID:          "weather",
		Load:        pagelet.Fetch(fetchForecast, forecastView),
		CSS:         []string{"pagelets/weather.css"},
		Placeholder: templ.Raw(`<p class="skeleton"></p>`),
		Timeout:     800 * time.Millisecond,
	}
	page := pagelet.Page{
		Title:    "Weather",
		Layout:   func(slot pagelet.Slot) templ.Component { return slot("weather") },
		Pagelets: []pagelet.Pagelet{weather},
	}
	fmt.Println(page.Validate())
	// Output: <nil>
}
