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

// WrkRow is one target loaded by wrk.
type WrkRow struct {
	Name string  `json:"name"`
	RPS  float64 `json:"rps"`
}

var wrkRPS = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)

// wrkRows loads each target once with wrk -c conns -t2 for d (whole
// seconds, at least 1), and says why there are none if wrk is missing or
// fails.
func wrkRows(ctx context.Context, ts []target, conns int, d time.Duration, progress func(string)) ([]WrkRow, string) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return nil, "wrk not installed (apt-get install -y wrk): no cross-check"
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	var rows []WrkRow
	for _, t := range ts {
		progress(fmt.Sprintf("wrk %s: %ds", t.name, secs))
		args := []string{"-c", strconv.Itoa(conns), "-t", "2", "-d", strconv.Itoa(secs) + "s", "-H", "User-Agent: " + t.ua}
		for k, vs := range t.header {
			for _, v := range vs {
				args = append(args, "-H", k+": "+v)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, time.Duration(secs+10)*time.Second)
		out, err := exec.CommandContext(cctx, bin, append(args, t.url)...).CombinedOutput()
		cancel()
		if ctx.Err() != nil {
			return rows, ctx.Err().Error()
		}
		m := wrkRPS.FindSubmatch(out)
		if err != nil || m == nil {
			return rows, fmt.Sprintf("wrk %s: %v: %.200s", t.name, err, out)
		}
		rps, _ := strconv.ParseFloat(string(m[1]), 64)
		rows = append(rows, WrkRow{Name: t.name, RPS: rps})
	}
	return rows, ""
}
