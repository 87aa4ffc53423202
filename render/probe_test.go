package render_test

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// probe sees the server side of one disconnect test. Every channel is
// buffered for more than a test sends, so no server goroutine ever blocks
// on one.
type probe struct {
	started   chan string   // a pending pagelet's Load (or render) began
	done      chan string   // a ready pagelet's Load is returning
	cancelled chan stopped  // a pending pagelet saw its context end
	entered   chan struct{} // the PageFunc or layout began waiting for the client to leave
	missed    chan string   // the PageFunc or layout never saw the request's context end
	returned  chan struct{} // ServeHTTP returned; closed
	abandon   chan struct{} // closed at cleanup: a test that failed lets its pending pagelets go
	panics    chan any      // what ServeHTTP panicked with, other than http.ErrAbortHandler
	logs      *recorder
	errorLog  *testenv.LockedBuffer // the server's ErrorLog: net/http reports panics there
}

// stopped is a pending pagelet that saw its context end, and why it ended.
type stopped struct {
	id  string
	err error
}

func newProbe() *probe {
	return &probe{
		started:   make(chan string, 16),
		done:      make(chan string, 16),
		cancelled: make(chan stopped, 16),
		entered:   make(chan struct{}, 16),
		missed:    make(chan string, 16),
		returned:  make(chan struct{}),
		abandon:   make(chan struct{}),
		panics:    make(chan any, 16),
		logs:      &recorder{},
		errorLog:  &testenv.LockedBuffer{},
	}
}

// pagelet returns a pagelet of the given kind: "ready", "pending" or
// "pending-render" (see TestDisconnect).
func (pr *probe) pagelet(id, kind string) pagelet.Pagelet {
	wait := func(ctx context.Context) error {
		pr.started <- id
		select {
		case <-ctx.Done():
			pr.cancelled <- stopped{id, ctx.Err()}
			return ctx.Err()
		case <-pr.abandon: // the test failed: end now rather than at the timeout
			return errors.New("abandoned")
		}
	}
	p := pagelet.Pagelet{ID: id, Timeout: time.Minute} // no deadline passes during a test: a cancel is the client's
	switch kind {
	case "ready":
		p.Load = func(context.Context) (templ.Component, error) {
			pr.done <- id
			return text(marker(id)), nil
		}
	case "pending":
		p.Load = func(ctx context.Context) (templ.Component, error) {
			return nil, wait(ctx)
		}
	case "pending-render":
		p.Load = func(context.Context) (templ.Component, error) {
			return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
				_, _ = io.WriteString(w, "PARTIAL-"+id)
				return wait(ctx)
			}), nil
		}
	default:
		panic("unknown pagelet kind " + kind)
	}
	return p
}

// waitForClient blocks until ctx ends, as a PageFunc or layout doing I/O
// would, bounded by promptly.
func (pr *probe) waitForClient(ctx context.Context, what string) {
	pr.entered <- struct{}{}
	select {
	case <-ctx.Done():
	case <-time.After(promptly):
		pr.missed <- what
	}
}

// blockingLayout wraps layout so that it waits for the client to leave
// before it renders, then renders normally.
func (pr *probe) blockingLayout(layout func(pagelet.Slot) templ.Component) func(pagelet.Slot) templ.Component {
	return func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			pr.waitForClient(ctx, "layout")
			return layout(slot).Render(ctx, w)
		})
	}
}

// serve starts a loopback server that answers one request with pf's page
// in mode, logging to pr and signalling pr.returned when ServeHTTP returns.
func (pr *probe) serve(t *testing.T, mode render.Mode, pf render.PageFunc) *httptest.Server {
	t.Helper()
	rd, err := render.New(testAssets(t),
		render.WithLogger(slog.New(pr.logs)),
		render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil }))
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Page(pf)
	var once sync.Once
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler { //nolint:errorlint // compared by identity, as net/http does
				pr.panics <- v
			}
			once.Do(func() { close(pr.returned) })
			if v != nil {
				panic(v) // net/http aborts the connection, as without this wrapper
			}
		}()
		h.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(pr.errorLog, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(pr.abandon) }) // before srv.Close, which waits for ServeHTTP
	return srv
}

// rawClient is one connection to the server: a raw one that writes the
// request and reads nothing, or a wire.Stream that reads the response.
type rawClient struct {
	conn net.Conn
	s    *wire.Stream
}

// connect sends a GET to srv. With read, it reads the response header
// (which needs the handler to have flushed); without, it reads nothing.
func (pr *probe) connect(t *testing.T, srv *httptest.Server, read bool) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	if read {
		s, err := wire.Open(ctx, srv.URL, http.Header{"User-Agent": {chromeUA}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return &rawClient{s: s}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() + "\r\nUser-Agent: " + chromeUA + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	return &rawClient{conn: conn}
}

// until reads until the body contains m.
func (c *rawClient) until(t *testing.T, m string) {
	t.Helper()
	if c.s == nil {
		t.Fatalf("reading %q on a connection that reads nothing", m)
	}
	if _, err := c.s.Until(m); err != nil {
		t.Fatal(err)
	}
}

// close goes away: the connection is closed, whatever is unread.
func (c *rawClient) close() {
	if c.s != nil {
		c.s.Close()
		return
	}
	c.conn.Close()
}

// await waits for one signal on ch.
func (pr *probe) await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(promptly):
		t.Fatalf("no sign of %s after %v", what, promptly)
	}
}

// awaitIDs waits until every one of ids has come on ch.
func (pr *probe) awaitIDs(t *testing.T, ch <-chan string, what string, ids []string) {
	t.Helper()
	deadline := time.After(promptly)
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for len(want) > 0 {
		select {
		case id := <-ch:
			delete(want, id)
		case <-deadline:
			t.Fatalf("pagelets %v not %s after %v", idsOf(want), what, promptly)
		}
	}
}

// awaitCancelled waits until every one of ids has seen its context
// cancelled, and checks it was cancelled rather than timed out.
func (pr *probe) awaitCancelled(t *testing.T, ids []string) {
	t.Helper()
	deadline := time.After(promptly)
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for len(want) > 0 {
		select {
		case s := <-pr.cancelled:
			if !want[s.id] {
				t.Errorf("pagelet %s saw its context end twice or unexpectedly", s.id)
			}
			delete(want, s.id)
			if !errors.Is(s.err, context.Canceled) {
				t.Errorf("pagelet %s: context ended with %v, want context.Canceled", s.id, s.err)
			}
		case <-deadline:
			t.Fatalf("pagelets %v still running %v after the client left", idsOf(want), promptly)
		}
	}
}

// check waits for the pending pagelets to see their context cancelled and
// for ServeHTTP to return, then checks that nothing panicked or logged an
// error.
func (pr *probe) check(t *testing.T, cancelled []string) {
	t.Helper()
	pr.awaitCancelled(t, cancelled)
	select {
	case <-pr.returned:
	case <-time.After(promptly):
		t.Fatalf("ServeHTTP still running %v after the client left", promptly)
	}
	pr.checkQuiet(t)
}

// checkQuiet checks that nothing panicked, that net/http reported nothing
// and that the page logged nothing at error level, a client going away
// being no error of the server's.
func (pr *probe) checkQuiet(t *testing.T) {
	t.Helper()
	select {
	case what := <-pr.missed:
		t.Errorf("the %s never saw the request's context end", what)
	default:
	}
	select {
	case v := <-pr.panics:
		t.Errorf("ServeHTTP panicked: %v", v)
	default:
	}
	if s := pr.errorLog.String(); s != "" {
		t.Errorf("the server logged:\n%s", s)
	}
	for _, r := range pr.logs.records() {
		if r.Level >= slog.LevelError || strings.Contains(r.Message, "panic") {
			t.Errorf("logged at %v: %s", r.Level, r.Message)
		} else {
			t.Logf("logged at %v: %s", r.Level, r.Message)
		}
	}
}

func idsOf(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}

func (h *recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recorder) WithGroup(string) slog.Handler      { return h }

func (h *recorder) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.recs...)
}
