package page

// Browser figures: /bench loaded in headless Chromium, driven over the
// DevTools protocol with chromedp.
//
// One Chromium serves a whole measurement; every page load gets a fresh
// browser context (a new incognito-like profile: empty HTTP cache, no
// cookies, a new connection), so every figure is a cold-cache first visit.
// All times are since navigation start (performance.timeOrigin), as the
// page's own Performance API reports them.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// BrowserFloor is what headless Chromium needs for the scenario's page when
// it waits on nothing: the median FCP and LCP of the same page (as many
// pagelets) with every delay zero, pipelined, measured in the same run and
// interleaved with the scenario's loads, so FCP can be compared against it
// rather than against zero.
type BrowserFloor struct {
	FCP time.Duration `json:"fcp"`
	LCP time.Duration `json:"lcp"`
}

const (
	// browserSlack is how long, beyond the slowest delay, all markers of one
	// page load may take to become visible.
	browserSlack = 10 * time.Second
	// browserTabSlack is what one page load may take beyond that: opening
	// the tab, navigating, collecting, closing.
	browserTabSlack = 10 * time.Second
)

// openBenchBrowser finds Chromium (see ChromiumPath) and starts it for the
// bench (see startBenchBrowser).
func openBenchBrowser(ctx context.Context) (*benchBrowser, error) {
	path, err := measure.ChromiumPath()
	if err != nil {
		return nil, err
	}
	b, err := startBenchBrowser(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return b, nil
}

// measureBrowser loads the scenario's /bench page in headless Chromium,
// runs times in each of modes and the floor (the same page with zero delays,
// pipelined), all interleaved within a run, starting from a different one
// each run, after one unreported warm-up load.
// progress, if not nil, is told before each page load what it is.
//
// Each run measures FCP, LCP and the time each PAGELET-pI-READY marker was
// first visible on screen; see browserProbe for how. Figures are cold-cache:
// each load has a browser context of its own. Chromium is stopped, and its
// profile directory removed, before measureBrowser returns.
func measureBrowser(ctx context.Context, baseURL string, sc Scenario, modes []Mode, runs int, progress func(string)) (map[Mode][]BrowserRun, BrowserFloor, error) {
	var floor BrowserFloor
	if runs < 1 {
		return nil, floor, fmt.Errorf("browser: runs = %d, want at least 1", runs)
	}
	if len(sc.Delays) == 0 {
		return nil, floor, fmt.Errorf("browser: scenario %q has no delays", sc.Name)
	}
	for _, m := range modes {
		if !slices.Contains(Modes, m) {
			return nil, floor, fmt.Errorf("browser: unknown mode %q", m)
		}
	}
	if progress == nil {
		progress = func(string) {}
	}
	if err := ctx.Err(); err != nil {
		return nil, floor, err
	}
	b, err := openBenchBrowser(ctx)
	if err != nil {
		return nil, floor, fmt.Errorf("browser: %w", err)
	}
	defer b.Stop()

	zero := Scenario{Name: "zero-delay", Delays: make([]time.Duration, len(sc.Delays))}
	progress("browser warm-up")
	if _, err := b.measure(ctx, baseURL, zero, Pipelined); err != nil {
		return nil, floor, fmt.Errorf("browser warm-up: %w", err)
	}
	const floorMode Mode = "floor" // a load of zero, in the rotation with the modes
	loads := append([]Mode{floorMode}, modes...)
	fcps := make([]time.Duration, 0, runs)
	lcps := make([]time.Duration, 0, runs)
	out := make(map[Mode][]BrowserRun, len(modes))
	for r := range runs {
		for k := range loads {
			m := loads[(k+r)%len(loads)] // rotate: no load always goes first
			if m == floorMode {
				progress(fmt.Sprintf("browser floor (zero-delay pipelined) run %d/%d", r+1, runs))
				br, err := b.measure(ctx, baseURL, zero, Pipelined)
				if err != nil {
					return nil, floor, fmt.Errorf("browser floor run %d: %w", r+1, err)
				}
				fcps, lcps = append(fcps, br.FCP), append(lcps, br.LCP)
				continue
			}
			progress(fmt.Sprintf("browser %s %s run %d/%d", sc.Name, m, r+1, runs))
			br, err := b.measure(ctx, baseURL, sc, m)
			if err != nil {
				return nil, floor, fmt.Errorf("browser %s %s run %d: %w", sc.Name, m, r+1, err)
			}
			out[m] = append(out[m], br)
		}
	}
	floor = BrowserFloor{FCP: browserMedian(fcps), LCP: browserMedian(lcps)}
	return out, floor, nil
}

// browserMedian is the median of ds (the mean of the middle two for an even
// count); 0 for none.
func browserMedian(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// benchBrowser is one running headless Chromium, measuring pages of the
// page bench.
type benchBrowser struct{ *measure.Browser }

// startBenchBrowser starts Chromium at path (see measure.StartBrowser).
func startBenchBrowser(ctx context.Context, path string) (*benchBrowser, error) {
	b, err := measure.StartBrowser(ctx, path)
	if err != nil {
		return nil, err
	}
	return &benchBrowser{b}, nil
}

// probeResult is what browserProbe reports, in milliseconds since
// navigation start; -1 for never.
type probeResult struct {
	Req      float64   `json:"req"` // the document request sent (Navigation Timing requestStart)
	FCP      float64   `json:"fcp"`
	LCP      float64   `json:"lcp"`
	LCPCount int       `json:"lcpCount"`
	DOM      []float64 `json:"dom"`   // marker found in the document (MutationObserver, by text)
	Frame    []float64 `json:"vis"`   // the first animation frame in which it is rendered: the frame that paints it
	Paint    []float64 `json:"paint"` // its first paint (Element Timing)
	TimedOut bool      `json:"timedOut"`
	Errors   []string  `json:"errors"`
	State    string    `json:"visibilityState"`
}

// measure loads sc's page in mode m once, in a new tab with a browser
// context of its own, and returns what it measured.
func (b *benchBrowser) measure(ctx context.Context, baseURL string, sc Scenario, m Mode) (BrowserRun, error) {
	var run BrowserRun
	budget := slices.Max(sc.Delays) + browserSlack
	// b.Ctx carries the browser and ends with ctx (the allocator derives
	// from it); the timeout bounds this load alone.
	lctx, lcancel := context.WithTimeout(b.Ctx, budget+browserTabSlack)
	defer lcancel()
	tctx, tcancel := chromedp.NewContext(lctx, chromedp.WithNewBrowserContext())
	defer tcancel() // closes the tab and disposes of its browser context

	if m == Crawler {
		if _, err := chromedp.Call(tctx, emulation.SetUserAgentOverride,
			emulation.SetUserAgentOverrideParams{UserAgent: GooglebotUA}); err != nil {
			return run, measure.BrowserErr(ctx, "set User-Agent", err)
		}
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: browserProbe(len(sc.Delays), budget)}); err != nil {
		return run, measure.BrowserErr(ctx, "install probe", err)
	}
	u := scenarioURL(baseURL, sc, m)
	resp, err := chromedp.Run(tctx, chromedp.NavigateResponse(u)) // returns after the load event
	if err != nil {
		return run, measure.BrowserErr(ctx, "load "+u, err)
	}
	if resp.Status != 200 {
		return run, fmt.Errorf("load %s: HTTP %d %s", u, resp.Status, resp.StatusText)
	}
	if err := checkServedMode(resp.Headers, m); err != nil {
		return run, fmt.Errorf("load %s: %w", u, err)
	}
	res, err := chromedp.Run(tctx, chromedp.Evaluate[probeResult](`window.__bpMeasure.done`, chromedp.EvalAwaitPromise))
	if err != nil {
		return run, measure.BrowserErr(ctx, "collect", err)
	}
	return res.run(u)
}

// checkServedMode checks the X-Bigpipe-Mode response header, when there is
// one, against the mode asked for: a page served in the wrong mode (for
// example because the User-Agent looked like a crawler) would measure the
// wrong thing. The crawler mode must not get the pipelined page.
func checkServedMode(h network.Headers, m Mode) error {
	var got string
	for k, v := range h {
		if strings.EqualFold(k, "X-Bigpipe-Mode") {
			got, _ = v.(string)
		}
	}
	switch {
	case got == "":
		return nil // a server or proxy that does not say
	case m == Crawler && got == string(Pipelined):
		return errors.New("served pipelined to Googlebot's User-Agent, want the plain-HTML fallback")
	case m != Crawler && got != string(m):
		return fmt.Errorf("served mode %q, want %q (is the User-Agent taken for a crawler's?)", got, m)
	}
	return nil
}

// run converts what the probe reported into a BrowserRun, or says what is
// missing.
func (p probeResult) run(u string) (BrowserRun, error) {
	var run BrowserRun
	if len(p.Errors) > 0 {
		return run, fmt.Errorf("%s: probe: %s", u, strings.Join(p.Errors, "; "))
	}
	var missing []string
	run.Visible = make([]time.Duration, len(p.Frame))
	for i, v := range p.Frame {
		if v < 0 {
			s := fmt.Sprintf("p%d", i)
			if i < len(p.DOM) && p.DOM[i] >= 0 {
				s += fmt.Sprintf(" (in the document from %.1f ms, never rendered)", p.DOM[i])
			}
			missing = append(missing, s)
			continue
		}
		// The paint of the marker, as Chromium presents it; else the start
		// of the first frame in which the probe saw it rendered, which is
		// earlier by up to a frame or so. A paint before the probe saw the element
		// at all cannot be right: fall back then too.
		at := v
		if i < len(p.Paint) && p.Paint[i] >= 0 && i < len(p.DOM) && p.Paint[i] >= p.DOM[i]-1 {
			at = p.Paint[i]
		}
		run.Visible[i] = msDuration(at)
	}
	if len(missing) > 0 {
		return run, fmt.Errorf("%s: markers never visible: %s (timed out: %v, page %s)",
			u, strings.Join(missing, ", "), p.TimedOut, p.State)
	}
	if p.FCP < 0 {
		return run, fmt.Errorf("%s: no first-contentful-paint entry (page %s)", u, p.State)
	}
	if p.Req < 0 {
		return run, fmt.Errorf("%s: no navigation timing entry (page %s)", u, p.State)
	}
	run.RequestStart = msDuration(p.Req)
	run.FCP = msDuration(p.FCP)
	if p.LCP >= 0 {
		run.LCP = msDuration(p.LCP)
	}
	return run, nil
}

// msDuration converts milliseconds to a Duration, to the microsecond.
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1e3)) * time.Microsecond
}

// browserProbe returns the script installed in each tab before navigation
// (Page.addScriptToEvaluateOnNewDocument: it runs at document start, before
// any of the page's own scripts). For n pagelets it records, in ms since
// navigation start:
//
//   - req: when the document request was sent (the navigation entry's
//     requestStart): the server's delays start about then, so a pagelet
//     cannot be visible before req plus its delay;
//   - fcp: the first-contentful-paint entry (PerformanceObserver, buffered);
//   - lcp: the last largest-contentful-paint entry seen when it finishes;
//   - dom[i]: when an element whose text contains PAGELET-pI-READY was first
//     found in the document: connected under <body>, not inside <script>,
//     <style>, <template>, <noscript>, <textarea> or <title> (a
//     <template>'s content is not in the document at all). A
//     MutationObserver on the whole document (childList, subtree,
//     characterData, attributes) looks after every batch of changes,
//     including the parser's, by text alone: it computes no style or layout,
//     which would slow the very page it measures;
//   - vis[i]: performance.now() in the first animation-frame callback in
//     which that element is rendered (the start of the frame that paints
//     it): checkVisibility() true with opacity, visibility and
//     content-visibility checked (so any display:none, hidden or opacity:0
//     ancestor hides it), and a non-empty bounding box. Each frame looks
//     again, also for changes that are no DOM mutation, such as a
//     stylesheet arriving;
//   - paint[i]: the element's own first paint, from Element Timing: the
//     probe gives the marker's element an elementtiming attribute the
//     moment it enters the document (the observer runs before the next
//     rendering step), and Chromium reports when that text was first
//     painted, on the same presentation clock as FCP and LCP (which it
//     coarsens to 4 ms). A hidden element is not painted, so it has none.
//
// BrowserRun.Visible is paint[i], or vis[i] when no element-timing entry
// came (see probeResult.run).
//
// window.__bpMeasure.done is a promise of all this. It resolves once every
// marker has been seen rendered and the load event has fired, two frames and 50 ms
// later, once the paint-timing entries are in (at most a second more), or
// when budget has passed since document start, with whatever it has.
func browserProbe(n int, budget time.Duration) string {
	r := strings.NewReplacer("__N__", strconv.Itoa(n), "__BUDGET__", strconv.FormatInt(budget.Milliseconds(), 10))
	return r.Replace(browserProbeJS)
}

const browserProbeJS = `(() => {
  'use strict';
  if (window.__bpMeasure) return;
  const N = __N__, BUDGET = __BUDGET__;
  const marks = Array.from({ length: N }, (_, i) => 'PAGELET-p' + i + '-READY');
  const m = {
    req: -1, fcp: -1, lcp: -1, lcpCount: 0,
    dom: marks.map(() => -1), vis: marks.map(() => -1), paint: marks.map(() => -1),
    timedOut: false, errors: [], visibilityState: '',
  };
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  Object.defineProperty(window, '__bpMeasure', { value: { state: m, done }, enumerable: false });

  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    mo.disconnect();
    m.visibilityState = document.visibilityState;
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav) m.req = nav.requestStart;
    resolveDone(m);
  };
  setTimeout(() => { m.timedOut = true; finish(); }, Math.max(0, BUDGET - performance.now()));

  const observe = (type, fn) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(fn)).observe({ type, buffered: true });
    } catch (e) {
      m.errors.push(type + ' observer: ' + e);
    }
  };
  observe('paint', (e) => { if (e.name === 'first-contentful-paint') m.fcp = e.startTime; });
  observe('largest-contentful-paint', (e) => { m.lcp = e.startTime; m.lcpCount++; });
  observe('element', (e) => {
    const i = e.identifier.startsWith('bp-p') ? Number(e.identifier.slice(4)) : -1;
    if (i >= 0 && i < N && m.paint[i] < 0) m.paint[i] = e.renderTime || e.startTime;
  });

  const SKIP = 'script,style,template,noscript,textarea,title';
  const rendered = (el) => {
    const body = document.body;
    if (!body || !el.isConnected || !body.contains(el) || el.closest(SKIP)) return false;
    if (!el.checkVisibility({
      checkOpacity: true, checkVisibilityCSS: true, contentVisibilityAuto: true,
      opacityProperty: true, visibilityProperty: true,
    })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };

  let left = N;                        // markers not yet seen rendered
  const found = marks.map(() => null); // the element holding marker i, once in the document
  const nonBlank = /\S/;
  // find looks for markers by their text alone: it computes no style or
  // layout, so it can run after every batch of mutations without slowing
  // the page it measures.
  const find = () => {
    if (!left || !document.body) return;
    const now = performance.now();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!el || seen.has(el) || !nonBlank.test(t.data)) continue;
      seen.add(el);
      // The element's whole text: a marker split over several text nodes
      // (a parser chunk boundary) is found too.
      const text = el.textContent;
      if (text.indexOf('-READY') < 0 || el.closest(SKIP)) continue;
      for (let i = 0; i < N; i++) {
        if ((found[i] && found[i].isConnected) || m.vis[i] >= 0 || !text.includes(marks[i])) continue;
        // Ask for this element's first paint (Element Timing), as soon as it
        // is in the document: the attribute must be there before it paints.
        if (!el.hasAttribute('elementtiming')) el.setAttribute('elementtiming', 'bp-p' + i);
        found[i] = el;
        if (m.dom[i] < 0) m.dom[i] = now;
      }
    }
  };
  // look runs in an animation frame, whose rendering computes style and
  // layout anyway: a found marker rendered now is painted by this frame.
  const look = (now) => {
    for (let i = 0; i < N; i++) {
      const el = found[i];
      if (!el || m.vis[i] >= 0) continue;
      if (!el.isConnected) { found[i] = null; continue; }
      if (rendered(el)) { m.vis[i] = now; left--; }
    }
  };

` + probeLoopJS

// probeLoopJS ends a probe script. The probe before it defines m (with fcp
// and paint), left, finished, finish(), find() and look(now); this runs
// find and look every animation frame until every pagelet has been seen,
// re-runs find on every DOM change, then lets the paint-timing entries of
// the last frames arrive (FCP and each pagelet's element timing come after
// the frame is presented; it gives up waiting on them after a second, and
// the probe's budget timer bounds it all) and calls finish.
const probeLoopJS = `  let settling = false;
  const check = () => {
    if (settling || left || document.readyState !== 'complete') return;
    settling = true;
    const until = performance.now() + 1000;
    const settle = () => {
      if ((m.fcp < 0 || m.paint.some((t) => t < 0)) && performance.now() < until) return setTimeout(settle, 20);
      finish();
    };
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(settle, 50)));
  };

  const frame = () => {
    if (finished) return;
    find();
    look(performance.now());
    if (left) requestAnimationFrame(frame);
    else check();
  };
  requestAnimationFrame(frame);

  // The frame loop runs until every marker has been seen rendered, so what
  // the observer finds is looked at in the next frame.
  const mo = new MutationObserver(find);
  mo.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  window.addEventListener('load', () => setTimeout(check, 0));
})();
`
