package shutdown_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bigpipe-go/bigpipe/shutdown"
)

// probe returns what h answers to a GET.
func probe(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: %q, want no-store", cc)
	}
	return rec.Code, rec.Body.String()
}

// blockingLive is a live engine whose drain waits until released, and
// records whether readiness had turned when it began.
type blockingLive struct {
	d        *shutdown.Drainer
	began    chan struct{}
	release  chan struct{}
	draining bool          // d.Draining() when Drain began
	window   time.Duration // Drain's
}

func (l *blockingLive) Drain(ctx context.Context, window time.Duration) error {
	l.draining, l.window = l.d.Draining(), window
	close(l.began)
	select {
	case <-l.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestProbes: readiness says 200 "ready" until Shutdown begins, then 503
// "draining", before the OnShutdown hooks run and the live drain begins;
// health stays 200 through it, with WithHealth's line.
func TestProbes(t *testing.T) {
	live := &blockingLive{began: make(chan struct{}), release: make(chan struct{})}
	var health atomic.Value
	health.Store("ok")
	sd := shutdown.New(&http.Server{}, shutdown.WithLive(live), shutdown.WithWindow(3*time.Second),
		shutdown.WithHealth(func() string { return health.Load().(string) }), shutdown.WithLogger(nil))
	live.d = sd
	var hookSaw []bool
	sd.OnShutdown(func() { hookSaw = append(hookSaw, sd.Draining()) })
	sd.OnShutdown(func() { hookSaw = append(hookSaw, sd.Draining()) })

	if code, body := probe(t, sd.Ready()); code != 200 || body != "ready\n" {
		t.Errorf("ready before Shutdown: %d %q, want 200 \"ready\\n\"", code, body)
	}
	health.Store("degraded: live broker unreachable")
	if code, body := probe(t, sd.Health()); code != 200 || body != "degraded: live broker unreachable\n" {
		t.Errorf("health: %d %q, want 200 with WithHealth's line", code, body)
	}
	done := make(chan error, 1)
	go func() { done <- sd.Shutdown(t.Context()) }()
	<-live.began
	if !live.draining || len(hookSaw) != 2 || !hookSaw[0] || !hookSaw[1] {
		t.Errorf("when the live drain began: draining %v, hooks run %v; want draining, both hooks run once draining", live.draining, hookSaw)
	}
	if live.window != 3*time.Second {
		t.Errorf("live drain window %v, want WithWindow's 3s", live.window)
	}
	if code, body := probe(t, sd.Ready()); code != 503 || body != "draining\n" {
		t.Errorf("ready while draining: %d %q, want 503 \"draining\\n\"", code, body)
	}
	if code, _ := probe(t, sd.Health()); code != 200 {
		t.Errorf("health while draining: %d, want 200", code)
	}
	close(live.release)
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := sd.Shutdown(t.Context()); err != nil {
		t.Errorf("second Shutdown: %v, want the first's nil", err)
	}
}

// gatedPage is a page stream: its head at once, its end when release is
// closed. A page whose context ends first is aborted (as the renderer
// does), unless it is stuck: then it waits for release regardless.
type gatedPage struct {
	release  chan struct{}
	stuck    bool
	started  chan struct{}
	cause    chan error // the context's cause when the page was aborted
	returned chan struct{}
}

func newGatedPage(stuck bool) *gatedPage {
	return &gatedPage{release: make(chan struct{}), stuck: stuck, started: make(chan struct{}),
		cause: make(chan error, 1), returned: make(chan struct{})}
}

func (p *gatedPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer close(p.returned)
	_, _ = io.WriteString(w, "<html><body>head")
	_ = http.NewResponseController(w).Flush()
	close(p.started)
	if p.stuck {
		<-p.release
	} else {
		select {
		case <-p.release:
		case <-r.Context().Done():
			p.cause <- context.Cause(r.Context())
			panic(http.ErrAbortHandler) // no clean end: the client sees a cut page
		}
	}
	_, _ = io.WriteString(w, "</body></html>")
}

// TestHTTPDrain: a page running when Shutdown begins finishes whole within
// the drain timeout, and Shutdown returns as soon as it has; one still
// running at the deadline is cancelled with the cause ErrDeadline and the
// client sees it cut; one stuck past the cancellation is closed under it
// after a moment. Fake time (synctest) makes each bound exact.
func TestHTTPDrain(t *testing.T) {
	const timeout = 5 * time.Second
	for _, tc := range []struct {
		name   string
		finish bool          // the page is released during the drain
		stuck  bool          // it ignores its context
		took   time.Duration // Shutdown's, from its call
		whole  bool
		cause  error
	}{
		{name: "finishes", finish: true, took: time.Second, whole: true},
		{name: "cancelled", took: timeout, cause: shutdown.ErrDeadline},
		{name: "stuck", stuck: true, took: timeout + 2*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				page := newGatedPage(tc.stuck)
				ln := newPipeListener()
				srv := &http.Server{Handler: page}
				sd := shutdown.New(srv, shutdown.WithTimeout(timeout), shutdown.WithLogger(nil))
				served := make(chan error, 1)
				go func() { served <- srv.Serve(ln) }()
				client := ln.client()
				defer client.CloseIdleConnections()

				res, err := client.Get("http://pipe/")
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				<-page.started
				head := make([]byte, len("<html><body>head"))
				if _, err := io.ReadFull(res.Body, head); err != nil {
					t.Fatal(err)
				}

				start := time.Now()
				done := make(chan error, 1)
				go func() { done <- sd.Shutdown(context.Background()) }()
				if tc.finish {
					time.Sleep(time.Second) // fake time: the server is draining
					synctest.Wait()
					close(page.release)
				}
				rest, readErr := io.ReadAll(res.Body)
				err = <-done
				took := time.Since(start)
				if tc.stuck {
					close(page.release) // let it return, now that its connection is closed
				}
				<-page.returned

				body := string(head) + string(rest)
				if whole := readErr == nil && strings.HasSuffix(body, "</html>"); whole != tc.whole {
					t.Errorf("page whole = %v (read error %v, body %q), want %v", whole, readErr, body, tc.whole)
				}
				// http.Server.Shutdown notices idle connections by polling,
				// at most every 500 ms.
				if took < tc.took || took > tc.took+500*time.Millisecond {
					t.Errorf("Shutdown took %v, want %v (+ up to 500 ms)", took, tc.took)
				}
				if tc.whole && err != nil {
					t.Errorf("Shutdown: %v, want nil", err)
				}
				if !tc.whole && !errors.Is(err, shutdown.ErrDeadline) {
					t.Errorf("Shutdown: %v, want ErrDeadline", err)
				}
				if tc.cause != nil {
					if cause := <-page.cause; !errors.Is(cause, tc.cause) {
						t.Errorf("the page's context ended with %v, want %v", cause, tc.cause)
					}
				}
				if err := <-served; !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("Serve: %v, want ErrServerClosed", err)
				}
			})
		})
	}
}
