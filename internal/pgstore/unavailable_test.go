package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/pgtest"
	"github.com/bigpipe-go/bigpipe/internal/store"
)

// TestUnavailable cuts a DB off from its database (through a proxy) in
// the ways a network can: its calls fail with an error that matches
// store.ErrUnavailable (what the site answers with 503 and a pagelet with
// its fallback), within their context's bound; Health says so within a
// few seconds, and ok again once the fault is gone. A wrong call's error
// does not match it.
func TestUnavailable(t *testing.T) {
	px := pgtest.NewProxy(t, pgtest.Shared(t).Addr())
	db := open(t, px.URL(database(t)))
	if _, _, err := db.AddComment(t.Context(), store.Comment{}); !errors.Is(err, store.ErrBadComment) || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("AddComment of an empty comment = %v, want ErrBadComment, not ErrUnavailable", err)
	}
	for _, tc := range []struct {
		name  string
		fault func(testing.TB)
	}{
		{"reset", px.Reset},
		{"partition", px.Partition},
		{"answers lost", func(t testing.TB) { px.Stall(t, pgtest.Downstream) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault(t)
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			began := time.Now()
			_, _, err := db.AddComment(ctx, store.Comment{ID: "c-" + tc.name, Slug: "a", Name: "n", Text: "t", Posted: time.Now()})
			cancel()
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("AddComment while cut off = %v, want an error matching store.ErrUnavailable", err)
			}
			if d := time.Since(began); d > 3*time.Second {
				t.Errorf("AddComment while cut off took %s, want its context's 500 ms bound and slack", d)
			}
			waitFor(t, 10*time.Second, "Health to say the database is down", func() bool { return !db.Health().Up })
			if h := db.Health().String(); !strings.HasPrefix(h, "degraded: database unreachable since ") {
				t.Errorf("Health while cut off: %q", h)
			}
			px.Heal(t)
			waitFor(t, 10*time.Second, "Health to say the database is up again", func() bool { return db.Health().Up })
			if _, _, err := db.AddComment(t.Context(), store.Comment{ID: "ok-" + tc.name, Slug: "a", Name: "n", Text: "t", Posted: time.Now()}); err != nil {
				t.Errorf("AddComment after the fault = %v", err)
			}
		})
	}
	if h := db.Health(); h.Outages != 3 {
		t.Errorf("Health().Outages = %d after three faults, want 3", h.Outages)
	}
}
