package page

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
)

// writeCache prints the cache section: the limit, the herd, the front
// page, staleness.
func writeCache(w io.Writer, r *Report) {
	if r.CacheError != "" {
		fmt.Fprintf(w, "cache: %s\n", r.CacheError)
	}
	c := r.Cache
	if c == nil {
		return
	}
	if l := c.Limit; l != nil {
		fmt.Fprintf(w, "limit: /bench, 6 zero-delay pagelets, pipelined (%d B), %d connections, %d rounds of %v each in turn; "+
			"limit = a plain http.HandlerFunc writing the cached page's response from memory (its headers, Content-Length among them, and body), in the same process; "+
			"limit-chunked = the same without Content-Length (chunked, as net/http frames a handler's write when nobody says its length)\n", l.Bytes, l.Conns, l.Rounds, l.Round)
		if r := l.Row(cachebench.RowReact); r != nil {
			fmt.Fprintf(w, "react = React 19's streaming server (renderToPipeableStream, Node, NODE_ENV=production) rendering the same page (%d B): "+
				"six Suspense boundaries whose data is ready at once, nothing cached (bench/cachebench/react)\n", r.Bytes)
		}
		writeCacheRows(w, l.Rows, cachebench.RowLimit, "vs limit")
		if l.ReactNote != "" {
			fmt.Fprintf(w, "react: %s\n", l.ReactNote)
		}
		switch {
		case len(l.Wrk) > 0:
			var parts []string
			var limit float64
			for _, row := range l.Wrk {
				if row.Name == cachebench.RowLimit {
					limit = row.RPS
				}
			}
			for _, row := range l.Wrk {
				s := fmt.Sprintf("%s %.0f", row.Name, row.RPS)
				if limit > 0 && row.Name != cachebench.RowLimit {
					s += fmt.Sprintf(" (%.0f %%)", row.RPS/limit*100)
				}
				if len(row.Runs) > 1 {
					s += " [" + joinF0(row.Runs) + "]"
				}
				parts = append(parts, s)
			}
			fmt.Fprintf(w, "wrk -c%d -t2, %d rounds of %v each in turn, median rps [each round]: %s\n", l.Conns, l.Rounds, l.Round, strings.Join(parts, ", "))
		case l.WrkNote != "":
			fmt.Fprintf(w, "wrk: %s\n", l.WrkNote)
		}
	}
	if h := c.Herd; h != nil {
		fmt.Fprintf(w, "herd: %d concurrent requests to the cold front page, backends %s: %d whole (%s) in %s, p50 %s ms, max %s ms\n",
			h.Requests, h.Latency, h.Whole, counts(h.Modes), h.Elapsed.Round(time.Millisecond), f1(h.P50), f1(h.Max))
		for _, p := range h.Problems {
			fmt.Fprintf(w, "  problem: %s\n", p)
		}
		fmt.Fprintf(w, "  cache loads by pagelet: %s", countsU(h.Loads))
		if len(h.LoadsFailed) > 0 {
			fmt.Fprintf(w, "; failed: %s", countsU(h.LoadsFailed))
		}
		fmt.Fprintf(w, "\n  lookups: %s\n  backend calls: the herd %s; one page without the cache %s\n", countsU(h.Lookups), countsU(h.Calls), countsU(h.OnePage))
	}
	if f := c.Front; f != nil {
		fmt.Fprintf(w, "front page: %d concurrent readers (pipelined), %d rounds of %v each in turn; backends %s; "+
			"serial-zero = no latency, no cache, the serial page\n", f.Conns, f.Rounds, f.Round, f.Latency)
		writeCacheRows(w, f.Rows, cachebench.RowSerialZero, "vs serial-zero")
		if len(f.Paced) > 0 {
			fmt.Fprintf(w, "the same readers paced to %.0f pages/s together (a quarter of the cached page's throughput):\n", f.PacedRate)
			writeCacheRows(w, f.Paced, "", "")
		}
	}
	if s := c.Staleness; s != nil {
		if s.Skipped != "" {
			fmt.Fprintf(w, "staleness: skipped: %s\n", s.Skipped)
		} else {
			fmt.Fprintf(w, "staleness: %d instances through redis-server %s, breaking news posted on A: %d of %d publications served by B, "+
				"p50 %s ms, p99 %s ms, max %s ms (B's front page read by %d pollers back to back, %s ms each: the resolution)\n",
				s.Instances, s.Redis, s.Seen, s.Pubs, f1(s.P50), f1(s.P99), f1(s.Max), s.Pollers, f1(s.PageP50))
		}
	}
	for _, e := range c.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	fmt.Fprintf(w, "cache section: %s\n", c.Elapsed.Round(time.Second))
}

// writeCacheRows prints rows, each with its rps as a share of the row
// named base.
func writeCacheRows(w io.Writer, rows []cachebench.Row, base, vs string) {
	var b float64
	for _, r := range rows {
		if r.Name == base {
			b = r.RPS
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if vs == "" { // no share column
		fmt.Fprintln(tw, "page\trequests\terrors\trps\tp50 ms\tp99 ms\tserver CPU/req µs\t")
	} else {
		fmt.Fprintf(tw, "page\trequests\terrors\trps\t%s\tp50 ms\tp99 ms\tserver CPU/req µs\t\n", vs)
	}
	for _, r := range rows {
		share := "-"
		if b > 0 {
			share = fmt.Sprintf("%.0f %%", r.RPS/b*100)
		}
		if vs == "" {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", r.Name, r.Requests, r.Errors, r.RPS, f2(r.P50), f2(r.P99), us(r.CPU))
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Name, r.Requests, r.Errors, r.RPS, share, f2(r.P50), f2(r.P99), us(r.CPU))
	}
	tw.Flush()
}

// counts formats m as "k n, …", keys sorted.
func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", orDash(k), m[k]))
	}
	return strings.Join(parts, ", ")
}

// countsU is counts for uint64 counts.
func countsU(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", orDash(k), m[k]))
	}
	return strings.Join(parts, ", ")
}

// joinF0 formats xs as whole numbers separated by spaces.
func joinF0(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, " ")
}
