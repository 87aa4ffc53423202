package cachebench

// wrk as a cross-check of the Go load generator, when it is installed
// (apt-get install -y wrk): it costs the shared cores less per request
// than Go's HTTP client, so it shows more of the servers' own difference.

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// WrkRow is one target loaded by wrk: the median of its rounds.
type WrkRow struct {
	Name string    `json:"name"`
	RPS  float64   `json:"rps"`            // the median of Runs
	Runs []float64 `json:"runs,omitempty"` // each round's requests a second, in order
}

var wrkRPS = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)

// wrkRows loads the targets with wrk -c conns -t2 for d each (whole
// seconds, at least 1), in rounds like the bench's own client: every
// target in turn, rounds times, so that a target and the one it is
// compared with are measured moments apart, and a burst of other work on
// the shared cores lands in one round rather than in one target's only
// figure. It says why there are none if wrk is missing or fails.
func wrkRows(ctx context.Context, ts []target, conns, rounds int, d time.Duration, progress func(string)) ([]WrkRow, string) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return nil, "wrk not installed (apt-get install -y wrk): no cross-check"
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	rows := make([]WrkRow, len(ts))
	for i, t := range ts {
		rows[i].Name = t.name
	}
	for r := range max(1, rounds) {
		for i, t := range ts {
			progress(fmt.Sprintf("wrk round %d, %s: %ds", r+1, t.name, secs))
			rps, note := wrkRun(ctx, bin, t, conns, secs)
			if note != "" {
				return nil, note
			}
			rows[i].Runs = append(rows[i].Runs, rps)
		}
	}
	for i := range rows {
		rows[i].RPS = median(rows[i].Runs)
	}
	return rows, ""
}

// wrkRun loads t once with wrk for secs seconds and returns its requests
// a second, or why not.
func wrkRun(ctx context.Context, bin string, t target, conns, secs int) (float64, string) {
	args := []string{"-c", strconv.Itoa(conns), "-t", "2", "-d", strconv.Itoa(secs) + "s", "-H", "User-Agent: " + t.ua}
	for k, vs := range t.header {
		for _, v := range vs {
			args = append(args, "-H", k+": "+v)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, time.Duration(secs+10)*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, bin, append(args, t.url)...).CombinedOutput()
	if ctx.Err() != nil {
		return 0, ctx.Err().Error()
	}
	m := wrkRPS.FindSubmatch(out)
	if err != nil || m == nil {
		return 0, fmt.Sprintf("wrk %s: %v: %.200s", t.name, err, out)
	}
	rps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, fmt.Sprintf("wrk %s: %v", t.name, err)
	}
	return rps, ""
}
