package e2e_test

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// burstMS is how close two reveals must be to count as one burst, whose
// order is not asserted. The delays under test are at least 50 ms apart.
const burstMS = 20

//go:embed testdata/arrival_probe.js
var arrivalProbe string

// revealSlackMS is how late after its own delay a pagelet may appear. It is
// loose on purpose: two shared cores, -race, and Chromium's ~130 ms paint
// floor. What the test is about is that no pagelet waits for a slower one.
const revealSlackMS = 700

// shownEntry is one element of bigPipe.shown.
type shownEntry struct {
	ID string  `json:"id"`
	T  float64 `json:"t"` // ms since navigation start (performance.now)
}

// TestBenchRevealOrder loads /bench in Chromium with pagelets of different
// delays and checks each one appears in its own placeholder, visibly, at
// about its own delay: fastest first, whatever the document order.
func TestBenchRevealOrder(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name   string
		delays []int // ms, pagelet pI gets delays[I]
		// maxAt bounds the reveal time of some pagelets more tightly.
		maxAt map[string]float64
	}{
		{name: "fastest first", delays: []int{50, 100, 200, 400, 800, 1600}},
		{
			name:   "slowest first",
			delays: []int{1600, 800, 400, 200, 100, 50},
			// p0 (1600 ms) comes first in the document but must not hold
			// back p5 (50 ms).
			maxAt: map[string]float64{"p5": 1000},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids := benchIDs(len(tc.delays))
			q := make([]string, len(tc.delays))
			for i, d := range tc.delays {
				q[i] = strconv.Itoa(d)
			}
			tb := newTab(t)
			tb.addScript(t, arrivalProbe)
			tb.Navigate(t, srv.URL+"/bench?delays="+strings.Join(q, ","))
			requireBigPipe(t, tb)
			tb.waitDone(t)

			for _, id := range ids {
				if why := eval[string](t, tb, visibleExpr(id, "PAGELET-"+id+"-READY")); why != "" {
					t.Errorf("#%s: not visibly shown: %s", id, why)
				}
			}

			shown := eval[[]shownEntry](t, tb, `bigPipe.shown`)
			at := map[string]float64{}
			var gotOrder []string
			for _, s := range shown {
				if _, dup := at[s.ID]; dup {
					t.Errorf("pagelet %s shown twice", s.ID)
				}
				at[s.ID] = s.T
				gotOrder = append(gotOrder, s.ID)
			}
			for i, id := range ids {
				t.Logf("%s: delay %4d ms, shown at %7.1f ms", id, tc.delays[i], at[id])
			}

			wantOrder := slices.Clone(ids)
			slices.SortStableFunc(wantOrder, func(a, b string) int {
				return tc.delays[slices.Index(ids, a)] - tc.delays[slices.Index(ids, b)]
			})
			if !slices.Equal(gotOrder, wantOrder) {
				// Pagelets the server found ready in the same instant (a
				// stalled test process readies several timers at once) may
				// go out in any order: tolerate an inversion within one
				// burst, never a faster pagelet shown clearly later.
				t.Logf("reveal order = %v, want %v (by delay); payload arrivals: %+v",
					gotOrder, wantOrder, eval[[]shownEntry](t, tb, `window.__arrivals`))
				for i, a := range ids {
					for j, b := range ids {
						if tc.delays[i] < tc.delays[j] && at[a] > at[b]+burstMS {
							t.Errorf("%s (delay %d ms) shown at %.1f ms, after %s (delay %d ms) at %.1f ms",
								a, tc.delays[i], at[a], b, tc.delays[j], at[b])
						}
					}
				}
			}

			for i, id := range ids {
				got, ok := at[id]
				if !ok {
					t.Errorf("%s: not in bigPipe.shown", id)
					continue
				}
				d := float64(tc.delays[i])
				if got < d {
					t.Errorf("%s shown at %.1f ms, before its delay of %v ms", id, got, d)
				}
				if got > d+revealSlackMS {
					t.Errorf("%s shown at %.1f ms, want within %d ms of its delay %v ms", id, got, revealSlackMS, d)
				}
				if limit, ok := tc.maxAt[id]; ok && got >= limit {
					t.Errorf("%s shown at %.1f ms, want before %v ms", id, got, limit)
				}
			}
		})
	}
}

// requireBigPipe fails t at once if the page was served as plain HTML (for
// example because the User-Agent looked like a crawler) rather than waiting
// for a runtime that will never report.
func requireBigPipe(t *testing.T, tb *tab) {
	t.Helper()
	got := eval[string](t, tb, `typeof window.bigPipe === "object" ?
		(document.querySelector('[data-bigpipe="inline"]') ? "plain pagelets in a BigPipe page" : "") :
		"no BigPipe runtime; served as plain HTML? (" + navigator.userAgent + ")"`)
	if got != "" {
		t.Fatalf("page is not in BigPipe mode: %s", got)
	}
}

// visibleExpr is a script that checks pagelet id is shown and visible with
// text containing want: it yields "" if so, else what is wrong.
func visibleExpr(id, want string) string {
	return fmt.Sprintf(`(() => {
		const el = document.getElementById(%s), want = %s;
		if (!el) return "no element";
		if (el.dataset.bigpipe !== "shown") return "data-bigpipe=" + el.dataset.bigpipe;
		if (el.getAttribute("aria-busy") !== "false") return "aria-busy=" + el.getAttribute("aria-busy");
		const text = el.innerText; // only rendered text counts
		if (want ? !text.includes(want) : !text.trim()) return "text " + JSON.stringify(text.slice(0, 200)) + " lacks " + JSON.stringify(want);
		const r = el.getBoundingClientRect();
		if (r.width <= 0 || r.height <= 0) return "zero size " + r.width + "x" + r.height;
		if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) return "checkVisibility() is false";
		return "";
	})()`, jsString(id), jsString(want))
}
