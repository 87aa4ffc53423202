package render_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// counted is a cached pagelet whose Load counts its calls and renders
// what show returns for its context.
func counted(id string, calls *atomic.Int32, show func(ctx context.Context) (string, error)) pagelet.Pagelet {
	return pagelet.Pagelet{
		ID: id,
		Load: func(ctx context.Context) (templ.Component, error) {
			calls.Add(1)
			s, err := show(ctx)
			if err != nil {
				return nil, err
			}
			return text(s), nil
		},
		Cache: pagelet.Cache{Fresh: time.Hour},
	}
}

func newCache(t testing.TB) *cache.Cache {
	t.Helper()
	c, err := cache.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// TestCachedPageIsOneWrite checks the stream of a page whose pagelets are
// all cached: in every mode it goes out as one document in one write (and
// its flush), each pagelet in place, and no Load runs.
func TestCachedPageIsOneWrite(t *testing.T) {
	for _, mode := range []render.Mode{render.Pipelined, render.Native, render.InOrder, render.Serial} {
		t.Run(mode.String(), func(t *testing.T) {
			var calls atomic.Int32
			var pls []pagelet.Pagelet
			for _, id := range []string{"a", "b", "c"} {
				pls = append(pls, counted(id, &calls, func(context.Context) (string, error) { return marker(id), nil }))
			}
			page := pageOf(pls...)
			rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithCache(newCache(t)))
			if err != nil {
				t.Fatal(err)
			}
			h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil },
				render.WithModeFunc(func(*http.Request) (render.Mode, error) { return mode, nil }))
			serveOnce := func() *countingWriter {
				w := &countingWriter{ResponseRecorder: httptest.NewRecorder(), wrote: make(chan struct{}, 16)}
				h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				return w
			}
			serveOnce() // fills the cache
			if n := calls.Load(); n != 3 {
				t.Fatalf("first page ran %d Loads, want 3", n)
			}
			w := serveOnce()
			if n := calls.Load(); n != 3 {
				t.Errorf("cached page ran %d more Loads", n-3)
			}
			if w.writes != 1 || w.flushes != 1 {
				t.Errorf("%d writes and %d flushes, want 1 and 1", w.writes, w.flushes)
			}
			body := w.Body.String()
			for _, id := range []string{"a", "b", "c"} {
				if !strings.Contains(body, marker(id)) {
					t.Errorf("pagelet %s missing", id)
				}
				if strings.Contains(body, payloadOf(id)) {
					t.Errorf("pagelet %s sent as a payload, not placed", id)
				}
			}
			if mode == render.Pipelined && strings.Count(body, `data-bigpipe="shown"`) != 3 {
				t.Errorf("want 3 pagelets placed in the skeleton:\n%s", body)
			}
			if !strings.HasSuffix(body, "</body></html>") {
				t.Error("document not closed")
			}
		})
	}
}

// readerFromHeader is a test middleware standing for a site's sessions:
// the X-Reader header names the reader.
func readerFromHeader(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Reader"); id != "" {
			r = r.WithContext(pagelet.WithReader(r.Context(), pagelet.Reader{ID: id, Session: "s-" + id}))
		}
		h.ServeHTTP(w, r)
	})
}

// TestCacheReaders checks that a cached fragment is never another
// reader's: a personal pagelet is cached per reader, and a shared one's
// Load sees no reader at all.
func TestCacheReaders(t *testing.T) {
	var personal, shared atomic.Int32
	hello := func(ctx context.Context) (string, error) { return "hello [" + pagelet.ReaderFrom(ctx).ID + "]", nil }
	mine := counted("mine", &personal, hello)
	mine.Personal = true
	page := pageOf(mine, counted("shared", &shared, hello))
	rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithCache(newCache(t)))
	if err != nil {
		t.Fatal(err)
	}
	h := readerFromHeader(rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil }))
	srv := httptestServer(t, h)
	visit := func(reader string) string {
		t.Helper()
		s := openWith(t, srv.URL, http.Header{"User-Agent": {googlebotUA}, "X-Reader": {reader}})
		if err := s.ReadAll(); err != nil {
			t.Fatal(err)
		}
		return string(s.Body())
	}
	for round := range 2 {
		for _, reader := range []string{"ann", "bob", ""} {
			body := visit(reader)
			if want := "hello [" + reader + "]"; !strings.Contains(body, want) {
				t.Errorf("round %d, reader %q: personal pagelet lacks %q:\n%s", round, reader, want, body)
			}
			for _, other := range []string{"ann", "bob"} {
				if other != reader && strings.Contains(body, "hello ["+other+"]") {
					t.Errorf("round %d: reader %q was served %q's fragment", round, reader, other)
				}
			}
			if strings.Count(body, "hello []") != 1+btoi(reader == "") {
				t.Errorf("round %d, reader %q: the shared pagelet saw a reader:\n%s", round, reader, body)
			}
		}
	}
	if n := personal.Load(); n != 3 {
		t.Errorf("personal pagelet loaded %d times for 3 readers over 2 rounds, want 3", n)
	}
	if n := shared.Load(); n != 1 {
		t.Errorf("shared pagelet loaded %d times, want 1", n)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCacheServerTiming checks that Server-Timing says how the cache
// served each pagelet settled before the first byte (the whole page, in
// the serial mode).
func TestCacheServerTiming(t *testing.T) {
	var calls atomic.Int32
	page := pageOf(counted("a", &calls, func(context.Context) (string, error) { return marker("a"), nil }))
	serial := render.WithModeFunc(func(*http.Request) (render.Mode, error) { return render.Serial, nil })
	srv := servePage(t, page, render.WithCache(newCache(t)), render.WithServerTiming(true), serial)
	for _, want := range []string{`pagelet;desc="a (cache miss)"`, `pagelet;desc="a (cache hit)"`} {
		s := get(t, srv.URL, googlebotUA)
		if got := s.Header.Get("Server-Timing"); !strings.Contains(got, want) {
			t.Errorf("Server-Timing %q lacks %q", got, want)
		}
	}
}

// TestCacheFailureIsNotStored checks that a Load that fails gives the
// request its fallback and stores nothing: the next request loads again.
func TestCacheFailureIsNotStored(t *testing.T) {
	var calls atomic.Int32
	p := counted("a", &calls, func(context.Context) (string, error) {
		if calls.Load() == 1 {
			return "", fmt.Errorf("backend down")
		}
		return marker("a"), nil
	})
	p.Fallback = func(error) templ.Component { return text("FALLBACK") }
	srv := servePage(t, pageOf(p), render.WithCache(newCache(t)))
	for i, want := range []string{"FALLBACK", marker("a"), marker("a")} {
		if body := string(get(t, srv.URL, googlebotUA).Body()); !strings.Contains(body, want) {
			t.Errorf("request %d lacks %q", i+1, want)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d Loads, want 2 (the failure, then one stored)", n)
	}
}

// TestCacheClientLeaves checks that a client that leaves while it waits
// for a shared Load cancels nothing for the others: the Load goes on, its
// context alive, and the request that waits with it gets its content.
func TestCacheClientLeaves(t *testing.T) {
	var calls atomic.Int32
	gate, started := make(chan struct{}), make(chan struct{}, 8)
	var loadErr atomic.Value
	p := counted("a", &calls, func(ctx context.Context) (string, error) {
		started <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			loadErr.Store(ctx.Err())
			return "", ctx.Err()
		}
		return marker("a"), nil
	})
	var arrived atomic.Int32
	c := newCache(t)
	srv := serve(t, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		arrived.Add(1)
		return pageOf(p), nil
	}, render.WithCache(c))
	ctx1, leave := context.WithCancel(context.Background())
	req1, _ := http.NewRequestWithContext(ctx1, "GET", srv.URL, nil)
	req1.Header.Set("User-Agent", googlebotUA)
	first := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req1)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		first <- err
	}()
	<-started // the first request's Load runs
	second := make(chan string, 1)
	go func() { second <- string(get(t, srv.URL, googlebotUA).Body()) }()
	for arrived.Load() < 2 { // the second request is in the handler: it will join the Load
		time.Sleep(time.Millisecond)
	}
	leave()
	if err := <-first; err == nil {
		t.Error("the first client's request did not end when it left")
	}
	close(gate)
	if body := <-second; !strings.Contains(body, marker("a")) {
		t.Errorf("the second request lacks the shared Load's content:\n%s", body)
	}
	if err := loadErr.Load(); err != nil {
		t.Errorf("the shared Load was cancelled: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d Loads, want 1", n)
	}
}

// cold is a served page of three cached pagelets, a, b and c, whose Loads
// count their calls and wait for gate; arrived counts the requests that
// reached the page function.
type cold struct {
	srv     *httptest.Server
	calls   [3]atomic.Int32
	arrived atomic.Int32
	gate    chan struct{}
}

func serveCold(t *testing.T, opts ...render.Option) *cold {
	c := &cold{gate: make(chan struct{})}
	var pls []pagelet.Pagelet
	for i, id := range []string{"a", "b", "c"} {
		pls = append(pls, counted(id, &c.calls[i], func(ctx context.Context) (string, error) {
			select {
			case <-c.gate:
				return marker(id), nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}))
	}
	c.srv = serve(t, func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		c.arrived.Add(1)
		return pageOf(pls...), nil
	}, opts...)
	return c
}

// TestCacheColdHerd checks that many concurrent requests for a cold page
// share one Load per pagelet, and every response is whole.
func TestCacheColdHerd(t *testing.T) {
	const requests = 500
	c := serveCold(t, render.WithCache(newCache(t)))
	srv, calls, arrived, gate := c.srv, &c.calls, &c.arrived, c.gate
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: requests}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	bodies := make([]string, requests)
	errs := make([]error, requests)
	for i := range requests {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			req.Header.Set("User-Agent", chromeUA)
			resp, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			bodies[i], errs[i] = string(b), err
		})
	}
	for arrived.Load() < requests {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	for i := range requests {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		for _, id := range []string{"a", "b", "c"} {
			if !strings.Contains(bodies[i], marker(id)) || !strings.HasSuffix(bodies[i], "</body></html>") {
				t.Fatalf("request %d incomplete (pagelet %s):\n%s", i, id, bodies[i])
			}
		}
	}
	for i, id := range []string{"a", "b", "c"} {
		if n := calls[i].Load(); n != 1 {
			t.Errorf("pagelet %s: %d Loads for %d concurrent requests, want 1", id, n, requests)
		}
	}
}

// TestCacheWildcardRouteWarns checks that a pagelet cached under the
// default key on a route with wildcards, where every match would share one
// fragment, is reported once.
func TestCacheWildcardRouteWarns(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	var calls atomic.Int32
	rd, err := render.New(testAssets(t), render.WithLogger(log), render.WithCache(newCache(t)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/article/{slug}", rd.Page(func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		slug := r.PathValue("slug")
		return pageOf(counted("body", &calls, func(context.Context) (string, error) { return "article " + slug, nil })), nil
	}))
	mux.Handle("/{$}", rd.Page(func(_ http.ResponseWriter, r *http.Request) (*pagelet.Page, error) { // {$} only anchors the end: no warning
		return pageOf(counted("front", &calls, func(context.Context) (string, error) { return "front", nil })), nil
	}))
	srv := httptestServer(t, mux)
	get(t, srv.URL+"/", googlebotUA)
	get(t, srv.URL+"/article/one", googlebotUA)
	get(t, srv.URL+"/article/two", googlebotUA)
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "cached pagelet keyed by a route with wildcards"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCheckCachePolicies checks that Check reports a cache policy the
// renderer cannot follow.
func TestCheckCachePolicies(t *testing.T) {
	withCache, err := render.New(testAssets(t), render.WithCache(newCache(t)))
	if err != nil {
		t.Fatal(err)
	}
	without, err := render.New(testAssets(t))
	if err != nil {
		t.Fatal(err)
	}
	policy := func(c pagelet.Cache) *pagelet.Page {
		return pageOf(pagelet.Pagelet{ID: "a", Load: pagelet.Static(text("a")), Cache: c})
	}
	tests := []struct {
		name string
		rd   *render.Renderer
		page *pagelet.Page
		want string // "" for no problem
	}{
		{"cached", withCache, policy(pagelet.Cache{Fresh: time.Minute, Tags: []string{"x"}}), ""},
		{"not cached", without, policy(pagelet.Cache{}), ""},
		{"no cache", without, policy(pagelet.Cache{Fresh: time.Minute}), "the renderer has no cache"},
		{"negative", withCache, policy(pagelet.Cache{Fresh: time.Minute, Stale: -time.Second}), "negative duration"},
		{"no Fresh", withCache, policy(pagelet.Cache{StaleIfError: time.Minute, Tags: []string{"x"}}), "no Fresh duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rd.Check(tc.page)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.want != "" && (!errors.Is(err, render.ErrNotCached) || !strings.Contains(fmt.Sprint(err), tc.want)):
				t.Errorf("Check: %v, want ErrNotCached saying %q", err, tc.want)
			}
		})
	}
}

// TestCacheWaitersHoldNoBudget checks that requests waiting for a shared
// Load hold none of the process-wide budget: fifty cold pages of three
// cached pagelets, under a budget of four pagelets, are all served (none
// shed), with one Load per pagelet, which do take fetch slots.
func TestCacheWaitersHoldNoBudget(t *testing.T) {
	const requests = 50
	c := serveCold(t, render.WithCache(newCache(t)), render.WithLimits(render.Limits{Fetches: 2, Queue: 2}))
	srv, calls, arrived, gate := c.srv, &c.calls, &c.arrived, c.gate
	var wg sync.WaitGroup
	status := make([]int, requests)
	for i := range requests {
		wg.Go(func() {
			s := openWith(t, srv.URL, http.Header{"User-Agent": {googlebotUA}})
			status[i] = s.Status
			_ = s.ReadAll()
		})
	}
	for arrived.Load() < requests {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	for i, st := range status {
		if st != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200 (a waiter held budget)", i, st)
		}
	}
	for i, id := range []string{"a", "b", "c"} {
		if n := calls[i].Load(); n != 1 {
			t.Errorf("pagelet %s: %d Loads, want 1", id, n)
		}
	}
}

// TestCacheLoadsKeepTheNonce checks that the shared Loads of a page's
// cached pagelets, run at once under a CSP, see no nonce and leave the
// page's own alone: its layout, rendered after them, still has it.
func TestCacheLoadsKeepTheNonce(t *testing.T) {
	var calls atomic.Int32
	var pls []pagelet.Pagelet
	nonceSeen := make(chan string, 8)
	for _, id := range []string{"a", "b", "c", "d"} {
		pls = append(pls, counted(id, &calls, func(ctx context.Context) (string, error) {
			nonceSeen <- templ.GetNonce(ctx)
			return marker(id), nil
		}))
	}
	page := pageOf(pls...)
	layout := page.Layout
	page.Layout = func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			for range 4 { // every shared Load has run
				if n := <-nonceSeen; n != "" {
					t.Errorf("a shared Load saw the nonce %q", n)
				}
			}
			if _, err := io.WriteString(w, "<p>nonce="+templ.GetNonce(ctx)+"</p>"); err != nil {
				return err
			}
			return layout(slot).Render(ctx, w)
		})
	}
	srv := servePage(t, page, render.WithCache(newCache(t)), render.WithCSP(true))
	s := get(t, srv.URL, googlebotUA)
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(s.Header.Get("Content-Security-Policy"))
	if m == nil {
		t.Fatalf("no nonce in the policy %q", s.Header.Get("Content-Security-Policy"))
	}
	if body := string(s.Body()); !strings.Contains(body, "<p>nonce="+m[1]+"</p>") {
		t.Errorf("the layout lost the page's nonce %s:\n%s", m[1], body)
	}
}
