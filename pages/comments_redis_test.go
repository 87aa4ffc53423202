package pages_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	pagesform "github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
)

// newRedisSite is newLiveSite with its engine on the Redis at url.
func newRedisSite(t *testing.T, url string) *liveSite {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "news.db"), store.WithNow(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := assets.New(staticFS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := live.New(reg, live.WithLogger(discard), live.WithSecret([]byte("pages test secret")), live.WithRedis(url))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLive(eng), render.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	site := pages.NewSite(st, pages.WithNow(func() time.Time { return testNow }), pages.WithAssets(reg),
		pages.WithLive(eng), pages.WithLogger(discard), pages.WithCommentRate(0, 0))
	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	mux.Handle("/", pages.Routes(rd, reg, site))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	return &liveSite{site: site, st: st, eng: eng, srv: srv}
}

// TestCommentPublishedAfterOutage: a comment posted while Redis does not
// answer is stored and answered at once; its publication is retried in
// the background and reaches the open pages once Redis is back, once.
func TestCommentPublishedAfterOutage(t *testing.T) {
	r := redistest.Start(t)
	ls := newRedisSite(t, r.URL)
	slug := firstSlug(t, ls.st, "hotnews")
	ch := pages.CommentsChannel(slug)
	sub := subscribe(t, ls, ch)
	rd := newReader(t, ls)
	form := rd.form(slug)

	r.Pause(t)
	for deadline := time.Now().Add(10 * time.Second); ls.eng.Health().BrokerUp; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the engine did not notice Redis paused within 10 s")
		}
	}
	// "At once": not after the publication's retries (backoff up to 10 s)
	// nor centrifuge's timeout against the paused Redis (about 4 s). The
	// bound is a backstop under both, not a measure of a POST, which a
	// starved machine (-race, other tests) can make slow.
	t0 := time.Now()
	res, _ := rd.post(slug, with(form, pagesform.IDField, "during-outage-1", "text", "Posted while Redis is paused."))
	if took := time.Since(t0); res.StatusCode != http.StatusSeeOther || took > 3*time.Second {
		t.Fatalf("POST during the outage: %d after %v, want 303 at once", res.StatusCode, took)
	}
	if ids := mustComments(t, ls, slug); len(ids) != 1 || ids[0] != "during-outage-1" {
		t.Fatalf("stored %q, want the comment", ids)
	}
	r.Resume(t)

	// The retried publication can take a while: its backoff goes up to 10 s.

	if p := sub.nextWithin(t, ch, 30*time.Second); p.Key != "during-outage-1" {
		t.Fatalf("first publication after the outage: key %q, want during-outage-1", p.Key)
	}
	// Once: the next publication is the next comment, not a repeat.
	res, _ = rd.post(slug, with(form, pagesform.IDField, "after-outage-2", "text", "Posted once Redis is back."))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST after the outage: %d", res.StatusCode)
	}
	if p := sub.nextWithin(t, ch, 30*time.Second); p.Key != "after-outage-2" {
		t.Errorf("next publication: key %q, want after-outage-2 (the retried one published twice?)", p.Key)
	}
}
