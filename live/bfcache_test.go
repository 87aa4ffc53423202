package live_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bigpipe-go/bigpipe/live"
)

// TestBackForwardCache: a page the browser keeps in its back/forward
// cache when its reader navigates away closes its live connection, so the
// server no longer counts it (its "reading now", its presence) nor holds
// anything for it; shown again by Back, it connects and recovers what was
// published meanwhile, without a reload.
func TestBackForwardCache(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newPageFixture(t, live.WithRegistry(reg))
	tb := open(t, f, "")
	sse := map[string]string{"transport": "sse"}
	waitMetric(t, reg, "bigpipe_live_connections", sse, 1, 5*time.Second)

	tb.WaitTrue(t, `(window.__notReloaded = true)`)
	tb.Navigate(t, "about:blank")
	waitMetric(t, reg, "bigpipe_live_connections", sse, 0, 5*time.Second)

	f.setScores(`<p class="score">3 – 1</p>`)
	// history.back(), not chromedp.NavigateBack: a page shown from the
	// cache fires pageshow, not the load event NavigateBack waits for.
	tb.WaitTrue(t, `(history.back(), true)`)
	tb.WaitTrue(t, `location.href !== 'about:blank' && !!(window.bigPipe && bigPipe.liveState)`)
	if !eval[bool](t, tb, `window.__notReloaded === true`) {
		t.Fatal("Back reloaded the page instead of showing it from the back/forward cache: what this test checks did not happen")
	}
	tb.WaitTrue(t, `bigPipe.liveState.connects === 2 && document.querySelector('#scores .score').textContent === '3 – 1'`)
	waitMetric(t, reg, "bigpipe_live_connections", sse, 1, 5*time.Second)
	if st := liveState(t, tb); st.Refetches != 0 {
		t.Errorf("%d refetches, want 0: what was published while the page was away is recovered", st.Refetches)
	}
}
