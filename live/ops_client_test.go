package live_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/live"
)

// The client's stream item operations, in headless Chromium: replace in
// place, remove, pin and unpin, capped lists, and removals recovered after
// a reconnect.

// publishItem publishes comment c<i> (text, or raw HTML) with its key and
// order, and opts.
func publishItem(t *testing.T, f *pageFixture, c comment, order uint64, opts ...live.PublishOption) {
	t.Helper()
	opts = append([]live.PublishOption{live.WithKey(c.ID), live.WithOrder(order)}, opts...)
	if err := f.now().comments.Publish(t.Context(), "comments:x", c, opts...); err != nil {
		t.Fatalf("publish %s: %v", c.ID, err)
	}
}

// removeItem publishes the removal of the comment with key.
func removeItem(t *testing.T, f *pageFixture, key string) {
	t.Helper()
	if err := f.now().comments.Remove(t.Context(), "comments:x", key); err != nil {
		t.Fatalf("remove %s: %v", key, err)
	}
}

// waitKeys waits until the page shows exactly the comments with keys, in
// that order.
func waitKeys(t *testing.T, tb *tab, keys ...string) {
	t.Helper()
	want := `["` + strings.Join(keys, `","`) + `"]`
	ctx, cancel := context.WithTimeout(tb.Ctx, 10*time.Second)
	defer cancel()
	if err := tb.Poll(ctx, fmt.Sprintf(`JSON.stringify(Array.from(document.querySelectorAll('#comments li.comment')).map(e => e.dataset.liveKey)) === %q`, want)); err != nil {
		t.Fatalf("comments shown %q, want %q (%v)", shownKeys(t, tb), keys, err)
	}
}

// TestItemReplaceKeepsFocus: an item replaced while the user types in a
// field of it is swapped in place; the field keeps focus, value and
// selection, and the page its scroll.
func TestItemReplaceKeepsFocus(t *testing.T) {
	f := newPageFixture(t)
	tb := open(t, f, "")
	field := func(v string) comment {
		return comment{ID: "c2", Raw: `<input id="note-c2" aria-label="Note"><span class="v">` + v + `</span>`}
	}
	publishItem(t, f, comment{ID: "c1", Text: "one"}, 1)
	publishItem(t, f, field("v1"), 2)
	publishItem(t, f, comment{ID: "c3", Text: "three"}, 3)
	waitKeys(t, tb, "c1", "c2", "c3")
	eval[bool](t, tb, `(() => { document.body.style.paddingBottom = '5000px'; scrollTo(0, 120);
		const e = document.getElementById('note-c2'); e.focus({preventScroll: true}); e.value = 'typing'; e.setSelectionRange(2, 4); return true })()`)
	publishItem(t, f, field("v2"), 2, live.Replace())
	tb.WaitTrue(t, `document.querySelector('[data-live-key=c2] .v').textContent === 'v2'`)
	waitKeys(t, tb, "c1", "c2", "c3")
	got := eval[[]any](t, tb, `(() => { const e = document.activeElement; return [e.id, e.value, e.selectionStart, e.selectionEnd, scrollY] })()`)
	if want := []any{"note-c2", "typing", float64(2), float64(4), float64(120)}; !slices.Equal(got, want) {
		t.Errorf("focused id, value, selection, scrollY = %v, want %v", got, want)
	}
	// A replacement of an item the page does not show adds it, in its place.
	publishItem(t, f, comment{ID: "c0", Text: "zero"}, 0, live.Replace(), live.WithOrder(1))
	publishItem(t, f, comment{ID: "c4", Text: "four"}, 4, live.Replace())
	waitKeys(t, tb, "c1", "c0", "c2", "c3", "c4")
}

// TestItemRemovePinCap: removals, pins (newest pin first), unpins (back to
// the item's order) and a list capped by data-live-max, which never drops
// a pinned item.
func TestItemRemovePinCap(t *testing.T) {
	f := newPageFixture(t)
	tb := open(t, f, "")
	for i := uint64(1); i <= 4; i++ {
		publishItem(t, f, comment{ID: fmt.Sprintf("c%d", i), Text: fmt.Sprint(i)}, i)
	}
	waitKeys(t, tb, "c1", "c2", "c3", "c4")
	pin := func(i uint64, pinned bool) {
		publishItem(t, f, comment{ID: fmt.Sprintf("c%d", i), Text: fmt.Sprint(i)}, i, live.Replace(), live.Pin(pinned))
	}
	removeItem(t, f, "c2")
	waitKeys(t, tb, "c1", "c3", "c4")
	pin(3, true)
	waitKeys(t, tb, "c3", "c1", "c4")
	pin(4, true)
	waitKeys(t, tb, "c4", "c3", "c1")
	if got := eval[[]string](t, tb, `Array.from(document.querySelectorAll('#comments [data-live-pinned]')).map(e => e.dataset.liveKey)`); !slices.Equal(got, []string{"c4", "c3"}) {
		t.Errorf("pinned %q, want c4, c3", got)
	}
	pin(3, false)
	waitKeys(t, tb, "c4", "c1", "c3")
	publishItem(t, f, comment{ID: "c5", Text: "5"}, 5)
	waitKeys(t, tb, "c4", "c1", "c3", "c5")
	// A replacement without Pin keeps the pin.
	publishItem(t, f, comment{ID: "c4", Text: "four"}, 4, live.Replace())
	tb.WaitTrue(t, `document.querySelector('[data-live-key=c4]').textContent === 'four'`)
	waitKeys(t, tb, "c4", "c1", "c3", "c5")

	// At most 3 items: the oldest unpinned ones go.
	eval[bool](t, tb, `document.querySelector('#comments [data-live-items]').dataset.liveMax = '3'; true`)
	publishItem(t, f, comment{ID: "c6", Text: "6"}, 6)
	waitKeys(t, tb, "c4", "c5", "c6")

}

// TestItemCapPrepend: a list that shows the newest first (prepend) and
// keeps at most 2 items drops the oldest from its end, never a pinned one,
// and puts new items below the pinned ones.
func TestItemCapPrepend(t *testing.T) {
	f := newPageFixture(t)
	tb := open(t, f, "")
	eval[bool](t, tb, `(() => { const b = document.querySelector('#comments [data-live-items]'); b.dataset.liveItems = 'prepend'; b.dataset.liveMax = '2'; return true })()`)
	for i := uint64(1); i <= 4; i++ {
		publishItem(t, f, comment{ID: fmt.Sprintf("c%d", i), Text: fmt.Sprint(i)}, i)
	}
	waitKeys(t, tb, "c4", "c3")
	publishItem(t, f, comment{ID: "c4", Text: "4"}, 4, live.Replace(), live.Pin(true))
	publishItem(t, f, comment{ID: "c5", Text: "5"}, 5)
	waitKeys(t, tb, "c4", "c5")
	if !eval[bool](t, tb, `document.querySelector('[data-live-key=c4]').hasAttribute('data-live-pinned')`) {
		t.Error("c4 is not marked pinned")
	}
}

// TestItemRemoveRecovered: what a page misses while it is away (an item
// removed, an item added then removed) is applied when it reconnects, in
// order, without a refetch; an add of the removed key retried later is
// not published again.
func TestItemRemoveRecovered(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			f := newPageFixture(t)
			tb := open(t, f, tr.query)
			addComments(f, 1, 3)
			waitComments(t, tb, 3)
			eval[bool](t, tb, `bigPipe.liveHold = true`)
			f.conns.closeAll()
			tb.WaitTrue(t, `bigPipe.liveState.hold === true`)
			removeItem(t, f, "c2")
			addComments(f, 4, 5)
			removeItem(t, f, "c5")
			addComments(f, 2, 2) // retried: not published again
			eval[bool](t, tb, `bigPipe.liveConnect(); true`)
			tb.WaitTrue(t, `bigPipe.liveState.channels['comments:x'].offset === 7`)
			waitKeys(t, tb, "c1", "c3", "c4")
			if st := liveState(t, tb); st.Refetches != 0 || st.Connects < 2 {
				t.Errorf("%d refetches and %d connects, want 0 and a reconnect", st.Refetches, st.Connects)
			}
		})
	}
}

// TestItemOpsNative: the same operations on a page served in the native
// mode (its pagelets patched in by the parser, then the same live client):
// replace in place, remove, pin to the top and unpin.
func TestItemOpsNative(t *testing.T) {
	f := newPageFixture(t)
	tb := newTab(t)
	tb.SetUserAgent(t, testenv.NativeUA)
	tb.Navigate(t, f.url("/"))
	tb.WaitTrue(t, `!!(window.bigPipe && bigPipe.done && bigPipe.liveState) && bigPipe.liveState.connects >= 1`)
	if !eval[bool](t, tb, `bigPipe.shown.length > 0 && bigPipe.shown.every((s) => s.placed || s.patched)`) {
		t.Fatalf("not the native page: bigPipe.shown = %v", eval[any](t, tb, `bigPipe.shown`))
	}
	for i := uint64(1); i <= 3; i++ {
		publishItem(t, f, comment{ID: fmt.Sprintf("c%d", i), Text: fmt.Sprint(i)}, i)
	}
	waitKeys(t, tb, "c1", "c2", "c3")
	publishItem(t, f, comment{ID: "c2", Text: "two"}, 2, live.Replace())
	tb.WaitTrue(t, `document.querySelector('[data-live-key=c2]').textContent === 'two'`)
	removeItem(t, f, "c1")
	waitKeys(t, tb, "c2", "c3")
	publishItem(t, f, comment{ID: "c3", Text: "3"}, 3, live.Replace(), live.Pin(true))
	waitKeys(t, tb, "c3", "c2")
	publishItem(t, f, comment{ID: "c3", Text: "3"}, 3, live.Replace(), live.Pin(false))
	waitKeys(t, tb, "c2", "c3")
}
