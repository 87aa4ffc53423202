package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
)

// counts receives the presence reports of a feed: channel and pages.
type counts chan [2]any

func (c counts) report(_ context.Context, channel string, pages int) {
	select {
	case c <- [2]any{channel, pages}:
	default: // a test that stopped listening
	}
}

// await waits for a report of want pages on channel, skipping earlier
// reports of other counts (pages that came or went in between).
func (c counts) await(t *testing.T, channel string, want int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-c:
			if r[0] == channel && r[1] == want {
				return
			}
		case <-timeout:
			t.Fatalf("no report of %d pages on %q within 5 s", want, channel)
		}
	}
}

// TestPresence checks presence on one instance: pages coming and going on
// an article's channel are counted and reported, throttled.
func TestPresence(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	c := make(counts, 64)
	live.Stream(f.eng, "article:", raw, live.WithPresence(200*time.Millisecond, c.report))
	tok := f.token(t, "article:x", "scores")
	p1 := f.dialSSE(t, connectCmd(t, tok, nil))
	p1.connected(t)
	p2 := f.dialSSE(t, connectCmd(t, tok, nil))
	p2.connected(t)
	c.await(t, "article:x", 2)
	if n, err := f.eng.Presence(context.Background(), "article:x"); err != nil || n != 2 {
		t.Errorf("Presence: %d, %v; want 2", n, err)
	}
	p1.close()
	c.await(t, "article:x", 1)
	if _, err := f.eng.Presence(context.Background(), "scores"); err == nil {
		t.Error("Presence of a feed without WithPresence: no error")
	}
}

// TestPresenceAcrossInstances checks that the count is the cluster's:
// pages on two instances sharing Redis, reported by each as they come.
func TestPresenceAcrossInstances(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	a, b := newFixture(t, live.WithRedis(r.URL)), newFixture(t, live.WithRedis(r.URL))
	ca, cb := make(counts, 64), make(counts, 64)
	live.Stream(a.eng, "article:", raw, live.WithPresence(200*time.Millisecond, ca.report))
	live.Stream(b.eng, "article:", raw, live.WithPresence(200*time.Millisecond, cb.report))
	tok := a.token(t, "article:x")
	a.dialSSE(t, connectCmd(t, tok, nil)).connected(t)
	ca.await(t, "article:x", 1)
	onB := b.dialSSE(t, connectCmd(t, tok, nil))
	onB.connected(t)
	cb.await(t, "article:x", 2)
	onB.close()
	cb.await(t, "article:x", 1)
}
