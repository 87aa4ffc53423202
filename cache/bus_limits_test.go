package cache_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// relay is a bus to one peer: it hands each message to the peer's
// Receive, and keeps what the peer said of it.
type relay struct {
	peer     *cache.Cache
	sent     int
	refusals []error
}

func (r *relay) Broadcast(_ context.Context, msg []byte) error {
	r.sent++
	if err := r.peer.Receive(msg); err != nil {
		r.refusals = append(r.refusals, err)
	}
	return nil
}

// TestBusMessagesAccepted: whatever is invalidated or published, the
// messages a cache sends are ones its peers accept, so that none is left
// stale: many tags, tags that JSON escapes six-fold, a state publication
// too large for one message (the peer expires the fragment); a tag too
// long for a peer is not sent, the others are, and the error says so.
func TestBusMessagesAccepted(t *testing.T) {
	ctx := context.Background()
	escaped := strings.Repeat("<", 1000) // \u003c each
	many := func(n int, prefix string) []string {
		tags := make([]string, n)
		for i := range tags {
			tags[i] = prefix + strconv.Itoa(i)
		}
		return tags
	}
	for _, tc := range []struct {
		name    string
		send    func(a *cache.Cache) error
		wantErr string // "" for none
	}{
		{"3,000 tags", func(a *cache.Cache) error {
			return a.InvalidateTags(ctx, append(many(3000, "t"), "news")...)
		}, ""},
		{"1,024 escaped tags", func(a *cache.Cache) error {
			tags := many(1024, escaped)
			return a.InvalidateTags(ctx, append(tags, "news")...)
		}, ""},
		{"a tag too long", func(a *cache.Cache) error {
			return a.InvalidateTags(ctx, strings.Repeat("t", 2000), "news")
		}, "2000 bytes"},
		{"a large publication", func(a *cache.Cache) error {
			return a.Published(ctx, "ch", true, []byte(strings.Repeat("x", 5<<20)), cache.Position{Kind: "state", Offset: 9, Epoch: "e"})
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newBusCache(t), newBusCache(t)
			r := &relay{peer: b}
			a.Join(r)
			var loads atomic.Int32
			fill := &cache.Fill{
				Name: "news", Policy: pagelet.Cache{Fresh: time.Hour, Key: "news", Tags: []string{"news"}},
				Channel: "ch", Timeout: time.Second,
				Source: cache.LoadFunc(func(context.Context) ([]byte, *cache.Position, error) {
					loads.Add(1)
					return []byte("v"), &cache.Position{Kind: "state", Offset: 1, Epoch: "e"}, nil
				}),
			}
			if _, _, err := b.Get(ctx, fill); err != nil {
				t.Fatal(err)
			}
			err := tc.send(a)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("send: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("send: %v, want an error saying %q", err, tc.wantErr)
			}
			if len(r.refusals) > 0 {
				t.Errorf("%d of %d messages refused by the peer, the first: %v", len(r.refusals), r.sent, r.refusals[0])
			}
			if _, _, ok := b.Peek(fill); ok {
				t.Errorf("the peer's fragment is still served after %d messages", r.sent)
			}
			if _, _, err := b.Get(ctx, fill); err != nil || loads.Load() != 2 {
				t.Errorf("the peer's next Get: %v, %d loads; want it loaded again", err, loads.Load())
			}
		})
	}
}

func newBusCache(t *testing.T) *cache.Cache {
	t.Helper()
	c, err := cache.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}
