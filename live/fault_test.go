package live_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/render"
)

// Redis faults: the broker probe, Position failing fast, and clients that
// end with every item once, recovered or refetched, whatever Redis did.

// follower is a Go client of one stream channel that behaves as live.js
// does: it shows each item once (by key), keeps its position, reconnects
// from there when its stream ends, and refetches (a fresh position, then
// the source of truth) when the server says it cannot recover.
type follower struct {
	ch        string
	token     string
	offset    uint64
	epoch     string
	items     []string
	refetches int
	reconnect int
	s         *sseStream
}

// newFollower shows the page: ch's position from f, then the items stored,
// as the renderer does; it connects on the first await.
func newFollower(t *testing.T, f *fixture, ch string, stored []string) *follower {
	t.Helper()
	fl := &follower{ch: ch, token: f.token(t, ch)}
	fl.refetch(t, f, stored)
	fl.refetches = 0
	return fl
}

// refetch is what a page does with a pagelet it cannot recover: the
// position first, then the content, so that nothing published in between
// is lost.
func (fl *follower) refetch(t *testing.T, f *fixture, stored []string) {
	t.Helper()
	pos, err := f.eng.Position(context.Background(), fl.ch)
	if err != nil {
		t.Fatalf("refetch: %v", err)
	}
	fl.offset, fl.epoch = pos.Offset, pos.Epoch
	fl.items = slices.Clone(stored)
	fl.refetches++
}

// show applies one publication, unless it was shown already.
func (fl *follower) show(t *testing.T, p publication) {
	t.Helper()
	if p.Offset != 0 && p.Offset <= fl.offset {
		return
	}
	fl.offset = max(fl.offset, p.Offset)
	if v := p.content(t); !slices.Contains(fl.items, v) { // the key is the content
		fl.items = append(fl.items, v)
	}
}

// connect dials f from the follower's position and handles the reply:
// false if the engine could not take it (its broker down, say), to be
// tried again.
func (fl *follower) connect(t *testing.T, f *fixture, stored []string) bool {
	t.Helper()
	fl.s = f.dialSSE(t, connectCmd(t, fl.token, fmtSubs(fl.ch, fl.offset, fl.epoch)))
	r, ok := fl.s.next(t, 10*time.Second)
	if !ok || r.Connect == nil {
		if ok && r.Error == nil && (r.Push == nil || r.Push.Disconnect == nil) {
			t.Fatalf("connect: %s", r.Raw)
		}
		fl.s.close()
		fl.s = nil
		return false
	}
	sub := r.Connect.Subs[fl.ch]
	if !sub.Recovered {
		fl.s.close()
		fl.s = nil
		fl.refetch(t, f, stored)
		return false
	}
	for _, p := range sub.Publications {
		fl.show(t, p)
	}
	return true
}

// await reads until the follower shows want, reconnecting to f whenever
// its stream ends, failing t after d.
func (fl *follower) await(t *testing.T, f *fixture, want []string, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !slices.Equal(fl.items, want) {
		if fl.s == nil && !fl.connect(t, f, want) {
			select {
			case <-deadline.C:
				t.Fatalf("after %v the client cannot connect (%d reconnects, %d refetches)", d, fl.reconnect, fl.refetches)
			case <-time.After(100 * time.Millisecond): // live.js's backoff, shortened
			}
			continue
		}
		if fl.s == nil || slices.Equal(fl.items, want) {
			continue
		}
		select {
		case frame, open := <-fl.s.frames:
			if !open {
				fl.s.close()
				fl.s = nil
				fl.reconnect++
				time.Sleep(50 * time.Millisecond) // live.js's jitter, shortened
				continue
			}
			for _, r := range parseReplies(t, frame) {
				if r.Push != nil && r.Push.Pub != nil && r.Push.Channel == fl.ch {
					fl.show(t, *r.Push.Pub)
				}
			}
		case <-deadline.C:
			t.Fatalf("after %v the client shows %q, want %q (%d reconnects, %d refetches)", d, fl.items, want, fl.reconnect, fl.refetches)
		}
	}
}

// publishRetry publishes v to ch with v as its key until the broker takes
// it, as a publisher that must not lose it does.
func publishRetry(t *testing.T, f *fixture, ch, v string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f.comments.Publish(context.Background(), ch, v, live.WithKey(v))
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %q: still failing after %v: %v", v, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHealth polls f's engine until its broker is up (or down), failing t
// after d.
func waitHealth(t *testing.T, f *fixture, up bool, d time.Duration) live.Health {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		h := f.eng.Health()
		if h.BrokerUp == up {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker up %v after %v, want %v: %+v", h.BrokerUp, d, up, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMemoryBrokerHealth: the memory broker is always up.
func TestMemoryBrokerHealth(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	h := f.eng.Health()
	if !h.BrokerUp || h.Broker != "memory" || h.String() != "ok" || h.Since.IsZero() {
		t.Errorf("health %+v (%q), want the memory broker up", h, h)
	}
	waitMetric(t, f.reg, "bigpipe_live_broker_up", nil, 1, time.Second)
}

// TestRedisPaused: Redis stopped (SIGSTOP) for a while, then continued.
// The probe notices within a couple of seconds; meanwhile Position and
// Publish fail at once instead of waiting; once Redis answers again health
// comes back by itself, and a client of the other instance ends with every
// item once: recovered, or refetched.
func TestRedisPaused(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	a := newFixture(t, live.WithRedis(r.URL))
	b := newFixture(t, live.WithRedis(r.URL))
	const ch = "comments:paused"
	var stored []string
	post := func(v string) { stored = append(stored, v); publishRetry(t, a, ch, v, 20*time.Second) }

	fl := newFollower(t, b, ch, stored)
	post("1")
	post("2")
	fl.await(t, b, stored, 10*time.Second)

	s := newSite(t, a, a.eng)
	r.Pause(t)
	h := waitHealth(t, a, false, 10*time.Second)
	waitHealth(t, b, false, 10*time.Second)
	if h.Outages != 1 || h.LastError == "" || len(h.Down) != 1 {
		t.Errorf("health while paused: %+v", h)
	}
	waitMetric(t, a.reg, "bigpipe_live_broker_up", nil, 0, time.Second)
	// "At once" is ErrBrokerDown: only the engine's own health check, which
	// asks nobody, returns it; asking the paused Redis would end with
	// centrifuge's error after its timeout of about 4 s. The bound on the
	// time is a backstop, half that, not a measure: a starved machine (-race,
	// other tests) can take a while even to return an error.
	const atOnce = 2 * time.Second
	t0 := time.Now()
	_, err := a.eng.Position(context.Background(), ch)
	if took := time.Since(t0); !errors.Is(err, live.ErrBrokerDown) || took > atOnce {
		t.Errorf("Position while down: %v after %v, want ErrBrokerDown at once", err, took)
	}
	t0 = time.Now()
	err = a.comments.Publish(context.Background(), ch, "3", live.WithKey("3"))
	if took := time.Since(t0); !errors.Is(err, live.ErrBrokerDown) || took > atOnce {
		t.Errorf("Publish while down: %v after %v, want ErrBrokerDown at once", err, took)
	}
	stored = append(stored, "3") // stored, not published: published again below
	// A live pagelet refetched meanwhile is a 503, not content without a
	// position (after a new epoch the client could not tell what it shows).
	if status, body, _ := s.get(t, "/?"+render.FragmentParam+"=scores"); status != http.StatusServiceUnavailable || !strings.Contains(body, "live position is unknown") {
		t.Errorf("fragment of a live pagelet while the broker is down: %d %s, want 503", status, body)
	}

	r.Resume(t)
	h = waitHealth(t, a, true, 15*time.Second)
	waitHealth(t, b, true, 15*time.Second)
	if h.Outages != 1 || !h.Since.After(t0) {
		t.Errorf("health after Resume: %+v", h)
	}
	if v, _ := metric(t, a.reg, "bigpipe_live_broker_failures_total", map[string]string{"shard": "0"}); v < 1 {
		t.Errorf("bigpipe_live_broker_failures_total = %v, want ≥ 1", v)
	}
	waitMetric(t, a.reg, "bigpipe_live_broker_outages_total", nil, 1, time.Second)
	publishRetry(t, a, ch, "3", 20*time.Second)
	post("4")
	fl.await(t, b, stored, 20*time.Second)
	t.Logf("client: %d reconnects, %d refetches", fl.reconnect, fl.refetches)
	if _, err := a.eng.Position(context.Background(), ch); err != nil {
		t.Errorf("Position after recovery: %v", err)
	}
}

// TestRedisRestarted: Redis restarted empty (the histories and their
// epochs lost). The instances reconnect by themselves; a client that was
// connected is told it cannot recover (the epoch changed) and refetches,
// then gets what follows live.
func TestRedisRestarted(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	a := newFixture(t, live.WithRedis(r.URL))
	b := newFixture(t, live.WithRedis(r.URL))
	const ch = "comments:restarted"
	var stored []string
	post := func(v string) { stored = append(stored, v); publishRetry(t, a, ch, v, 20*time.Second) }

	fl := newFollower(t, b, ch, stored)
	post("1")
	post("2")
	fl.await(t, b, stored, 10*time.Second)
	epoch := fl.epoch

	r.Restart(t)
	post("3")
	post("4")
	fl.await(t, b, stored, 30*time.Second)
	if fl.refetches < 1 || fl.epoch == epoch {
		t.Errorf("after the restart: %d refetches, epoch %q (was %q); want a refetch to the new epoch", fl.refetches, fl.epoch, epoch)
	}
	post("5")
	fl.await(t, b, stored, 10*time.Second)
	waitHealth(t, a, true, 5*time.Second)
	waitHealth(t, b, true, 5*time.Second)
	resynced, _ := metric(t, b.reg, "bigpipe_live_resync_disconnects_total", nil)
	t.Logf("client: %d reconnects, %d refetches; %v clients of B told to resync; health A %+v", fl.reconnect, fl.refetches, resynced, a.eng.Health())
}

// TestHealthString: the health endpoint's line.
func TestHealthString(t *testing.T) {
	since := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	h := live.Health{Broker: "redis", Since: since, Down: []int{1}, LastError: "shard 1: i/o timeout"}
	if got, want := h.String(), "degraded: live broker unreachable since 2026-12-02T10:00:00Z (shards [1] down: shard 1: i/o timeout)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
