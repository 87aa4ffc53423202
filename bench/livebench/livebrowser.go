package livebench

// Publish → visible: a page with one live pagelet on a state channel
// (livePagePath, served by the live server child with the renderer and the
// engine, so the page loads our client, live/live.js, as any live page does)
// open in headless Chromium; the bench publishes to the channel, one
// publication at a time, and the page reports when each appeared.
//
// Both ends read the same clock: a publication's content carries the
// server's wall-clock time just before the engine's Publish (data-sent, in
// unix ns), and a MutationObserver in the page, installed before any of
// the page's scripts, takes performance.timeOrigin + performance.now() (the
// wall clock at navigation plus a monotonic clock since) when the
// publication's element enters the document, and reports the difference
// through a DevTools binding. The observer's callback runs in the task that
// inserted the content, before the next paint: the figure is the time until
// the content is in the document, not until the frame with it is on screen
// (one more frame, up to 16.7 ms at 60 Hz).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// PubsDefault is how many publications the page gets.
	PubsDefault = 250
	// livePubGap is the pause after one publication is seen before the
	// next: publications come one at a time, as a page's do.
	livePubGap = 20 * time.Millisecond
	// livePubTimeout is how long one publication may take to appear before
	// it counts as not shown; liveConnectWait how long the page may take
	// to load and connect.
	livePubTimeout  = 2 * time.Second
	liveConnectWait = 20 * time.Second
	// liveWarmSeq numbers the publications sent until the page shows one:
	// it is connected from then on.
	liveWarmSeq = 1_000_000
	// liveBinding is the binding the page reports through.
	liveBinding = "__bpLiveReport"
)

// LiveVisible is publish → visible in Chromium, over one transport.
type LiveVisible struct {
	Transport    string        `json:"transport"`
	Client       string        `json:"client"`       // the transport the page's client says it used (bigPipe.liveState.transport)
	Publications int           `json:"publications"` // published while measuring
	Shown        int           `json:"shown"`        // seen in the page within livePubTimeout
	P50          time.Duration `json:"p50"`
	P99          time.Duration `json:"p99"`
	Max          time.Duration `json:"max"`
	Connect      time.Duration `json:"connect"` // from the navigation until the page showed its first publication
}

// liveVisibleProbe is installed in the page before its own scripts: it
// reports every publication element (.bench-live with data-sent) the
// first time it is in the document.
const liveVisibleProbe = `(() => {
  const seen = new Set();
  const check = () => {
    const now = performance.timeOrigin + performance.now();
    for (const el of document.querySelectorAll('.bench-live[data-sent]')) {
      const seq = el.dataset.seq;
      if (seen.has(seq)) continue;
      seen.add(seq);
      window.` + liveBinding + `(JSON.stringify({seq: Number(seq), lat: now - Number(el.dataset.sent) / 1e6}));
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
})();`

// liveReport is one report of the page.
type liveReport struct {
	Seq int     `json:"seq"`
	Lat float64 `json:"lat"` // ms
}

// measureLiveVisible starts a live server and Chromium, opens the live page
// with the client on transport ("sse" or "ws") and publishes pubs
// publications to it, one at a time.
func measureLiveVisible(ctx context.Context, exe, transport string, pubs int, progress func(string)) (*LiveVisible, error) {
	path, err := measure.ChromiumPath()
	if err != nil {
		return nil, err
	}
	name := map[string]string{"sse": "SSE", "ws": "WebSocket"}[transport]
	progress("live publish → visible over " + name + ": starting the server and Chromium")
	srv, err := startLiveServer(ctx, exe)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	return liveVisibleOn(ctx, visibleRun{path: path, pageSrv: srv, pubSrv: srv, transport: transport, pubs: pubs,
		progress: func(s string) { progress("live publish → visible over " + name + ": " + s) }})
}

// visibleRun is one publish → visible measure: the live page of pageSrv
// with the client on transport, pubs publications made through pubSrv
// (the same server, or another instance sharing its Redis), Chromium at
// path. A run of another page sets page (its URL), publish (what makes
// publication seq, with the send time in the content) and client (a
// JavaScript expression naming the transport the page's client uses)
// instead of pageSrv, pubSrv and transport.
type visibleRun struct {
	path      string
	pageSrv   *liveServer
	pubSrv    *liveServer
	transport string
	pubs      int
	progress  func(string)
	page      string
	publish   func(ctx context.Context, seq int) error
	client    string
}

// liveVisibleOn opens the live page in Chromium and publishes o.pubs
// publications, one at a time, timing each from its publish to the paint
// that shows it.
func liveVisibleOn(ctx context.Context, o visibleRun) (*LiveVisible, error) {
	o.progress("starting Chromium")
	b, err := measure.StartBrowser(ctx, o.path)
	if err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	defer b.Stop()

	budget := liveConnectWait + time.Duration(o.pubs)*(livePubGap+livePubTimeout)
	tctx, tcancel := context.WithTimeout(b.Ctx, budget)
	defer tcancel()
	tctx, tcancel2 := chromedp.NewContext(tctx)
	defer tcancel2()
	v := &visibleTab{ctx: ctx, tctx: tctx, o: o, reports: make(chan liveReport, 1024)}
	nav, err := v.load()
	if err != nil {
		return nil, err
	}
	o.progress("waiting for the page to connect")
	res := &LiveVisible{Transport: o.transport}
	if err := v.connect(nav); err != nil {
		return nil, err
	}
	res.Connect = time.Since(nav).Round(time.Millisecond)
	lats, err := v.publications(res)
	if err != nil {
		return nil, err
	}
	expr := `String(window.bigPipe && bigPipe.liveState && bigPipe.liveState.transport)`
	if o.client != "" {
		expr = o.client
	}
	if s, err := chromedp.Run(tctx, chromedp.Evaluate[string](expr)); err == nil {
		res.Client = s
	}
	if len(lats) == 0 {
		return res, errors.New("no publication was shown")
	}
	res.P50, res.P99 = measure.Percentile(lats, 50), measure.Percentile(lats, 99)
	res.Max = measure.Percentile(lats, 100)
	return res, nil
}

// visibleTab is the live page's tab of a visibleRun.
type visibleTab struct {
	ctx     context.Context // the run's
	tctx    context.Context // the tab's
	o       visibleRun
	reports chan liveReport // what the page's probe reports
}

// load installs the probe and its binding and loads the page; it returns
// when the navigation started.
func (v *visibleTab) load() (time.Time, error) {
	ctx, tctx := v.ctx, v.tctx
	if err := chromedp.Listen(tctx, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventBindingCalled); ok && e.Name == liveBinding {
			var r liveReport
			if json.Unmarshal([]byte(e.Payload), &r) == nil {
				select {
				case v.reports <- r:
				default:
				}
			}
		}
	}); err != nil {
		return time.Time{}, measure.BrowserErr(ctx, "listen", err)
	}
	if _, err := chromedp.Call(tctx, cdpruntime.AddBinding, cdpruntime.AddBindingParams{Name: liveBinding}); err != nil {
		return time.Time{}, measure.BrowserErr(ctx, "add binding", err)
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: liveVisibleProbe}); err != nil {
		return time.Time{}, measure.BrowserErr(ctx, "install probe", err)
	}
	u := v.o.page
	if u == "" {
		u = "http://" + v.o.pageSrv.addr + livePagePath
		if v.o.transport == "ws" {
			u += "?bigpipe_live_transport=websocket" // the client's own switch
		}
	}
	nav := time.Now()
	resp, err := chromedp.Run(tctx, chromedp.NavigateResponse(u))
	if err != nil {
		return time.Time{}, measure.BrowserErr(ctx, "load "+u, err)
	}
	if resp.Status != 200 {
		return time.Time{}, fmt.Errorf("load %s: HTTP %d %s", u, resp.Status, resp.StatusText)
	}
	return nav, nil
}

// publish makes publication seq through the publishing server.
func (v *visibleTab) publish(seq int) error {
	if v.o.publish != nil {
		return v.o.publish(v.ctx, seq)
	}
	var sent struct{ Sent int64 }
	return v.o.pubSrv.get(v.ctx, fmt.Sprintf("/_bench/publish?ch=%s&seq=%d", livePageCh, seq), &sent)
}

// wait returns the report of seq, skipping others, or false after d.
func (v *visibleTab) wait(seq int, d time.Duration) (liveReport, bool, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case r := <-v.reports:
			if r.Seq == seq {
				return r, true, nil
			}
		case <-t.C:
			return liveReport{}, false, nil
		case <-v.tctx.Done():
			return liveReport{}, false, measure.BrowserErr(v.ctx, "wait for a publication", v.tctx.Err())
		}
	}
}

// connect publishes warm-up publications until the page shows one, for
// up to liveConnectWait from nav.
func (v *visibleTab) connect(nav time.Time) error {
	for k := 0; time.Since(nav) < liveConnectWait; k++ {
		if err := v.publish(liveWarmSeq + k); err != nil {
			return err
		}
		_, ok, err := v.wait(liveWarmSeq+k, 250*time.Millisecond)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return errors.New("the page showed no publication within " + liveConnectWait.String() +
		": is live/live.js the live client yet (it is loaded after the barrier, connects, and swaps a state publication's content into the pagelet)?")
}

// publications makes the measured publications, one at a time, counting
// them and those shown in res; it returns the latency of each shown.
func (v *visibleTab) publications(res *LiveVisible) ([]time.Duration, error) {
	var lats []time.Duration
	for i := 1; i <= v.o.pubs; i++ {
		if i%50 == 1 {
			v.o.progress(fmt.Sprintf("publication %d/%d", i, v.o.pubs))
		}
		if err := v.publish(i); err != nil {
			return nil, err
		}
		res.Publications++
		r, ok, err := v.wait(i, livePubTimeout)
		if err != nil {
			return nil, err
		}
		if ok {
			res.Shown++
			lats = append(lats, time.Duration(r.Lat*float64(time.Millisecond)))
		}
		time.Sleep(livePubGap)
	}
	return lats, nil
}
