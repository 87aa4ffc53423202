package e2e_test

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// nativeUA is a Chrome that render.DetectMode serves the native mode.
const nativeUA = testenv.NativeUA

// nativeTab is a tab that presents itself as nativeUA, with JavaScript on
// or off.
func nativeTab(t *testing.T, js bool) *tab {
	t.Helper()
	tb := newTab(t)
	tb.SetUserAgent(t, nativeUA)
	if !js {
		if _, err := chromedp.Call(tb.Ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("Emulation.setScriptExecutionDisabled: %v", err)
		}
	}
	return tb
}

// watchShown starts loading u in tb and samples, every few milliseconds
// until every pagelet of ids is shown (or the tab's time is up), which
// pagelet containers are shown: with JavaScript off nothing in the page
// can time them. It returns when each was first seen, in ms since the
// navigation started (the page's performance.now).
func watchShown(t *testing.T, tb *tab, u string, ids []string) map[string]float64 {
	t.Helper()
	tb.startNavigate(t, u)
	const probe = `(() => [location.href, performance.now(),
		Array.from(document.querySelectorAll('.pagelet[data-bigpipe="shown"]'), (el) => el.id)])()`
	seen := map[string]float64{}
	for first := true; len(seen) < len(ids) && tb.Ctx.Err() == nil; first = false {
		if !first {
			time.Sleep(5 * time.Millisecond)
		}
		v, err := chromedp.Run(tb.Ctx, chromedp.Evaluate[[]any](probe))
		if err != nil {
			if tb.Ctx.Err() != nil {
				break
			}
			continue // the document is changing; sample again
		}
		if len(v) != 3 || v[0] != u {
			continue // still the previous document
		}
		now, _ := v[1].(float64)
		for _, id := range v[2].([]any) {
			if s, ok := id.(string); ok {
				if _, dup := seen[s]; !dup {
					seen[s] = now
				}
			}
		}
	}
	return seen
}

// TestNativeNoJSFirstVisit: Chromium with JavaScript off, on its first
// visit (fresh profile, no cookie), gets the native page and sees each
// pagelet of /bench at about its own delay, slowest first in the document
// notwithstanding, in the one page request: no <noscript> refresh, no
// second load of the page.
func TestNativeNoJSFirstVisit(t *testing.T) {
	srv := newServer(t)
	delays := []int{1600, 800, 400, 200, 100, 50}
	q := make([]string, len(delays))
	for i, d := range delays {
		q[i] = strconv.Itoa(d)
	}
	u := srv.URL + "/bench?delays=" + strings.Join(q, ",")
	ids := benchIDs(len(delays))

	tb := nativeTab(t, false)
	requests := tb.countRequests(t)
	at := watchShown(t, tb, u, ids)
	tb.WaitTrue(t, `document.readyState === "complete"`)
	for i, id := range ids {
		got, ok := at[id]
		t.Logf("%s: delay %4d ms, shown at %7.1f ms", id, delays[i], got)
		switch d := float64(delays[i]); {
		case !ok:
			t.Errorf("%s never shown", id)
		case got < d:
			t.Errorf("%s shown at %.1f ms, before its delay of %v ms", id, got, d)
		case got > d+revealSlackMS:
			t.Errorf("%s shown at %.1f ms, want within %d ms of its delay %v ms (the test's slack; the bench reports the real figure)", id, got, revealSlackMS, d)
		}
	}
	if why := eval[string](t, tb, visibleExpr("p5", "PAGELET-p5-READY")); why != "" {
		t.Errorf("#p5: not visibly shown: %s", why)
	}
	if got := eval[string](t, tb, `typeof window.bigPipe`); got != "undefined" {
		t.Errorf("typeof bigPipe = %q with JavaScript off, want undefined", got)
	}
	sent := requests()
	if sent[u] != 1 {
		t.Errorf("the page was requested %d times, want once (requests %v)", sent[u], slices.Sorted(maps.Keys(sent)))
	}
	for r := range sent {
		if strings.Contains(r, "/_bigpipe/nojs") || strings.Contains(r, "nojs=1") {
			t.Errorf("request %s: the no-JS refresh ran", r)
		}
	}
}

// TestNativeWithJS: with JavaScript on the native page's runtime counts
// every patched pagelet in, runs pagelet JS after the last, and shows them
// at about their delays, as the pipelined page does.
func TestNativeWithJS(t *testing.T) {
	srv := newServer(t)
	tb := nativeTab(t, true)
	tb.Navigate(t, srv.URL+"/bench?delays=400,200,100,50")
	requireBigPipe(t, tb)
	tb.waitDone(t)
	if got := eval[string](t, tb, `document.querySelector("template[for]") ? "a template left" : ""`); got != "" {
		t.Errorf("after the page: %s", got)
	}
	if n := eval[int](t, tb, `bigPipe.unpatched || 0`); n != 0 {
		t.Errorf("the runtime placed %d pagelets the parser should have patched", n)
	}
	shown := eval[[]struct {
		ID      string  `json:"id"`
		T       float64 `json:"t"`
		Patched bool    `json:"patched"`
	}](t, tb, `bigPipe.shown`)
	if len(shown) != 4 {
		t.Fatalf("bigPipe.shown = %+v, want 4 pagelets", shown)
	}
	for _, s := range shown {
		if !s.Patched {
			t.Errorf("%s shown by %+v, want patched", s.ID, s)
		}
		if why := eval[string](t, tb, visibleExpr(s.ID, "PAGELET-"+s.ID+"-READY")); why != "" {
			t.Errorf("#%s: %s", s.ID, why)
		}
	}
	if got := eval[string](t, tb, `document.querySelector("html").outerHTML.includes("onPageletArrive(") ? "payloads" : ""`); got != "" {
		t.Errorf("native page carries %s", got)
	}
}

// TestNativeUnpatched: a browser that is served the native page but does
// not patch (simulated by the page's markers turned into the comments a
// parser without the feature makes of them) still shows every pagelet
// with JavaScript on: the runtime moves each template's content into its
// slot, and opens the JS barrier after the last.
func TestNativeUnpatched(t *testing.T) {
	site := newHandler(t)
	var doc string
	{
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/bench?delays=30,0,60", nil)
		req.Header.Set("User-Agent", nativeUA)
		site.ServeHTTP(rec, req)
		if got := rec.Header().Get("X-BigPipe-Mode"); got != "native" {
			t.Fatalf("X-BigPipe-Mode = %q, want native", got)
		}
		doc = rec.Body.String()
	}
	templates := strings.Count(doc, "<template for=")
	if templates == 0 {
		t.Fatalf("no pagelet came as a template:\n%s", doc)
	}
	doc = regexp.MustCompile(`<\?start (name="bp\d+")>`).ReplaceAllString(doc, `<!--?start $1-->`)
	doc = strings.ReplaceAll(doc, `<?end>`, `<!--?end-->`)
	mux := http.NewServeMux()
	mux.Handle("/", site)
	mux.HandleFunc("/unpatched", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, doc)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tb := nativeTab(t, true)
	tb.Navigate(t, srv.URL+"/unpatched")
	tb.waitDone(t)
	if n := eval[int](t, tb, `bigPipe.unpatched || 0`); n != templates {
		t.Errorf("the runtime placed %d pagelets, want the %d templates", n, templates)
	}
	for _, id := range benchIDs(3) {
		if why := eval[string](t, tb, visibleExpr(id, "PAGELET-"+id+"-READY")); why != "" {
			t.Errorf("#%s: %s", id, why)
		}
	}
	if got := eval[int](t, tb, `document.querySelectorAll("template[for]").length`); got != 0 {
		t.Errorf("%d templates left in the page", got)
	}
}
