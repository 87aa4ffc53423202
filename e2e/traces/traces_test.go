// Package traces_test runs the demo server with -otlp against a real
// trace store, Jaeger, built from tools/jaeger (its own module) once per
// machine: make test starts that build first, in the background, and this
// package, late in the alphabet, mostly finds it done.
package traces_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

// server is the bigpipe command, built on first use.
var server = testenv.Binary{Package: "github.com/bigpipe-go/bigpipe"}

// TestMain runs the tests, removes the built binary and fails the binary
// if a goroutine is left running.
func TestMain(m *testing.M) {
	code := m.Run()
	server.Remove()
	os.Exit(testenv.CheckLeaks(code))
}

// startServer runs the demo with args, its spans under service.
func startServer(t *testing.T, service string, args ...string) *testenv.Proc {
	t.Helper()
	t.Setenv("OTEL_SERVICE_NAME", service) // the server inherits it
	p, err := testenv.StartProc(t, "bigpipe", server.Path(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ready reports whether the server at base answers /readyz with 200.
func ready(base string) error {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s", resp.Status)
	}
	return nil
}

// TestTracesInJaeger runs the demo with -otlp pointed at a real Jaeger,
// requests the front page once with its weather pagelet's backend slowed
// down, stops the demo (which flushes its exporter) and asks Jaeger's query
// API what it got: one trace, whose page span has a child span per pagelet
// of the page, the weather's at least as long as its delay.
func TestTracesInJaeger(t *testing.T) {
	const delay = 300 * time.Millisecond
	j := testenv.StartJaeger(t)
	var id [6]byte
	_, _ = rand.Read(id[:])
	service := "bigpipe-test-" + hex.EncodeToString(id[:])
	port := testenv.FreePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	p := startServer(t, service, "-addr", "127.0.0.1:"+strconv.Itoa(port), "-db", filepath.Join(t.TempDir(), "news.db"),
		"-otlp", j.OTLP, "-latency", "weather="+delay.String(), "-live-sim=false", "-compress=false")
	if err := testenv.WaitFor(p, 30*time.Second, func() error { return ready(base) }); err != nil {
		t.Fatalf("the server did not come up: %v\n%s", err, p.Output())
	}

	req, err := http.NewRequestWithContext(t.Context(), "GET", base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	transport := &http.Transport{DisableKeepAlives: true}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("front page: %s, %v", resp.Status, err)
	}
	// SIGTERM: the server drains and exits 0, flushing its exporter last.
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(30 * time.Second); err != nil || code != 0 {
		t.Fatalf("the server after SIGTERM: exit %d, %v\n%s", code, err, p.Output())
	}

	var traces []testenv.JaegerTrace
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = testenv.Poll(ctx, 100*time.Millisecond, func() (bool, error) { // Jaeger stores what it receives in batches
		traces, err = j.Traces(ctx, service)
		return len(traces) > 0 && pageSpan(traces[0]) != nil && len(traces[0].Spans) > pageletCount(pageSpan(traces[0])), err
	})
	if err != nil {
		t.Fatalf("no page trace in Jaeger: %v (got %d traces)", err, len(traces))
	}
	if len(traces) != 1 {
		t.Fatalf("got %d traces of one page request, want 1: %+v", len(traces), traces)
	}
	tr := traces[0]
	page := pageSpan(tr)
	if got, want := page.Tag("bigpipe.mode"), "pipelined"; got != want {
		t.Errorf("page span's mode %q, want %q", got, want)
	}
	if got, want := page.Tag("bigpipe.outcome"), "complete"; got != want {
		t.Errorf("page span's outcome %q, want %q", got, want)
	}
	pagelets := map[string]testenv.JaegerSpan{}
	for _, sp := range tr.Spans {
		if sp.Parent() == page.SpanID && sp.Tag("bigpipe.pagelet") != "" {
			pagelets[sp.Tag("bigpipe.pagelet")] = sp
		}
	}
	if got, want := len(pagelets), pageletCount(page); got != want || want == 0 {
		t.Errorf("got %d pagelet spans under the page span, want %d (its bigpipe.pagelets)", got, want)
	}
	weather, ok := pagelets["weather"]
	if !ok {
		t.Fatalf("no span of the weather pagelet among %v", pagelets)
	}
	if got := time.Duration(weather.Duration) * time.Microsecond; got < delay {
		t.Errorf("weather's span lasted %v, less than its backend's %v", got, delay)
	}
	t.Logf("trace %s: %d spans, page %s %v, weather %v", tr.TraceID, len(tr.Spans), page.OperationName,
		time.Duration(page.Duration)*time.Microsecond, time.Duration(weather.Duration)*time.Microsecond)
}

// pageSpan is the server span of a page in tr, nil if none.
func pageSpan(tr testenv.JaegerTrace) *testenv.JaegerSpan {
	for i, sp := range tr.Spans {
		if sp.Tag("span.kind") == "server" && sp.Tag("bigpipe.mode") != "" {
			return &tr.Spans[i]
		}
	}
	return nil
}

// pageletCount is the number of pagelets the page span says its page has.
func pageletCount(page *testenv.JaegerSpan) int {
	if page == nil {
		return 0
	}
	n, _ := strconv.Atoi(page.Tag("bigpipe.pagelets"))
	return n
}
