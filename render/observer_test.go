package render_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// pageRecorder is an Observer that keeps everything it is told. done is
// signalled after each PageDone, so tests wait for the handler to finish.
type pageRecorder struct {
	mu       sync.Mutex
	started  int
	pages    []render.PageStats
	pagelets []render.PageletStats
	ids      []string // RequestID of each started request
	done     chan struct{}
}

func newPageRecorder() *pageRecorder { return &pageRecorder{done: make(chan struct{}, 64)} }

func (o *pageRecorder) PageStarted(r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started++
	o.ids = append(o.ids, render.RequestID(r.Context()))
}

func (o *pageRecorder) PageletDone(_ *http.Request, s render.PageletStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pagelets = append(o.pagelets, s)
}

func (o *pageRecorder) PageDone(_ *http.Request, s render.PageStats) {
	o.mu.Lock()
	o.pages = append(o.pages, s)
	o.mu.Unlock()
	o.done <- struct{}{}
}

// wait waits for n more pages to be done.
func (o *pageRecorder) wait(t testing.TB, n int) {
	t.Helper()
	for range n {
		select {
		case <-o.done:
		case <-time.After(10 * time.Second):
			t.Fatal("handler did not finish within 10s")
		}
	}
}

func (o *pageRecorder) last() render.PageStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pages[len(o.pages)-1]
}

func (o *pageRecorder) failures() map[string]render.Failure {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := map[string]render.Failure{}
	for _, s := range o.pagelets {
		m[s.ID] = s.Failure
	}
	return m
}

// TestObserverPagelets checks the failure kind and the timings the
// observer gets for each way a pagelet can end.
func TestObserverPagelets(t *testing.T) {
	obs := newPageRecorder()
	page := pageOf(
		delayed("ok", 20*time.Millisecond),
		pagelet.Pagelet{ID: "err", Load: func(context.Context) (templ.Component, error) { return nil, errors.New("backend down") }},
		pagelet.Pagelet{ID: "panic", Load: func(context.Context) (templ.Component, error) { panic("boom") }},
		pagelet.Pagelet{ID: "slow", Load: delayed("slow", time.Hour).Load, Timeout: 30 * time.Millisecond},
		pagelet.Pagelet{ID: "badrender", Load: pagelet.Static(templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			_, _ = io.WriteString(w, "PARTIAL-OUTPUT")
			return errors.New("template broke")
		}))},
	)
	for _, ua := range []string{chromeUA, googlebotUA} {
		srv := servePage(t, page, render.WithObserver(obs))
		s := get(t, srv.URL, ua)
		obs.wait(t, 1)
		if strings.Contains(string(s.Body()), "PARTIAL-OUTPUT") {
			t.Errorf("%s: a component's partial output reached the client", ua)
		}
		want := map[string]render.Failure{"ok": render.FailNone, "err": render.FailError, "panic": render.FailPanic,
			"slow": render.FailTimeout, "badrender": render.FailError}
		got := obs.failures()
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: pagelet %s failure = %q, want %q", ua, id, got[id], w)
			}
		}
		ps := obs.last()
		if ps.Outcome != render.Complete || ps.Status != 200 || ps.Pagelets != 5 || ps.Failed != 4 {
			t.Errorf("%s: page stats = %+v, want complete, 200, 5 pagelets, 4 failed", ua, ps)
		}
		if ps.Skeleton <= 0 || ps.Skeleton > ps.Duration || ps.Bytes != int64(len(s.Body())) {
			t.Errorf("%s: skeleton %v, duration %v, bytes %d (body %d): want 0 < skeleton <= duration, bytes = body",
				ua, ps.Skeleton, ps.Duration, ps.Bytes, len(s.Body()))
		}
		obs.mu.Lock()
		for _, p := range obs.pagelets {
			if p.ID == "ok" && p.Fetch < 20*time.Millisecond {
				t.Errorf("%s: ok's fetch time %v, want at least its 20ms delay", ua, p.Fetch)
			}
		}
		obs.pagelets = nil
		obs.mu.Unlock()
	}
}

// TestObserverOutcomes checks status and outcome for each way a request can
// end before or without a page.
func TestObserverOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		pf      render.PageFunc
		url     string
		status  int
		outcome render.Outcome
	}{
		{"complete", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return pageOf(delayed("a", 0)), nil },
			"/", 200, render.Complete},
		{"preflight 404", func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
			http.NotFound(w, r)
			return nil, nil
		},
			"/", 404, render.Rejected},
		{"preflight redirect", func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return nil, nil
		}, "/", 302, render.Complete},
		{"preflight error", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return nil, errors.New("db down") },
			"/", 500, render.Failed},
		{"invalid page", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return &pagelet.Page{}, nil },
			"/", 500, render.Failed},
		{"bad mode", func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return pageOf(delayed("a", 0)), nil },
			"/?bigpipe_mode=nonsense", 400, render.Rejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := newPageRecorder()
			srv := serve(t, tc.pf, render.WithObserver(obs), render.WithModeOverride(true))
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.Get(srv.URL + tc.url)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body) // a client that reads the whole answer
			resp.Body.Close()
			obs.wait(t, 1)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := obs.last(); got.Status != tc.status || got.Outcome != tc.outcome {
				t.Errorf("observed status %d outcome %q, want %d %q", got.Status, got.Outcome, tc.status, tc.outcome)
			}
		})
	}
}

// TestServerCancelIsAborted cancels a running page from the server side,
// with a cause, as a server shutting down does: the page is aborted, not
// counted as a client that went away.
func TestServerCancelIsAborted(t *testing.T) {
	obs := newPageRecorder()
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	t.Cleanup(func() { close(gate) })
	page := pageOf(delayed("a", 0), gated("b", gate))
	h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil })
	cancels := make(chan context.CancelCauseFunc, 1)
	srv := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancelCause(r.Context())
		cancels <- cancel
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until(marker("a")); err != nil { // placed or a payload
		t.Fatal(err)
	}
	(<-cancels)(errors.New("server shutting down"))
	obs.wait(t, 1)
	if got := obs.last(); got.Outcome != render.Aborted {
		t.Errorf("outcome %q, want %q", got.Outcome, render.Aborted)
	}
	if err := s.ReadAll(); err == nil {
		t.Error("the cut page ended cleanly; want a truncated response")
	}
}
