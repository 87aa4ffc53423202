package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// tabTimeout bounds everything one test does in a tab.
const tabTimeout = 90 * time.Second

// liveEvents records, in the page, every bigpipe:live event the live client
// fires, with the page's clock: window.__live is [{type, at, code}, …].
const liveEvents = `window.__live = [];
document.addEventListener('bigpipe:live', (e) => window.__live.push({type: e.detail.type, at: Date.now(), code: e.detail.code || 0}));`

// tab is one browser tab in a browser context of its own (own cookies),
// named for the test log.
type tab struct {
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string
	offsite []string // requests to anything but loopback
}

// newTab opens a tab for t, recording its live events from the first
// document on. It closes when t ends; its console is logged if t failed,
// and a request to anything but loopback fails t.
func newTab(t *testing.T, name string) *tab {
	t.Helper()
	tctx, closeTab := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tctx); err != nil {
		closeTab()
		t.Fatalf("open tab %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(tctx, tabTimeout)
	tb := &tab{name: name, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && !isLoopback(ev.Request.URL) {
			tb.mu.Lock()
			tb.offsite = append(tb.offsite, ev.Request.URL)
			tb.mu.Unlock()
		}
	})
	if err != nil {
		cancel()
		closeTab()
		t.Fatalf("listen: %v", err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m.String())
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		closeTab()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		if len(tb.offsite) > 0 {
			t.Errorf("tab %s requested non-loopback URLs: %q", name, tb.offsite)
		}
		if t.Failed() {
			for _, m := range tb.console {
				t.Logf("tab %s console: %s", name, m)
			}
		}
	})
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: liveEvents}); err != nil {
		t.Fatalf("Page.addScriptToEvaluateOnNewDocument: %v", err)
	}
	return tb
}

// isLoopback reports whether raw is a loopback URL, or of a scheme that
// never touches the network.
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
		ip := net.ParseIP(u.Hostname())
		return u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return true
}

// open loads url, waits for the page to be complete and its live client
// to be connected.
func (tb *tab) open(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("tab %s: navigate %s: %v", tb.name, url, err)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, openTimeout)
	defer cancel()
	if err := tb.poll(ctx, `!!(window.bigPipe && window.bigPipe.done && window.bigPipe.liveState && window.bigPipe.liveState.connects > 0)`); err != nil {
		t.Fatalf("tab %s: %s: %v", tb.name, url, err)
	}
}

// openTimeout bounds loading a page until its live client is connected.
const openTimeout = 20 * time.Second

// eval evaluates expr in tb's page and decodes its JSON value.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("tab %s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// waitTrue polls expr until it yields true, failing t when the tab's time
// is up.
func (tb *tab) waitTrue(t *testing.T, expr string) {
	t.Helper()
	if err := tb.poll(tb.ctx, expr); err != nil {
		t.Fatalf("tab %s: %v", tb.name, err)
	}
}

// poll polls expr every 20 ms until it yields true or ctx ends.
func (tb *tab) poll(ctx context.Context, expr string) error {
	var last error
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = errors.New("still false")
			}
			return fmt.Errorf("waiting for %s: %w (%v)", expr, ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// commentKeys is the expression for the keys of the comments a page shows,
// in order.
const commentKeys = `Array.from(document.querySelectorAll('#comments .pl-comments__item')).map((e) => e.dataset.liveKey)`

// headlineShown is the expression for the breaking headline a front page
// shows.
const headlineShown = `(document.querySelector('#breaking .pl-breaking__headline') || {}).textContent || ''`

// liveState is what the tab's live client reports (bigPipe.liveState).
type liveState struct {
	Transport string `json:"transport"`
	Connects  int    `json:"connects"`
	Errors    int    `json:"errors"`
	Refetches int    `json:"refetches"`
	Applied   int    `json:"applied"`
	Stopped   bool   `json:"stopped"`
}

func (tb *tab) liveState(t *testing.T) liveState {
	t.Helper()
	return eval[liveState](t, tb, `window.bigPipe.liveState`)
}

// liveEvent is one bigpipe:live event the page recorded.
type liveEvent struct {
	Type string `json:"type"`
	At   int64  `json:"at"` // ms since the epoch, the page's clock
	Code int    `json:"code"`
}

func (tb *tab) events(t *testing.T) []liveEvent {
	t.Helper()
	return eval[[]liveEvent](t, tb, `window.__live || []`)
}

// protocol returns the protocol the page's document came over ("h2",
// "http/1.1").
func (tb *tab) protocol(t *testing.T) string {
	t.Helper()
	return eval[string](t, tb, `performance.getEntriesByType('navigation')[0].nextHopProtocol`)
}

// view is one tab's expected end state.
type view struct {
	tab      *tab
	comments bool // an article tab; else a front-page tab
}

// waitShows waits, up to d, for every tab to show exactly want (comment
// keys, in order: article tabs) and headline (front-page tabs), and fails
// t saying what each tab that did not shows.
func waitShows(t *testing.T, views []view, want []string, headline string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	wantJSON, _ := json.Marshal(want)
	hl, _ := json.Marshal(headline)
	var wg sync.WaitGroup
	errs := make([]error, len(views))
	for i, v := range views {
		expr := fmt.Sprintf(`JSON.stringify(%s) === %q`, commentKeys, wantJSON)
		if !v.comments {
			expr = fmt.Sprintf(`(%s).trim() === %s`, headlineShown, hl)
		}
		wg.Go(func() { errs[i] = v.tab.poll(ctx, expr) })
	}
	wg.Wait()
	for i, v := range views {
		if errs[i] == nil {
			continue
		}
		if v.comments {
			got := eval[[]string](t, v.tab, commentKeys)
			t.Errorf("tab %s shows comments %v; want %v, each once, in that order (missing %v) (live %+v; channels %s; events %+v)",
				v.tab.name, got, want, missing(want, got), v.tab.liveState(t),
				eval[string](t, v.tab, `JSON.stringify(window.bigPipe.liveState.channels)`), v.tab.events(t))
		} else {
			t.Errorf("tab %s shows headline %q; want %q (live %+v)", v.tab.name, eval[string](t, v.tab, headlineShown), headline, v.tab.liveState(t))
		}
	}
}

// missing returns the items of want not in got.
func missing(want, got []string) []string {
	var m []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			m = append(m, w)
		}
	}
	return m
}

// summary is a one-line account of each tab's live state, for the log.
func summary(t *testing.T, views []view) string {
	t.Helper()
	var b strings.Builder
	for _, v := range views {
		s := v.tab.liveState(t)
		fmt.Fprintf(&b, "%s: connects %d, errors %d, refetches %d, applied %d; ", v.tab.name, s.Connects, s.Errors, s.Refetches, s.Applied)
	}
	return b.String()
}
