package render_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// ExampleWithCache caches a pagelet's fragment: the first request runs its
// Load, the next ones are served from memory (placed in the skeleton, one
// write) until the fragment is 30 s old; for a minute more a stale one is
// served at once while one refresh runs, and for ten a failed refresh
// falls back on it. Invalidating its tag makes the next request load it
// again, on every instance once the cache has joined the live engine
// (live.WithCache).
func ExampleWithCache() {
	reg, _ := assets.New(fstest.MapFS{})
	c, _ := cache.New(cache.MaxEntries(10_000), cache.MaxBytes(64<<20))
	defer c.Close(context.Background())
	rd, _ := render.New(reg, render.WithCache(c), render.WithLogger(slog.New(slog.DiscardHandler)))

	var calls atomic.Int32 // the backend's
	headlines := pagelet.Pagelet{
		ID: "headlines",
		Load: func(ctx context.Context) (templ.Component, error) {
			n := calls.Add(1)
			return templ.Raw(fmt.Sprintf("<ul><li>Edition %d</li></ul>", n)), nil
		},
		Cache: pagelet.Cache{
			Fresh:        30 * time.Second,
			Stale:        time.Minute,
			StaleIfError: 10 * time.Minute,
			Tags:         []string{"stories"},
		},
	}
	page := rd.Page(func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:    "News",
			Layout:   func(slot pagelet.Slot) templ.Component { return slot("headlines") },
			Pagelets: []pagelet.Pagelet{headlines},
		}, nil
	})

	visit := func() {
		rec := httptest.NewRecorder()
		page.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		body := rec.Body.String()
		i := strings.Index(body, "Edition")
		fmt.Println(body[i:i+len("Edition 1")], "backend calls:", calls.Load())
	}
	visit()
	visit()
	_ = c.InvalidateTags(context.Background(), "stories") // the stories changed
	visit()
	// Output:
	// Edition 1 backend calls: 1
	// Edition 1 backend calls: 1
	// Edition 2 backend calls: 2
}
