package render_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestCacheMemoFollowsChanges checks that a fully cached page served
// again from its handler's memo of the last one's fragments (no lookup)
// shows what a lookup would: a page of other keys gets its own fragments;
// after an invalidation the next page loads again; after a publication it
// shows the published markup; Server-Timing names each pagelet a hit.
func TestCacheMemoFollowsChanges(t *testing.T) {
	t.Parallel()
	c := newCache(t)
	var calls atomic.Int32
	var version atomic.Value
	version.Store("v1")
	pf := func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		k := r.URL.Query().Get("k")
		var pls []pagelet.Pagelet
		for _, id := range []string{"a", "b"} {
			pls = append(pls, pagelet.Pagelet{
				ID: id,
				Load: func(context.Context) (templ.Component, error) {
					calls.Add(1)
					return text(id + "-" + k + "-" + version.Load().(string)), nil
				},
				Channel: "ch-" + id,
				Cache:   pagelet.Cache{Fresh: time.Hour, Key: "memo/" + k, Tags: []string{"t"}},
			})
		}
		return pageOf(pls...), nil
	}
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithCache(c), render.WithServerTiming(true))
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Page(pf, render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Pipelined, nil }))
	page := func(k string) (string, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/?k="+k, nil))
		return w.Body.String(), w.Header().Get("Server-Timing")
	}
	check := func(step, k string, wantCalls int32, want ...string) {
		t.Helper()
		body, _ := page(k)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", step, w)
			}
		}
		if n := calls.Load(); n != wantCalls {
			t.Errorf("%s: %d Loads in all, want %d", step, n, wantCalls)
		}
	}
	check("first page", "1", 2, "a-1-v1", "b-1-v1")
	for i := range 3 { // from the memo after the first of these
		check("page again", "1", 2, "a-1-v1", "b-1-v1")
		if _, timing := page("1"); !strings.Contains(timing, `"a (cache hit)"`) || !strings.Contains(timing, `"b (cache hit)"`) {
			t.Errorf("page again %d: Server-Timing %q, want a hit for each", i, timing)
		}
	}
	check("other key", "2", 4, "a-2-v1", "b-2-v1")
	check("other key again", "2", 4, "a-2-v1")
	check("first key again", "1", 4, "a-1-v1", "b-1-v1")
	check("first key from the memo", "1", 4, "a-1-v1", "b-1-v1")

	version.Store("v2")
	if err := c.InvalidateTags(context.Background(), "t"); err != nil {
		t.Fatal(err)
	}
	check("after an invalidation", "1", 6, "a-1-v2", "b-1-v2")
	check("after an invalidation, again", "1", 6, "a-1-v2")

	if err := c.Published(context.Background(), "ch-a", true, []byte("PUBLISHED-A"), cache.Position{Kind: "state", Offset: 1, Epoch: "e"}); err != nil {
		t.Fatal(err)
	}
	check("after a publication", "1", 6, "PUBLISHED-A", "b-1-v2")
	check("after a publication, again", "1", 6, "PUBLISHED-A", "b-1-v2")
}
