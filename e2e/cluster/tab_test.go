package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// tabTimeout bounds everything one test does in a tab.
const tabTimeout = 90 * time.Second

// liveEvents records, in the page, every bigpipe:live event the live client
// fires, with the page's clock: window.__live is [{type, at, code}, …].
const liveEvents = `window.__live = [];
document.addEventListener('bigpipe:live', (e) => window.__live.push({type: e.detail.type, at: Date.now(), code: e.detail.code || 0}));`

// tab is one browser tab in a browser context of its own (own cookies),
// named for the test log.
type tab struct{ *testenv.Tab }

// newTab opens a tab for t (testenv: closed when t ends, console logged if
// t failed, non-loopback requests fail t), recording its live events from
// the first document on.
func newTab(t *testing.T, name string) *tab {
	t.Helper()
	tb := &tab{chromium.NewTab(t, name, tabTimeout)}
	if _, err := chromedp.Call(tb.Ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: liveEvents}); err != nil {
		t.Fatalf("Page.addScriptToEvaluateOnNewDocument: %v", err)
	}
	return tb
}

// open loads url, waits for the page to be complete and its live client
// to be connected.
func (tb *tab) open(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(tb.Ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("tab %s: navigate %s: %v", tb.Name, url, err)
	}
	ctx, cancel := context.WithTimeout(tb.Ctx, openTimeout)
	defer cancel()
	if err := tb.Poll(ctx, `!!(window.bigPipe && window.bigPipe.done && window.bigPipe.liveState && window.bigPipe.liveState.connects > 0)`); err != nil {
		t.Fatalf("tab %s: %s: %v", tb.Name, url, err)
	}
}

// openTimeout bounds loading a page until its live client is connected.
const openTimeout = 20 * time.Second

// eval evaluates expr in tb's page and decodes its JSON value.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("tab %s: evaluate %s: %v", tb.Name, expr, err)
	}
	return v
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
		wg.Go(func() { errs[i] = v.tab.Poll(ctx, expr) })
	}
	wg.Wait()
	for i, v := range views {
		if errs[i] == nil {
			continue
		}
		if v.comments {
			got := eval[[]string](t, v.tab, commentKeys)
			t.Errorf("tab %s shows comments %v; want %v, each once, in that order (missing %v) (live %+v; channels %s; events %+v)",
				v.tab.Name, got, want, missing(want, got), v.tab.liveState(t),
				eval[string](t, v.tab, `JSON.stringify(window.bigPipe.liveState.channels)`), v.tab.events(t))
		} else {
			t.Errorf("tab %s shows headline %q; want %q (live %+v)", v.tab.Name, eval[string](t, v.tab, headlineShown), headline, v.tab.liveState(t))
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
		fmt.Fprintf(&b, "%s: connects %d, errors %d, refetches %d, applied %d; ", v.tab.Name, s.Connects, s.Errors, s.Refetches, s.Applied)
	}
	return b.String()
}
