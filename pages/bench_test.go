package pages_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// site serves the demo as the server binary does (embedded assets with the
// demo's bundles), on a loopback port, for the length of the test.
func site(t testing.TB) *httptest.Server {
	t.Helper()
	st, err := store.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := render.New(reg, render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Routes(rd, reg, pages.NewSite(st)))
	t.Cleanup(srv.Close)
	return srv
}

func fetch(t testing.TB, url string) *wire.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := wire.Open(ctx, url, http.Header{"User-Agent": {chromeUA}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.ReadAll(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBenchParams(t *testing.T) {
	srv := site(t)
	tests := []struct {
		query string
		want  int
		msg   string
	}{
		{"", 200, ""},
		{"?delays=0", 200, ""},
		{"?delays=5,0,20&mode=serial", 200, ""},
		{"?delays=abc", 400, "not a whole number"},
		{"?delays=", 400, "not a whole number"},
		{"?delays=1,,2", 400, "value 2"},
		{"?delays=-5", 400, "outside 0 to 60000 ms"},
		{"?delays=60001", 400, "outside 0 to 60000 ms"},
		{"?delays=99999999999999999999", 400, "not a whole number"},
		{"?delays=" + strings.Repeat("1,", 64) + "1", 400, "at most 64"},
		{"?mode=fast", 400, "bad mode"},
		{"?nojs=2", 400, "nojs must be 0 or 1"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/bench" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			if resp.StatusCode != tc.want || !strings.Contains(string(body[:n]), tc.msg) {
				t.Errorf("status %d body %q; want %d containing %q", resp.StatusCode, body[:n], tc.want, tc.msg)
			}
		})
	}
}

func TestParseDelays(t *testing.T) {
	tests := []struct {
		in      string
		want    []time.Duration
		wantErr bool
	}{
		{"0", []time.Duration{0}, false},
		{"50, 100", []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}, false},
		{"60000", []time.Duration{time.Minute}, false},
		{"60001", nil, true},
		{"-1", nil, true},
		{"1.5", nil, true},
		{"0x10", nil, true},
		{"", nil, true},
		{strings.Repeat("0,", 63) + "0", slices.Repeat([]time.Duration{0}, 64), false},
		{strings.Repeat("0,", 64) + "0", nil, true},
	}
	for _, tc := range tests {
		got, err := pages.ParseDelays(tc.in)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("ParseDelays(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseDelays(f *testing.F) {
	for _, s := range []string{"50,100,200", "", "-1", "60001", "1,,2", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ds, err := pages.ParseDelays(s)
		if err != nil {
			return
		}
		if len(ds) == 0 || len(ds) > pages.MaxBenchPagelets {
			t.Fatalf("%q: %d delays accepted", s, len(ds))
		}
		for _, d := range ds {
			if d < 0 || d > pages.MaxBenchDelay {
				t.Fatalf("%q: delay %v accepted", s, d)
			}
		}
	})
}

// timings is one run of /bench: first byte, each marker, last byte.
type timings struct {
	first, last time.Duration
	markers     []time.Duration
}

func measure(t testing.TB, url string, n int) timings {
	s := fetch(t, url)
	tm := timings{first: s.FirstByte, last: s.LastByte()}
	for i := range n {
		at, ok := s.MarkerAt(fmt.Sprintf("PAGELET-p%d-READY", i))
		if !ok {
			t.Fatalf("%s: marker p%d missing", url, i)
		}
		tm.markers = append(tm.markers, at)
	}
	return tm
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestBenchModes measures /bench with the slowest pagelet first in each mode
// over real loopback HTTP, asserts what each mode must do, and logs median
// figures (go test -run TestBenchModes -v ./pages).
func TestBenchModes(t *testing.T) {
	srv := site(t)
	delays := []time.Duration{1600, 800, 400, 200, 100, 50}
	for i := range delays {
		delays[i] *= time.Millisecond
	}
	const runs = 3
	results := map[string][]timings{}
	for range runs { // interleave modes so machine noise hits them alike
		for _, mode := range []string{"pipelined", "inorder", "serial"} {
			results[mode] = append(results[mode], measure(t, srv.URL+"/bench?delays=1600,800,400,200,100,50&mode="+mode, len(delays)))
		}
	}
	for _, mode := range []string{"pipelined", "inorder", "serial"} {
		rs := results[mode]
		col := func(f func(timings) time.Duration) time.Duration {
			var ds []time.Duration
			for _, r := range rs {
				ds = append(ds, f(r))
			}
			return median(ds)
		}
		first, last := col(func(r timings) time.Duration { return r.first }), col(func(r timings) time.Duration { return r.last })
		line := fmt.Sprintf("%-9s first byte %7.1fms", mode, ms(first))
		for i := range delays {
			line += fmt.Sprintf("  p%d %7.1fms", i, ms(col(func(r timings) time.Duration { return r.markers[i] })))
		}
		t.Logf("%s  last byte %7.1fms (median of %d)", line, ms(last), runs)

		for _, r := range rs {
			switch mode {
			case "pipelined": // each pagelet at its own delay: fastest first
				if r.first > 200*time.Millisecond {
					t.Errorf("pipelined first byte %v, want at once", r.first)
				}
				for i := range delays {
					if r.markers[i] < delays[i] {
						t.Errorf("p%d at %v, before its delay %v", i, r.markers[i], delays[i])
					}
					if i > 0 && r.markers[i] > r.markers[i-1] {
						t.Errorf("pipelined p%d (%v) after p%d (%v): not completion order", i, r.markers[i], i-1, r.markers[i-1])
					}
				}
			case "inorder": // head-of-line: nothing before the slowest first pagelet
				if r.first > 200*time.Millisecond {
					t.Errorf("inorder first byte %v, want at once", r.first)
				}
				for i := range delays {
					if r.markers[i] < delays[0] {
						t.Errorf("inorder p%d at %v, before p0 (%v) was ready", i, r.markers[i], delays[0])
					}
				}
			case "serial": // nothing until everything
				if r.first < delays[0] {
					t.Errorf("serial first byte %v, before the slowest pagelet %v", r.first, delays[0])
				}
			}
			if r.last < delays[0] || r.last > delays[0]+time.Second {
				t.Errorf("%s last byte %v, want about %v", mode, r.last, delays[0])
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
