package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
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
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("live stream ended before a message with %q", want)
			}
			if strings.Contains(m, want) {
				return m
			}
		case <-deadline:
			t.Fatalf("no live message with %q in %v", want, d)
		}
	}
}

// TestLiveFlags checks what the live flags and their environment variable
// set.
func TestLiveFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     string // BIGPIPE_LIVE_SECRET
		args    []string
		secret  string
		origins []string
		sim     bool
	}{
		{"defaults", "", nil, "", nil, true},
		{"secret from env", "from-env", nil, "from-env", nil, true},
		{"flag over env", "from-env", []string{"-live-secret", "from-flag"}, "from-flag", nil, true},
		{"sim off", "", []string{"-live-sim=false"}, "", nil, false},
		{"origins", "", []string{"-live-origins", " https://news.example, http://localhost:3000/ ,"}, "", []string{"https://news.example", "http://localhost:3000"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BIGPIPE_LIVE_SECRET", tc.env)
			c, err := parseFlags(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.liveSecret != tc.secret || !slices.Equal(c.liveOrigins, tc.origins) || c.liveSim != tc.sim {
				t.Errorf("secret %q, origins %q, sim %v; want %q, %q, %v", c.liveSecret, c.liveOrigins, c.liveSim, tc.secret, tc.origins, tc.sim)
			}
		})
	}
	for _, args := range [][]string{{"-live-origins", "news.example"}, {"-live-origins", "ftp://news.example"}, {"-live-origins", "https://news.example/path"}, {"-live-sim=maybe"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags %q: no error", args)
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

// TestLiveSimPublishes runs the server as `go run .` does: a visitor's
// live connection gets a change of the front page within ten seconds, and
// /metrics shows the engine's metrics beside the renderer's.
func TestLiveSimPublishes(t *testing.T) {
	srv := startRun(t)
	s := openLive(t, srv.base, frontPageToken(t, srv.base))
	s.until(t, `"connect":{"client"`, 10*time.Second)
	start := time.Now()
	push := s.until(t, `"push":{"channel":"markets"`, 10*time.Second)
	t.Logf("first markets publication %v after connecting", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(push, `pl-finance`) {
		t.Errorf("markets publication without the finance pagelet: %.300s", push)
	}
	waitMetrics(t, srv.base+"/metrics", `bigpipe_live_connections{transport="sse"} 1`)
	_, body := fetch(t, srv.base+"/metrics")
	for _, want := range []string{"bigpipe_live_publications_total", "centrifuge_", "bigpipe_requests_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

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

// TestLogsLiveSim starts the command itself and reads its log up to the
// "serving" line: with -live-sim (the default) the simulator says it is
// on; with -live-sim=false it does not; without -live-secret the random
// secret is logged as such (never its value).
func TestLogsLiveSim(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		sim, rand bool
	}{
		{"default", nil, true, true},
		{"off, with a secret", []string{"-live-sim=false", "-live-secret", "hunter2"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "news.db")}, tc.args...)
			cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
			cmd.Env = append(os.Environ(), "BIGPIPE_TEST_MAIN=1", "BIGPIPE_LIVE_SECRET=")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log []string
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				log = append(log, sc.Text())
				if strings.Contains(sc.Text(), "simulator on") || strings.Contains(sc.Text(), "msg=serving") && !tc.sim {
					break
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, stderr)
			if err := cmd.Wait(); err != nil {
				t.Errorf("server: %v", err)
			}
			all := strings.Join(log, "\n")
			if got := strings.Contains(all, "simulator on"); got != tc.sim {
				t.Errorf("simulator logged on = %v, want %v; log:\n%s", got, tc.sim, all)
			}
			if got := strings.Contains(all, "made a random one for this process"); got != tc.rand {
				t.Errorf("random secret logged = %v, want %v; log:\n%s", got, tc.rand, all)
			}
			if strings.Contains(all, "hunter2") {
				t.Error("the secret is in the log")
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
