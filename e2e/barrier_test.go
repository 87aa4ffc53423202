package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// frameCounter counts animation frames from document start, and notes the
// count when each pagelet is shown and when the JS barrier opens.
const frameCounter = `(() => {
	window.__frames = 0;
	const loop = () => requestAnimationFrame(() => { window.__frames++; loop(); });
	loop();
	document.addEventListener('bigpipe:shown', () => { window.__framesAtShown = window.__frames; });
	document.addEventListener('bigpipe:barrier', () => { window.__framesAtBarrier = window.__frames; });
})();`

// TestBarrierAfterPaint: the runtime opens the JS barrier (pagelet JS and
// the live client) only after the frame that shows the last pagelet, so
// that their work does not hold up its paint; pagelets placed by the
// skeleton, streamed as payloads and patched natively alike.
func TestBarrierAfterPaint(t *testing.T) {
	site := newHandler(t)
	mux := http.NewServeMux()
	mux.Handle("/", site)
	placed := placedPage(t, site, "/bench?delays=0,0", 2)
	mux.HandleFunc("/placed", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(placed))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, ua, path string
		last           string // how the last pagelet shown came, as bigPipe.shown says
	}{
		{"placed", chromeUA, "/placed", "s.placed"},
		{"payloads", chromeUA, "/bench?delays=0,40,80", "!s.placed && !s.patched"},
		{"native", nativeUA, "/bench?delays=0,40,80", "s.patched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTab(t)
			tb.SetUserAgent(t, tc.ua)
			tb.addScript(t, frameCounter)
			tb.Navigate(t, srv.URL+tc.path)
			requireBigPipe(t, tb)
			tb.waitDone(t)
			if !eval[bool](t, tb, `(s => !!(`+tc.last+`))(bigPipe.shown.at(-1))`) {
				t.Fatalf("the last pagelet shown was not %s: %v", tc.last, eval[any](t, tb, `bigPipe.shown`))
			}
			shown := eval[int](t, tb, `window.__framesAtShown ?? -1`)
			barrier := eval[int](t, tb, `window.__framesAtBarrier ?? -1`)
			if shown < 0 || barrier < 0 {
				t.Fatalf("frames at last shown = %d, at barrier = %d; want both seen", shown, barrier)
			}
			if barrier <= shown {
				t.Errorf("barrier opened in frame %d, the last pagelet shown in frame %d: want a later frame", barrier, shown)
			}
		})
	}
}

// placedPage returns a pipelined page of site's path in which the skeleton
// placed all n pagelets (no payload came after it). Which pagelets are done
// when the head is written varies between requests on a busy machine, so
// it asks until one is.
func placedPage(t *testing.T, site http.Handler, path string, n int) string {
	t.Helper()
	for range 100 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("User-Agent", chromeUA)
		site.ServeHTTP(rec, req)
		if got := rec.Header().Get("X-BigPipe-Mode"); got != "pipelined" {
			t.Fatalf("%s: X-BigPipe-Mode = %q, want pipelined", path, got)
		}
		doc := rec.Body.String()
		if strings.Count(doc, `data-bigpipe="shown"`) == n && !strings.Contains(doc, ">bigPipe.onPageletArrive(") {
			return doc
		}
	}
	t.Fatalf("%s: no page of 100 had its %d pagelets placed", path, n)
	return ""
}

// noFrames makes the page believe it is visible or hidden as
// window.__visibility says, and never gives it an animation frame, as a
// hidden tab does.
const noFrames = `(() => {
	Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => window.__visibility || 'visible' });
	window.requestAnimationFrame = () => 0;
	document.addEventListener('bigpipe:barrier', () => { window.__barrier = true; });
})();`

// TestBarrierWithoutFrames: a document that paints no frame still opens
// its JS barrier: at once when it is hidden when the last pagelet is
// shown, or when it becomes hidden before the frame came.
func TestBarrierWithoutFrames(t *testing.T) {
	site := newServer(t)
	t.Run("hidden", func(t *testing.T) {
		tb := newTab(t)
		tb.SetUserAgent(t, chromeUA)
		tb.addScript(t, `window.__visibility = 'hidden';`+noFrames)
		tb.Navigate(t, site.URL+"/bench?delays=0,40")
		requireBigPipe(t, tb)
		tb.waitDone(t)
	})
	t.Run("hidden later", func(t *testing.T) {
		tb := newTab(t)
		tb.SetUserAgent(t, chromeUA)
		tb.addScript(t, noFrames)
		tb.Navigate(t, site.URL+"/bench?delays=0,40")
		requireBigPipe(t, tb)
		tb.WaitTrue(t, `bigPipe.shown.length === 2`)
		if eval[bool](t, tb, `!!window.__barrier`) {
			t.Fatal("the barrier opened with no frame painted and the document visible")
		}
		_ = eval[bool](t, tb, `(window.__visibility = 'hidden', document.dispatchEvent(new Event('visibilitychange')), true)`)
		tb.waitDone(t)
	})
}
