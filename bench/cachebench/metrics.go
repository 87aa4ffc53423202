package cachebench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// series is one Prometheus series read from /metrics: its name and labels.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads base's /metrics (the text format) and returns the series
// whose name is one of names.
func scrape(ctx context.Context, base string, names ...string) ([]series, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/metrics: %s", base, resp.Status)
	}
	var out []series
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s, ok := parseSeries(line)
		if !ok {
			continue
		}
		for _, n := range names {
			if s.name == n {
				out = append(out, s)
				break
			}
		}
	}
	return out, sc.Err()
}

// parseSeries parses a line of the text format: name{k="v",…} value.
// Label values with escaped quotes are not expected here.
func parseSeries(line string) (series, bool) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return series{}, false
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return series{}, false
	}
	head := line[:sp]
	s := series{name: head, value: v, labels: map[string]string{}}
	if i := strings.IndexByte(head, '{'); i >= 0 && strings.HasSuffix(head, "}") {
		s.name = head[:i]
		for kv := range strings.SplitSeq(head[i+1:len(head)-1], ",") {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			s.labels[k] = strings.Trim(val, `"`)
		}
	}
	return s, true
}

// byLabel sums ss's values by the value of label, over the series whose
// other labels match where.
func byLabel(ss []series, label string, where map[string]string) map[string]uint64 {
	out := map[string]uint64{}
	for _, s := range ss {
		ok := true
		for k, v := range where {
			if s.labels[k] != v {
				ok = false
			}
		}
		if ok {
			out[s.labels[label]] += uint64(s.value)
		}
	}
	return out
}

// The demo's metrics the section reads.
const (
	metricBackendCalls = "bigpipe_demo_backend_calls_total" // {source}
	metricRefreshes    = "bigpipe_cache_refreshes_total"    // {pagelet,result}
	metricLookups      = "bigpipe_cache_lookups_total"      // {pagelet,outcome}
)
