package e2e_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/chromedp/chromedp"
)

// shiftProbe records every layout shift the page makes, from the first
// byte on, with the ids of the elements that moved.
const shiftProbe = `(() => {
	window.__shifts = [];
	new PerformanceObserver((list) => {
		for (const e of list.getEntries()) {
			if (e.hadRecentInput) continue;
			window.__shifts.push({v: e.value, t: e.startTime,
				who: (e.sources || []).map((s) => (s.node ? (s.node.id || s.node.className || s.node.nodeName) : "?") + "[" + [s.previousRect.y, s.previousRect.height, s.previousRect.width, "->", s.currentRect.y, s.currentRect.height, s.currentRect.width].map(Math.round).join(",") + "]").join(" ")});
		}
	}).observe({type: "layout-shift", buffered: true});
})();`

type shift struct {
	V   float64 `json:"v"`
	T   float64 `json:"t"`
	Who string  `json:"who"`
}

// TestPlaceholdersReserveSpace loads the home page and an article (whose
// picture under the headline has its box reserved by its width and height)
// with slow backends at
// widths from desktop to small phone and checks that pagelets landing in
// their placeholders do not move the page: the layout shift accumulated until
// every pagelet is shown stays under 0.01, a tenth of what Chromium's own
// guidance calls good (0.1). Shifts made later by pagelet JS (which runs only
// after that point) are logged, not judged: they are not the renderer's.
func TestPlaceholdersReserveSpace(t *testing.T) {
	srv := newServer(t, homeLatency())
	article := regexp.MustCompile(`/article/[a-z0-9-]+`).FindString(getPage(t, srv.URL+"/", googlebotUA, false, render.InOrder))
	for _, w := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"laptop", 1024, 768}, {"tablet", 768, 1024}, {"small tablet", 600, 960}, {"phone", 390, 844}, {"small phone", 320, 640}} {
		for _, path := range []string{"/", article} {
			t.Run(w.name+" "+path, func(t *testing.T) {
				tb := newTab(t)
				if _, err := chromedp.Run(tb.Ctx, chromedp.EmulateViewport(w.width, w.height)); err != nil {
					t.Fatal(err)
				}
				tb.addScript(t, shiftProbe)
				tb.Navigate(t, srv.URL+path)
				requireBigPipe(t, tb)
				tb.waitDone(t)
				if path != "/" {
					// The picture has loaded: a box it did not reserve would have shifted by now.
					tb.WaitTrue(t, `document.querySelector(".article__image").complete`)
				}
				allShown := eval[float64](t, tb, `Math.max(...bigPipe.shown.map((s) => s.t))`)
				var cls, later float64
				var detail string
				for _, s := range eval[[]shift](t, tb, `window.__shifts`) {
					detail += fmt.Sprintf(" %.4f@%.0fms(%s)", s.V, s.T, s.Who)
					if s.T <= allShown {
						cls += s.V
					} else {
						later += s.V
					}
				}
				t.Logf("%s %s: layout shift %.4f until all pagelets shown (%.0fms), %.4f after, from pagelet JS:%s", w.name, path, cls, allShown, later, detail)
				if cls >= 0.01 {
					t.Errorf("layout shift %.4f while pagelets landed, want < 0.01:%s", cls, detail)
				}
			})
		}
	}
}

// TestPlainPageKeepsItsWidth loads the plain front page (?nojs=1, in
// document order) with its first pagelet's backend slow, so that the
// browser paints the masthead and navigation while the page is still
// shorter than the window, and then the rest streams in and makes it
// scroll. A scrollbar appearing then would narrow the page and move
// everything centred in it sideways; the site keeps the scrollbar's gutter
// from the first paint, so the page must not shift at all.
//
// The browser is one of its own: the shared one hides scrollbars, as
// chromedp's defaults do, and Lighthouse's (which found the shift) does not.
func TestPlainPageKeepsItsWidth(t *testing.T) {
	srv := newServer(t, store.WithLatency(map[string]time.Duration{store.SourceBreaking: 700 * time.Millisecond}))
	browser := &testenv.Chromium{Width: 1280, Height: 900, Options: []chromedp.ExecAllocatorOption{chromedp.Flag("hide-scrollbars", false)}}
	t.Cleanup(browser.Stop)
	tb := &tab{browser.NewTab(t, "", tabTimeout)}
	tb.addScript(t, shiftProbe)
	tb.Navigate(t, srv.URL+"/?nojs=1")
	tb.WaitTrue(t, `document.readyState === "complete"`)
	if gutter := eval[float64](t, tb, `innerWidth - document.documentElement.clientWidth`); gutter <= 0 {
		t.Fatal("the window has no scrollbar gutter; the test needs a browser that shows scrollbars")
	}
	if scrolls := eval[bool](t, tb, `document.documentElement.scrollHeight > innerHeight`); !scrolls {
		t.Fatal("the plain front page does not outgrow a 1280×900 window; the test needs one it does")
	}
	var cls float64
	var detail string
	for _, s := range eval[[]shift](t, tb, `window.__shifts`) {
		detail += fmt.Sprintf(" %.4f@%.0fms(%s)", s.V, s.T, s.Who)
		cls += s.V
	}
	t.Logf("plain front page: layout shift %.4f:%s", cls, detail)
	if cls >= 0.001 {
		t.Errorf("layout shift %.4f as the plain page streamed in, want none:%s", cls, detail)
	}
}
