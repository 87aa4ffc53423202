package page

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/cachebench"
	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/bench/livebench"
)

// Report is everything one run of the benchmark measured, as written to
// latest.json. Durations are in nanoseconds, as encoding/json writes a
// time.Duration.
type Report struct {
	Machine   measure.Machine   `json:"machine"`
	Flags     map[string]string `json:"flags"`  // every flag, as set or defaulted
	Server    string            `json:"server"` // "in-process" or the -url measured
	Started   time.Time         `json:"started"`
	Elapsed   time.Duration     `json:"elapsed"`
	Modes     []Mode            `json:"modes"`
	Runs      int               `json:"runs"`
	Scenarios []*ScenarioResult `json:"scenarios"`

	Load          []LoadResult     `json:"load,omitempty"`
	LoadError     string           `json:"load_error,omitempty"`
	LoadServer    string           `json:"load_server,omitempty"` // what the load figure measured: -url, or a child server
	Capacity      []CapacityResult `json:"capacity,omitempty"`
	CapacityError string           `json:"capacity_error,omitempty"`

	FrontPage *FrontPage `json:"front_page,omitempty"` // the demo's "/" in Chromium, cold and warm

	NoJS      []NoJSFigure `json:"nojs,omitempty"` // JavaScript-off first visits of /bench, native and pipelined
	NoJSError string       `json:"nojs_error,omitempty"`

	Live      *livebench.LiveResult `json:"live,omitempty"` // the live engine: idle connections, fan-out, publish → visible
	LiveError string                `json:"live_error,omitempty"`

	Cache      *cachebench.Result `json:"cache,omitempty"` // the pagelet cache: the limit, the herd, the front page, staleness
	CacheError string             `json:"cache_error,omitempty"`

	Targets []Target `json:"targets"`
}

// ScenarioResult is one scenario: its wire figures per mode, and its
// browser figures per mode when the browser part ran.
type ScenarioResult struct {
	Scenario
	Wire         map[Mode]*WireStats    `json:"wire"`
	Browser      map[Mode]*BrowserStats `json:"browser,omitempty"`
	BrowserFloor *BrowserFloor          `json:"browser_floor,omitempty"`
	BrowserError string                 `json:"browser_error,omitempty"`
}

// writeJSON writes r, indented, to path (through a temporary file, so that
// an interrupted run leaves the previous file whole).
func writeJSON(r *Report, path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return measure.WriteAtomic(path, append(b, '\n'))
}

// writeText writes the table of r, as printed on stdout, to path.
func writeText(r *Report, path string) error {
	var b bytes.Buffer
	writeTable(&b, r)
	return measure.WriteAtomic(path, b.Bytes())
}

// readJSON reads a report written by writeJSON.
func readJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
