package page

import (
	"fmt"
	"maps"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// The cache section's targets (issue 24).
const (
	minCachedVsLimit    = 0.60                   // fully cached page rps / the same bytes from a plain handler
	minFrontVsSerial    = 0.90                   // cached front page at realistic latencies / the zero-latency serial page
	maxFrontCachedP99   = 20 * time.Millisecond  // cached front page, time to last byte
	maxStalenessP99     = 100 * time.Millisecond // publication on A → served by B
	herdLoadsPerPagelet = 1                      // loads of each cached pagelet for the whole herd
)

// cacheTargets checks the cache section's figures.
func cacheTargets(r *Report) []Target {
	var c *cachebench.Result
	if r != nil {
		c = r.Cache
	}
	why := "no data"
	if r != nil && r.CacheError != "" {
		why = "no data: " + r.CacheError
	}
	skipped := func(goal string) Target { return Target{Goal: goal, Status: Skipped, Figure: why} }

	var out []Target
	goal := fmt.Sprintf("cache: the fully cached zero-delay page ≥ %.0f %% of the limit (the same bytes from a plain net/http handler), same client and concurrency; "+
		"the lower of the bench's client's and wrk's ratios", minCachedVsLimit*100)
	if l := cacheLimit(c); l != nil && l.Row(cachebench.RowLimit) != nil && l.Row(cachebench.RowCached) != nil && l.Row(cachebench.RowLimit).RPS > 0 {
		a, b := l.Row(cachebench.RowLimit), l.Row(cachebench.RowCached)
		ratio := b.RPS / a.RPS
		fig := fmt.Sprintf("%.0f %% (%.0f vs %.0f rps at c=%d)", ratio*100, b.RPS, a.RPS, l.Conns)
		if wa, wb := wrkRPS(l, cachebench.RowLimit), wrkRPS(l, cachebench.RowCached); wa > 0 && wb > 0 {
			// wrk costs the shared cores less per request than the
			// bench's client: its ratio shows more of the servers' own
			// difference. The lower of the two is judged.
			fig += fmt.Sprintf("; wrk %.0f %% (%.0f vs %.0f rps)", wb/wa*100, wb, wa)
			ratio = min(ratio, wb/wa)
		}
		if ch := l.Row(cachebench.RowChunked); ch != nil && ch.RPS > 0 {
			fig += fmt.Sprintf("; against the limit chunked %.0f %%", b.RPS/ch.RPS*100)
		}
		if a.CPU > 0 && b.CPU > 0 {
			fig += fmt.Sprintf("; server CPU per page %.0f vs %.0f µs", float64(b.CPU)/1e3, float64(a.CPU)/1e3)
		}
		st := statusIf(ratio >= minCachedVsLimit)
		if a.Errors+b.Errors > 0 {
			fig += fmt.Sprintf(", %d errors", a.Errors+b.Errors)
			st = Missed
		}
		out = append(out, aggregate(goal, []check{{"limit", st, minCachedVsLimit - ratio, fig}}))
	} else {
		out = append(out, skipped(goal))
	}

	goal = fmt.Sprintf("cache: concurrent cold front pages make each cached pagelet's backend calls once (%d load per pagelet, the calls of one page), every page whole", herdLoadsPerPagelet)
	if c != nil && c.Herd != nil {
		h := c.Herd
		n, which := h.MaxLoads()
		ok := n == herdLoadsPerPagelet && maps.Equal(h.Calls, h.OnePage) && h.Whole == h.Requests && len(h.LoadsFailed) == 0
		fig := fmt.Sprintf("%d requests: at most %d load of a pagelet (%s), %d backend calls against %d for one page, %d whole",
			h.Requests, n, orDash(which), sumU(h.Calls), sumU(h.OnePage), h.Whole)
		out = append(out, aggregate(goal, []check{{"herd", statusIf(ok), float64(n), fig}}))
	} else {
		out = append(out, skipped(goal))
	}

	front := func(goal string, f func(fr *cachebench.FrontResult, cached, zero *cachebench.Row) check) Target {
		if c == nil || c.Front == nil || c.Front.Row(cachebench.RowFrontCached) == nil || c.Front.Row(cachebench.RowSerialZero) == nil {
			return skipped(goal)
		}
		return aggregate(goal, []check{f(c.Front, c.Front.Row(cachebench.RowFrontCached), c.Front.Row(cachebench.RowSerialZero))})
	}
	out = append(out, front(fmt.Sprintf("cache: the front page with backends at 50–300 ms, cached, ≥ %.0f %% of the zero-latency serial page's throughput", minFrontVsSerial*100),
		func(fr *cachebench.FrontResult, cached, zero *cachebench.Row) check {
			if zero.RPS <= 0 {
				return check{"front page", Skipped, 0, "no serial-zero figure"}
			}
			ratio := cached.RPS / zero.RPS
			st := statusIf(ratio >= minFrontVsSerial && cached.Errors == 0)
			return check{fmt.Sprintf("c=%d", fr.Conns), st, minFrontVsSerial - ratio,
				fmt.Sprintf("%.0f %% (%.0f vs %.0f rps), %d errors", ratio*100, cached.RPS, zero.RPS, cached.Errors)}
		}))
	out = append(out, front(fmt.Sprintf("cache: the front page with backends at up to 300 ms, cached, its readers asking for a quarter of its throughput: p99 time to last byte < %s", fmtGoal(maxFrontCachedP99)),
		func(fr *cachebench.FrontResult, cached, _ *cachebench.Row) check {
			// Read back to back, the readers keep every core busy and a
			// page's time is mostly its wait for one: the bound is
			// judged on the paced readers, the saturated figure given.
			sat := fmt.Sprintf("back to back (%.0f pages/s): p99 %s", cached.RPS, fmtMS(cached.P99))
			if u := fr.Row(cachebench.RowFrontUncached); u != nil {
				sat += fmt.Sprintf(", uncached %s", fmtMS(u.P99))
			}
			p := fr.PacedRow(cachebench.RowFrontCached)
			if p == nil {
				return check{fmt.Sprintf("c=%d", fr.Conns), Skipped, 0, "no paced figures; " + sat}
			}
			fig := fmt.Sprintf("p99 %s (p50 %s) at %.0f pages/s", fmtMS(p.P99), fmtMS(p.P50), fr.PacedRate)
			if u := fr.PacedRow(cachebench.RowFrontUncached); u != nil {
				fig += fmt.Sprintf(", uncached p99 %s", fmtMS(u.P99))
			}
			return check{fmt.Sprintf("c=%d", fr.Conns), statusIf(p.P99 < maxFrontCachedP99 && p.Errors == 0), measure.MS(p.P99), fig + "; " + sat}
		}))

	goal = fmt.Sprintf("cache: a publication on instance A served by instance B within %s (p99), every one", fmtGoal(maxStalenessP99))
	switch s := cacheStale(c); {
	case s == nil:
		out = append(out, skipped(goal))
	case s.Skipped != "":
		out = append(out, Target{Goal: goal, Status: Skipped, Figure: "not measured: " + s.Skipped})
	default:
		fig := fmt.Sprintf("p99 %s (p50 %s, max %s), %d of %d publications served", fmtMS(s.P99), fmtMS(s.P50), fmtMS(s.Max), s.Seen, s.Pubs)
		out = append(out, aggregate(goal, []check{{"two instances", statusIf(s.Seen == s.Pubs && s.P99 <= maxStalenessP99), measure.MS(s.P99), fig}}))
	}
	return out
}

// wrkRPS is wrk's figure for the limit part's row name, 0 if none.
func wrkRPS(l *cachebench.LimitResult, name string) float64 {
	for _, w := range l.Wrk {
		if w.Name == name {
			return w.RPS
		}
	}
	return 0
}

func cacheLimit(c *cachebench.Result) *cachebench.LimitResult {
	if c == nil {
		return nil
	}
	return c.Limit
}

func cacheStale(c *cachebench.Result) *cachebench.StaleResult {
	if c == nil {
		return nil
	}
	return c.Staleness
}

func sumU(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
