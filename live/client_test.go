package live_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
)

// The browser client's tests: live.js in headless Chromium against the test
// site (site_test.go) over loopback HTTP, each asserting on the page's DOM.

// clientBudget is the most live.js may weigh, minified and gzipped.
const clientBudget = 3 << 10

// TestClientSize keeps the client within its budget, as the assets
// registry minifies and compresses it.
func TestClientSize(t *testing.T) {
	src, err := os.ReadFile("live.js")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := assets.New(fstest.MapFS{"live.js": {Data: src}})
	if err != nil {
		t.Fatalf("assets.New: %v", err)
	}
	a, err := reg.Get("live.js")
	if err != nil {
		t.Fatal(err)
	}
	s := a.Sizes()
	t.Logf("live.js: %d B source, %d B minified, %d B gzipped, %d B brotli", s.Raw, s.Min, s.Gzip, s.Brotli)
	if s.Gzip > clientBudget {
		t.Errorf("live.js is %d B gzipped, over its budget of %d B", s.Gzip, clientBudget)
	}
}

// transports are the two ways the client connects: the query parameter
// that picks one ("" is the default, SSE).
var transports = []struct{ name, query string }{
	{"sse", ""},
	{"websocket", "bigpipe_live_transport=websocket"},
}

// state is what the client reports in bigPipe.liveState.
type state struct {
	Transport string
	Connects  int
	Errors    int
	Refetches int
	Applied   int
	Held      int
	Hold      bool
	Channels  map[string]struct {
		Offset  uint64
		Epoch   string
		Applied int
	}
}

func liveState(t *testing.T, tb *tab) state {
	t.Helper()
	return eval[state](t, tb, `bigPipe.liveState`)
}

// open loads the test page with query and waits until every pagelet is
// shown and the live client has run; unless the query holds it back, until
// it is connected too.
func open(t *testing.T, f *fixture, query string) *tab {
	t.Helper()
	tb := newTab(t)
	u := f.url("/")
	if query != "" {
		u += "?" + query
	}
	tb.navigate(t, u)
	tb.waitTrue(t, `!!(window.bigPipe && bigPipe.done && bigPipe.liveState)`)
	if !strings.Contains(query, "bigpipe_live_hold") {
		tb.waitTrue(t, `bigPipe.liveState.connects >= 1`)
	}
	return tb
}

// join joins query parameters, skipping empty ones.
func join(qs ...string) string {
	return strings.Join(slices.DeleteFunc(qs, func(s string) bool { return s == "" }), "&")
}

// shownKeys returns the keys of the comments the page shows, in order.
func shownKeys(t *testing.T, tb *tab) []string {
	t.Helper()
	return eval[[]string](t, tb, `Array.from(document.querySelectorAll('#comments li.comment')).map(e => e.dataset.liveKey)`)
}

func keys(from, to int) []string {
	var k []string
	for i := from; i <= to; i++ {
		k = append(k, fmt.Sprintf("c%d", i))
	}
	return k
}

// addComments publishes comments c<from> … c<to>.
func addComments(f *fixture, from, to int) {
	for i := from; i <= to; i++ {
		f.addComment(comment{ID: fmt.Sprintf("c%d", i), Text: fmt.Sprintf("comment %d", i)})
	}
}

// waitComments waits until the page shows comments c1 … c<n>, then checks
// it shows exactly those, each once, in order.
func waitComments(t *testing.T, tb *tab, n int) {
	t.Helper()
	tb.waitTrue(t, fmt.Sprintf(`document.querySelectorAll('#comments li.comment').length >= %d`, n))
	if got, want := shownKeys(t, tb), keys(1, n); !slices.Equal(got, want) {
		t.Fatalf("comments shown %q, want %q", got, want)
	}
}

// scoresIs is an expression true once the scores pagelet shows text.
func scoresIs(text string) string {
	return fmt.Sprintf(`document.querySelector('#scores .score') && document.querySelector('#scores .score').textContent === %q`, text)
}

// percentile returns the p-th percentile (0–100) of sorted xs.
func percentile(xs []float64, p int) float64 {
	return xs[min(len(xs)-1, len(xs)*p/100)]
}

// TestPublishVisible: a publication made after the page has loaded is in
// the DOM within 100 ms, over each transport. The time is measured from
// just before Publish to the MutationObserver callback of the change (and
// to the next animation frame, when it is painted); both clocks are the
// machine's wall clock. The assertion is generous, the machine being
// shared; the figures are logged.
func TestPublishVisible(t *testing.T) {
	const n = 30
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			f := newFixture(t)
			tb := open(t, f, tr.query)
			if got := liveState(t, tb).Transport; got != tr.name {
				t.Fatalf("transport %q, want %q", got, tr.name)
			}
			// late.css once, so that what is measured is delivery, not a
			// first stylesheet download.
			f.setScores(`<p class="score late">warm-up</p>`)
			tb.waitTrue(t, scoresIs("warm-up"))
			eval[bool](t, tb, `window.seen = []; window.painted = [];
				new MutationObserver(() => {
					const t = performance.timeOrigin + performance.now();
					seen.push(t);
					requestAnimationFrame(() => painted.push(performance.timeOrigin + performance.now()));
				}).observe(document.getElementById('scores'), {childList: true}); true`)
			var dom, frame []float64
			for i := 1; i <= n; i++ {
				t0 := float64(time.Now().UnixNano()) / 1e6
				f.setScores(fmt.Sprintf(`<p class="score">%d – 0</p>`, i))
				tb.waitTrue(t, fmt.Sprintf(`painted.length >= %d`, i))
				ts := eval[[]float64](t, tb, fmt.Sprintf(`[seen[%d], painted[%d]]`, i-1, i-1))
				dom = append(dom, ts[0]-t0)
				frame = append(frame, ts[1]-t0)
			}
			if !eval[bool](t, tb, scoresIs(fmt.Sprintf("%d – 0", n))) {
				t.Fatal("the page does not show the last publication")
			}
			st := liveState(t, tb)
			if ch := st.Channels["scores"]; ch.Applied != n+1 {
				t.Errorf("scores applied %d publications, want %d", ch.Applied, n+1)
			}
			sort.Float64s(dom)
			sort.Float64s(frame)
			t.Logf("%s: publish → in the DOM: p50 %.1f ms, p90 %.1f ms, max %.1f ms; → next frame: p50 %.1f ms, p90 %.1f ms, max %.1f ms (%d publications)",
				tr.name, percentile(dom, 50), percentile(dom, 90), dom[n-1], percentile(frame, 50), percentile(frame, 90), frame[n-1], n)
			if p50 := percentile(dom, 50); p50 > 100 {
				t.Errorf("publish → DOM p50 %.1f ms, want ≤ 100 ms", p50)
			}
			if dom[0] < -5 {
				t.Errorf("negative delay %.1f ms: the clocks disagree", dom[0])
			}

			// A stream: every item, once, in order.
			addComments(f, 1, 5)
			waitComments(t, tb, 5)
		})
	}
}
