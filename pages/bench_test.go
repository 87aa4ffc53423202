package pages_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/internal/wire"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// site serves the demo as the server binary does (embedded assets with the
// demo's bundles), on a loopback port, for the length of the test. opts
// are added to the renderer's.
func site(t testing.TB, opts ...render.Option) *httptest.Server {
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
	rd, err := render.New(reg, append([]render.Option{render.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Routes(rd, reg, pages.NewSite(st, pages.WithAssets(reg))))
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
		{"?delays=5,5&fail=1:error&pad=100", 200, ""},
		{"?delays=5,5&fail=1:oops", 400, `unknown kind "oops"`},
		{"?delays=5,5&fail=2:error", 400, "pagelet 2 is outside 0 to 1"},
		{"?delays=5,5&fail=0:error,0:panic", 400, "pagelet 0 already fails (entry 1)"},
		{"?delays=5,5&fail=0:error,1:panic,0:hang", 400, "3 entries, the page has 2 pagelets"},
		{"?delays=5,5&fail=", 400, "is not index:kind"},
		{"?delays=5,5&fail=x:error", 400, "index is not a whole number"},
		{"?delays=abc&fail=0:error", 400, "delays:"},
		{"?pad=-1", 400, "pad: -1 bytes is outside 0 to 65536"},
		{"?pad=big", 400, "not a whole number of bytes"},
		{"?nojs=2", 400, "nojs must be 0 or 1"},
		{"?delays=0&cache=1", 200, ""},
		{"?delays=0&cache=0", 200, ""},
		{"?cache=yes", 400, "is not 1 or 0"},
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
//
// Its bounds tell the modes apart, with room for a starved machine (-race,
// other tests) to stall the process for a good while: "at once" is before
// half the slowest delay, not what a quiet machine takes; two pagelets in
// the wrong order are an error only when the wrong one came later by more
// than benchBurst (readied together by a stall, they go out together in any
// order; a mode that holds a pagelet for a slower one holds it for 50 ms or
// more); the last byte may come up to a second and a half after the
// slowest pagelet, still short of the delays' sum.
func TestBenchModes(t *testing.T) {
	const benchBurst = 40 * time.Millisecond
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
				if r.first > delays[0]/2 {
					t.Errorf("pipelined first byte %v, want at once", r.first)
				}
				for i := range delays {
					if r.markers[i] < delays[i] {
						t.Errorf("p%d at %v, before its delay %v", i, r.markers[i], delays[i])
					}
					if i > 0 && r.markers[i] > r.markers[i-1]+benchBurst {
						t.Errorf("pipelined p%d (%v) after p%d (%v): not completion order", i, r.markers[i], i-1, r.markers[i-1])
					}
				}
			case "inorder": // head-of-line: nothing before the slowest first pagelet
				if r.first > delays[0]/2 {
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
			if r.last < delays[0] || r.last > delays[0]+1500*time.Millisecond {
				t.Errorf("%s last byte %v, want about %v", mode, r.last, delays[0])
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func TestParseFailures(t *testing.T) {
	e, p, h, to, b := pages.FaultError, pages.FaultPanic, pages.FaultHang, pages.FaultTimeout, pages.FaultBadRender
	tests := []struct {
		in      string
		n       int
		want    []pages.Fault
		wantErr string
	}{
		{"1:error,2:panic", 3, []pages.Fault{"", e, p}, ""},
		{"0:hang, 1 : timeout ,2:badrender", 3, []pages.Fault{h, to, b}, ""},
		{"63:error", 64, append(make([]pages.Fault, 63), e), ""},
		{"0:error", 1, []pages.Fault{e}, ""},
		{"", 3, nil, "entry 1 (\"\") is not index:kind"},
		{"1", 3, nil, "is not index:kind"},
		{"1:", 3, nil, `unknown kind ""`},
		{"1:ERROR", 3, nil, `unknown kind "ERROR"`},
		{"1:none", 3, nil, "unknown kind"},
		{":error", 3, nil, "index is not a whole number"},
		{"1.0:error", 3, nil, "index is not a whole number"},
		{"-1:error", 3, nil, "pagelet -1 is outside 0 to 2"},
		{"3:error", 3, nil, "pagelet 3 is outside 0 to 2"},
		{"99999999999999999999:error", 3, nil, "index is not a whole number"},
		{"1:error,1:error", 3, nil, "entry 2: pagelet 1 already fails (entry 1)"},
		{"0:error,1:panic,2:hang,0:timeout", 3, nil, "4 entries, the page has 3 pagelets"},
		{strings.Repeat(",", 1<<20), 64, nil, "1048577 entries"},
		{"0:error", 0, nil, "a page of 0 pagelets"},
		{"0:error", 65, nil, "a page of 65 pagelets"},
	}
	for _, tc := range tests {
		got, err := pages.ParseFailures(tc.in, tc.n)
		name := fmt.Sprintf("ParseFailures(%.30q, %d)", tc.in, tc.n)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "fail: ") {
				t.Errorf("%s error = %v; want one containing %q", name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s = %q, %v; want %q", name, got, err, tc.want)
		}
	}
}

func FuzzParseFailures(f *testing.F) {
	f.Add("1:error,2:panic", 3)
	f.Add("0:hang,1:timeout,2:badrender", 3)
	f.Add("1:error,1:error", 3)
	f.Add("3:error", 3)
	f.Add("", 1)
	f.Add("0:\xff", 1)
	f.Add("+0:error", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got, err := pages.ParseFailures(s, n)
		if err != nil {
			if got != nil {
				t.Fatalf("%q, %d: faults %q with error %v", s, n, got, err)
			}
			return
		}
		if len(got) != n || n < 1 || n > pages.MaxBenchPagelets {
			t.Fatalf("%q, %d: %d faults", s, n, len(got))
		}
		// Every entry names a distinct pagelet: as many faults as entries,
		// and the canonical form parses to the same faults.
		var canon []string
		for i, k := range got {
			switch k {
			case pages.FaultNone:
				continue
			case pages.FaultError, pages.FaultPanic, pages.FaultHang, pages.FaultTimeout, pages.FaultBadRender:
			default:
				t.Fatalf("%q, %d: pagelet %d has unknown fault %q", s, n, i, k)
			}
			canon = append(canon, fmt.Sprintf("%d:%s", i, k))
		}
		if len(canon) != strings.Count(s, ",")+1 {
			t.Fatalf("%q, %d: %d faults from %d entries", s, n, len(canon), strings.Count(s, ",")+1)
		}
		again, err := pages.ParseFailures(strings.Join(canon, ","), n)
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("%q, %d: canonical form %q gives %q, %v; want %q", s, n, canon, again, err, got)
		}
	})
}

// faultObserver records how each pagelet of the pages it sees settled.
type faultObserver struct {
	mu       sync.Mutex
	failures map[string]render.Failure // by the request's fail parameter + pagelet id
}

func (o *faultObserver) PageStarted(*http.Request)                {}
func (o *faultObserver) PageDone(*http.Request, render.PageStats) {}
func (o *faultObserver) PageletDone(r *http.Request, s render.PageletStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures[r.URL.Query().Get("fail")+"/"+r.URL.Query().Get("mode")+"/"+s.ID] = s.Failure
}

func (o *faultObserver) failure(fail, mode, id string) (render.Failure, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.failures[fail+"/"+mode+"/"+id]
	return f, ok
}

// TestBenchFaults injects each fault into p1 of a three-pagelet page in
// every mode: p1 shows its fallback and nothing of its content (for
// badrender, not the bytes its component wrote before failing), the
// renderer reports the right failure, and p0 and p2 are intact.
func TestBenchFaults(t *testing.T) {
	obs := &faultObserver{failures: map[string]render.Failure{}}
	srv := site(t, render.WithObserver(obs))
	tests := []struct {
		fault pages.Fault
		want  render.Failure
	}{
		{pages.FaultError, render.FailError},
		{pages.FaultPanic, render.FailPanic},
		{pages.FaultHang, render.FailTimeout},
		{pages.FaultTimeout, render.FailTimeout},
		{pages.FaultBadRender, render.FailError},
	}
	for _, mode := range []string{"pipelined", "inorder", "serial"} {
		for _, tc := range tests {
			t.Run(mode+"/"+string(tc.fault), func(t *testing.T) {
				fail := "1:" + string(tc.fault)
				body := string(fetch(t, srv.URL+"/bench?delays=20,40,60&fail="+fail+"&mode="+mode).Body())
				if !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
					t.Fatalf("page does not end with </html>: %.200q", body[max(0, len(body)-200):])
				}
				for i, want := range []string{"READY", "FAILED", "READY"} {
					for _, marker := range []string{"READY", "FAILED", "PARTIAL"} {
						m := fmt.Sprintf("PAGELET-p%d-%s", i, marker)
						if got := strings.Count(body, m); (marker == want) != (got == 1) || got > 1 {
							t.Errorf("%s appears %d times; want it once only if p%d is %s", m, got, i, want)
						}
					}
					got, ok := obs.failure(fail, mode, fmt.Sprintf("p%d", i))
					wantFailure := render.FailNone
					if i == 1 {
						wantFailure = tc.want
					}
					if !ok || got != wantFailure {
						t.Errorf("p%d: observer reported failure %q (seen %v); want %q", i, got, ok, wantFailure)
					}
				}
			})
		}
	}
}

// TestBenchAllFaults puts every fault on one page, next to a healthy
// pagelet, in the pipelined and in-order modes.
func TestBenchAllFaults(t *testing.T) {
	srv := site(t)
	for _, mode := range []string{"pipelined", "inorder"} {
		t.Run(mode, func(t *testing.T) {
			body := string(fetch(t, srv.URL+"/bench?delays=30,0,10,20,40,50&fail=1:error,2:panic,3:hang,4:timeout,5:badrender&mode="+mode).Body())
			if !strings.Contains(body, "PAGELET-p0-READY") || strings.Contains(body, "PAGELET-p0-FAILED") {
				t.Errorf("p0 is not intact")
			}
			for i := 1; i <= 5; i++ {
				if !strings.Contains(body, fmt.Sprintf("PAGELET-p%d-FAILED", i)) || strings.Contains(body, fmt.Sprintf("PAGELET-p%d-READY", i)) {
					t.Errorf("p%d does not show its fallback alone", i)
				}
			}
			if strings.Contains(body, "PARTIAL") {
				t.Errorf("the partial output of a failed render reached the client")
			}
		})
	}
}

// TestBenchPad: pad=N adds N bytes of filler to each pagelet, in every mode.
func TestBenchPad(t *testing.T) {
	srv := site(t)
	for _, mode := range []string{"pipelined", "inorder"} {
		// 10 ms: done after the skeleton, both pagelets come as payloads
		// in both pages (a placed pagelet has no payload around it).
		base := len(fetch(t, srv.URL+"/bench?delays=10,10&mode="+mode).Body())
		padded := len(fetch(t, srv.URL+"/bench?delays=10,10&pad=10000&mode="+mode).Body())
		if got := padded - base; got < 20000 || got > 21000 {
			t.Errorf("%s: pad=10000 on 2 pagelets added %d bytes; want about 20000", mode, got)
		}
	}
}

// cacheObserver records how the cache served each pagelet of each page.
type cacheObserver struct {
	mu   sync.Mutex
	seen map[string]string // by the request's query + pagelet id
}

func (o *cacheObserver) PageStarted(*http.Request)                {}
func (o *cacheObserver) PageDone(*http.Request, render.PageStats) {}
func (o *cacheObserver) PageletDone(r *http.Request, s render.PageletStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen[r.URL.RawQuery+"/"+s.ID] = s.Cache
}

func (o *cacheObserver) outcome(query, id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[query+"/"+id]
}

// TestBenchCache: with a renderer that has a cache, /bench?cache=1 is
// loaded once and then served from the cache, each scenario (delays, pad,
// fault) an entry of its own; without cache=1 nothing is cached; and a
// faulty pagelet keeps failing.
func TestBenchCache(t *testing.T) {
	c, err := cache.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	obs := &cacheObserver{seen: map[string]string{}}
	srv := site(t, render.WithCache(c), render.WithObserver(obs))
	check := func(query string, want ...string) {
		t.Helper()
		body := string(fetch(t, srv.URL+"/bench?"+query).Body())
		for i, w := range want {
			id := fmt.Sprintf("p%d", i)
			if got := obs.outcome(query, id); got != w {
				t.Errorf("%s: %s served %q by the cache; want %q", query, id, got, w)
			}
			marker := "PAGELET-" + id + "-READY"
			if w == string(cache.Failed) {
				marker = "PAGELET-" + id + "-FAILED"
			}
			if !strings.Contains(body, marker) {
				t.Errorf("%s: the page lacks %s", query, marker)
			}
		}
	}
	check("delays=0,5&mode=pipelined&cache=1", "miss", "miss")
	check("delays=0,5&mode=pipelined&cache=1", "hit", "hit")
	check("delays=0,5&mode=serial&cache=1", "hit", "hit")      // the fragment serves every mode
	check("delays=0,6&mode=pipelined&cache=1", "miss", "miss") // another scenario: entries of its own
	check("delays=0,5&pad=100&mode=pipelined&cache=1", "miss", "miss")
	check("delays=0,5&mode=pipelined", "", "") // no cache=1: not cached
	check("delays=0,5&mode=pipelined&cache=0", "", "")
	check("delays=0,5&fail=1:error&mode=pipelined&cache=1", "miss", "failed")
	check("delays=0,5&fail=1:error&mode=pipelined&cache=1", "hit", "failed")
}
