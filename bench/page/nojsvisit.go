package page

// The JavaScript-off first visit: Chromium with scripts disabled and a
// fresh profile (no cookie yet) loads /bench?delays=NoJSDelays as a
// browser the server serves the native mode (Chrome NativeUA) and as one
// it serves the pipelined mode (ChromeUA), whose <noscript> refresh then
// loads the plain page. Nothing in a page without JavaScript can time it,
// so the bench samples the document from DevTools every few milliseconds
// and takes, for each pagelet, the first sample in which its container
// is shown (data-bigpipe "shown", or "inline" on the plain page), in
// wall-clock time since the navigation began: a refresh's second
// document has a clock of its own.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// NoJSDelays is the scenario of the no-JS first visit: the slowest pagelet
// first in the document.
const NoJSDelays = "1600,800,400,200,100,50"

// NativeUA is a Chrome the server serves the native mode.
const NativeUA = headless.NativeUA

// NoJSFigure is the no-JS first visits in one mode.
type NoJSFigure struct {
	Mode     Mode           `json:"mode"` // Native, or Pipelined (refreshed to the plain page)
	Runs     int            `json:"runs"`
	Shown    []measure.Stat `json:"shown"`    // per pagelet, since the navigation began
	Last     measure.Stat   `json:"last"`     // the last pagelet shown
	Requests []int          `json:"requests"` // document requests of each run (the page, the no-JS redirect, the plain page)
}

// measureNoJS makes runs JavaScript-off first visits in each of the native
// and the pipelined mode, interleaved.
func measureNoJS(ctx context.Context, baseURL string, runs int, progress func(string)) ([]NoJSFigure, error) {
	if progress == nil {
		progress = func(string) {}
	}
	b, err := openBenchBrowser(ctx)
	if err != nil {
		return nil, fmt.Errorf("no-JS visit: %w", err)
	}
	defer b.Stop()
	n := strings.Count(NoJSDelays, ",") + 1
	figs := []NoJSFigure{{Mode: Native, Runs: runs}, {Mode: Pipelined, Runs: runs}}
	shown := make([][][]time.Duration, len(figs)) // by figure, run, pagelet
	for r := range runs {
		for k := range figs {
			i := (k + r) % len(figs)
			f := &figs[i]
			progress(fmt.Sprintf("no-JS first visit %s run %d/%d", f.Mode, r+1, runs))
			at, docs, err := b.visitNoJS(ctx, baseURL, f.Mode, n)
			if err != nil {
				return nil, fmt.Errorf("no-JS visit %s run %d: %w", f.Mode, r+1, err)
			}
			shown[i] = append(shown[i], at)
			f.Requests = append(f.Requests, docs)
		}
	}
	for i := range figs {
		f := &figs[i]
		var last []time.Duration
		for _, at := range shown[i] {
			last = append(last, slices.Max(at))
		}
		f.Last = measure.StatOf(last)
		for p := range n {
			var ds []time.Duration
			for _, at := range shown[i] {
				ds = append(ds, at[p])
			}
			f.Shown = append(f.Shown, measure.StatOf(ds))
		}
	}
	return figs, nil
}

// visitNoJS makes one visit in mode m of the n-pagelet scenario and returns
// when each pagelet was first seen shown and how many documents were
// requested.
func (b *benchBrowser) visitNoJS(ctx context.Context, baseURL string, m Mode, n int) ([]time.Duration, int, error) {
	const budget = 15 * time.Second
	lctx, lcancel := context.WithTimeout(b.Ctx, budget+browserTabSlack)
	defer lcancel()
	tctx, tcancel := chromedp.NewContext(lctx, chromedp.WithNewBrowserContext())
	defer tcancel()
	ua := ChromeUA
	if m == Native {
		ua = NativeUA
	}
	var mu sync.Mutex
	docs := 0
	for _, step := range []struct {
		what string
		err  func() error
	}{
		{"enable network", func() error { _, err := chromedp.Call(tctx, network.Enable, network.EnableParams{}); return err }},
		{"count documents", func() error {
			return chromedp.Listen(tctx, func(ev any) {
				if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Type == network.ResourceTypeDocument {
					mu.Lock()
					docs++
					mu.Unlock()
				}
			})
		}},
		{"set the User-Agent", func() error {
			_, err := chromedp.Call(tctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua})
			return err
		}},
		{"disable scripts", func() error {
			_, err := chromedp.Call(tctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}},
	} {
		if err := step.err(); err != nil {
			return nil, 0, measure.BrowserErr(ctx, step.what, err)
		}
	}
	u := baseURL + "/bench?delays=" + NoJSDelays
	start := time.Now()
	if _, err := chromedp.Call(tctx, page.Navigate, page.NavigateParams{URL: u}); err != nil {
		return nil, 0, measure.BrowserErr(ctx, "navigate", err)
	}
	const probe = `Array.from(document.querySelectorAll('.pagelet[data-bigpipe="shown"], .pagelet[data-bigpipe="inline"]'), (el) => el.id)`
	at := make([]time.Duration, n)
	seen := 0
	for first := true; seen < n; first = false {
		if !first {
			time.Sleep(5 * time.Millisecond)
		}
		if time.Since(start) > budget {
			return nil, 0, fmt.Errorf("%s: %d of %d pagelets shown after %v", u, seen, n, budget)
		}
		ids, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](probe))
		now := time.Since(start)
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			continue // a document being replaced
		}
		for _, id := range ids {
			var i int
			if _, err := fmt.Sscanf(id, "p%d", &i); err == nil && i >= 0 && i < n && at[i] == 0 {
				at[i] = now
				seen++
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return at, docs, nil
}
