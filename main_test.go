package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/redistest"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/static"
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

// TestShutdown asks the server to stop while a page waits on a slow
// backend. With a long enough -drain the page completes and run returns
// once it has; with a short one the page is cut (the client sees a
// truncated body, not a clean end) and run returns well before the backend
// would have answered.
func TestShutdown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		latency  string        // the finance backend's
		drain    string        // -drain
		complete bool          // whether the page completes
		within   time.Duration // run returns this soon after the stop
	}{
		{"drained", "finance=1s", "10s", true, 5 * time.Second},
		{"cut", "finance=5s", "100ms", false, 2 * time.Second},
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

// chromeUA is a browser's User-Agent: its pages are pipelined.
const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestShedding runs the server with room for two pagelets' fetches (one
// running, one waiting): two one-pagelet pages are admitted, and pages
// beyond them get 503 with Retry-After and a message, while the admitted
// ones complete.
func TestShedding(t *testing.T) {
	srv := startRun(t, "-max-fetches", "1", "-fetch-queue", "1")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	const slow = "/bench?delays=1000"
	var admitted []*wire.Stream
	for range 2 {
		s, err := wire.Open(ctx, srv.base+slow, http.Header{"User-Agent": {chromeUA}}) // returns once the head is out: admitted
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.Status != 200 {
			t.Fatalf("admitted page: %d, want 200", s.Status)
		}
		admitted = append(admitted, s)
	}

	type answer struct {
		resp *http.Response
		body string
		err  error
	}
	answers := make(chan answer, 3)
	for range cap(answers) {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.base+slow, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			answers <- answer{resp, string(b), err}
		}()
	}
	for range cap(answers) {
		a := <-answers
		if a.err != nil {
			t.Fatal(a.err)
		}
		if a.resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("page over the budget: %d, want 503", a.resp.StatusCode)
		}
		if got := a.resp.Header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After %q, want 1", got)
		}
		if !strings.Contains(a.body, "capacity") {
			t.Errorf("503 body %q says nothing about capacity", a.body)
		}
	}
	for i, s := range admitted {
		if err := s.ReadAll(); err != nil || !strings.HasSuffix(string(s.Body()), "</html>") || !strings.Contains(string(s.Body()), "PAGELET-p0-READY") {
			t.Errorf("admitted page %d incomplete: %v", i, err)
		}
		t.Logf("admitted page %d: last byte after %v", i, s.LastByte().Round(time.Millisecond))
	}
	waitMetrics(t, srv.base+"/metrics",
		`bigpipe_shed_requests_total 3`,
		`bigpipe_requests_total{mode="inorder",outcome="shed",status="503"} 3`,
		`bigpipe_requests_total{mode="pipelined",outcome="complete",status="200"} 2`,
		`bigpipe_pages_in_flight 0`,
	)
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-latency", "finance=fast"}, {"-nope"}, {"-log-level", "loud"}, {"-tls-cert", "c.pem"}, {"stray"}, {"-early-hints", "sometimes"},
		{"-max-fetches", "-1"}, {"-fetch-queue", "-1"}, {"-page-fetches", "-1"}, {"-drain", "-1s"}, {"-page-timeout", "soon"},
		{"-live-drain-window", "-1s"}, {"-live-drain-window", "soon"}, {"-redis", "redis://127.0.0.1:6379/0"}} {
		if err := run(context.Background(), args, nil); err == nil {
			t.Errorf("run %v: no error", args)
		}
	}
}

// TestDevReload runs the server with -dev on a copy of static/: an edit to
// a stylesheet shows up, re-minified, in the page's inline CSS without a
// restart.
func TestDevReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, static.FS); err != nil {
		t.Fatal(err)
	}
	base := startRun(t, "-dev", dir).base
	page := func() string {
		resp, err := http.Get(base + "/bench?delays=0&mode=pipelined") // Go-http-client counts as a crawler
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !regexp.MustCompile(`<style>[^<]+</style>`).Match(b) {
			t.Fatalf("no inline stylesheet in %s", b)
		}
		return string(b)
	}
	const edited = ".dev-edited{color:red}" // as minified
	if strings.Contains(page(), edited) {
		t.Fatal("the stylesheet is edited before the edit")
	}
	f, err := os.OpenFile(filepath.Join(dir, "css", "bench.css"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n.dev-edited   {   color: red;  }\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(page(), edited) {
		if time.Now().After(deadline) {
			t.Fatalf("the page's inline stylesheet lacks %q 5 s after editing css/bench.css", edited)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSecurityFlags runs the server with its defaults and with -csp=false
// -force-modes: the strict CSP is on by default and goes with the flag; a
// forced mode is honoured only with -force-modes.
func TestSecurityFlags(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		csp       bool
		forceMode string // X-BigPipe-Mode for a Chrome request forcing serial
	}{
		{nil, true, "pipelined"},
		{[]string{"-csp=false", "-force-modes"}, false, "serial"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			base := startRun(t, tc.args...).base
			req, _ := http.NewRequest("GET", base+"/bench?delays=0", nil)
			req.Header.Set("User-Agent", chromeUA)
			req.Header.Set("X-BigPipe-Force-Mode", "serial")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("Content-Security-Policy") != ""; got != tc.csp {
				t.Errorf("Content-Security-Policy present = %v, want %v", got, tc.csp)
			}
			if got := resp.Header.Get("X-BigPipe-Mode"); got != tc.forceMode {
				t.Errorf("forcing serial: X-BigPipe-Mode = %q, want %q", got, tc.forceMode)
			}
		})
	}
}

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

// TestLogsLatency starts the command itself and reads its log up to the
// "serving" line: the effective latency setting is logged, normalised, "*"
// last, and "none" without -latency.
func TestLogsLatency(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"set", []string{"-latency", " *=10ms, finance=1.5s"}, `latency="finance=1.5s,*=10ms"`},
		{"none", nil, "latency=none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "news.db"), "-metrics=false"}, tc.args...)
			cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
			cmd.Env = append(os.Environ(), "BIGPIPE_TEST_MAIN=1", "BIGPIPE_LATENCY=")
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
				if strings.Contains(sc.Text(), "msg=serving") {
					break
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, stderr)
			if err := cmd.Wait(); err != nil {
				t.Errorf("server: %v; log:\n%s", err, strings.Join(log, "\n"))
			}
			found := false
			for _, line := range log {
				found = found || strings.Contains(line, "msg=\"emulated backend latency\"") && strings.Contains(line, tc.want)
			}
			if !found {
				t.Errorf("no latency line with %s before serving; log:\n%s", tc.want, strings.Join(log, "\n"))
			}
		})
	}
}

// TestSecondServerSameStore starts a server, then a second one on the same
// -db file: the second fails, saying the file is in use and what to do.
func TestSecondServerSameStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "news.db")
	startRun(t, "-db", db)
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-db", db, "-log-level", "error"}, func(string, string) {
		t.Error("second server on the same store is serving")
	})
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second server: %v, want ErrInUse", err)
	}
	for _, want := range []string{db, "in use by another process", "another bigpipe server", "stop that process", "-db"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestRedisFlags: -redis and -live-drain-window, and their environment
// variables.
func TestRedisFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		redis   []string
		window  time.Duration
		wantErr string
	}{
		{name: "defaults", window: 5 * time.Second},
		{name: "flags", args: []string{"-redis", "redis://a:1/0, redis://b:2/0", "-live-secret", "s", "-live-drain-window", "2s"},
			redis: []string{"redis://a:1/0", "redis://b:2/0"}, window: 2 * time.Second},
		{name: "env", env: map[string]string{"BIGPIPE_REDIS": "redis://a:1/0", "BIGPIPE_LIVE_SECRET": "s", "BIGPIPE_LIVE_DRAIN_WINDOW": "1500ms"},
			redis: []string{"redis://a:1/0"}, window: 1500 * time.Millisecond},
		{name: "flag over env", env: map[string]string{"BIGPIPE_LIVE_DRAIN_WINDOW": "1s"}, args: []string{"-live-drain-window", "0"}},
		{name: "no secret", args: []string{"-redis", "redis://a:1/0"}, wantErr: "-redis needs -live-secret (or BIGPIPE_LIVE_SECRET), the same on every instance"},
		{name: "no secret, env", env: map[string]string{"BIGPIPE_REDIS": "redis://a:1/0"}, wantErr: "comment form's CSRF key derives from it too"},
		{name: "bad env window", env: map[string]string{"BIGPIPE_LIVE_DRAIN_WINDOW": "soon"}, wantErr: "BIGPIPE_LIVE_DRAIN_WINDOW"},
		{name: "negative window", args: []string{"-live-drain-window", "-1s"}, wantErr: "-live-drain-window cannot be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"BIGPIPE_REDIS", "BIGPIPE_LIVE_SECRET", "BIGPIPE_LIVE_DRAIN_WINDOW"} {
				t.Setenv(k, tc.env[k])
			}
			c, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.redis, tc.redis) || c.liveDrainWindow != tc.window {
				t.Errorf("redis %q, window %v; want %q, %v", c.redis, c.liveDrainWindow, tc.redis, tc.window)
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

// TestDrainSequence: on SIGTERM /readyz says draining at once while pages
// are still served; live clients are told to reconnect (3001) within the
// drain window; then the server exits. /healthz stays 200 throughout, and
// says "degraded" while Redis does not answer.
func TestDrainSequence(t *testing.T) {
	r := redistest.Start(t)
	srv := startRun(t, "-redis", r.URL, "-live-secret", "main test secret", "-live-drain-window", "1s", "-live-sim=false")
	if s, b := getBody(t, srv.base, "/readyz"); s != 200 || b != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200 ready", s, b)
	}
	if s, b := getBody(t, srv.base, "/healthz"); s != 200 || b != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 ok", s, b)
	}
	r.Pause(t)
	waitBody(t, srv.base, "/healthz", 200, "degraded: live broker unreachable since ", 10*time.Second)
	t0 := time.Now()
	if s, _ := getBody(t, srv.base, "/"); s != 200 || time.Since(t0) > 2*time.Second {
		t.Errorf("front page while Redis is paused: %d after %v, want 200 without waiting on Redis", s, time.Since(t0))
	}
	r.Resume(t)
	waitBody(t, srv.base, "/healthz", 200, "ok\n", 15*time.Second)

	live := openLive(t, srv.base, frontPageToken(t, srv.base))
	live.until(t, `"connect":{"client"`, 10*time.Second)
	stopped := time.Now()
	srv.stop()
	waitBody(t, srv.base, "/readyz", 503, "draining\n", time.Second)
	if s, _ := getBody(t, srv.base, "/"); s != 200 {
		t.Errorf("a page during the live drain: %d, want 200", s)
	}
	live.until(t, `"code":3001`, 5*time.Second) // reconnect
	if d := time.Since(stopped); d > 1500*time.Millisecond {
		t.Errorf("live client told to go %v after the stop, past the 1 s window", d)
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

// TestRedisUnusable: a -redis URL the engine cannot use, or a Redis it
// cannot reach, stops the start with an error naming it.
func TestRedisUnusable(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:1/0"} {
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			args := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "news.db"), "-log-level", "error", "-redis", u, "-live-secret", "s"}
			err := run(context.Background(), args, func(string, string) { t.Errorf("-redis %s: the server started", u) })
			if err == nil || !strings.Contains(err.Error(), "live engine on -redis "+u) {
				t.Errorf("-redis %s: error %v, want one naming it", u, err)
			}
		})
	}
}
