package live_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/live"
)

// TestGap checks that the gap between a page's render and its subscription
// is closed: a client that connects from the position read before the
// render gets what was published meanwhile (a state channel only its
// latest, a stream channel every item in order), and a stream client whose
// epoch is not the channel's is told it was not recovered, so it
// refetches.
func TestGap(t *testing.T) {
	checkLeaks(t)
	f := newFixture(t)
	state := live.State(f.eng, "board:", raw)
	ctx := context.Background()
	pub := func(feed *live.Feed[string]) func(channel, v string) error {
		return func(channel, v string) error { return feed.Publish(ctx, channel, v) }
	}
	for i, tc := range []struct {
		name          string
		publish       func(channel, v string) error
		channel       string
		published     []string
		wrongEpoch    bool
		wantRecovered bool
		want          []string
	}{
		{"state: one publication", pub(state), "board:", []string{"a"}, false, true, []string{"a"}},
		{"state: only the latest of three", pub(state), "board:", []string{"a", "b", "c"}, false, true, []string{"c"}},
		// Centrifuge's cache recovery says "not recovered" when the channel
		// has no publication at all, even from the right position: the
		// client tells it from a loss by the reply's offset and epoch, the
		// ones it has (see docs/live.md).
		{"state: nothing published", pub(state), "board:", nil, false, false, nil},
		// A state channel's latest publication is its whole state, whatever
		// the client's epoch: it is recovered with it.
		{"state: wrong epoch", pub(state), "board:", []string{"a", "b"}, true, true, []string{"b"}},
		{"state: wrong epoch, nothing since", pub(state), "board:", nil, true, false, nil},
		{"stream: every item in order", pub(f.comments), "comments:", []string{"a", "b", "c"}, false, true, []string{"a", "b", "c"}},
		{"stream: nothing published", pub(f.comments), "comments:", nil, false, true, nil},
		{"stream: wrong epoch", pub(f.comments), "comments:", []string{"a", "b"}, true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			channel := fmt.Sprint(tc.channel, i)
			// The page: its position read, then publications while it
			// renders and loads.
			pos, err := f.eng.Position(ctx, channel)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.published {
				if err := tc.publish(channel, v); err != nil {
					t.Fatal(err)
				}
			}
			epoch := pos.Epoch
			if tc.wrongEpoch {
				epoch = "not-" + epoch
			}
			// The client: it connects from the page's position.
			s := f.dialSSE(t, connectCmd(t, f.token(t, channel), fmtSubs(channel, pos.Offset, epoch)))
			sub := s.connected(t).Subs[channel]
			if !sub.WasRecovering || sub.Recovered != tc.wantRecovered {
				t.Fatalf("recovered %v (was recovering %v), want %v", sub.Recovered, sub.WasRecovering, tc.wantRecovered)
			}
			// The reply's position, or its last publication's, is the
			// channel's: where the client stands now.
			at := sub.Offset
			if n := len(sub.Publications); n > 0 {
				at = sub.Publications[n-1].Offset
			}
			if top := pos.Offset + uint64(len(tc.published)); sub.Epoch != pos.Epoch || at != top {
				t.Errorf("reply's position %d/%s, want the channel's %d/%s", at, sub.Epoch, top, pos.Epoch)
			}
			var got []string
			for _, p := range sub.Publications {
				got = append(got, p.content(t))
				if p.Offset <= pos.Offset {
					t.Errorf("recovered offset %d, not after the page's %d", p.Offset, pos.Offset)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("recovered %q, want %q", got, tc.want)
			}
			// Whatever comes next is pushed, after what was recovered.
			if err := tc.publish(channel, "next"); err != nil {
				t.Fatal(err)
			}
			_, p := s.nextPub(t, 5*time.Second)
			if want := pos.Offset + uint64(len(tc.published)) + 1; p.content(t) != "next" || p.Offset != want {
				t.Errorf("next: %q at offset %d, want %q at %d", p.content(t), p.Offset, "next", want)
			}
		})
	}
}
