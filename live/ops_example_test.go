package live_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing/fstest"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// rulesOf stands for the site's store of each editor's rules: the
// sections whose comments they watch.
var rulesOf = map[string][]string{"ada": {"sport"}}

func ExampleFeed_Remove() {
	ctx := context.Background()
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := live.New(site, live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)
	comments := live.Stream(eng, "comments:", threadItem)
	const ch = "comments:harbour-wins"

	// Add, then change the item with the same key: replaced in place on
	// every page showing it (added where a page does not show it yet).
	c := Comment{ID: "c-7f3a", Seq: 1, Author: "Ada", Text: "First!"}
	if err := comments.Publish(ctx, ch, c, live.WithKey(c.ID), live.WithOrder(c.Seq)); err != nil {
		log.Fatal(err)
	}
	c.Text = "First! (edited)"
	if err := comments.Publish(ctx, ch, c, live.WithKey(c.ID), live.Replace()); err != nil {
		log.Fatal(err)
	}
	// Pinned: at the top of every page's list, until unpinned.
	if err := comments.Publish(ctx, ch, c, live.WithKey(c.ID), live.Replace(), live.Pin(true)); err != nil {
		log.Fatal(err)
	}
	// Removed from every page showing it, and from what a page that was
	// away recovers.
	if err := comments.Remove(ctx, ch, c.ID); err != nil {
		log.Fatal(err)
	}
	// The add retried (the same key): not published again.
	if err := comments.Publish(ctx, ch, c, live.WithKey(c.ID), live.WithOrder(c.Seq)); err != nil {
		log.Fatal(err)
	}
	pos, err := eng.Position(ctx, ch)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("publications:", pos.Offset)

	// A filtered feed: each editor's page gets only the comments of the
	// sections they watch, decided on the server and signed into the
	// page's token.
	desk := live.Stream(eng, "desk", threadItem, live.WithFilter(
		func(_ context.Context, r pagelet.Reader, _ string) (live.Filter, error) {
			return live.TagIn("section", rulesOf[r.ID]...), nil // none: nothing
		}))
	rd, err := render.New(site, render.WithLive(eng))
	if err != nil {
		log.Fatal(err)
	}
	page := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{
			Title:  "Desk",
			Layout: func(slot pagelet.Slot) templ.Component { return slot("desk") },
			Pagelets: []pagelet.Pagelet{desk.Pagelet("desk", pagelet.Pagelet{
				ID: "desk", Personal: true,
				// The newest first, at most 50 on screen.
				Load: pagelet.Static(templ.Raw(`<ol data-live-items="prepend" data-live-max="50"></ol>`)),
			})},
		}, nil
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	req = req.WithContext(pagelet.WithReader(req.Context(), pagelet.Reader{ID: "ada", Session: "s-1f9c"}))
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, req)
	fmt.Println(strings.Contains(rec.Body.String(), `"channel":"desk"`))

	// A publication carries the tags filters compare: Ada's page gets this
	// one, and not one tagged "news".
	post := Comment{ID: "c-91be", Seq: 2, Author: "Lin", Text: "Great match"}
	if err := desk.Publish(ctx, "desk", post, live.WithKey(post.ID),
		live.WithTags(map[string]string{"section": "sport"})); err != nil {
		log.Fatal(err)
	}
	// Output:
	// publications: 4
	// true
}
