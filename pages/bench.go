package pages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/internal/query"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// Limits of the benchmark page's parameters.
const (
	MaxBenchPagelets = 64
	MaxBenchDelay    = 60 * time.Second
	MaxBenchPad      = 64 << 10 // bytes of filler per pagelet
)

// DefaultBenchDelays is the delay list of /bench without a delays parameter.
const DefaultBenchDelays = "50,100,200,400,800,1600"

// The cache policy of /bench?cache=1's pagelets (see [Bench]): fresh for
// BenchCacheFresh, then served at once for BenchCacheStale more while one
// refresh runs.
const (
	BenchCacheFresh = 10 * time.Minute
	BenchCacheStale = time.Hour
)

// ParseDelays parses a comma-separated list of millisecond delays, such as
// "50,100,200": 1 to MaxBenchPagelets whole numbers from 0 to 60000.
func ParseDelays(s string) ([]time.Duration, error) {
	n := strings.Count(s, ",") + 1
	if n > MaxBenchPagelets {
		return nil, fmt.Errorf("delays: %d values, at most %d pagelets allowed", n, MaxBenchPagelets)
	}
	out := make([]time.Duration, n)
	for i := range out { // without strings.Split's slice: the page function runs for every request
		f, rest, _ := strings.Cut(s, ",")
		s = rest
		ms, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("delays: value %d (%.20q) is not a whole number of milliseconds", i+1, f)
		}
		if ms < 0 || int64(ms) > MaxBenchDelay.Milliseconds() { // before converting: a huge ms overflows a Duration
			return nil, fmt.Errorf("delays: value %d (%d ms) is outside 0 to %d ms", i+1, ms, MaxBenchDelay.Milliseconds())
		}
		out[i] = time.Duration(ms) * time.Millisecond
	}
	return out, nil
}

// Fault is a failure injected into one pagelet of the benchmark page with
// its fail parameter. The zero value, FaultNone, injects nothing.
type Fault string

// The faults /bench can inject. Each one's pagelet shows its fallback,
// PAGELET-pI-FAILED, and the rest of the page is unaffected.
const (
	FaultNone Fault = ""
	// FaultError: Load returns an error after the pagelet's delay.
	FaultError Fault = "error"
	// FaultPanic: Load panics after the pagelet's delay.
	FaultPanic Fault = "panic"
	// FaultHang: the pagelet's Timeout is half its delay (at least 1 ms),
	// and Load ignores its context: it sleeps the whole delay (at least
	// twice the Timeout), then fails. The renderer gives up at the Timeout.
	FaultHang Fault = "hang"
	// FaultTimeout: as FaultHang, but Load honours its context and
	// returns as soon as it ends, at the Timeout.
	FaultTimeout Fault = "timeout"
	// FaultBadRender: Load succeeds after the delay, but its component
	// writes PAGELET-pI-PARTIAL and then fails: none of it may reach the
	// client.
	FaultBadRender Fault = "badrender"
)

// ParseFailures parses the fail parameter of a page of n pagelets: a
// comma-separated list of index:kind entries such as "1:error,2:panic",
// each index (from 0) at most once, each kind one of the Fault constants
// (error, panic, hang, timeout, badrender). It returns
// the fault of every pagelet, FaultNone for those not listed.
func ParseFailures(s string, n int) ([]Fault, error) {
	if n < 1 || n > MaxBenchPagelets {
		return nil, fmt.Errorf("fail: a page of %d pagelets, want 1 to %d", n, MaxBenchPagelets)
	}
	if c := strings.Count(s, ",") + 1; c > n { // before splitting: bounds the work on any input
		return nil, fmt.Errorf("fail: %d entries, the page has %d pagelets", c, n)
	}
	out := make([]Fault, n)
	seen := make([]int, n) // entry (from 1) that named each pagelet
	for e, f := range strings.Split(s, ",") {
		idx, kind, ok := strings.Cut(f, ":")
		if !ok {
			return nil, fmt.Errorf("fail: entry %d (%.20q) is not index:kind", e+1, f)
		}
		i, err := strconv.Atoi(strings.TrimSpace(idx))
		if err != nil {
			return nil, fmt.Errorf("fail: entry %d (%.20q): index is not a whole number", e+1, f)
		}
		if i < 0 || i >= n {
			return nil, fmt.Errorf("fail: entry %d: pagelet %d is outside 0 to %d", e+1, i, n-1)
		}
		k := Fault(strings.TrimSpace(kind))
		if !k.valid() {
			return nil, fmt.Errorf("fail: entry %d: unknown kind %.20q (want error, panic, hang, timeout or badrender)", e+1, kind)
		}
		if seen[i] != 0 {
			return nil, fmt.Errorf("fail: entry %d: pagelet %d already fails (entry %d)", e+1, i, seen[i])
		}
		seen[i] = e + 1
		out[i] = k
	}
	return out, nil
}

// valid reports whether k is one of the faults, FaultNone excluded.
func (k Fault) valid() bool {
	switch k {
	case FaultError, FaultPanic, FaultHang, FaultTimeout, FaultBadRender:
		return true
	}
	return false
}

// ParsePad parses the pad parameter: a whole number of bytes, 0 to
// MaxBenchPad, of filler text added to every pagelet.
func ParsePad(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("pad: %.20q is not a whole number of bytes", s)
	}
	if n < 0 || n > MaxBenchPad {
		return 0, fmt.Errorf("pad: %d bytes is outside 0 to %d", n, MaxBenchPad)
	}
	return n, nil
}

// ParseBenchCache parses the cache parameter: 1 or true caches the
// pagelets, 0 or false does not (strconv.ParseBool's spellings).
func ParseBenchCache(s string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("cache: %.20q is not 1 or 0", s)
	}
	return b, nil
}

// benchCache is the cache policy of /bench?cache=1's pagelets, each
// cached under key and its own id: key names everything the page's
// content or failures depend on (its delays, pad and fail parameters), so
// each scenario has entries of its own (a failed Load stores nothing: a
// faulty pagelet fails every time).
func benchCache(key string) pagelet.Cache {
	return pagelet.Cache{Fresh: BenchCacheFresh, Stale: BenchCacheStale, Key: key, Tags: benchTags}
}

// benchTags are the tags of /bench?cache=1's fragments.
var benchTags = []string{"bench"}

// benchIDs are the ids of /bench's pagelets, p0 to p63, and
// benchTitleIDs the ids of their titles, made once: the page function and
// the layout run for every request, the fully cached page's too.
var benchIDs, benchTitleIDs = func() (ids, titles [MaxBenchPagelets]string) {
	for i := range ids {
		ids[i] = "p" + strconv.Itoa(i)
		titles[i] = ids[i] + "-title"
	}
	return ids, titles
}()

// BenchMode is the ModeFunc of the benchmark page: mode=pipelined, native,
// inorder or serial chooses the mode; without it the usual detection decides.
func BenchMode(rd *render.Renderer) render.ModeFunc {
	return func(r *http.Request) (render.Mode, error) {
		if m, _ := query.Get(r.URL.RawQuery, "mode"); m != "" {
			return render.ParseMode(m)
		}
		return rd.DetectMode(r)
	}
}

// Bench builds /bench?delays=50,100,…: one pagelet per delay, ids p0, p1, …,
// pagelet pI ready after its delay and showing the text PAGELET-pI-READY.
// The page is what the benchmarks measure; its URL and markers are stable.
//
// fail=1:error,2:panic injects faults (see [ParseFailures] and [Fault]):
// a failed pagelet shows PAGELET-pI-FAILED instead. pad=N adds N bytes of
// filler text to every pagelet, for a page larger than the socket buffers.
// A bad parameter is a 400 that says what is wrong.
func Bench(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	q := r.URL.RawQuery
	spec := DefaultBenchDelays
	if v, ok := query.Get(q, "delays"); ok {
		spec = v
	}
	delays, err := ParseDelays(spec)
	var faults []Fault // nil: none
	fail, hasFail := query.Get(q, "fail")
	if hasFail && err == nil {
		faults, err = ParseFailures(fail, len(delays))
	}
	pad := 0
	if v, ok := query.Get(q, "pad"); ok && err == nil {
		pad, err = ParsePad(v)
	}
	cached := false
	if v, ok := query.Get(q, "cache"); ok && err == nil {
		cached, err = ParseBenchCache(v)
	}
	if err != nil {
		http.Error(w, "400 bad request: "+err.Error(), http.StatusBadRequest)
		return nil, nil
	}
	// The layout shows the delays alone; a cached pagelet's key names
	// everything its content or failure depends on, the layout's key
	// first (one string for both).
	const keyPrefix = "/bench\x00"
	key, layoutKey := "", ""
	if cached {
		key = keyPrefix + spec + "\x00" + strconv.Itoa(pad) + "\x00" + fail
		layoutKey = key[:len(keyPrefix)+len(spec)]
	} else {
		layoutKey = keyPrefix + spec
	}
	pls := make([]pagelet.Pagelet, len(delays))
	for i, d := range delays {
		f := FaultNone
		if faults != nil {
			f = faults[i]
		}
		pls[i] = benchPagelet(i, d, pad, f)
		if cached {
			pls[i].Cache = benchCache(key)
		}
	}
	return &pagelet.Page{
		Title:     "BigPipe benchmark",
		Lang:      "en",
		Head:      benchHeads[len(delays)],
		InlineCSS: benchInlineCSS, // 1 KB: first paint waits for no request
		Layout:    func(slot pagelet.Slot) templ.Component { return BenchLayout(delays, slot) },
		LayoutKey: layoutKey,
		Pagelets:  pls,
	}, nil
}

// benchInlineCSS is /bench's InlineCSS (the renderer only reads it).
var benchInlineCSS = []string{"css/bench.css"}

// benchHeads are /bench's head markup for 0 to MaxBenchPagelets pagelets
// (its description says how many), rendered once: the page function and
// the head run for every request, the fully cached page's too.
var benchHeads = func() (heads [MaxBenchPagelets + 1]templ.Component) {
	for n := range heads {
		var b strings.Builder
		desc := "BigPipe benchmark page: " + strconv.Itoa(n) + " pagelets, each shown as soon as its own delay has passed."
		if err := headMeta(desc, false).Render(context.Background(), &b); err != nil {
			panic("pages: /bench head: " + err.Error()) // a constant template over a constant text
		}
		heads[n] = templ.Raw(b.String())
	}
	return heads
}()

// Why an injected fault's pagelet failed (the client only sees its fallback).
var (
	errBenchFault = errors.New("pages: injected fault")
	errBenchLate  = errors.New("pages: injected fault: backend answered after the pagelet's timeout")
)

// benchPagelet is pagelet pI of /bench with delay d, pad bytes of filler
// and fault f.
func benchPagelet(i int, d time.Duration, pad int, f Fault) pagelet.Pagelet {
	p := pagelet.Pagelet{
		ID:          benchIDs[i],
		Placeholder: benchPlaceholder,
		Fallback:    benchFallbacks[i],
		Timeout:     d + 5*time.Second,
	}
	if f == FaultNone && d == 0 && pad == 0 { // made once (the zero-delay page of the load figures)
		p.Load = benchInstantLoads[i]
		return p
	}
	if f == FaultNone { // one closure: the page function runs for every request
		p.Load = func(ctx context.Context) (templ.Component, error) {
			if err := benchWait(ctx, d); err != nil {
				return nil, err
			}
			return BenchPagelet(i, d, benchFiller(pad)), nil
		}
		return p
	}
	view := func(i int) templ.Component { return BenchPagelet(i, d, benchFiller(pad)) }
	switch f {
	case FaultError:
		p.Load = pagelet.Fetch(fail(sleep(i, d), func() (int, error) { return 0, errBenchFault }), view)
	case FaultPanic:
		p.Load = pagelet.Fetch(fail(sleep(i, d), func() (int, error) { panic("pages: injected panic in pagelet " + benchIDs[i]) }), view)
	case FaultHang, FaultTimeout:
		p.Timeout = max(d/2, time.Millisecond)
		wait := max(d, 2*p.Timeout)
		if f == FaultHang {
			p.Load = func(context.Context) (templ.Component, error) {
				time.Sleep(wait) // ignores ctx, yet always returns
				return nil, errBenchLate
			}
		} else {
			p.Load = pagelet.Fetch(fail(sleep(i, wait), func() (int, error) { return 0, errBenchLate }), view)
		}
	case FaultBadRender:
		p.Load = pagelet.Fetch(sleep(i, d), func(i int) templ.Component {
			return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
				if _, err := fmt.Fprintf(w, `<div class="bench-body"><p>PAGELET-p%d-PARTIAL`, i); err != nil {
					return err
				}
				return errBenchFault
			})
		})
	}
	return p
}

// fail runs fetch (which honours ctx) and, if it succeeds, answers with
// then instead.
func fail(fetch func(context.Context) (int, error), then func() (int, error)) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if _, err := fetch(ctx); err != nil {
			return 0, err
		}
		return then()
	}
}

// benchFiller is n bytes of plain text.
func benchFiller(n int) string {
	const word = "filler "
	if n <= 0 {
		return ""
	}
	return strings.Repeat(word, n/len(word)+1)[:n]
}

// sleep is the benchmark's backend: ready after d, or gone with ctx.
func sleep(i int, d time.Duration) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if err := benchWait(ctx, d); err != nil {
			return 0, err
		}
		return i, nil
	}
}

// benchWait waits d, or until ctx ends.
func benchWait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// benchHeading is the text of pagelet id's heading, "Pagelet p0 (50ms)",
// written without templ's fmt.Sprint for each { expression }: the layout
// is rendered for every request, the fully cached page's too.
func benchHeading(id string, d time.Duration) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, "Pagelet "+id+" ("+templ.EscapeString(d.String())+")")
		return err
	})
}

// The placeholder every /bench pagelet shows, the fallback of each, and
// the Load of each with no delay, no pad and no fault, made once.
var (
	benchInstantLoads = func() (ls [MaxBenchPagelets]func(context.Context) (templ.Component, error)) {
		for i := range ls {
			c := BenchPagelet(i, 0, "")
			ls[i] = func(context.Context) (templ.Component, error) { return c, nil }
		}
		return ls
	}()
	benchPlaceholder = BenchPlaceholder()
	benchFallbacks   = func() (fs [MaxBenchPagelets]func(error) templ.Component) {
		for i := range fs {
			c := BenchFallback(i)
			fs[i] = func(error) templ.Component { return c }
		}
		return fs
	}()
)
