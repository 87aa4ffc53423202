package page

// Front-page figures: the demo's "/" in headless Chromium, pipelined and
// as plain HTML (?nojs=1), on a cold and on a warm visit, with the
// in-process server's backends at 0 ms: when each pagelet's content is
// displayed.
//
// A cold visit is a browser context of its own (an empty profile: no
// cache, no cookies, a new connection) with the cache disabled
// (Network.setCacheDisabled). A warm visit is a second page load in the
// browser context of a first, unmeasured one, with the cache on: the
// content-hashed CSS and JS are then in the HTTP cache.
//
// "Displayed" is measured the same way in both modes, by the same probe
// (see frontProbeJS): the first paint of the pagelet's content, found by
// its root element (.pl-ID inside #ID, which the placeholder never has).
// In plain mode content enters the document while the parser runs, but
// the browser paints nothing before the <head> stylesheets have loaded; in
// pipelined mode the runtime inserts it once its CSS has loaded. The probe
// also checks, in the frame that first renders the content, that a rule of
// the pagelet's own stylesheet (a selector naming .pl-ID) is applied: a
// pagelet rendered without one counts as shown unstyled.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// FrontPagelets are the front page's pagelets, in document order.
var FrontPagelets = []string{"hotnews", "society", "finance", "tech", "sports", "mostread", "weather"}

// The front page's modes and visits.
const (
	FrontPipelined = "pipelined" // "/": BigPipe
	FrontPlain     = "plain"     // "/?nojs=1": the plain-HTML page, every pagelet inline
	VisitCold      = "cold"      // a fresh profile, cache disabled
	VisitWarm      = "warm"      // the second load in one profile, cache on
)

// frontBudget is how long one measured visit may take.
const frontBudget = 10 * time.Second

// frontFrame is one frame at 60 Hz: the target's tolerance.
const frontFrame = 16700 * time.Microsecond

// FrontVisit is one measured load of the front page. Times are since
// navigation start.
type FrontVisit struct {
	FCP      time.Duration   `json:"fcp"`
	Shown    []time.Duration `json:"shown"` // when each pagelet's content was displayed, by FrontPagelets index
	Unstyled []string        `json:"unstyled,omitempty"`
}

// First is the earliest pagelet displayed, Last the latest.
func (v FrontVisit) First() time.Duration { return slices.Min(v.Shown) }

// Last is the latest pagelet displayed.
func (v FrontVisit) Last() time.Duration { return slices.Max(v.Shown) }

// FrontFigure is one mode and visit kind: every run and the medians.
type FrontFigure struct {
	Mode     string         `json:"mode"`
	Visit    string         `json:"visit"`
	Runs     []FrontVisit   `json:"runs"`
	FCP      measure.Stat   `json:"fcp"`
	First    measure.Stat   `json:"first"`
	Last     measure.Stat   `json:"last"`
	Shown    []measure.Stat `json:"shown"`    // by FrontPagelets index
	Unstyled int            `json:"unstyled"` // runs in which some pagelet was rendered before its CSS applied
}

// FrontPage is the front-page part of the report.
type FrontPage struct {
	Pagelets []string       `json:"pagelets"`
	Figures  []*FrontFigure `json:"figures"`
	Error    string         `json:"error,omitempty"`
}

// Figure returns the figure of mode and visit, or nil.
func (f *FrontPage) Figure(mode, visit string) *FrontFigure {
	if f == nil {
		return nil
	}
	for _, fg := range f.Figures {
		if fg.Mode == mode && fg.Visit == visit && len(fg.Runs) > 0 {
			return fg
		}
	}
	return nil
}

func frontFigure(mode, visit string, runs []FrontVisit) *FrontFigure {
	fg := &FrontFigure{Mode: mode, Visit: visit, Runs: runs, Shown: make([]measure.Stat, len(FrontPagelets))}
	pick := func(f func(FrontVisit) time.Duration) []time.Duration {
		out := make([]time.Duration, len(runs))
		for i, r := range runs {
			out[i] = f(r)
		}
		return out
	}
	fg.FCP = measure.StatOf(pick(func(v FrontVisit) time.Duration { return v.FCP }))
	fg.First = measure.StatOf(pick(FrontVisit.First))
	fg.Last = measure.StatOf(pick(FrontVisit.Last))
	for i := range FrontPagelets {
		fg.Shown[i] = measure.StatOf(pick(func(v FrontVisit) time.Duration { return v.Shown[i] }))
	}
	for _, r := range runs {
		if len(r.Unstyled) > 0 {
			fg.Unstyled++
		}
	}
	return fg
}

// frontURL is the front page in mode; the warm visit's measured load asks
// for a different URL than its priming one, so that Chromium does not treat
// it as a reload.
func frontURL(base, mode string, measured bool) string {
	q := []string{}
	if mode == FrontPlain {
		q = append(q, "nojs=1")
	}
	if measured {
		q = append(q, "visit=2")
	}
	if len(q) == 0 {
		return base + "/"
	}
	return base + "/?" + strings.Join(q, "&")
}

// measureFrontPage visits baseURL's front page runs times in each mode and
// visit kind, interleaved and rotated so that none always goes first,
// after one unreported warm-up visit. progress, if not nil, is told before
// each visit what it is.
func measureFrontPage(ctx context.Context, baseURL string, runs int, progress func(string)) (*FrontPage, error) {
	if runs < 1 {
		return nil, fmt.Errorf("front page: runs = %d, want at least 1", runs)
	}
	if progress == nil {
		progress = func(string) {}
	}
	b, err := openBenchBrowser(ctx)
	if err != nil {
		return nil, fmt.Errorf("front page: %w", err)
	}
	defer b.Stop()

	type kind struct{ mode, visit string }
	kinds := []kind{{FrontPipelined, VisitCold}, {FrontPlain, VisitCold}, {FrontPipelined, VisitWarm}, {FrontPlain, VisitWarm}}
	progress("front page warm-up")
	if _, err := b.visitFront(ctx, baseURL, FrontPipelined, VisitCold); err != nil {
		return nil, fmt.Errorf("front page warm-up: %w", err)
	}
	got := map[kind][]FrontVisit{}
	for r := range runs {
		for k := range kinds {
			kd := kinds[(k+r)%len(kinds)]
			progress(fmt.Sprintf("front page %s %s run %d/%d", kd.mode, kd.visit, r+1, runs))
			v, err := b.visitFront(ctx, baseURL, kd.mode, kd.visit)
			if err != nil {
				return nil, fmt.Errorf("front page %s %s run %d: %w", kd.mode, kd.visit, r+1, err)
			}
			got[kd] = append(got[kd], v)
		}
	}
	fp := &FrontPage{Pagelets: FrontPagelets}
	for _, kd := range kinds {
		fp.Figures = append(fp.Figures, frontFigure(kd.mode, kd.visit, got[kd]))
	}
	return fp, nil
}

// visitFront makes one visit of the front page and measures it.
func (b *benchBrowser) visitFront(ctx context.Context, baseURL, mode, visit string) (FrontVisit, error) {
	lctx, lcancel := context.WithTimeout(b.Ctx, 2*frontBudget+browserTabSlack)
	defer lcancel()
	tctx, tcancel := chromedp.NewContext(lctx, chromedp.WithNewBrowserContext())
	defer tcancel()

	want := string(Pipelined)
	if mode == FrontPlain {
		want = string(InOrder)
	}
	load := func(u string) error {
		resp, err := chromedp.Run(tctx, chromedp.NavigateResponse(u))
		if err != nil {
			return measure.BrowserErr(ctx, "load "+u, err)
		}
		if resp.Status != 200 {
			return fmt.Errorf("load %s: HTTP %d %s", u, resp.Status, resp.StatusText)
		}
		return checkServedMode(resp.Headers, Mode(want))
	}
	if _, err := chromedp.Call(tctx, network.Enable, network.EnableParams{}); err != nil {
		return FrontVisit{}, measure.BrowserErr(ctx, "enable network", err)
	}
	if _, err := chromedp.Call(tctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: visit == VisitCold}); err != nil {
		return FrontVisit{}, measure.BrowserErr(ctx, "set cache", err)
	}
	if visit == VisitWarm { // prime the cache: one whole visit, its JS run too
		if err := load(frontURL(baseURL, mode, false)); err != nil {
			return FrontVisit{}, err
		}
		if _, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](`!window.bigPipe || window.bigPipe.done`, chromedp.WithPollingTimeout(frontBudget))); err != nil {
			return FrontVisit{}, measure.BrowserErr(ctx, "priming visit", err)
		}
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: frontProbe(FrontPagelets, frontBudget)}); err != nil {
		return FrontVisit{}, measure.BrowserErr(ctx, "install probe", err)
	}
	u := frontURL(baseURL, mode, visit == VisitWarm)
	if err := load(u); err != nil {
		return FrontVisit{}, err
	}
	res, err := chromedp.Run(tctx, chromedp.Evaluate[frontProbeResult](`window.__bpFront.done`, chromedp.EvalAwaitPromise))
	if err != nil {
		return FrontVisit{}, measure.BrowserErr(ctx, "collect", err)
	}
	return res.visit(u)
}

// frontProbeResult is what frontProbeJS reports, in ms since navigation
// start; -1 for never.
type frontProbeResult struct {
	FCP      float64   `json:"fcp"`
	Shown    []float64 `json:"shown"` // when each pagelet was displayed (see frontProbeJS)
	Styled   []bool    `json:"styled"`
	TimedOut bool      `json:"timedOut"`
	Errors   []string  `json:"errors"`
}

func (p frontProbeResult) visit(u string) (FrontVisit, error) {
	v := FrontVisit{Shown: make([]time.Duration, len(FrontPagelets))}
	if len(p.Errors) > 0 {
		return v, fmt.Errorf("%s: probe: %s", u, strings.Join(p.Errors, "; "))
	}
	if p.FCP < 0 {
		return v, fmt.Errorf("%s: no first-contentful-paint entry", u)
	}
	v.FCP = msDuration(p.FCP)
	var missing []string
	for i, id := range FrontPagelets {
		if i >= len(p.Shown) || p.Shown[i] < 0 {
			missing = append(missing, id)
			continue
		}
		v.Shown[i] = msDuration(p.Shown[i])
		if !p.Styled[i] {
			v.Unstyled = append(v.Unstyled, id)
		}
	}
	if len(missing) > 0 {
		return v, fmt.Errorf("%s: pagelets never displayed: %s (timed out: %v)", u, strings.Join(missing, ", "), p.TimedOut)
	}
	return v, nil
}

// frontProbe returns the probe for pagelets ids, giving up after budget.
func frontProbe(ids []string, budget time.Duration) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	r := strings.NewReplacer("__IDS__", "["+strings.Join(q, ",")+"]", "__BUDGET__", strconv.FormatInt(budget.Milliseconds(), 10))
	return r.Replace(frontProbeJS)
}

// frontProbeJS is installed before navigation (it runs at document start,
// before the page's scripts). For each pagelet id it records, in ms since
// navigation start:
//
//   - dom: when #id .pl-id (the content's root; placeholders have none)
//     was first in the document (MutationObserver; no style or layout);
//   - vis: performance.now() in the first animation frame in which that
//     root is rendered: checkVisibility() with opacity and visibility, and
//     a non-empty box. The frame's rendering paints it;
//   - paint: the first paint of any of the content's first 20 elements
//     with text of their own, from Element Timing (the probe sets their
//     elementtiming attribute when the content enters the document, before
//     it can paint);
//   - styled: whether, in that frame, an applied stylesheet has a rule
//     naming .pl-id: the pagelet's own CSS;
//   - shown: when it was displayed. As in the /bench figures, the paint
//     when the browser reported one (and not before the probe saw the
//     content), else the start of the frame that rendered it, taken as no
//     earlier than FCP: a frame's animation callbacks run before it is
//     painted, so content rendered in the page's first contentful frame (a
//     pagelet placed in the skeleton, or inline in plain HTML) is on screen
//     no earlier than that frame's paint. A browser without Element Timing
//     (Firefox) gets the frame. -1: never rendered.
//
// Another browser's driver (bench/firefox) takes shown as it is.
//
// window.__bpFront.done resolves once every pagelet was rendered, the load
// event fired and the paint entries came (at most a second more), or when
// budget has passed.
const frontProbeJS = `(() => {
  'use strict';
  if (window.__bpFront) return;
  const IDS = __IDS__, BUDGET = __BUDGET__, N = IDS.length;
  const m = { fcp: -1, dom: IDS.map(() => -1), vis: IDS.map(() => -1), paint: IDS.map(() => -1),
    styled: IDS.map(() => false), timedOut: false, errors: [] };
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  Object.defineProperty(window, '__bpFront', { value: { state: m, done }, enumerable: false });
  let finished = false;
  const shownAt = (i) => m.vis[i] < 0 ? -1 :
    m.paint[i] >= 0 && m.paint[i] >= m.dom[i] - 1 ? m.paint[i] : Math.max(m.vis[i], m.fcp);
  const finish = () => {
    if (finished) return;
    finished = true;
    mo.disconnect();
    m.shown = IDS.map((_, i) => shownAt(i));
    resolveDone(m);
  };
  setTimeout(() => { m.timedOut = true; finish(); }, Math.max(0, BUDGET - performance.now()));
  const observe = (type, fn) => {
    try { new PerformanceObserver((l) => l.getEntries().forEach(fn)).observe({ type, buffered: true }); }
    catch (e) { m.errors.push(type + ' observer: ' + e); }
  };
  observe('paint', (e) => { if (e.name === 'first-contentful-paint') m.fcp = e.startTime; });
  observe('element', (e) => {
    const i = e.identifier.startsWith('bpf-') ? Number(e.identifier.slice(4)) : -1;
    const t = e.renderTime || e.startTime;
    if (i >= 0 && i < N && (m.paint[i] < 0 || t < m.paint[i])) m.paint[i] = t;
  });
  const found = IDS.map(() => null);
  // texts lists the first elements of root with text of their own (some
  // may be visually hidden, and so never painted).
  const texts = (root) => {
    const out = [];
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = w.nextNode(); t && out.length < 20; t = w.nextNode()) {
      const el = t.parentElement;
      if (el && /\S/.test(t.data) && out.indexOf(el) < 0) out.push(el);
    }
    return out;
  };
  const find = () => {
    const now = performance.now();
    for (let i = 0; i < N; i++) {
      if (found[i] && found[i].isConnected) continue;
      const root = document.querySelector('#' + IDS[i] + ' .pl-' + IDS[i]);
      if (!root) continue;
      const ts = texts(root);
      if (!ts.length) continue; // the parser has not reached its text yet
      for (const t of ts) if (!t.hasAttribute('elementtiming')) t.setAttribute('elementtiming', 'bpf-' + i);
      found[i] = root;
      if (m.dom[i] < 0) m.dom[i] = now;
    }
  };
  const hasRule = (sel) => {
    const scan = (rules) => {
      for (const r of rules) {
        if (r.selectorText && r.selectorText.includes(sel)) return true;
        if (r.cssRules && scan(r.cssRules)) return true;
      }
      return false;
    };
    for (const s of document.styleSheets) {
      if (s.disabled) continue;
      try { if (scan(s.cssRules)) return true; } catch (e) { /* not loaded */ }
    }
    return false;
  };
  let left = N;
  const look = (now) => {
    for (let i = 0; i < N; i++) {
      const el = found[i];
      if (!el || m.vis[i] >= 0) continue;
      if (!el.isConnected) { found[i] = null; continue; }
      if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      const r = el.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) continue;
      m.vis[i] = now; left--;
      m.styled[i] = hasRule('.pl-' + IDS[i]);
    }
  };
` + probeLoopJS

// frontTarget checks that pipelined shows its last pagelet no later than
// plain HTML, within a frame, on a cold and on a warm visit, and never
// shows a pagelet unstyled.
func frontTarget(fp *FrontPage) Target {
	goal := fmt.Sprintf("Chromium, front page: pipelined last pagelet ≤ plain HTML's + %.1f ms (one frame), cold and warm, never unstyled", measure.MS(frontFrame))
	var checks []check
	for _, visit := range []string{VisitCold, VisitWarm} {
		p, h := fp.Figure(FrontPipelined, visit), fp.Figure(FrontPlain, visit)
		if p == nil || h == nil {
			checks = append(checks, check{visit, Skipped, 0, "no figures"})
			continue
		}
		over := p.Last.Median - h.Last.Median
		fig := fmt.Sprintf("%s (pipelined %s, plain %s; first %s vs %s)", fmtOff(over),
			fmtMS(p.Last.Median), fmtMS(h.Last.Median), fmtMS(p.First.Median), fmtMS(h.First.Median))
		st := statusIf(over <= frontFrame)
		if n := p.Unstyled + h.Unstyled; n > 0 {
			fig += fmt.Sprintf("; %d runs showed a pagelet unstyled", n)
			st = Missed
		}
		checks = append(checks, check{visit, st, measure.MS(over), fig})
	}
	t := aggregate(goal, checks)
	if fp != nil && fp.Error != "" && t.Status == Skipped {
		t.Figure += " (" + fp.Error + ")"
	}
	return t
}
