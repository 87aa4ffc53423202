package live_test

import (
	"testing"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// TestNativeMode: on a page served in the native mode the live pagelets
// stay live: the runtime counts the placed and patched pagelets in, starts
// the live client after the barrier, and state and stream publications
// reach the page.
func TestNativeMode(t *testing.T) {
	f := newPageFixture(t)
	tb := newTab(t)
	tb.SetUserAgent(t, testenv.NativeUA) // served the native mode (<template for> patched in by the parser)
	tb.Navigate(t, f.url("/"))
	tb.WaitTrue(t, `!!(window.bigPipe && bigPipe.done && bigPipe.liveState)`)
	tb.WaitTrue(t, `bigPipe.liveState.connects >= 1`)
	// The native page has no <noscript> refresh; every pagelet was placed
	// by the skeleton or patched in by the parser.
	if !eval[bool](t, tb, `!document.head.querySelector("noscript") && bigPipe.shown.length > 0 && bigPipe.shown.every((s) => s.placed || s.patched)`) {
		t.Fatalf("not the native page: bigPipe.shown = %v", eval[any](t, tb, `bigPipe.shown`))
	}
	f.setScores(`<p class="score">native – 1</p>`)
	tb.WaitTrue(t, scoresIs("native – 1"))
	addComments(f, 1, 3)
	waitComments(t, tb, 3)
}
