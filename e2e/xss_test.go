package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestSearchQueryNeverRuns loads /search with queries built to break out of
// the markup or the payload script, in BigPipe mode and as plain HTML: none
// may run (no window.__xss, no dialog), and each must appear on the page
// exactly as typed.
func TestSearchQueryNeverRuns(t *testing.T) {
	srv := newServer(t)
	queries := []struct{ name, q string }{
		{"script end tag", `</script><script>window.__xss=1</script>`},
		{"attribute breakout", `"><img src=x onerror="window.__xss=1">`},
		{"comment open", `<!--<script>window.__xss=1//`},
		{"line separator", "\u2028alert(1)"},
	}
	modes := []struct {
		name string
		nojs bool
	}{
		{"bigpipe", false},
		{"nojs", true},
	}
	for _, m := range modes {
		for _, tc := range queries {
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				u := srv.URL + "/search?q=" + url.QueryEscape(tc.q)
				if m.nojs {
					u += "&nojs=1"
				}
				tb := newTab(t)
				dialogs := tb.watchDialogs(t)
				tb.Navigate(t, u)
				if m.nojs {
					tb.WaitTrue(t, `document.readyState === "complete"`)
					if got := eval[int](t, tb, `document.querySelectorAll('.pagelet[data-bigpipe="inline"]').length`); got == 0 {
						t.Fatalf("?nojs=1: no inline pagelets; not the plain page")
					}
				} else {
					requireBigPipe(t, tb)
					tb.waitDone(t)
				}

				if got := eval[string](t, tb, `typeof window.__xss`); got != "undefined" {
					t.Errorf("typeof window.__xss = %q, want undefined: the query ran as script", got)
				}
				if got := dialogs(); len(got) > 0 {
					t.Errorf("dialogs opened: %q, want none", got)
				}
				if got := eval[bool](t, tb, `document.body.innerText.includes(`+jsString(tc.q)+`)`); !got {
					t.Errorf("page text does not contain the query %q as typed; searchhead shows %q",
						tc.q, eval[string](t, tb, `(document.getElementById("searchhead") || document.body).innerText`))
				}
				if got := eval[string](t, tb, `document.getElementById("site-search").value`); got != tc.q {
					t.Errorf("search box value = %q, want %q", got, tc.q)
				}
			})
		}
	}
}

// TestXSSDetectorsWork is the control for TestSearchQueryNeverRuns: a
// deliberately unsafe page that echoes the query raw must trip both
// detectors, so a pass there means something.
func TestXSSDetectorsWork(t *testing.T) {
	unsafe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><title>unsafe</title><p>%s</p>", r.URL.Query().Get("q")) // raw on purpose
	}))
	t.Cleanup(unsafe.Close)
	tb := newTab(t)
	dialogs := tb.watchDialogs(t)
	tb.Navigate(t, unsafe.URL+"/?q="+url.QueryEscape(`<script>window.__xss=1</script><img src=x onerror="alert('xss')">`))
	tb.WaitTrue(t, `document.readyState === "complete"`)
	if got := eval[string](t, tb, `typeof window.__xss`); got != "number" {
		t.Errorf("typeof window.__xss = %q on the unsafe page, want number", got)
	}
	if got := dialogs(); len(got) != 1 {
		t.Errorf("dialogs on the unsafe page = %q, want one alert", got)
	}
}

// watchDialogs dismisses every JavaScript dialog (alert, confirm, prompt)
// the tab opens from now on. The returned func stops watching and returns
// their messages.
func (tb *tab) watchDialogs(t *testing.T) func() []string {
	t.Helper()
	ctx, cancel := context.WithCancel(tb.Ctx)
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	var (
		mu   sync.Mutex
		msgs []string
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, string(ev.Type)+": "+ev.Message)
			mu.Unlock()
			// An open dialog blocks the page; close it so the test can report.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	stop := func() []string {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return msgs
	}
	t.Cleanup(func() { stop() })
	return stop
}
