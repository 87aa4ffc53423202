package shutdown_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/shutdown"
)

// TestLiveDrain runs the sequence on a real server with a real live engine:
// readiness turns 503 at once; every SSE client is told to reconnect
// (centrifuge's 3001) at moments spread over the window, none after it; a
// page running meanwhile finishes whole; Shutdown returns nil once it has.
// The moments are when the clients read their disconnects, which a loaded
// machine delays: the checks allow a second's stall and look at halves of
// the window only.
func TestLiveDrain(t *testing.T) {
	const (
		clients = 20
		window  = 2 * time.Second
		slack   = time.Second
	)
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	eng, err := live.New(site, live.WithSecret([]byte("shutdown test")), live.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	live.State(eng, "scores", func(s string) templ.Component { return templ.Raw(s) })
	page := newGatedPage(false)
	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	mux.Handle("GET /{$}", page)
	ts := httptest.NewUnstartedServer(mux)
	sd := shutdown.New(ts.Config, shutdown.WithLive(eng), shutdown.WithWindow(window),
		shutdown.WithTimeout(30*time.Second), shutdown.WithLogger(log))
	mux.Handle("GET /readyz", sd.Ready())
	began := make(chan struct{})
	sd.OnShutdown(func() { close(began) })
	ts.Start()
	t.Cleanup(ts.Close)

	tok, err := eng.Token("scores")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{"token": tok}})
	if err != nil {
		t.Fatal(err)
	}
	told := make(chan time.Time, clients) // when each client read its 3001
	for range clients {
		body := get(t, ts.Client(), ts.URL+eng.Path()+"sse?cf_connect="+url.QueryEscape(string(cmd)))
		sc := bufio.NewScanner(body)
		for sc.Scan() && !strings.Contains(sc.Text(), `"connect":{"client"`) {
		}
		go func() {
			defer body.Close()
			for sc.Scan() {
				if strings.Contains(sc.Text(), `"code":3001`) {
					told <- time.Now()
					return
				}
			}
		}()
	}
	res := get(t, ts.Client(), ts.URL+"/")
	<-page.started

	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- sd.Shutdown(context.Background()) }()
	<-began
	if code, body := getStatus(t, ts.Client(), ts.URL+"/readyz"); code != 503 || body != "draining\n" {
		t.Errorf("/readyz once Shutdown began: %d %q, want 503 draining", code, body)
	}
	var at []time.Duration
	for range clients {
		select {
		case when := <-told:
			at = append(at, when.Sub(start))
		case <-time.After(window + 5*time.Second):
			t.Fatalf("%d of %d clients told to reconnect within %v", len(at), clients, window+5*time.Second)
		}
	}
	close(page.release)
	rest, err := io.ReadAll(res)
	if err != nil || !strings.HasSuffix(string(rest), "</html>") {
		t.Errorf("the page running through the drain: %v, ends %q; want it whole", err, rest[max(0, len(rest)-20):])
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown still running 10 s after the page finished")
	}
	slices.Sort(at)
	first, last := at[0], at[len(at)-1]
	if last > window+slack {
		t.Errorf("last client told %v after Shutdown began, past the %v window", last, window)
	}
	if early := slices.IndexFunc(at, func(d time.Duration) bool { return d >= window/2 }); early <= 0 || early == len(at) {
		t.Errorf("clients told at %v: want some in each half of the %v window", at, window)
	}
	t.Logf("%d clients told between %v and %v", clients, first.Round(time.Millisecond), last.Round(time.Millisecond))
}

// get starts a GET of u with c and returns its body, closed when t ends.
func get(t *testing.T, c *http.Client, u string) io.ReadCloser {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s", u, res.Status)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res.Body
}

// getStatus returns the status and body of a GET of u with c.
func getStatus(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
