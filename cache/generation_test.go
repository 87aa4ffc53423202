package cache

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestGeneration checks that the generation moves on with every change of
// what a key holds (a store, an invalidation, a publication) and not with
// a lookup, that FreshUntil is the end of a fresh entry's freshness and
// zero for an invalidated one, and that Served counts a hit as Peek does.
func TestGeneration(t *testing.T) {
	t.Parallel()
	c := newTest(t)
	src := newSource("<p>front</p>")
	f := src.fill("front", "news")
	f.Channel = "ch"
	f.Policy.Fresh = time.Hour
	g0 := c.Generation()
	e, _ := get(t, c, f)
	g1 := c.Generation()
	if g1 == g0 {
		t.Fatalf("generation %d after a store, as before", g1)
	}
	if got, want := e.FreshUntil(), e.stored.Add(time.Hour); !got.Equal(want) {
		t.Errorf("FreshUntil %v, want %v", got, want)
	}
	if _, o, ok := c.Peek(f); !ok || o != Hit || c.Generation() != g1 {
		t.Errorf("Peek: %s, %t, generation %d; want a hit and %d", o, ok, c.Generation(), g1)
	}
	c.Served(f, e)
	if got := testutil.ToFloat64(c.m.lookups.WithLabelValues("news", string(Hit))); got != 2 {
		t.Errorf("hits counted: %v, want 2 (a Peek, a Served)", got)
	}
	if err := c.Published(context.Background(), "ch", true, []byte("<p>new</p>"), Position{Kind: "state", Offset: 1, Epoch: "e"}); err != nil {
		t.Fatal(err)
	}
	g2 := c.Generation()
	if g2 == g1 {
		t.Errorf("generation %d after a publication, as before", g2)
	}
	if err := c.InvalidateTags(context.Background(), "news"); err != nil {
		t.Fatal(err)
	}
	if c.Generation() == g2 {
		t.Errorf("generation %d after an invalidation, as before", g2)
	}
	e, ok := c.frags.GetIfPresent(f.key())
	if !ok || !e.FreshUntil().IsZero() {
		t.Errorf("invalidated entry (held %t): FreshUntil %v, want zero", ok, e.FreshUntil())
	}
}
