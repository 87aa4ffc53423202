package live_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/live"
)

// TestRedisDownAtStart: an engine whose Redis does not answer when it
// starts starts anyway, its broker down from the start (not an outage):
// Position and Publish fail at once with ErrBrokerDown, a client's connect
// is refused. Once Redis answers, the engine connects by itself within a
// few RedisRetry: health says up, publications made on the other instance
// reach a client connected to it, and Close leaves nothing running. An
// engine closed before Redis ever answers stops trying.
func TestRedisDownAtStart(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	r.Stop(t) // its port, with nothing listening: Restart brings it up there

	a := newFixture(t, live.WithRedis(r.URL))
	h := a.eng.Health()
	if h.BrokerUp || h.Outages != 0 || !strings.Contains(h.LastError, "not connected") && !strings.Contains(h.LastError, "refused") {
		t.Errorf("health at start, Redis down: %+v; want down, no outage, saying why", h)
	}
	waitMetric(t, a.reg, "bigpipe_live_broker_up", nil, 0, time.Second)
	const ch = "comments:down"
	if _, err := a.eng.Position(context.Background(), ch); !errors.Is(err, live.ErrBrokerDown) {
		t.Errorf("Position: %v, want ErrBrokerDown", err)
	}
	if err := a.comments.Publish(context.Background(), ch, "0"); !errors.Is(err, live.ErrBrokerDown) {
		t.Errorf("Publish: %v, want ErrBrokerDown", err)
	}
	s := a.dialSSE(t, connectCmd(t, a.token(t, ch), nil))
	if rep, ok := s.next(t, 10*time.Second); ok && rep.Connect != nil {
		t.Errorf("a client connected while the broker is down: %s", rep.Raw)
	}
	s.close()

	r.Restart(t)
	start := time.Now()
	waitHealth(t, a, true, 10*time.Second)
	t.Logf("connected %v after Redis came up", time.Since(start).Round(time.Millisecond))
	if h := a.eng.Health(); h.Outages != 0 {
		t.Errorf("health once connected: %+v; want no outage counted", h)
	}
	b := newFixture(t, live.WithRedis(r.URL))
	fl := newFollower(t, a, ch, nil)
	publishRetry(t, b, ch, "1", 10*time.Second)
	fl.await(t, a, []string{"1"}, 10*time.Second)
}

// TestRedisNeverUp: an engine closed while it is still trying to reach its
// Redis stops trying, and leaves nothing running.
func TestRedisNeverUp(t *testing.T) {
	checkLeaks(t)
	r := redistest.Start(t)
	r.Stop(t)
	f := newFixture(t, live.WithRedis(r.URL))
	if f.eng.Health().BrokerUp {
		t.Fatal("broker up with Redis stopped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.eng.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}
