package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/internal/wire"
)

// TestShutdownEndsLiveConnections stops the server while a live client is
// connected: the client is told to reconnect (centrifuge's shutdown
// disconnect, code 3001) and its stream ends, and run returns long before
// the -drain bound, which an open SSE stream would otherwise use up.
func TestShutdownEndsLiveConnections(t *testing.T) {
	srv := startRun(t, "-drain", "20s")
	s := openLive(t, srv.base, frontPageToken(t, srv.base))
	s.until(t, `"connect":{"client"`, 10*time.Second)
	stopped := time.Now()
	srv.stop()
	s.until(t, `"code":3001`, 10*time.Second)
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run still running 10 s after the stop with a live client connected")
	}
	t.Logf("run returned %v after the stop", time.Since(stopped).Round(time.Millisecond))
}

// TestShutdown asks the server to stop while a page waits on a slow
// backend. With a long enough -drain the page completes and run returns
// once it has, well before the drain would have ended; with a short one the
// page is cut (the client sees a truncated body, not a clean end) at the
// drain deadline, 100 ms after the stop, where the finance pagelet would
// have taken its 3 s timeout. The bounds on run's return are for a hang,
// not a speed: wide (15 s, a 30 s drain) so that a slow machine cannot fail
// them.
func TestShutdown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		latency  string        // the finance backend's
		drain    string        // -drain
		complete bool          // whether the page completes
		within   time.Duration // run returns this soon after the stop
	}{
		{"drained", "finance=1s", "30s", true, 15 * time.Second},
		{"cut", "finance=5s", "100ms", false, 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRun(t, "-latency", tc.latency, "-drain", tc.drain)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			s, err := wire.Open(ctx, srv.base+"/", nil) // returns once the head is out: the page is running
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Status != 200 {
				t.Fatalf("GET /: %d", s.Status)
			}
			stopped := time.Now()
			srv.stop()
			err = s.ReadAll()
			read := time.Since(stopped)
			body := string(s.Body())
			whole := err == nil && strings.HasSuffix(body, "</html>")
			if whole != tc.complete {
				t.Errorf("page complete = %v (read error %v, %d bytes), want %v", whole, err, len(body), tc.complete)
			}
			if !tc.complete && strings.HasSuffix(body, "</html>") {
				t.Error("a cut page ends like a whole one")
			}
			select {
			case err := <-srv.done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(tc.within):
				t.Fatalf("run still running %v after the stop", tc.within)
			}
			t.Logf("-drain %s, %s: body ended %v after the stop (err %v), run returned after %v",
				tc.drain, tc.latency, read.Round(time.Millisecond), err, time.Since(stopped).Round(time.Millisecond))
		})
	}
}

// TestHealthzDegraded: /healthz stays 200 while Redis does not answer, and
// says "degraded" then, when pages are still served whole (their live
// pagelets do not wait on Redis, which would make them fall back at the
// site's 3 s pagelet timeout); it says "ok" again once Redis is back.
func TestHealthzDegraded(t *testing.T) {
	r := redistest.Start(t)
	srv := startRun(t, "-redis", r.URL, "-live-secret", "main test secret", "-live-sim=false")
	if s, b := getBody(t, srv.base, "/healthz"); s != 200 || b != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 ok", s, b)
	}
	r.Pause(t)
	waitBody(t, srv.base, "/healthz", 200, "degraded: live broker unreachable since ", 10*time.Second)
	if s, b := getBody(t, srv.base, "/"); s != 200 || strings.Contains(b, "temporarily unavailable") {
		t.Errorf("front page while Redis is paused: %d, fallbacks %v; want 200 without waiting on Redis", s, strings.Contains(b, "temporarily unavailable"))
	}
	r.Resume(t)
	waitBody(t, srv.base, "/healthz", 200, "ok\n", 15*time.Second)
}

// TestDrainSequence: on SIGTERM /readyz says draining at once while pages
// are still served; live clients are told to reconnect (3001) within the
// drain window; then the server exits. The drain window is 3 s, wide
// enough that the page the test asks for during it arrives in it on a slow
// machine too. (Redis has no outage here: for 10 s after one the engine
// may tell a client to resync, with another code, which would race the
// drain's; TestHealthzDegraded has the outage.)
func TestDrainSequence(t *testing.T) {
	r := redistest.Start(t)
	srv := startRun(t, "-redis", r.URL, "-live-secret", "main test secret", "-live-drain-window", "3s", "-live-sim=false")
	if s, b := getBody(t, srv.base, "/readyz"); s != 200 || b != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200 ready", s, b)
	}
	live := openLive(t, srv.base, frontPageToken(t, srv.base))
	live.until(t, `"connect":{"client"`, 10*time.Second)
	stopped := time.Now()
	srv.stop()
	waitBody(t, srv.base, "/readyz", 503, "draining\n", 3*time.Second)
	if s, _ := getBody(t, srv.base, "/"); s != 200 {
		t.Errorf("a page during the live drain: %d, want 200", s)
	}
	live.until(t, `"code":3001`, 10*time.Second) // reconnect
	if d := time.Since(stopped); d > 5*time.Second {
		t.Errorf("live client told to go %v after the stop, well past the 3 s window", d)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit after the drain")
	}
}
