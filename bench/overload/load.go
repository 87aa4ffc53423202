package overload

// The mixed load: requests of every kind started open-loop at a rate,
// whatever the server's latency, each on a keep-alive connection of the
// raw client taken from a pool, and each answer judged.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// kind is one kind of request of the mix.
type kind int

const (
	kindHome     kind = iota // GET /
	kindArticle              // GET /article/{slug}
	kindFragment             // GET /article/{slug}?bigpipe_fragment=comments
	kindComment              // POST /article/{slug}/comments
	kindMessage              // POST /messages/{name}
	kindLive                 // GET /_live/sse, held open
	kinds
)

var kindNames = [kinds]string{"front page", "article", "fragment", "comment", "message", "live connect"}

func (k kind) String() string { return kindNames[k] }

// mix is each kind's share of the rate: at rate R, R×mix[k] requests of
// kind k start each second. Pages are most of it, as on a news site (a
// post for every 20 pages read); a
// live connection is held for Config.Hold, so R×mix[kindLive]×Hold are
// open at once.
var mix = [kinds]float64{0.42, 0.42, 0.06, 0.02, 0.02, 0.06}

// outcome is how one request ended.
type outcome int

const (
	okWhole    outcome = iota // 2xx, whole (a page ending with </html>, a live connection held to the end)
	okFallback                // a whole page with a pagelet's fallback: degraded, shown as such
	shed                      // 503 with Retry-After
	failed                    // anything else: a 5xx, a 503 without Retry-After, a 4xx, a cut page, a reset or timeout
	abandoned                 // the client left before the answer: the load ended (live connects only)
	outcomes
)

// tally counts one step's requests.
type tally struct {
	mu       sync.Mutex
	n        [kinds][outcomes]int
	skipped  [kinds]int             // not started: the client's bound on requests in flight was reached
	retried  [kinds]int             // sent again on a new connection: the kept-alive one closed before any answer
	latency  [kinds][]time.Duration // of okWhole and okFallback answers
	failures map[string]int         // failed, by kind and reason
	samples  []string               // the first few failures in full
}

func newTally() *tally { return &tally{failures: map[string]int{}} }

func (t *tally) add(k kind, o outcome, d time.Duration, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n[k][o]++
	switch o {
	case okWhole, okFallback:
		t.latency[k] = append(t.latency[k], d)
	case failed:
		t.failures[k.String()+": "+reason]++
		if len(t.samples) < 10 {
			t.samples = append(t.samples, fmt.Sprintf("%s after %v: %s", k, d.Round(time.Millisecond), reason))
		}
	}
}

func (t *tally) retry(k kind) {
	t.mu.Lock()
	t.retried[k]++
	t.mu.Unlock()
}

func (t *tally) skip(k kind) {
	t.mu.Lock()
	t.skipped[k]++
	t.mu.Unlock()
}

// total sums outcome o over every kind.
func (t *tally) total(o outcome) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for k := range kinds {
		n += t.n[k][o]
	}
	return n
}

// loadSpec is one run of the load.
type loadSpec struct {
	Rate        float64       // R: requests of the mix per second (see mix)
	For         time.Duration // how long requests are started
	MaxInFlight int           // requests in flight at most; an arrival beyond is skipped
	Hold        time.Duration // how long a live connection is held
}

// runLoad offers the mix at s.Rate for s.For against site, then closes
// the live connections still open and waits for the last request to end.
// Every post it makes is recorded in site's ledger.
func runLoad(ctx context.Context, site *target, s loadSpec) *tally {
	t := newTally()
	pool := &connPool{addr: site.addr}
	defer pool.close()
	var (
		wg       sync.WaitGroup
		inFlight atomic.Int64
		due      [kinds]float64
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const tick = 10 * time.Millisecond
	start := time.Now()
	last := start
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for ctx.Err() == nil && time.Since(start) < s.For {
		select {
		case <-ctx.Done():
		case now := <-tk.C:
			elapsed := now.Sub(last).Seconds()
			last = now
			for k := range kinds {
				due[k] += s.Rate * mix[k] * elapsed
				for ; due[k] >= 1; due[k]-- {
					if inFlight.Load() >= int64(s.MaxInFlight) {
						t.skip(k)
						continue
					}
					inFlight.Add(1)
					wg.Go(func() {
						defer inFlight.Add(-1)
						if k == kindLive {
							site.live(ctx, t, s.Hold)
							return
						}
						site.request(t, pool, k)
					})
				}
			}
		}
	}
	cancel() // the clients go: live connections still held are closed (whole)
	wg.Wait()
	return t
}

// connPool keeps the idle keep-alive connections of the raw client.
type connPool struct {
	addr string
	mu   sync.Mutex
	idle []idleConn
}

type idleConn struct {
	c     *measure.RawConn
	since time.Time
}

// requestTimeout bounds one request: far beyond any sane answer, so that
// a request that hits it is a failure the server caused.
const requestTimeout = 30 * time.Second

// maxIdle is how long a connection may stay idle in the pool: well under
// the server's 120 s IdleTimeout, as net/http's Transport (90 s) and
// browsers keep theirs, so that the pool seldom hands out one the server
// is closing.
const maxIdle = 60 * time.Second

// get returns an idle connection, the most recently used first, and true;
// or a new one and false.
func (p *connPool) get() (*measure.RawConn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		ic := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if time.Since(ic.since) < maxIdle {
			return ic.c, true
		}
		ic.c.Close()
	}
	return p.fresh(), false
}

// fresh returns a new connection, dialled on first use.
func (p *connPool) fresh() *measure.RawConn { return measure.NewRawConn(p.addr, nil, requestTimeout) }

func (p *connPool) put(c *measure.RawConn) {
	p.mu.Lock()
	p.idle = append(p.idle, idleConn{c: c, since: time.Now()})
	p.mu.Unlock()
}

func (p *connPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ic := range p.idle {
		ic.c.Close()
	}
	p.idle = nil
}

// clientIP is a client address for X-Forwarded-For (the server trusts
// its loopback peer as a proxy): one of 2^20 in 10.0.0.0/8, so that no
// reader's address posts often enough to meet the comment rate.
func clientIP() string {
	n := rand.IntN(1 << 20)
	return fmt.Sprintf("10.%d.%d.%d", n>>12, (n>>4)&255, 1+n&15)
}
