package e2e_test

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

//go:embed testdata/reveal_probe.js
var revealProbe string

// homePagelets are the front page's pagelets (pages/news.go).
var homePagelets = []string{"hotnews", "breaking", "society", "finance", "tech", "sports", "notifications", "mostread", "weather"}

// homeLatency makes some of the front page's backends slow, so that its
// pagelets arrive spread out over time rather than in one burst: the CSS and
// JS ordering rules then matter.
func homeLatency() store.Option {
	return store.WithLatency(map[string]time.Duration{
		"finance": 150 * time.Millisecond,
		"weather": 400 * time.Millisecond,
	})
}

// reveal is one record of testdata/reveal_probe.js.
type reveal struct {
	ID     string  `json:"id"`
	T      float64 `json:"t"`
	Placed bool    `json:"placed"` // by the skeleton: recorded at its first frame
	Sheets []struct {
		Href  string `json:"href"`
		Rules int    `json:"rules"`
	} `json:"sheets"`
	Rule *struct {
		Href  string `json:"href"`
		Style string `json:"style"`
		Color string `json:"color"`
	} `json:"rule"`
	Computed *struct {
		Style string `json:"style"`
		Color string `json:"color"`
	} `json:"computed"`
}

// TestHomeRevealsWithCSS loads the front page and checks that every pagelet
// is shown with content, and that at the very moment each one is revealed
// (or, placed by the skeleton, first rendered) its own stylesheets are
// loaded and applied: no flash of unstyled content.
func TestHomeRevealsWithCSS(t *testing.T) {
	for _, mode := range []struct{ name, ua string }{{"pipelined", chromeUA}, {"native", nativeUA}} {
		t.Run(mode.name, func(t *testing.T) { testHomeRevealsWithCSS(t, mode.name, mode.ua) })
	}
}

func testHomeRevealsWithCSS(t *testing.T, mode, ua string) {
	srv := newServer(t, homeLatency())
	pp := fetchPipe(t, srv.URL+"/", ua, mode)
	if got := slices.Sorted(slices.Values(pp.pagelets)); !slices.Equal(got, slices.Sorted(slices.Values(homePagelets))) {
		t.Fatalf("declared pagelets = %v, want %v", got, homePagelets)
	}

	tb := newTab(t)
	tb.SetUserAgent(t, ua)
	tb.addScript(t, revealProbe)
	tb.Navigate(t, srv.URL+"/")
	requireBigPipe(t, tb)
	tb.waitDone(t)

	reveals := map[string]reveal{}
	for _, r := range eval[[]reveal](t, tb, `window.__reveals`) {
		if _, dup := reveals[r.ID]; dup {
			t.Errorf("pagelet %s revealed twice", r.ID)
		}
		reveals[r.ID] = r
	}
	// The probe records an inserted container (placed, or patched in the
	// native mode) at its first frame, one the runtime reveals at once.
	placed := eval[map[string]bool](t, tb, `Object.fromEntries(bigPipe.shown.map((s) => [s.id, !!(s.placed || s.patched)]))`)
	for _, id := range pp.pagelets {
		t.Run(id, func(t *testing.T) {
			if why := eval[string](t, tb, visibleExpr(id, "")); why != "" {
				t.Errorf("#%s: not visibly shown: %s", id, why)
			}
			r, ok := reveals[id]
			if !ok {
				t.Fatalf("no reveal of %s recorded", id)
			}
			t.Logf("revealed at %.1f ms (placed: %v)", r.T, r.Placed)
			if want := placed[id]; r.Placed != want {
				t.Errorf("recorded as placed %v; the runtime says placed %v", r.Placed, want)
			}
			if len(pp.css[id]) == 0 {
				t.Fatalf("pagelet %s declares no CSS; the demo pagelets all have their own", id)
			}
			for _, want := range pp.css[id] {
				rules := -2 // no such sheet
				for _, s := range r.Sheets {
					if s.Href == want {
						rules = s.Rules
					}
				}
				if rules <= 0 {
					t.Errorf("at reveal, stylesheet %s: cssRules = %d, want > 0 (-2: not in document.styleSheets)", want, rules)
				}
			}
			// A property that only the pagelet's own file sets: the root
			// rule ".pl-ID" must already decide the computed style.
			if r.Rule == nil {
				t.Fatalf("at reveal, no loaded stylesheet has a rule .pl-%s", id)
			}
			if !slices.Contains(pp.css[id], r.Rule.Href) {
				t.Errorf("rule .pl-%s comes from %s, want one of the pagelet's files %v", id, r.Rule.Href, pp.css[id])
			}
			if r.Rule.Style == "" || r.Rule.Style == "none" || r.Rule.Color == "" {
				t.Fatalf("rule .pl-%s sets border-top-style %q, border-top-color %q; the probe needs both (static/pagelets/%s.css)",
					id, r.Rule.Style, r.Rule.Color, id)
			}
			if r.Computed == nil {
				t.Fatalf("at reveal, #%s has no .pl-%s element", id, id)
			}
			if got, want := r.Computed.Style, r.Rule.Style; got != want {
				t.Errorf("at reveal, .pl-%s border-top-style = %q, want %q", id, got, want)
			}
			if got, want := r.Computed.Color, r.Rule.Color; got != want {
				t.Errorf("at reveal, .pl-%s border-top-color = %q, want %q", id, got, want)
			}
		})
	}
}

// TestHomePageletJSAfterBarrier checks that pagelet JS runs only once every
// pagelet is shown, that each pagelet's script ran exactly once, and that
// every CSS and JS file was fetched exactly once, or, for a small
// stylesheet, carried inline by exactly one payload and never fetched.
func TestHomePageletJSAfterBarrier(t *testing.T) {
	for _, mode := range []struct{ name, ua string }{{"pipelined", chromeUA}, {"native", nativeUA}} {
		t.Run(mode.name, func(t *testing.T) { testHomePageletJSAfterBarrier(t, mode.name, mode.ua) })
	}
}

func testHomePageletJSAfterBarrier(t *testing.T, mode, ua string) {
	srv := newServer(t, homeLatency())
	pp := fetchPipe(t, srv.URL+"/", ua, mode)

	tb := newTab(t)
	tb.SetUserAgent(t, ua)
	requests := tb.countRequests(t)
	tb.Navigate(t, srv.URL+"/")
	requireBigPipe(t, tb)
	tb.waitDone(t)

	var wantJS []string
	for _, id := range pp.pagelets {
		if len(pp.js[id]) > 0 {
			wantJS = append(wantJS, id)
		}
	}
	if len(wantJS) == 0 {
		t.Fatal("no pagelet of / declares JS; nothing to check")
	}
	ran := eval[[]string](t, tb, `window.__pageletJS || []`)
	if got, want := slices.Sorted(slices.Values(ran)), slices.Sorted(slices.Values(wantJS)); !slices.Equal(got, want) {
		t.Errorf("pagelet JS that ran = %v, want each of %v once", got, want)
	}
	pending := eval[[]int](t, tb, `window.__pendingAtJS || []`)
	if len(pending) != len(ran) {
		t.Errorf("__pendingAtJS has %d entries, __pageletJS %d; want one per script", len(pending), len(ran))
	}
	for i, n := range pending {
		if n != 0 {
			t.Errorf("script %d (%s) ran with %d pagelets still pending, want 0", i, at(ran, i), n)
		}
	}

	// The barrier: the first pagelet script loaded after the last reveal.
	lastShown := eval[float64](t, tb, `Math.max(...bigPipe.shown.map((s) => s.t))`)
	firstJS := eval[float64](t, tb, `Math.min(...bigPipe.jsLoaded.map((j) => j.t))`)
	t.Logf("last pagelet shown at %.1f ms, first pagelet JS loaded at %.1f ms", lastShown, firstJS)
	if firstJS < lastShown {
		t.Errorf("first pagelet JS loaded at %.1f ms, before the last pagelet was shown at %.1f ms", firstJS, lastShown)
	}

	timing := eval[map[string]int](t, tb, `(() => {
		const n = {};
		for (const e of performance.getEntriesByType("resource")) n[e.name] = (n[e.name] || 0) + 1;
		return n;
	})()`)
	sent := requests()
	shared := 0 // a file more than one pagelet lists: what "fetched once" is about
	for _, u := range pp.all {
		users := 0
		for _, id := range pp.pagelets {
			if slices.Contains(pp.css[id], u) || slices.Contains(pp.js[id], u) {
				users++
			}
		}
		if users > 1 {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no CSS or JS file of / is shared by two pagelets; the fetched-once check would prove nothing")
	}
	// The stylesheets this page load carried inline (in a payload, or in
	// the head for a placed pagelet), from the tab's own document: which
	// pagelets are placed differs between two loads of the page.
	inline := eval[map[string]int](t, tb, `(() => {
		const n = {};
		for (const el of document.querySelectorAll("style[data-href]")) {
			const u = new URL(el.dataset.href, location.href).href;
			n[u] = (n[u] || 0) + 1;
		}
		return n;
	})()`)
	for _, u := range pp.all {
		want := 1
		if n := inline[u]; n > 0 {
			if n != 1 {
				t.Errorf("%s: inline %d times, want once", u, n)
			}
			want = 0
		}
		if got := timing[u]; got != want {
			t.Errorf("%s: %d resource timing entries, want %d", u, got, want)
		}
		if got := sent[u]; got != want {
			t.Errorf("%s: requested %d times, want %d", u, got, want)
		}
	}
	for u, n := range sent {
		if strings.Contains(u, "/static/") && n != 1 {
			t.Errorf("%s: requested %d times, want 1", u, n)
		}
	}
}

// TestRuntimeIgnoresBadPayloads feeds the runtime payloads it must refuse
// once the page is complete: an undeclared pagelet, a second payload for a
// shown one, and malformed ones. None may change the page or throw.
func TestRuntimeIgnoresBadPayloads(t *testing.T) {
	srv := newServer(t)
	tb := newTab(t)
	tb.Navigate(t, srv.URL+"/")
	requireBigPipe(t, tb)
	tb.waitDone(t)

	const snapshot = `JSON.stringify({
		html: document.body.innerHTML,
		shown: bigPipe.shown.length,
		states: Array.from(document.querySelectorAll(".pagelet"), (el) => el.id + "=" + el.dataset.bigpipe),
	})`
	before := eval[string](t, tb, snapshot)
	tests := []struct {
		name, payload string
	}{
		{"undeclared id", `{id: "nope", content: "<b id=x1>x</b>"}`},
		{"repeated id", fmt.Sprintf(`{id: %s, content: "<b id=x2>replaced</b>"}`, jsString(homePagelets[0]))},
		{"repeated id with CSS", fmt.Sprintf(`{id: %s, content: "<b id=x3>replaced</b>", css: ["zzzzz"], js: ["yyyyy"]}`, jsString(homePagelets[1]))},
		{"id not a string", `{id: 7, content: "<b id=x4>x</b>"}`},
		{"null", `null`},
		{"string", `"hotnews"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := eval[string](t, tb, `(() => {
				try { bigPipe.onPageletArrive(`+tc.payload+`); } catch (e) { return "threw " + e; }
				return document.querySelector("#x1, #x2, #x3, #x4") ? "payload content inserted" : "";
			})()`)
			if got != "" {
				t.Errorf("onPageletArrive(%s): %s", tc.payload, got)
			}
			if after := eval[string](t, tb, snapshot); after != before {
				t.Errorf("onPageletArrive(%s) changed the page:\nbefore %.300s\nafter  %.300s", tc.payload, before, after)
			}
		})
	}
	if got := eval[bool](t, tb, `bigPipe.done`); !got {
		t.Errorf("bigPipe.done = %v after bad payloads, want true", got)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "?"
}
