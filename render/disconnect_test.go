package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/a-h/templ"
	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// promptly bounds how long the server may take to notice a client that went
// away. It is a failure bound: a passing test never waits it out.
const promptly = 5 * time.Second

// allModes are the delivery modes every disconnect test runs in.
var allModes = []render.Mode{render.Pipelined, render.InOrder, render.Serial}

// TestDisconnect closes the client's connection at every phase of the
// response, in every mode, and checks that every pending pagelet sees its
// context cancelled (not timed out) at once, that ServeHTTP returns, that
// nothing panics or logs an error, and that no goroutine is left.
//
// Pagelets a and b come before c in the document. A "ready" pagelet is done
// at once; a "pending" one waits for its context; "pending-render" loads at
// once and its component waits for the context while rendering.
func TestDisconnect(t *testing.T) {
	tests := []struct {
		name  string
		kinds [3]string // of a, b and c
		// when the client goes away
		phase phase
		// what the client must have read before it goes away, by mode; nil
		// means it reads nothing (it waits for the server-side signals)
		read map[render.Mode][]string
		// pagelets whose Load or render must have started, and ready
		// pagelets whose Load must have returned, before the client goes
		started, done []string
		cancelled     []string // must see their context cancelled
	}{
		{
			name:  "before skeleton/during preflight",
			kinds: [3]string{"pending", "pending", "pending"}, phase: inPreflight,
			cancelled: []string{"a", "b", "c"},
		},
		{
			name:  "before skeleton/during layout",
			kinds: [3]string{"pending", "pending", "pending"}, phase: inLayout,
			started: []string{"a", "b", "c"}, cancelled: []string{"a", "b", "c"},
		},
		{
			name:  "before skeleton/nothing read",
			kinds: [3]string{"pending", "pending", "pending"}, phase: afterStart,
			started: []string{"a", "b", "c"}, cancelled: []string{"a", "b", "c"},
		},
		{
			name:  "mid-stream",
			kinds: [3]string{"ready", "pending", "pending"}, phase: afterStart,
			read: map[render.Mode][]string{
				render.Pipelined: {"<main><h1>Test page</h1>", marker("a")},
				render.InOrder:   {"<main><h1>Test page</h1>", marker("a")},
			},
			started: []string{"b", "c"}, done: []string{"a"}, cancelled: []string{"b", "c"},
		},
		{
			name:  "last pagelet/loading",
			kinds: [3]string{"ready", "ready", "pending"}, phase: afterStart,
			read: map[render.Mode][]string{
				render.Pipelined: {marker("a"), marker("b")},
				render.InOrder:   {marker("a"), marker("b")},
			},
			started: []string{"c"}, done: []string{"a", "b"}, cancelled: []string{"c"},
		},
		{
			name:  "last pagelet/rendering",
			kinds: [3]string{"ready", "ready", "pending-render"}, phase: afterStart,
			read: map[render.Mode][]string{
				render.Pipelined: {marker("a"), marker("b")},
				render.InOrder:   {marker("a"), marker("b")},
			},
			started: []string{"c"}, done: []string{"a", "b"}, cancelled: []string{"c"},
		},
	}
	for _, tc := range tests {
		for _, mode := range allModes {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first: runs after the server is closed
				pr := newProbe()
				ids := []string{"a", "b", "c"}
				var pls []pagelet.Pagelet
				for i, id := range ids {
					pls = append(pls, pr.pagelet(id, tc.kinds[i]))
				}
				page := pageOf(pls...)
				if tc.phase == inLayout {
					page.Layout = pr.blockingLayout(page.Layout)
				}
				srv := pr.serve(t, mode, func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
					if tc.phase == inPreflight {
						pr.waitForClient(r.Context(), "preflight")
					}
					return page, nil
				})

				c := pr.connect(t, srv, tc.read[mode] != nil)
				switch tc.phase {
				case inPreflight:
					pr.await(t, pr.entered, "preflight")
				case inLayout:
					pr.await(t, pr.entered, "layout")
				}
				for _, m := range tc.read[mode] {
					c.until(t, m)
				}
				pr.awaitIDs(t, pr.started, "started", tc.started)
				pr.awaitIDs(t, pr.done, "done", tc.done)
				c.close()

				pr.check(t, tc.cancelled)
			})
		}
	}
}

// TestDisconnectHTTPClient goes away the way a Go client does, by
// cancelling the request's context mid-stream, and checks the same as
// TestDisconnect.
func TestDisconnectHTTPClient(t *testing.T) {
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t) })
			pr := newProbe()
			page := pageOf(pr.pagelet("a", "ready"), pr.pagelet("b", "pending"), pr.pagelet("c", "pending"))
			srv := pr.serve(t, mode, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil })

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			sawA := make(chan struct{})
			clientDone := make(chan error, 1)
			go func() { // Serial sends nothing before the end: Do blocks until cancelled
				res, err := srv.Client().Do(req)
				if err != nil {
					clientDone <- err
					return
				}
				defer res.Body.Close()
				var body []byte
				buf := make([]byte, 4<<10)
				for !bytes.Contains(body, []byte(marker("a"))) {
					n, err := res.Body.Read(buf)
					body = append(body, buf[:n]...)
					if err != nil {
						clientDone <- fmt.Errorf("body ended before pagelet a: %w", err)
						return
					}
				}
				close(sawA)
				_, err = io.Copy(io.Discard, res.Body)
				clientDone <- err
			}()
			if mode != render.Serial {
				pr.await(t, sawA, "the client reading pagelet a")
			}
			pr.awaitIDs(t, pr.started, "started", []string{"b", "c"})
			pr.awaitIDs(t, pr.done, "done", []string{"a"})
			cancel()
			select {
			case err := <-clientDone:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("client ended with %v, want context.Canceled", err)
				}
			case <-time.After(promptly):
				t.Fatal("the client did not return after its context was cancelled")
			}
			pr.check(t, []string{"b", "c"})
		})
	}
}

// TestDisconnectIgnoredContext has a Load that ignores its context (it
// blocks until the test releases it, at cleanup) and a client that goes
// away mid-stream. The pagelets that honour their context are cancelled at
// once; ServeHTTP still returns while the Load is blocked, by the time the
// pagelet's own deadline has passed at the latest (fetches.stop waits for
// pending pagelets within their deadline). What is left behind is that
// Load's goroutine and nothing else, until it returns.
func TestDisconnectIgnoredContext(t *testing.T) {
	const timeout = time.Second // of the ignoring pagelet: bounds how long ServeHTTP can wait for it
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last, once the Load is released
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			pr := newProbe()
			deaf := pagelet.Pagelet{ID: "deaf", Timeout: timeout, Load: func(context.Context) (templ.Component, error) {
				pr.started <- "deaf"
				return ignoreContext(release)
			}}
			page := pageOf(pr.pagelet("a", "ready"), deaf, pr.pagelet("b", "pending"))
			srv := pr.serve(t, mode, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil })

			began := time.Now()
			c := pr.connect(t, srv, mode != render.Serial)
			if mode != render.Serial {
				c.until(t, marker("a"))
			}
			pr.awaitIDs(t, pr.started, "started", []string{"deaf", "b"})
			pr.awaitIDs(t, pr.done, "done", []string{"a"})
			c.close()

			pr.awaitCancelled(t, []string{"b"})
			select {
			case <-pr.returned:
			case <-time.After(timeout + promptly):
				t.Fatalf("ServeHTTP did not return within %v of the request, though the client is gone", timeout+promptly)
			}
			t.Logf("ServeHTTP returned %v after the request, the deaf pagelet's timeout being %v", time.Since(began).Round(time.Millisecond), timeout)
			srv.Close()
			// The Load is still blocked, and it is all that is left.
			if goleak.Find() == nil {
				t.Error("no goroutine left behind, though the Load still blocks")
			}
			if err := goleak.Find(goleak.IgnoreAnyFunction(ignoreContextFunc)); err != nil {
				t.Errorf("more than the blocked Load left behind: %v", err)
			}
			pr.checkQuiet(t)
		})
	}
}

// ignoreContextFunc is ignoreContext's name as goleak reports it.
const ignoreContextFunc = "github.com/bigpipe-go/bigpipe/render_test.ignoreContext"

// ignoreContext is a fetch that does not take a context: it returns only
// when release is closed.
func ignoreContext(release <-chan struct{}) (templ.Component, error) {
	<-release
	return text("too late"), nil
}

// phase is when a TestDisconnect client goes away.
type phase int

const (
	afterStart  phase = iota // once the pagelets it waits for have started
	inPreflight              // while the PageFunc runs: nothing is started yet
	inLayout                 // while the layout renders: fetches run, no byte is written
)
