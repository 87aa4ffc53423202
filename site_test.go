package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/static"
)

// TestShedding runs the server with room for two pagelets' fetches (one
// running, one waiting): two one-pagelet pages are admitted, and pages
// beyond them get 503 with Retry-After and a message, while the admitted
// ones hold their places. The first admitted page's fetch takes a minute,
// and the second's waits behind it, so that the shedding does not race the
// clock however slow the machine; once the first page's client goes, the
// second's fetch runs and that page completes.
func TestShedding(t *testing.T) {
	srv := startRun(t, "-max-fetches", "1", "-fetch-queue", "1")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	open := func(path string) *wire.Stream {
		t.Helper()
		s, err := wire.Open(ctx, srv.base+path, http.Header{"User-Agent": {chromeUA}}) // returns once the head is out: admitted
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if s.Status != 200 {
			t.Fatalf("admitted page %s: %d, want 200", path, s.Status)
		}
		return s
	}
	holder := open("/bench?delays=60000") // runs its fetch until its client goes
	waiter := open("/bench?delays=0")     // its fetch waits for the holder's

	type answer struct {
		resp *http.Response
		body string
		err  error
	}
	answers := make(chan answer, 3)
	for range cap(answers) {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.base+"/bench?delays=0", nil)
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
	holder.Close() // the client goes: its fetch is cancelled, and the waiter's runs
	if err := waiter.ReadAll(); err != nil || !strings.HasSuffix(string(waiter.Body()), "</html>") || !strings.Contains(string(waiter.Body()), "PAGELET-p0-READY") {
		t.Errorf("admitted page incomplete: %v", err)
	}
	waitMetrics(t, srv.base+"/metrics",
		`bigpipe_shed_requests_total 3`,
		`bigpipe_requests_total{mode="inorder",outcome="shed",status="503"} 3`,
		`bigpipe_requests_total{mode="pipelined",outcome="complete",status="200"} 1`,
		`bigpipe_requests_total{mode="pipelined",outcome="client_gone",status="200"} 1`,
		`bigpipe_pages_in_flight 0`,
	)
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
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(page(), edited) {
		if time.Now().After(deadline) {
			t.Fatalf("the page's inline stylesheet lacks %q 20 s after editing css/bench.css", edited)
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
