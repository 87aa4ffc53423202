package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pageGrant matches the live grant in a pipelined page's setup.
var pageGrant = regexp.MustCompile(`"live":\{"src":"[^"]+","url":"([^"]+)","token":"([^"]+)"\}`)

// frontPageToken loads the front page of base as a browser and returns
// the live token it was given.
func frontPageToken(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/", nil)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := pageGrant.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("front page (%s) has no live grant", resp.Header.Get("X-BigPipe-Mode"))
	}
	return m[2]
}

// liveStream is an SSE connection to a server's live endpoint, read line
// by line: the data of each message.
type liveStream struct {
	msgs chan string // closed when the stream ends
	stop context.CancelFunc
}

// openLive connects to base's live SSE endpoint with token, subscribing
// to nothing more than the token grants. It disconnects when t ends.
func openLive(t *testing.T, base, token string) *liveStream {
	t.Helper()
	connect, _ := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{"token": token}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_live/sse?cf_connect="+url.QueryEscape(string(connect)), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		t.Fatalf("live SSE: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &liveStream{msgs: make(chan string, 256), stop: cancel}
	go func() {
		defer close(s.msgs)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				s.msgs <- d
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range s.msgs { // until the reader has returned
		}
	})
	return s
}

// until returns the first message containing want, failing after d.
func (s *liveStream) until(t *testing.T, want string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	var seen []string // the messages before it, for the failure
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("live stream ended before a message with %q; it sent:\n%s", want, strings.Join(seen, "\n"))
			}
			if strings.Contains(m, want) {
				return m
			}
			seen = append(seen, m)
		case <-deadline:
			t.Fatalf("no live message with %q in %v; it sent:\n%s", want, d, strings.Join(seen, "\n"))
		}
	}
}

// TestLiveSecret runs two servers: a token from one server's page connects
// to the other when both have the same -live-secret, and is refused as
// invalid (3500) when each has its own.
func TestLiveSecret(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   []string
		accept bool
	}{
		{"shared", []string{"-live-secret", "s3cret", "-live-sim=false"}, []string{"-live-secret", "s3cret", "-live-sim=false"}, true},
		{"different", []string{"-live-secret", "one", "-live-sim=false"}, []string{"-live-secret", "two", "-live-sim=false"}, false},
		{"random per process", []string{"-live-sim=false"}, []string{"-live-sim=false"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := startRun(t, tc.a...), startRun(t, tc.b...)
			s := openLive(t, b.base, frontPageToken(t, a.base))
			first := s.until(t, "", 10*time.Second)
			if accepted := strings.Contains(first, `"connect":{"client"`); accepted != tc.accept {
				t.Errorf("token of another instance accepted = %v, want %v: %s", accepted, tc.accept, first)
			}
			if !tc.accept && !strings.Contains(first, `"code":3500`) {
				t.Errorf("refusal %s, want disconnect code 3500 (invalid token)", first)
			}
		})
	}
}

// TestLiveOrigins opens live WebSockets with several Origin headers: the
// page's own host is always allowed, an origin named by -live-origins
// too, and any other is refused before the upgrade.
func TestLiveOrigins(t *testing.T) {
	srv := startRun(t, "-live-sim=false", "-live-origins", "https://news.example")
	host := strings.TrimPrefix(srv.base, "http://")
	for _, tc := range []struct {
		origin string
		status int
	}{
		{"http://" + host, http.StatusSwitchingProtocols},
		{"https://news.example", http.StatusSwitchingProtocols},
		{"https://evil.example", http.StatusForbidden},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.base+"/_live/ws", nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			req.Header.Set("Origin", tc.origin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close() // for 101, closes the connection
			if resp.StatusCode != tc.status {
				t.Errorf("Origin %s: %d, want %d", tc.origin, resp.StatusCode, tc.status)
			}
			// The engine has let go of the connection (before the
			// shutdown, which would wait for a closing handshake).
			waitMetrics(t, srv.base+"/metrics", `bigpipe_live_connections{transport="websocket"} 0`)
		})
	}
}

// TestRedisUnusable: a -redis URL the engine cannot use stops the start
// with an error naming it, its password hidden.
func TestRedisUnusable(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:6379", "redis+sentinel://:hunter2@127.0.0.1:26379/0"} {
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			args := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "news.db"), "-log-level", "error", "-redis", u, "-live-secret", "s"}
			err := run(context.Background(), args, func(string, string) { t.Errorf("-redis %s: the server started", u) })
			if err == nil || !strings.HasPrefix(err.Error(), "-redis: live: WithRedis: ") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("-redis %s: error %v, want one naming it, its password hidden", u, err)
			}
		})
	}
}

// TestRedisUnreachableStarts: a -redis nothing answers at does not stop
// the start (issue 26): the server serves pages, and /healthz says 200
// degraded, saying why.
func TestRedisUnreachableStarts(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	args := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "news.db"), "-log-level", "error",
		"-redis", "redis://127.0.0.1:1/0", "-live-secret", "s", "-live-sim=false"}
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, args, func(addr, _ string) { addrc <- addr }) }()
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case err := <-errc:
		t.Fatalf("run with Redis unreachable: %v", err)
	}
	if status, body := getBody(t, base, "/healthz"); status != http.StatusOK || !strings.Contains(body, "degraded: live broker unreachable") {
		t.Errorf("/healthz with Redis unreachable: %d %q, want 200 degraded", status, body)
	}
	if status, body := getBody(t, base, "/"); status != http.StatusOK || !strings.Contains(body, "</html>") {
		t.Errorf("front page with Redis unreachable: %d, %d bytes", status, len(body))
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("run: %v", err)
	}
}
