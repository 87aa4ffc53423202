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
// pages render, with the comments stored, their live pagelets at an
// unknown position (no epoch) with the page's grant; a comment posted
// meanwhile is stored (201). Once Redis comes up the instance connects by
// itself within a few seconds (/healthz ok, the gauge 1), the comment
// posted while it was down is published, and a page loaded then is live:
// a comment posted after shows in it. So do the tabs opened while Redis
// was down (an article and the front page), without a reload: their
// client connects, refetches the pagelets whose position was unknown and
// follows their channels, showing the comment and the breaking headline
// published after Redis came up.
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
	if m := pageletLive.FindStringSubmatch(body); m == nil || m[2] != "0" || m[3] != "" || !setupLive.MatchString(body) {
		t.Errorf("the article's comments while Redis is down: live %q, grant %v; want live at an unknown position (no epoch), with the page's grant", m, setupLive.MatchString(body))
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
	front := newTab(t, "front page while Redis is down")
	if err := chromedp.Do(front.Ctx, chromedp.Navigate(in.base()+"/")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(front.Ctx, openTimeout)
	err = front.Poll(ctx, `!!(window.bigPipe && window.bigPipe.done && window.bigPipe.liveState && window.bigPipe.liveState.errors > 0)`)
	cancel()
	if err != nil {
		t.Errorf("front page opened while Redis is down: not complete, its live client not trying: %v", err)
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
	// Published once the instance is connected: the tabs opened while
	// Redis was down show it without a reload. Redis up → shown is the
	// instance's reconnect, the clients' backoff and their refetches.
	p.post(t, in.base())
	headline := "Published once Redis is back"
	publishBreaking(t, in, headline)
	earlyViews := []view{{tab: early, comments: true}, {tab: front}}
	waitShows(t, earlyViews[:1], p.ids(), "", deliveryBudget)
	waitShows(t, earlyViews[1:], nil, headline, deliveryBudget)
	t.Logf("redis down at start: tabs opened while Redis was down show the comment and headline published once it was connected %v after Redis came up (%s)",
		time.Since(up).Round(time.Millisecond), summary(t, earlyViews))
	for _, v := range earlyViews {
		if s := v.tab.liveState(t); s.Connects < 1 || s.Refetches < 1 || s.Stopped {
			t.Errorf("tab %s: live %+v; want connected, its pagelets refetched", v.tab.Name, s)
		}
	}

	tb := newTab(t, "article after Redis came up")
	tb.open(t, in.base()+"/article/"+slug)
	// Then they follow their channels.
	p.post(t, in.base())
	publishBreaking(t, in, headline+" again")
	waitShows(t, []view{{tab: tb, comments: true}, {tab: early, comments: true}}, p.ids(), "", deliveryBudget)
	waitShows(t, earlyViews[1:], nil, headline+" again", deliveryBudget)
	if s := front.liveState(t); s.Applied < 1 {
		t.Errorf("front page opened while Redis was down: %+v, want the second headline applied from its channel", s)
	}
	// The comment posted while Redis was down reached the channel once
	// Redis answered (its publication retried, with a backoff of up to
	// 10 s): its history holds it.
	if err := waitFor(in.proc(), 30*time.Second, func() error {
		if g := articleGrant(t, in.base(), slug); g.pos.Offset < 3 {
			return fmt.Errorf("the comments channel holds %d publications, want all 3 comments (the first published late)", g.pos.Offset)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
