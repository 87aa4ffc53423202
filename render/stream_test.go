package render_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/a-h/templ"
	"go.uber.org/goleak"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// TestSkeletonBeforeAnyFetch holds every pagelet back and checks that the
// whole skeleton (head, placeholders, resource map) still arrives.
func TestSkeletonBeforeAnyFetch(t *testing.T) {
	defer goleak.VerifyNone(t)
	gate := make(chan struct{})
	srv := servePage(t, pageOf(gated("a", gate), gated("b", gate)))
	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until("bigPipe.setup("); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Until("</script>\n"); err != nil {
		t.Fatal(err)
	}
	body := string(s.Body())
	for _, want := range []string{
		"<!DOCTYPE html>", "<title>Test</title>", `<link rel="stylesheet" href="/static/site.`,
		`<div id="a" class="pagelet" data-bigpipe="pending" aria-busy="true" aria-live="polite">loading a</div>`,
		`"pagelets":["a","b"]`, "<noscript>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("skeleton lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "bigPipe.onPageletArrive(") {
		t.Errorf("a payload arrived before any fetch finished")
	}
	if got := s.Header.Get("X-BigPipe-Mode"); got != "pipelined" {
		t.Errorf("X-BigPipe-Mode = %q, want pipelined", got)
	}
	close(gate)
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
}

// TestCompletionOrder releases pagelets in an order unrelated to the
// document order and checks each payload arrives before the next is released.
func TestCompletionOrder(t *testing.T) {
	defer goleak.VerifyNone(t)
	ids := []string{"a", "b", "c", "d"}
	gates := map[string]chan struct{}{}
	var pls []pagelet.Pagelet
	for _, id := range ids {
		gates[id] = make(chan struct{})
		pls = append(pls, gated(id, gates[id]))
	}
	srv := servePage(t, pageOf(pls...))
	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until("bigPipe.setup("); err != nil {
		t.Fatal(err)
	}
	release := []string{"c", "a", "d", "b"}
	for k, id := range release {
		close(gates[id])
		if _, err := s.Until(payloadOf(id)); err != nil {
			t.Fatal(err)
		}
		for _, later := range release[k+1:] {
			if bytes.Contains(s.Body(), []byte(payloadOf(later))) {
				t.Fatalf("%s arrived before it was released", later)
			}
		}
	}
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(s.Body(), []byte("</body></html>")) {
		t.Errorf("body does not end with </body></html>")
	}
	srv.Close()
}

// TestPriorityBreaksTies makes every pagelet ready before the handler reads
// any result and checks they are flushed by descending priority. It runs in
// a synctest bubble: the layout waits until every pagelet goroutine has
// sent its result and ended, with no sleep.
func TestPriorityBreaksTies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		prio := map[string]int{"low": 0, "high": 10, "mid": 5}
		var pls []pagelet.Pagelet
		for _, id := range []string{"low", "high", "mid"} {
			pls = append(pls, pagelet.Pagelet{ID: id, Priority: prio[id], Load: pagelet.Static(text(marker(id)))})
		}
		page := settled(pageOf(pls...)) // every Load has returned and its result is on the channel
		rd, err := render.New(testAssets(t), render.WithLogger(discard()), render.WithRuntime("bigpipe.js"))
		if err != nil {
			t.Fatal(err)
		}
		h := rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) { return page, nil }, render.WithPayloadsOnly(true))
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("User-Agent", chromeUA)
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		h1, m, l := strings.Index(body, payloadOf("high")), strings.Index(body, payloadOf("mid")), strings.Index(body, payloadOf("low"))
		if !(h1 >= 0 && h1 < m && m < l) {
			t.Errorf("payload order high=%d mid=%d low=%d, want high < mid < low", h1, m, l)
		}
	})
}

// TestLastByteIsSlowestNotSum runs real delays: the page ends at about the
// slowest pagelet, not at the sum of all.
func TestLastByteIsSlowestNotSum(t *testing.T) {
	delays := []time.Duration{400, 100, 300, 200}
	var pls []pagelet.Pagelet
	var sum, slowest time.Duration
	for i, d := range delays {
		d *= time.Millisecond
		sum += d
		slowest = max(slowest, d)
		pls = append(pls, delayed(string(rune('a'+i)), d))
	}
	srv := servePage(t, pageOf(pls...))
	for _, mode := range []string{"pipelined", "inorder"} {
		t.Run(mode, func(t *testing.T) {
			ua := chromeUA
			if mode == "inorder" {
				ua = googlebotUA
			}
			s := get(t, srv.URL, ua)
			if s.FirstByte > slowest/4 {
				t.Errorf("first byte at %v, want well before the fastest pagelet", s.FirstByte)
			}
			if last := s.LastByte(); last < slowest || last > sum*3/4 {
				t.Errorf("last byte at %v, want about %v (slowest), far from %v (sum)", last, slowest, sum)
			}
		})
	}
}

// TestFailureIsolation breaks one pagelet in each way a pagelet can break
// and checks that it shows its fallback while its siblings are intact.
func TestFailureIsolation(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// The context-ignoring Loads outlive their page until released, just
	// before the leak check (deferred after it, so it runs first).
	release := make(chan struct{})
	defer close(release)
	tests := []struct {
		name    string
		broken  pagelet.Pagelet
		maxTime time.Duration
	}{
		{"error", pagelet.Pagelet{Load: func(context.Context) (templ.Component, error) {
			return nil, errors.New("backend down")
		}}, 5 * time.Second},
		{"panic in Load", pagelet.Pagelet{Load: func(context.Context) (templ.Component, error) {
			panic("boom")
		}}, 5 * time.Second},
		{"panic in component", pagelet.Pagelet{Load: pagelet.Static(templ.ComponentFunc(func(context.Context, io.Writer) error {
			var m map[string]int
			//lint:ignore SA5000 the nil map write is the panic under test
			m["x"]++
			return nil
		}))}, 5 * time.Second},
		{"component fails half-way", pagelet.Pagelet{Load: pagelet.Static(templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			_, _ = io.WriteString(w, "PARTIAL-OUTPUT")
			return errors.New("template error")
		}))}, 5 * time.Second},
		{"nil component", pagelet.Pagelet{Load: func(context.Context) (templ.Component, error) { return nil, nil }}, 5 * time.Second},
		{"timeout", pagelet.Pagelet{Timeout: 100 * time.Millisecond, Load: func(ctx context.Context) (templ.Component, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}, 2 * time.Second},
		{"ignores its context", pagelet.Pagelet{Timeout: 100 * time.Millisecond, Load: func(context.Context) (templ.Component, error) {
			<-release
			return text("too late"), nil
		}}, 1 * time.Second},
		{"fallback panics too", pagelet.Pagelet{
			Load:     func(context.Context) (templ.Component, error) { return nil, errors.New("down") },
			Fallback: func(error) templ.Component { panic("fallback boom") },
		}, 5 * time.Second},
	}
	for _, tc := range tests {
		for _, ua := range []string{chromeUA, googlebotUA} {
			t.Run(tc.name+"/"+ua[:10], func(t *testing.T) {
				broken := tc.broken
				broken.ID = "broken"
				srv := servePage(t, pageOf(delayed("before", 20*time.Millisecond), broken, delayed("after", 50*time.Millisecond)))
				s := get(t, srv.URL, ua)
				body := string(s.Body())
				for _, want := range []string{marker("before"), marker("after"), "This section could not be loaded.", "</body></html>"} {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q", want)
					}
				}
				for _, bad := range []string{"PARTIAL-OUTPUT", "too late", "boom"} {
					if strings.Contains(body, bad) {
						t.Errorf("page contains %q", bad)
					}
				}
				if s.LastByte() > tc.maxTime {
					t.Errorf("page took %v, want under %v", s.LastByte(), tc.maxTime)
				}
			})
		}
	}
}

// TestCustomFallback shows a pagelet's own fallback with the error at hand.
func TestCustomFallback(t *testing.T) {
	p := pagelet.Pagelet{
		ID:       "x",
		Load:     func(context.Context) (templ.Component, error) { return nil, errors.New("db down") },
		Fallback: func(err error) templ.Component { return text("custom fallback: " + err.Error()) },
	}
	body := string(get(t, servePage(t, pageOf(p)).URL, chromeUA).Body())
	if !strings.Contains(body, `custom fallback: render: pagelet &#34;x&#34;: db down`) {
		t.Errorf("custom fallback missing:\n%s", body)
	}
}

// TestDisconnectCancelsFetches closes the connection after the skeleton and
// checks every running fetch sees its context cancelled at once and nothing
// is left running.
func TestDisconnectCancelsFetches(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 4
	started := make(chan struct{}, n)
	cancelled := make(chan string, n)
	var pls []pagelet.Pagelet
	for i := range n {
		id := string(rune('a' + i))
		pls = append(pls, pagelet.Pagelet{ID: id, Timeout: time.Minute, Load: func(ctx context.Context) (templ.Component, error) {
			started <- struct{}{}
			<-ctx.Done()
			cancelled <- id
			return nil, ctx.Err()
		}})
	}
	srv := servePage(t, pageOf(pls...))
	s := open(t, srv.URL, chromeUA)
	if _, err := s.Until("bigPipe.setup("); err != nil {
		t.Fatal(err)
	}
	for range n {
		<-started
	}
	s.Close()
	deadline := time.After(5 * time.Second)
	for range n {
		select {
		case <-cancelled:
		case <-deadline:
			t.Fatal("fetches still running 5s after the client left")
		}
	}
	srv.Close()
}

// TestPageTimeoutAborts checks that a page cut short after its first byte
// ends in a broken connection, not in a clean end of a truncated document.
func TestPageTimeoutAborts(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	slow := gated("slow", gate)
	slow.Timeout = time.Minute
	srv := servePage(t, pageOf(delayed("fast", 0), slow), render.WithPageTimeout(200*time.Millisecond))
	for _, ua := range []string{chromeUA, googlebotUA} {
		s := open(t, srv.URL, ua)
		err := s.ReadAll()
		if err == nil {
			t.Errorf("%s: truncated page ended cleanly:\n%s", ua[:10], s.Body())
		}
		if bytes.Contains(s.Body(), []byte("</html>")) {
			t.Errorf("%s: aborted page contains </html>", ua[:10])
		}
	}
}

// TestPreflight covers what the page func decides before the first byte.
func TestPreflight(t *testing.T) {
	pf := func(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return nil, nil
		case "/missing":
			http.NotFound(w, r)
			return nil, nil
		case "/error":
			return nil, errors.New("database unreachable")
		case "/dup":
			return pageOf(delayed("a", 0), delayed("a", 0)), nil
		case "/unplaced":
			p := pageOf(delayed("a", 0), delayed("b", 0))
			p.Layout = listLayout("a")
			return p, nil
		case "/twice":
			p := pageOf(delayed("a", 0))
			p.Layout = listLayout("a", "a")
			return p, nil
		case "/unknown-asset":
			p := pageOf(delayed("a", 0))
			p.Pagelets[0].CSS = []string{"nope.css"}
			return p, nil
		case "/cookie":
			http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1"})
		}
		return pageOf(delayed("a", 0)), nil
	}
	srv := serve(t, pf)
	tests := []struct {
		path, wantHeader, wantValue string
		want                        int
	}{
		{"/redirect", "Location", "/elsewhere", http.StatusFound},
		{"/missing", "", "", http.StatusNotFound},
		{"/error", "", "", http.StatusInternalServerError},
		{"/dup", "", "", http.StatusInternalServerError},
		{"/unplaced", "", "", http.StatusInternalServerError},
		{"/twice", "", "", http.StatusInternalServerError},
		{"/unknown-asset", "", "", http.StatusInternalServerError},
		{"/cookie", "Set-Cookie", "seen=1", http.StatusOK},
		{"/?nojs=maybe", "", "", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			s := get(t, srv.URL+tc.path, chromeUA)
			if s.Status != tc.want {
				t.Errorf("status %d, want %d", s.Status, tc.want)
			}
			if tc.wantHeader != "" && s.Header.Get(tc.wantHeader) != tc.wantValue {
				t.Errorf("%s = %q, want %q", tc.wantHeader, s.Header.Get(tc.wantHeader), tc.wantValue)
			}
			if tc.want >= 500 && bytes.Contains(s.Body(), []byte("database")) {
				t.Errorf("error details leaked to the client: %s", s.Body())
			}
		})
	}
}
