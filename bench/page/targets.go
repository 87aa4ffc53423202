package page

import (
	"fmt"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// Status is the outcome of checking one target.
type Status string

// The outcomes. Skipped means the figures are missing (a part of the
// benchmark did not run or failed): the target is neither met nor missed.
const (
	Met     Status = "MET"
	Missed  Status = "MISSED"
	Skipped Status = "SKIPPED"
)

// The targets of the issue.
const (
	maxPipelinedTTFB   = 5 * time.Millisecond  // pipelined first byte, every scenario
	maxMarkerLate      = 5 * time.Millisecond  // each pipelined marker against its delay
	maxLastLate        = 10 * time.Millisecond // pipelined last byte against the slowest delay
	maxFCPOverFloor    = 20 * time.Millisecond // pipelined FCP against the zero-delay page's
	maxVisibleLate     = 30 * time.Millisecond // each pagelet visible against its delay
	minThroughputRatio = 0.90                  // pipelined rps / serial rps, every concurrency
	capacityTarget     = 10_000                // in-flight pipelined pages
	maxRSSPerPage      = 64 << 10              // bytes of server RSS per in-flight page
	maxLiveRSSPerConn  = livebench.RSSTarget   // bytes of server RSS per idle live connection, each transport
	maxLiveVisibleP50  = 20 * time.Millisecond // publish → visible in Chromium
	maxLiveVisibleP99  = 50 * time.Millisecond
	// publish → visible in Chromium with the page on another instance
	// than the publisher, through Redis
	maxClusterVisibleP50 = 25 * time.Millisecond
	maxClusterVisibleP99 = 60 * time.Millisecond
)

// Target is one target checked against the figures: the overall status,
// the worst figure, and one line per scenario or level checked.
type Target struct {
	Goal    string   `json:"goal"`
	Status  Status   `json:"status"`
	Figure  string   `json:"figure"`
	Details []string `json:"details,omitempty"`
}

// check is one target checked on one scenario or level. worse orders the
// checks of the same status: the highest is the figure the target reports.
type check struct {
	where  string
	status Status
	worse  float64
	figure string
}

// aggregate folds checks into a target: missed if any is missed; else
// skipped if any is skipped (a target "in every scenario" is not met while
// one is unmeasured); else met. The figure is the worst measured check's.
func aggregate(goal string, checks []check) Target {
	t := Target{Goal: goal, Status: Met}
	if len(checks) == 0 {
		return Target{Goal: goal, Status: Skipped, Figure: "no data"}
	}
	worst := -1
	var skipped []string
	for i, c := range checks {
		t.Details = append(t.Details, fmt.Sprintf("%s %s: %s", c.status, c.where, c.figure))
		switch c.status {
		case Skipped:
			skipped = append(skipped, c.where)
			continue
		case Missed:
			t.Status = Missed
		}
		if worst < 0 || worseCheck(c, checks[worst]) {
			worst = i
		}
	}
	if t.Status != Missed && len(skipped) > 0 {
		t.Status = Skipped
	}
	switch {
	case worst >= 0:
		t.Figure = "worst " + checks[worst].where + ": " + checks[worst].figure
		if len(skipped) > 0 {
			t.Figure += "; not measured: " + strings.Join(skipped, ", ")
		}
	default:
		t.Figure = "not measured: " + strings.Join(skipped, ", ")
	}
	return t
}

// worseCheck reports whether a is the worse of two measured checks: a
// missed one before a met one, then the higher worse.
func worseCheck(a, b check) bool {
	if (a.status == Missed) != (b.status == Missed) {
		return a.status == Missed
	}
	return a.worse > b.worse
}

func statusIf(ok bool) Status {
	if ok {
		return Met
	}
	return Missed
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// fmtMS formats d in milliseconds, to 0.1 ms.
func fmtMS(d time.Duration) string { return fmt.Sprintf("%.1f ms", measure.MS(d)) }

// fmtGoal formats a target's bound: "5 ms".
func fmtGoal(d time.Duration) string { return fmt.Sprintf("%.0f ms", measure.MS(d)) }

// fmtOff formats a signed offset in milliseconds: "+1.3 ms".
func fmtOff(d time.Duration) string { return fmt.Sprintf("%+.1f ms", measure.MS(d)) }

// evaluateTargets checks every target of the issue against r.
func evaluateTargets(r *Report) []Target {
	var ttfb, serial, markers, last, fcp, visible, nativeVisible []check
	for _, sc := range r.Scenarios {
		slow := slowest(sc.Delays)
		wp, ws := sc.Wire[Pipelined], sc.Wire[Serial]
		if wp == nil || len(wp.Runs) == 0 {
			ttfb = append(ttfb, check{sc.Name, Skipped, 0, "no pipelined wire figures"})
			markers = append(markers, check{sc.Name, Skipped, 0, "no pipelined wire figures"})
			last = append(last, check{sc.Name, Skipped, 0, "no pipelined wire figures"})
		} else {
			d := wp.TTFB.Median
			ttfb = append(ttfb, check{sc.Name, statusIf(d <= maxPipelinedTTFB), measure.MS(d), fmtMS(d)})

			wi, woff := -1, time.Duration(0)
			for i, m := range wp.Markers {
				if off := m.Median - sc.Delays[i]; wi < 0 || absDur(off) > absDur(woff) {
					wi, woff = i, off
				}
			}
			if wi >= 0 {
				markers = append(markers, check{sc.Name, statusIf(absDur(woff) <= maxMarkerLate), measure.MS(absDur(woff)),
					fmt.Sprintf("p%d %s (%s for a %s delay)", wi, fmtOff(woff), fmtMS(wp.Markers[wi].Median), fmtMS(sc.Delays[wi]))})
			}

			off := wp.Last.Median - slow
			last = append(last, check{sc.Name, statusIf(absDur(off) <= maxLastLate), measure.MS(absDur(off)),
				fmt.Sprintf("%s (%s for a slowest delay of %s)", fmtOff(off), fmtMS(wp.Last.Median), fmtMS(slow))})
		}
		if ws == nil || len(ws.Runs) == 0 {
			serial = append(serial, check{sc.Name, Skipped, 0, "no serial wire figures"})
		} else {
			d := ws.TTFB.Median
			serial = append(serial, check{sc.Name, statusIf(d >= slow), measure.MS(slow - d),
				fmt.Sprintf("%s for a slowest delay of %s", fmtMS(d), fmtMS(slow))})
		}

		bp := sc.Browser[Pipelined]
		if bp == nil || len(bp.Runs) == 0 || sc.BrowserFloor == nil {
			why := "no browser figures"
			if sc.BrowserError != "" {
				why += " (" + sc.BrowserError + ")"
			}
			fcp = append(fcp, check{sc.Name, Skipped, 0, why})
			visible = append(visible, check{sc.Name, Skipped, 0, why})
			nativeVisible = append(nativeVisible, check{sc.Name, Skipped, 0, why})
			continue
		}
		over := bp.FCP.Median - sc.BrowserFloor.FCP
		fcp = append(fcp, check{sc.Name, statusIf(over <= maxFCPOverFloor), measure.MS(over),
			fmt.Sprintf("%s over the floor (FCP %s, floor %s)", fmtOff(over), fmtMS(bp.FCP.Median), fmtMS(sc.BrowserFloor.FCP))})
		visible = append(visible, visibleCheck(sc, Pipelined, bp))
		if nb := sc.Browser[Native]; nb != nil && len(nb.Runs) > 0 {
			nativeVisible = append(nativeVisible, visibleCheck(sc, Native, nb))
		} else {
			nativeVisible = append(nativeVisible, check{sc.Name, Skipped, 0, "no native browser figures"})
		}
	}

	return append([]Target{
		aggregate(fmt.Sprintf("pipelined first byte ≤ %s (median) in every scenario", fmtGoal(maxPipelinedTTFB)), ttfb),
		aggregate("serial first byte ≥ the slowest delay in every scenario", serial),
		aggregate(fmt.Sprintf("each pipelined marker within %s of its delay", fmtGoal(maxMarkerLate)), markers),
		aggregate(fmt.Sprintf("pipelined last byte within %s of the slowest delay", fmtGoal(maxLastLate)), last),
		aggregate(fmt.Sprintf("Chromium: pipelined FCP within %s of the zero-delay page's (the floor)", fmtGoal(maxFCPOverFloor)), fcp),
		aggregate(fmt.Sprintf("Chromium: each pipelined pagelet visible within %s of its delay (after the request was sent, and not before the floor)", fmtGoal(maxVisibleLate)), visible),
		throughputTarget(r),
		capacityTargetOf(r),
		frontTarget(r.FrontPage),
		liveRSSTargetOf(r),
		liveVisibleTarget(r, "p50", maxLiveVisibleP50, func(v *livebench.LiveVisible) time.Duration { return v.P50 }),
		liveVisibleTarget(r, "p99", maxLiveVisibleP99, func(v *livebench.LiveVisible) time.Duration { return v.P99 }),
		clusterVisibleTarget(r, "p50", maxClusterVisibleP50, func(v *livebench.LiveVisible) time.Duration { return v.P50 }),
		clusterVisibleTarget(r, "p99", maxClusterVisibleP99, func(v *livebench.LiveVisible) time.Duration { return v.P99 }),
		clusterRSSTargetOf(r),
		aggregate(fmt.Sprintf("Chromium: each native-mode pagelet visible within %s of its delay (the same rule)", fmtGoal(maxVisibleLate)), nativeVisible),
	}, cacheTargets(r)...)
}

// visibleCheck is scenario sc's worst pagelet in mode m (whose browser
// figures are b): a pagelet is due when its data exists (the request sent
// plus its delay) and the browser can paint at all (the floor), whichever
// is later; it is late by how long after that it became visible.
func visibleCheck(sc *ScenarioResult, m Mode, b *BrowserStats) check {
	wi, woff, wdue := -1, time.Duration(0), time.Duration(0)
	for i, v := range b.Visible {
		due := max(b.RequestStart.Median+sc.Delays[i], sc.BrowserFloor.FCP)
		if off := v.Median - due; wi < 0 || off > woff {
			wi, woff, wdue = i, off, due
		}
	}
	if wi < 0 {
		return check{sc.Name, Skipped, 0, "no pagelets"}
	}
	lag := ""
	if m == Pipelined {
		lag = paintLag(sc, wi)
	}
	return check{sc.Name, statusIf(woff <= maxVisibleLate), measure.MS(woff),
		fmt.Sprintf("p%d %s after it was due at %s (visible at %s; delay %s, request sent at %s, floor %s)%s",
			wi, fmtOff(woff), fmtMS(wdue), fmtMS(b.Visible[wi].Median), fmtMS(sc.Delays[wi]),
			fmtMS(b.RequestStart.Median), fmtMS(sc.BrowserFloor.FCP), lag)}
}

// liveRSSTargetOf checks each transport's idle connections: every one held,
// no error, at most maxLiveRSSPerConn of server RSS each. A transport
// measured with fewer than livebench.RSSMinConns connections is not judged.
func liveRSSTargetOf(r *Report) Target {
	goal := fmt.Sprintf("live: ≤ %d KiB server RSS per idle connection, SSE and WebSocket (%d of each)", maxLiveRSSPerConn>>10, livebench.ConnsDefault)
	var conns []livebench.LiveConns
	if r.Live != nil {
		conns = r.Live.Conns
	}
	t := rssTarget(goal, conns, r.Live)
	if len(conns) == 0 && r.LiveError != "" {
		t.Figure = "no data: " + r.LiveError
	}
	return t
}

// clusterRSSTargetOf is liveRSSTargetOf for the idle connections of a
// server whose broker is Redis.
func clusterRSSTargetOf(r *Report) Target {
	goal := fmt.Sprintf("live with the Redis broker: ≤ %d KiB server RSS per idle connection, SSE and WebSocket", maxLiveRSSPerConn>>10)
	cl := liveClusterOf(r)
	var conns []livebench.LiveConns
	if cl != nil {
		conns = cl.Conns
	}
	t := rssTarget(goal, conns, r.Live)
	if len(conns) == 0 {
		t.Figure = "no data" + clusterWhyNot(r)
	}
	return t
}

// liveClusterOf is r's cluster figures, nil if none.
func liveClusterOf(r *Report) *livebench.LiveCluster {
	if r.Live == nil {
		return nil
	}
	return r.Live.Cluster
}

// clusterWhyNot says why the cluster part has no figures: ": <reason>",
// or "" when nothing says.
func clusterWhyNot(r *Report) string {
	switch cl := liveClusterOf(r); {
	case cl != nil && cl.Skipped != "":
		return ": " + cl.Skipped
	case cl != nil && len(cl.Errors) > 0:
		return ": " + strings.Join(cl.Errors, "; ")
	case cl == nil && r.Live != nil:
		return ": not run (-no-live-cluster)"
	}
	return ""
}

// rssTarget checks each transport's idle connections: every one held, no
// error, at most maxLiveRSSPerConn of server RSS each. A transport
// measured with fewer than livebench.RSSMinConns connections is not judged.
func rssTarget(goal string, conns []livebench.LiveConns, l *livebench.LiveResult) Target {
	var checks []check
	if l != nil {
		for _, c := range conns {
			fig := fmt.Sprintf("%.1f KiB RSS (%.1f KiB heap, %.1f KiB stacks) per connection, %d of %d held, %d errors",
				c.RSSPerConn/1024, c.HeapPerConn/1024, c.StackPerConn/1024, c.Held, c.Conns, c.Errors)
			if c.Conns < c.Asked {
				fig += fmt.Sprintf(" (%d asked: the open-file limit is %d)", c.Asked, l.FDLimit)
			}
			if c.Conns < livebench.RSSMinConns {
				checks = append(checks, check{c.Transport, Skipped, 0, fmt.Sprintf("only %d connections tried: %s", c.Conns, fig)})
				continue
			}
			ok := c.Errors == 0 && c.Held == c.Conns && c.RSSPerConn <= maxLiveRSSPerConn
			checks = append(checks, check{c.Transport, statusIf(ok), c.RSSPerConn, fig})
		}
	}
	return aggregate(goal, checks)
}

// liveVisibleTarget checks one percentile of publish → visible in Chromium
// over each transport measured; a run where a publication was not shown
// misses it.
func liveVisibleTarget(r *Report, name string, bound time.Duration, pick func(*livebench.LiveVisible) time.Duration) Target {
	goal := fmt.Sprintf("live: publish → visible in Chromium %s ≤ %s, SSE and WebSocket", name, fmtGoal(bound))
	var vis []livebench.LiveVisible
	if r.Live != nil {
		vis = r.Live.Visible
	}
	t := visibleTarget(goal, name, bound, vis, pick)
	if len(vis) == 0 && r.Live != nil && len(r.Live.Errors) > 0 {
		t.Figure = "no data: " + strings.Join(r.Live.Errors, "; ")
	}
	return t
}

// clusterVisibleTarget checks one percentile of publish → visible across
// instances: the page on one, the publications made on another, through
// Redis.
func clusterVisibleTarget(r *Report, name string, bound time.Duration, pick func(*livebench.LiveVisible) time.Duration) Target {
	goal := fmt.Sprintf("live across instances (Redis): publish on A → visible in Chromium on B or C %s ≤ %s, SSE and WebSocket", name, fmtGoal(bound))
	var vis []livebench.LiveVisible
	if cl := liveClusterOf(r); cl != nil {
		vis = cl.Visible
	}
	t := visibleTarget(goal, name, bound, vis, pick)
	if len(vis) == 0 {
		t.Figure = "no data" + clusterWhyNot(r)
	}
	return t
}

// visibleTarget checks one percentile of each transport's publish →
// visible; a run where a publication was not shown misses it.
func visibleTarget(goal, name string, bound time.Duration, vis []livebench.LiveVisible, pick func(*livebench.LiveVisible) time.Duration) Target {
	var checks []check
	for i := range vis {
		v := &vis[i]
		d := pick(v)
		fig := fmt.Sprintf("%s %s over %d publications, %d shown", name, fmtMS(d), v.Publications, v.Shown)
		checks = append(checks, check{v.Transport, statusIf(v.Shown > 0 && d <= bound && v.Shown == v.Publications), measure.MS(d), fig})
	}
	return aggregate(goal, checks)
}

// paintLag says how long Chromium took from pagelet i's bytes on the wire to
// its paint, pipelined and as inline HTML (inorder) in the same run: the
// browser's own share of a late pagelet. Empty without those figures.
func paintLag(sc *ScenarioResult, i int) string {
	var parts []string
	for _, m := range []Mode{Pipelined, InOrder} {
		w, b := sc.Wire[m], sc.Browser[m]
		if w == nil || b == nil || i >= len(w.Markers) || i >= len(b.Visible) || len(b.Runs) == 0 {
			continue
		}
		name := "pipelined"
		if m == InOrder {
			name = "inline HTML (inorder)"
		}
		lag := b.Visible[i].Median - (b.RequestStart.Median + w.Markers[i].Median)
		parts = append(parts, fmt.Sprintf("%s %s", name, fmtOff(lag)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; from its bytes to its paint: " + strings.Join(parts, ", ")
}

// throughputTarget checks pipelined against serial throughput of the
// zero-delay page at every concurrency level measured.
func throughputTarget(r *Report) Target {
	goal := fmt.Sprintf("zero-delay pipelined throughput ≥ %.0f %% of serial at every concurrency", minThroughputRatio*100)
	var levels []int
	rps := map[Mode]map[int]LoadResult{}
	for _, l := range r.Load {
		if rps[l.Mode] == nil {
			rps[l.Mode] = map[int]LoadResult{}
		}
		if _, ok := rps[l.Mode][l.Concurrency]; !ok && l.Mode == Pipelined {
			levels = append(levels, l.Concurrency)
		}
		rps[l.Mode][l.Concurrency] = l
	}
	var checks []check
	for _, c := range levels {
		where := fmt.Sprintf("c=%d", c)
		p := rps[Pipelined][c]
		s, ok := rps[Serial][c]
		if !ok || s.RPS <= 0 {
			checks = append(checks, check{where, Skipped, 0, "no serial figure"})
			continue
		}
		ratio := p.RPS / s.RPS
		fig := fmt.Sprintf("%.0f %% (%.0f vs %.0f rps)", ratio*100, p.RPS, s.RPS)
		st := statusIf(ratio >= minThroughputRatio)
		if p.Errors > 0 {
			fig += fmt.Sprintf(", %d pipelined errors", p.Errors)
			st = Missed
		}
		checks = append(checks, check{where, st, minThroughputRatio - ratio, fig})
	}
	t := aggregate(goal, checks)
	if len(checks) == 0 && r.LoadError != "" {
		t.Figure = "no data: " + r.LoadError
	}
	return t
}

// capacityTargetOf checks the capacity level of capacityTarget pages (or
// more): every page held, no error, under maxRSSPerPage each.
func capacityTargetOf(r *Report) Target {
	goal := fmt.Sprintf("%d in-flight pipelined pages without errors, < %d KiB RSS each", capacityTarget, maxRSSPerPage>>10)
	var checks []check
	largest := -1
	for i, c := range r.Capacity {
		if largest < 0 || c.Conns > r.Capacity[largest].Conns {
			largest = i
		}
		if c.Conns < capacityTarget {
			continue
		}
		ok := c.Errors == 0 && c.Held == c.Conns && c.RSSPerPage < maxRSSPerPage
		checks = append(checks, check{fmt.Sprintf("%d pages", c.Conns), statusIf(ok), c.RSSPerPage, capacityFigure(c)})
	}
	if len(checks) > 0 {
		return aggregate(goal, checks)
	}
	t := Target{Goal: goal, Status: Skipped, Figure: "no data"}
	switch {
	case largest >= 0:
		c := r.Capacity[largest]
		t.Figure = fmt.Sprintf("only %d pages tried: %s", c.Conns, capacityFigure(c))
	case r.CapacityError != "":
		t.Figure = "no data: " + r.CapacityError
	}
	return t
}

func capacityFigure(c CapacityResult) string {
	return fmt.Sprintf("%d of %d held, %d errors, %.1f KiB RSS and %.1f KiB heap per page",
		c.Held, c.Conns, c.Errors, c.RSSPerPage/1024, c.HeapPerPage/1024)
}
