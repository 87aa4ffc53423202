package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
)

// runningServer is run serving on a loopback port, started by startRun.
type runningServer struct {
	base  string             // http://127.0.0.1:port
	admin string             // http://127.0.0.1:port of -admin, "" without
	stop  context.CancelFunc // SIGTERM, as far as run can tell
	done  <-chan error       // run's result once it has returned, then closed
}

// startRun runs the server with a fresh store on a free loopback port, plus
// args, and returns once it listens. It stops when t ends, failing t if run
// then returns an error.
func startRun(t *testing.T, args ...string) *runningServer {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	addrc := make(chan [2]string, 1)
	errc := make(chan error, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "news.db"), "-log-level", "error"}, args...)
	go func() {
		errc <- run(ctx, args, func(addr, admin string) { addrc <- [2]string{addr, admin} })
		close(errc) // a second receive, after a test's own, does not block
	}()
	s := &runningServer{stop: stop, done: errc}
	select {
	case addrs := <-addrc:
		s.base = "http://" + addrs[0]
		if addrs[1] != "" {
			s.admin = "http://" + addrs[1]
		}
	case err := <-errc:
		stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		select {
		case err := <-errc: // nil, also when the test read the result itself
			if err != nil {
				t.Error(err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server still running 15 s after it was stopped")
		}
	})
	return s
}

// TestServeAndShutdown runs the real server, checks it serves, then asks it
// to stop while a page is streaming: the stream completes, and the server
// exits cleanly afterwards.
func TestServeAndShutdown(t *testing.T) {
	srv := startRun(t)
	base := srv.base

	for path, want := range map[string]int{
		"/healthz": 200, "/": 200, "/search?q=storm": 200, "/bench?delays=0,1": 200, "/favicon.ico": 204,
		"/nope": 404, "/article/no-such-story": 404, "/static/css/site.css": 200, "/_bigpipe/nojs?next=/": 303,
	} {
		req, _ := http.NewRequest("GET", base+path, nil)
		resp, err := http.DefaultTransport.RoundTrip(req) // no redirect following
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}

	rctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := wire.Open(rctx, base+"/bench?delays=10,800", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Until("PAGELET-p0-READY"); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	if err := s.ReadAll(); err != nil {
		t.Fatalf("stream cut by shutdown: %v", err)
	}
	if !strings.HasSuffix(string(s.Body()), "</body></html>") || !strings.Contains(string(s.Body()), "PAGELET-p1-READY") {
		t.Errorf("stream did not complete during shutdown")
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit after its streams finished")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

// chromeUA is a browser's User-Agent: its pages are pipelined.
const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestExitStatus runs the command itself (the test binary, as main through
// TestMain) and checks its exit status and what it prints: -h and -help
// print the usage and exit 0, a bad flag exits 1.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		stderr []string // substrings of stderr
	}{
		{[]string{"-h"}, 0, []string{"Usage of bigpipe", "-latency", "-db"}},
		{[]string{"-help"}, 0, []string{"Usage of bigpipe", "-latency"}},
		{[]string{"--help"}, 0, []string{"Usage of bigpipe"}},
		{[]string{"-nope"}, 1, []string{"flag provided but not defined: -nope", "bigpipe: flag provided but not defined"}},
		{[]string{"-latency", "finanse=1s"}, 1, []string{`bigpipe: -latency: store: bad latency spec: unknown source "finanse"`, "hotnews, society, finance", "weather"}},
		{[]string{"-redis", "redis://127.0.0.1:6379/0"}, 1, []string{"bigpipe: -redis needs -live-secret (or BIGPIPE_LIVE_SECRET)", "must verify its live token"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), "BIGPIPE_TEST_MAIN=1")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			status := 0
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status {
				t.Errorf("exit status %d, want %d; stderr:\n%s", status, tc.status, stderr.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if tc.status == 0 && strings.Contains(stderr.String(), "help requested") {
				t.Errorf("-h reported as an error:\n%s", stderr.String())
			}
		})
	}
}

// getBody returns path's status and body.
func getBody(t *testing.T, base, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+path, nil)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitBody polls path until it answers status with body, failing t after d.
func waitBody(t *testing.T, base, path string, status int, body string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s, b := getBody(t, base, path)
		if s == status && strings.HasPrefix(b, body) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %q after %v, want %d %q…", path, s, b, d, status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
