package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestInstanceStartsWithoutRedis starts an instance while its -redis does
// not answer (issue 26: it used to refuse to start). It starts and is
// ready; /healthz says 200 "degraded" and bigpipe_live_broker_up is 0;
// pages render, with the comments stored, and without live updates; a
// comment posted meanwhile is stored (201). Once Redis comes up the
// instance connects by itself within a few seconds (/healthz ok, the
// gauge 1), the comment posted while it was down is published, and a page
// loaded then is live: a comment posted after shows in it.
func TestInstanceStartsWithoutRedis(t *testing.T) {
	c := newCluster(t)
	c.redis.Stop(t) // its port, nothing listening: Restart brings Redis up there
	in := c.add(1)[0]
	in.start(t)
	if h := health(in); !strings.HasPrefix(h, "200 degraded") {
		t.Errorf("/healthz with Redis down: %q, want 200 degraded", h)
	}
	if up, err := in.metric("bigpipe_live_broker_up"); err != nil || up != 0 {
		t.Errorf("bigpipe_live_broker_up = %v (%v), want 0", up, err)
	}
	slug := articleSlug(t, in)
	p := newPoster(t, in, slug)
	down := p.post(t, in.base())
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, in.base()+"/article/"+slug, nil)
	req.Header.Set("User-Agent", chromeUA) // a browser's page: its comments would be live
	res, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	body := string(b)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, down) || !strings.Contains(body, "</html>") { // the comments in a pagelet's JSON payload
		t.Fatalf("the article while Redis is down: %d, comment %s shown: %v", res.StatusCode, down, strings.Contains(body, down))
	}
	if pageletLive.MatchString(body) {
		t.Error("the article's comments were rendered live while Redis is down: their position is unknown")
	}
	early := newTab(t, "article while Redis is down")
	if err := chromedp.Do(early.Ctx, chromedp.Navigate(in.base()+"/article/"+slug)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(early.Ctx, openTimeout)
	err = early.Poll(ctx, fmt.Sprintf(`!!(window.bigPipe && window.bigPipe.done && document.querySelector('[data-live-key="%s"]'))`, down))
	cancel()
	if err != nil {
		t.Errorf("tab opened while Redis is down: the page did not complete with the comment: %v", err)
	}

	c.redis.Restart(t)
	up := time.Now()
	if err := waitFor(in.proc(), 30*time.Second, func() error {
		if h := health(in); h != "200 ok" {
			return fmt.Errorf("/healthz: %s", h)
		}
		return nil
	}); err != nil {
		t.Fatalf("after Redis came up: %v", err)
	}
	t.Logf("redis down at start: the instance connected %v after Redis came up", time.Since(up).Round(time.Millisecond))
	if v, err := in.metric("bigpipe_live_broker_up"); err != nil || v != 1 {
		t.Errorf("bigpipe_live_broker_up = %v (%v), want 1", v, err)
	}
	tb := newTab(t, "article after Redis came up")
	tb.open(t, in.base()+"/article/"+slug)
	p.post(t, in.base())
	waitShows(t, []view{{tab: tb, comments: true}}, p.ids(), "", deliveryBudget)
	// The comment posted while Redis was down reached the channel once
	// Redis answered (its publication retried): its history holds it.
	g := articleGrant(t, in.base(), slug)
	if g.pos.Offset < 2 {
		t.Errorf("the comments channel holds %d publications, want both comments (the first published late)", g.pos.Offset)
	}
}
