package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestRecycledFetchesAcrossHandlers serves, in turn, a fully cached page
// of a renderer with a cache and Server-Timing (whose per-page state goes
// back to a pool the renderers share) and a page of a renderer with
// neither: the second must not take the first's leftover arrays for its
// own cache or timing state (it did: a pagelet's goroutine indexed an
// empty recycled array and crashed the process).
func TestRecycledFetchesAcrossHandlers(t *testing.T) {
	cached := delayed("c", 0)
	cached.Cache = pagelet.Cache{Fresh: time.Hour}
	withCache := servePage(t, pageOf(cached), render.WithCache(newCache(t)), render.WithServerTiming(true))
	plain := servePage(t, pageOf(delayed("p", 0)))
	for range 20 {
		get(t, withCache.URL, chromeUA) // a miss once, then fully cached: recycled
		for _, ua := range []string{chromeUA, googlebotUA} {
			if body := string(get(t, plain.URL, ua).Body()); !strings.Contains(body, marker("p")) {
				t.Fatalf("the plain renderer's page lacks its pagelet:\n%s", body)
			}
		}
	}
}
