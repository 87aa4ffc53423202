package page

// Wire figures: /bench requested with internal/wire, a raw HTTP/1.1 client
// that timestamps body bytes as they arrive, so that what is measured is
// when bytes reach the client, not when a buffering client hands them on.

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/wire"
)

// wireSlack is how long past its slowest delay one request may take.
const wireSlack = 30 * time.Second

// warmupRequests is how many unreported requests per mode warm the server
// up (code paths, buffers, the runtime's pools) before measuring.
const warmupRequests = 3

// marker is the text pagelet i of /bench shows once ready.
func marker(i int) string { return fmt.Sprintf("PAGELET-p%d-READY", i) }

// measureWireOnce requests sc's page in mode m and times it on the wire.
// Times are since the request was sent; a marker's time is when its last
// byte arrived.
func measureWireOnce(ctx context.Context, baseURL string, sc Scenario, m Mode) (WireRun, error) {
	var run WireRun
	ctx, cancel := context.WithTimeout(ctx, slowest(sc.Delays)+wireSlack)
	defer cancel()
	u := scenarioURL(baseURL, sc, m)
	s, err := wire.Open(ctx, u, http.Header{"User-Agent": {modeUA(m)}})
	if err != nil {
		return run, err
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { _ = s.Close() }) // a cancelled run does not wait for the page
	defer stop()
	if s.Status != http.StatusOK {
		return run, fmt.Errorf("%s: HTTP %d", u, s.Status)
	}
	if err := checkMode(s.Header.Get("X-BigPipe-Mode"), m); err != nil {
		return run, fmt.Errorf("%s: %w", u, err)
	}
	if err := s.ReadAll(); err != nil {
		if ctx.Err() != nil {
			return run, ctx.Err()
		}
		return run, fmt.Errorf("%s: %w", u, err)
	}
	run.Markers = make([]time.Duration, len(sc.Delays))
	for i := range sc.Delays {
		at, ok := s.MarkerAt(marker(i))
		if !ok {
			return run, fmt.Errorf("%s: body has no %s", u, marker(i))
		}
		run.Markers[i] = at
	}
	run.TTFB = s.FirstByte
	run.Last = s.LastByte()
	run.Bytes = len(s.Body())
	run.Chunks = len(s.Arrivals())
	return run, nil
}

// checkMode checks the X-BigPipe-Mode the server answered with against the
// mode asked for: a page served in another mode (a User-Agent taken for a
// crawler's, say) would measure the wrong thing. The crawler must get the
// in-order plain-HTML fallback.
func checkMode(got string, m Mode) error {
	want := string(m)
	if m == Crawler {
		want = string(InOrder)
	}
	if got != want {
		return fmt.Errorf("served mode %q, want %q", got, want)
	}
	return nil
}

// warmUp requests a zero-delay page warmupRequests times in each mode,
// unreported.
func warmUp(ctx context.Context, baseURL string, modes []Mode, step func(string)) error {
	zero := Scenario{Name: "warm-up", Delays: make([]time.Duration, 6)}
	for i := range warmupRequests {
		for _, m := range modes {
			step(fmt.Sprintf("warm-up %s %d/%d", m, i+1, warmupRequests))
			if _, err := measureWireOnce(ctx, baseURL, zero, m); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	return nil
}

// measureWire runs sc runs times in each of modes, the modes interleaved
// within a run and rotated from run to run (run 1: serial, inorder, …; run
// 2: inorder, …, serial), so that machine noise hits every mode alike.
// step is told before each request what it is.
func measureWire(ctx context.Context, baseURL string, sc Scenario, modes []Mode, runs int, step func(string)) (map[Mode][]WireRun, error) {
	out := make(map[Mode][]WireRun, len(modes))
	for r := range runs {
		for k := range modes {
			m := modes[(k+r)%len(modes)]
			step(fmt.Sprintf("wire %s %s run %d/%d", sc.Name, m, r+1, runs))
			run, err := measureWireOnce(ctx, baseURL, sc, m)
			if err != nil {
				return out, fmt.Errorf("wire %s %s run %d: %w", sc.Name, m, r+1, err)
			}
			out[m] = append(out[m], run)
		}
	}
	return out, nil
}
