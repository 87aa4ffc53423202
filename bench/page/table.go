package page

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// writeTable prints the report as tables: per scenario the wire figures by
// mode and each pagelet's arrival (and visibility in Chromium), then load,
// capacity and the targets. Times are medians in milliseconds unless the
// column says p90.
func writeTable(w io.Writer, r *Report) {
	m := r.Machine
	fmt.Fprintf(w, "BigPipe benchmark · %s · %s/%s, %d CPU %s · %s · commit %s\n",
		m.Date.Format("2006-01-02 15:04 MST"), m.GOOS, m.GOARCH, m.NumCPU, m.CPU, m.GoVersion, orDash(m.Commit))
	fmt.Fprintf(w, "server: %s · %d runs per mode · times in ms, medians unless p90\n", r.Server, r.Runs)

	for _, sc := range r.Scenarios {
		fmt.Fprintf(w, "\n== %s: delays %s ms", sc.Name, measure.DelaysSpec(sc.Delays))
		if doc := scenarioDoc(sc.Name); doc != "" {
			fmt.Fprintf(w, " (%s)", doc)
		}
		fmt.Fprintln(w)
		writeScenario(w, r.Modes, sc)
	}

	if fp := r.FrontPage; fp != nil {
		fmt.Fprintln(w, "\n== front page: the demo's / in Chromium, backends at 0 ms; when each pagelet's content was displayed")
		writeFrontPage(w, fp)
	}
	if len(r.NoJS) > 0 || r.NoJSError != "" {
		fmt.Fprintln(w, "\n== no-JS first visit: /bench?delays="+NoJSDelays+" in Chromium, JavaScript off, fresh profile; when each pagelet was shown, ms since navigation")
		writeNoJS(w, r.NoJS, r.NoJSError)
	}
	if len(r.Load) > 0 || r.LoadError != "" {
		fmt.Fprintln(w, "\n== load: zero-delay page, closed loop, whole pages")
		if r.LoadServer != "" {
			fmt.Fprintf(w, "server: %s\n", r.LoadServer)
		}
		writeLoad(w, r)
	}
	if len(r.Capacity) > 0 || r.CapacityError != "" {
		fmt.Fprintln(w, "\n== capacity: in-flight pipelined pages held open by a slow pagelet (the server built from this checkout, in a child process)")
		writeCapacity(w, r)
	}

	if r.Cache != nil || r.CacheError != "" {
		fmt.Fprintln(w, "\n== cache: the pagelet fragment cache; every server a child process on loopback, loaded by the bench's closed-loop Go client")
		writeCache(w, r)
	}

	if r.Live != nil || r.LiveError != "" {
		fmt.Fprintln(w, "\n== live: the live engine in a child process, idle connections from client processes, fan-out, publish → visible in Chromium")
		writeLive(w, r)
	}

	fmt.Fprintln(w, "\n== Targets")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Status, t.Goal, t.Figure)
		if t.Status == Missed { // say where, not only the worst case
			for _, d := range t.Details {
				fmt.Fprintf(tw, "\t\t  %s\n", d)
			}
		}
	}
	tw.Flush()
}

// writeScenario prints one scenario's tables.
func writeScenario(w io.Writer, modes []Mode, sc *ScenarioResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	browser := len(sc.Browser) > 0
	hdr := "mode\tTTFB\tlast\tp90 last\tbytes\tchunks\t"
	if browser {
		hdr += "FCP\tLCP\tp90 FCP\trequest\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, m := range modes {
		ws := sc.Wire[m]
		if ws == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t", m, f1(ws.TTFB.Median), f1(ws.Last.Median), f1(ws.Last.P90), ws.Bytes, ws.Chunks)
		if browser {
			if bs := sc.Browser[m]; bs != nil {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", f1(bs.FCP.Median), f1(bs.LCP.Median), f1(bs.FCP.P90), f1(bs.RequestStart.Median))
			} else {
				fmt.Fprint(tw, "-\t-\t-\t-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if sc.BrowserFloor != nil {
		fmt.Fprintf(w, "Chromium floor (this page with zero delays, pipelined): FCP %s, LCP %s\n", f1(sc.BrowserFloor.FCP), f1(sc.BrowserFloor.LCP))
	}
	if sc.BrowserError != "" {
		fmt.Fprintf(w, "browser: %s\n", sc.BrowserError)
	}

	// One row per pagelet: when its marker arrived on the wire, and when it
	// became visible in Chromium, per mode.
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	var b strings.Builder
	b.WriteString("pagelet\tdelay\t")
	for _, m := range modes {
		if sc.Wire[m] != nil {
			fmt.Fprintf(&b, "wire %s\t", m)
		}
	}
	for _, m := range modes {
		if sc.Browser[m] != nil {
			fmt.Fprintf(&b, "visible %s\t", m)
		}
	}
	fmt.Fprintln(tw, b.String())
	for i, d := range sc.Delays {
		b.Reset()
		fmt.Fprintf(&b, "p%d\t%s\t", i, f1(d))
		for _, m := range modes {
			if ws := sc.Wire[m]; ws != nil {
				fmt.Fprintf(&b, "%s\t", statAt(ws.Markers, i))
			}
		}
		for _, m := range modes {
			if bs := sc.Browser[m]; bs != nil {
				fmt.Fprintf(&b, "%s\t", statAt(bs.Visible, i))
			}
		}
		fmt.Fprintln(tw, b.String())
	}
	tw.Flush()
}

func writeLoad(w io.Writer, r *Report) {
	if r.LoadError != "" {
		fmt.Fprintf(w, "load: %s\n", r.LoadError)
	}
	if len(r.Load) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tconcurrency\trequests\terrors\trps\tp50\tp99\tvs serial\t")
	serial := map[int]float64{}
	for _, l := range r.Load {
		if l.Mode == Serial {
			serial[l.Concurrency] = l.RPS
		}
	}
	for _, m := range r.Modes {
		for _, l := range r.Load {
			if l.Mode != m {
				continue
			}
			vs := "-"
			if s := serial[l.Concurrency]; s > 0 {
				vs = fmt.Sprintf("%.0f %%", l.RPS/s*100)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", l.Mode, l.Concurrency, l.Requests, l.Errors, l.RPS, f2(l.P50), f2(l.P99), vs)
		}
	}
	tw.Flush()
}

func writeCapacity(w io.Writer, r *Report) {
	if r.CapacityError != "" {
		fmt.Fprintf(w, "capacity: %s\n", r.CapacityError)
	}
	if len(r.Capacity) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "conns\theld\tcompleted\terrors\tRSS/page KiB\theap/page KiB\tpeak RSS MiB\tpeak heap MiB\t")
	for _, c := range r.Capacity {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", c.Conns, c.Held, c.Completed, c.Errors,
			c.RSSPerPage/1024, c.HeapPerPage/1024, float64(c.PeakRSS)/(1<<20), float64(c.PeakHeap)/(1<<20))
	}
	tw.Flush()
}

func writeLive(w io.Writer, r *Report) {
	if r.LiveError != "" {
		fmt.Fprintf(w, "live: %s\n", r.LiveError)
	}
	l := r.Live
	if l == nil {
		return
	}
	if len(l.Conns) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "transport	asked	tried	held	errors	open s	RSS/conn KiB	heap/conn KiB	stack/conn KiB	goroutines/conn	peak RSS MiB	")
		for _, c := range l.Conns {
			gpc := 0.0
			if c.Held > 0 {
				gpc = float64(c.PeakGoroutines-c.BaseGoroutines) / float64(c.Held)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", c.Transport, c.Asked, c.Conns, c.Held, c.Errors,
				c.Open.Seconds(), c.RSSPerConn/1024, c.HeapPerConn/1024, c.StackPerConn/1024, gpc, float64(c.PeakRSS)/(1<<20))
		}
		tw.Flush()
		fmt.Fprintf(w, "open-file limit %d per process", l.FDLimit)
		for _, c := range l.Conns {
			if c.FirstError != "" {
				fmt.Fprintf(w, "; %s first error: %s", c.Transport, c.FirstError)
			}
		}
		fmt.Fprintln(w)
	}
	if len(l.Fanout) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "fan-out	subscribers	runs	median last ms	deliveries/s	all runs ms	")
		for _, f := range l.Fanout {
			var all []string
			for _, run := range f.Runs {
				all = append(all, f1(run.Last))
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.0f\t%s\t\n", f.Transport, f.Subscribers, len(f.Runs), f1(f.Last), f.Rate, strings.Join(all, " "))
		}
		tw.Flush()
	}
	if len(l.Visible) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "publish → visible\tclient's transport\tpublications\tshown\tp50 ms\tp99 ms\tmax ms\tconnected ms\t")
		for _, v := range l.Visible {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", v.Transport, v.Client, v.Publications, v.Shown, f1(v.P50), f1(v.P99), f1(v.Max), f1(v.Connect))
		}
		tw.Flush()
	}
	for _, e := range l.Errors {
		fmt.Fprintf(w, "live: %s\n", e)
	}
	if l.Cluster != nil {
		writeLiveCluster(w, l.Cluster)
	}
	if l.Readers != nil {
		writeReaders(w, l.Readers)
	}
}

// writeLiveCluster prints the figures across instances through Redis.
func writeLiveCluster(w io.Writer, c *livebench.LiveCluster) {
	fmt.Fprintf(w, "\n== live across %d instances through one redis-server %s (a child process each), in %v\n", c.Instances, c.Redis, c.Elapsed)
	if c.Skipped != "" {
		fmt.Fprintf(w, "skipped: %s\n", c.Skipped)
		return
	}
	if len(c.Visible) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "publish on A → visible on\tclient's transport\tpublications\tshown\tp50 ms\tp99 ms\tmax ms\tconnected ms\t")
		for i, v := range c.Visible {
			fmt.Fprintf(tw, "%c %s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", 'B'+i%(c.Instances-1), v.Transport, v.Client, v.Publications, v.Shown,
				f1(v.P50), f1(v.P99), f1(v.Max), f1(v.Connect))
		}
		tw.Flush()
	}
	if f := c.Fanout; f != nil {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "fan-out from A\tsubscribers\tper instance\truns\tmedian last ms\tdeliveries/s\tall runs ms\t")
		var all []string
		for _, run := range f.Runs {
			all = append(all, f1(run.Last))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%.0f\t%s\t\n", f.Transport, f.Subscribers, strings.Trim(fmt.Sprint(c.FanoutPer), "[]"),
			len(f.Runs), f1(f.Last), f.Rate, strings.Join(all, " "))
		tw.Flush()
	}
	if s := c.Storm; s != nil {
		recovered := 0.0
		if s.Resumed > 0 {
			recovered = 100 * float64(s.Recovered) / float64(s.Resumed)
		}
		fmt.Fprintf(w, "reconnect storm (%s): %d connections of C; %s\n", s.Transport, s.Conns, s.How)
		fmt.Fprintf(w, "  all resumed on A and B after %s ms: %d resumed, %d recovered (%.1f %%; %d of them with missed publications), %d refetched, %d failed attempts\n",
			f1(s.AllResumed), s.Resumed, s.Recovered, recovered, s.RecoveredPubs, s.Refetched, s.FailedAttempts)
		fmt.Fprintf(w, "  C's Engine.Close took %s ms%s; the connections saw their end from %s to %s ms after it began; from its end to its resume a connection took p50 %s, p99 %s, max %s ms\n",
			f1(s.Close), map[bool]string{true: " (" + s.CloseError + ")", false: ""}[s.CloseError != ""], f1(s.FirstDrop), f1(s.LastDrop), f1(s.ResumeP50), f1(s.ResumeP99), f1(s.ResumeMax))
		var ends []string
		for _, code := range slices.Sorted(maps.Keys(s.Ends)) {
			ends = append(ends, fmt.Sprintf("%d × code %d", s.Ends[code], code))
		}
		fmt.Fprintf(w, "  connection ends by disconnect code: %s (3001 shutdown; 0 none: the stream ended)\n", orDash(strings.Join(ends, ", ")))
		fmt.Fprintf(w, "  %d publications (one every %v) made on A meanwhile: %d of %d connections had the last, %d missing, %d twice\n",
			s.Publications, s.PubGap, s.Complete, s.Conns, s.Gaps, s.Dups)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  CPU over the %s ms storm\tCPU ms\t%% of a core\t\n", f1(s.Window))
		for _, p := range s.CPU {
			fmt.Fprintf(tw, "  %s\t%s\t%.0f\t\n", p.Process, f1(p.CPU), 100*p.Share)
		}
		tw.Flush()
		fmt.Fprintf(w, "  Redis INFO over the storm: %d commands, %s ms CPU\n", s.RedisCommands, f1(s.RedisCPU))
	}
	if len(c.Conns) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "idle, Redis broker\tasked\ttried\theld\terrors\topen s\tRSS/conn KiB\theap/conn KiB\tstack/conn KiB\tpeak RSS MiB\t")
		for _, k := range c.Conns {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", k.Transport, k.Asked, k.Conns, k.Held, k.Errors,
				k.Open.Seconds(), k.RSSPerConn/1024, k.HeapPerConn/1024, k.StackPerConn/1024, float64(k.PeakRSS)/(1<<20))
		}
		tw.Flush()
	}
	for _, e := range c.Errors {
		fmt.Fprintf(w, "live cluster: %s\n", e)
	}
}

// statAt is the median of ss[i] in ms, "-" when there is none.
func statAt(ss []measure.Stat, i int) string {
	if i >= len(ss) {
		return "-"
	}
	return f1(ss[i].Median)
}

// f1 and f2 format d in milliseconds to one and two decimals.
func f1(d time.Duration) string { return fmt.Sprintf("%.1f", measure.MS(d)) }
func f2(d time.Duration) string { return fmt.Sprintf("%.2f", measure.MS(d)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeFrontPage prints the front-page visits: per mode and kind of visit
// the medians of FCP, the first and last pagelet displayed, and each
// pagelet.
func writeFrontPage(w io.Writer, fp *FrontPage) {
	if fp.Error != "" {
		fmt.Fprintf(w, "error: %s\n", fp.Error)
	}
	if len(fp.Figures) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "mode\tvisit\truns\tFCP\tfirst\tlast\tp90 last\tunstyled\t")
	for _, id := range fp.Pagelets {
		fmt.Fprintf(tw, "%s\t", id)
	}
	fmt.Fprintln(tw)
	for _, fg := range fp.Figures {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t", fg.Mode, fg.Visit, len(fg.Runs),
			f1(fg.FCP.Median), f1(fg.First.Median), f1(fg.Last.Median), f1(fg.Last.P90), fg.Unstyled)
		for i := range fp.Pagelets {
			fmt.Fprintf(tw, "%s\t", statAt(fg.Shown, i))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// writeNoJS prints the no-JS first visits: per mode, each pagelet's median
// time shown, the last, and the documents requested.
func writeNoJS(w io.Writer, figs []NoJSFigure, errText string) {
	if errText != "" {
		fmt.Fprintf(w, "error: %s\n", errText)
	}
	if len(figs) == 0 {
		return
	}
	fmt.Fprintf(w, "%10s  %4s  %8s  %8s  %9s", "mode", "runs", "last", "p90 last", "documents")
	for i := range figs[0].Shown {
		fmt.Fprintf(w, "  %7s", fmt.Sprintf("p%d", i))
	}
	fmt.Fprintln(w)
	for _, f := range figs {
		fmt.Fprintf(w, "%10s  %4d  %8.1f  %8.1f  %9d", f.Mode, f.Runs, measure.MS(f.Last.Median), measure.MS(f.Last.P90), measure.Median(f.Requests))
		for _, s := range f.Shown {
			fmt.Fprintf(w, "  %7.1f", measure.MS(s.Median))
		}
		fmt.Fprintln(w)
	}
}
