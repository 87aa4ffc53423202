package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/testenv"
)

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
	t.Setenv("OTEL_SERVICE_NAME", service)
	s := startRun(t, "-otlp", j.OTLP, "-latency", "weather="+delay.String(), "-live-sim=false", "-compress=false")

	req, err := http.NewRequestWithContext(t.Context(), "GET", s.base+"/", nil)
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
	s.stop()
	if err := <-s.done; err != nil { // run has returned: the exporter is flushed
		t.Fatal(err)
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
