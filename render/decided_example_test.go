package render_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing/fstest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Example_decidedHead has a pagelet decide the document's title and
// description from the data only its backend knows (a price). A crawler's
// plain page holds its head back for it (up to the head timeout); a
// browser's BigPipe page sends the skeleton at once, and the runtime sets
// the title and meta tag when the pagelet arrives.
func Example_decidedHead() {
	reg, _ := assets.New(fstest.MapFS{})
	rd, _ := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)))

	price := pagelet.Pagelet{
		ID:          "price",
		DecidesHead: true,
		Load: func(ctx context.Context) (templ.Component, error) {
			cents := 1250 // from the pricing backend
			label := fmt.Sprintf("%d.%02d €", cents/100, cents%100)
			return pagelet.WithHead(templ.Raw("<p>"+label+"</p>"), pagelet.Head{
				Title: "Widget, " + label + " — Shop",
				Meta:  []pagelet.Meta{{Name: "description", Content: "The widget, in stock at " + label + "."}},
			}), nil
		},
	}
	page := rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:    "Widget — Shop",
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("price") },
			Pagelets: []pagelet.Pagelet{price},
		}, nil
	})

	for _, ua := range []string{"Googlebot/2.1 (+http://www.google.com/bot.html)", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/widget", nil)
		req.Header.Set("User-Agent", ua)
		page.ServeHTTP(rec, req)
		body := rec.Body.String()
		fmt.Println(rec.Header().Get("X-Bigpipe-Mode"))
		fmt.Println(" ", regexp.MustCompile(`<title>.*?</title>`).FindString(body))
		fmt.Println(" ", regexp.MustCompile(`<meta name="description"[^>]*>|"head":\{"title":"[^"]*","meta":\[\{[^}]*\}\]`).FindString(body))
	}
	// Output:
	// inorder
	//   <title>Widget, 12.50 € — Shop</title>
	//   <meta name="description" content="The widget, in stock at 12.50 €.">
	// pipelined
	//   <title>Widget — Shop</title>
	//   "head":{"title":"Widget, 12.50 € — Shop","meta":[{"name":"description","content":"The widget, in stock at 12.50 €."}]
}
