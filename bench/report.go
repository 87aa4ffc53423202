package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Report is everything one run of the benchmark measured, as written to
// latest.json. Durations are in nanoseconds, as encoding/json writes a
// time.Duration.
type Report struct {
	Machine   Machine           `json:"machine"`
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

	Live      *LiveResult `json:"live,omitempty"` // the live engine: idle connections, fan-out, publish → visible
	LiveError string      `json:"live_error,omitempty"`

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

// Machine is where the benchmark ran.
type Machine struct {
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	NumCPU    int       `json:"num_cpu"`
	CPU       string    `json:"cpu,omitempty"` // model name, from /proc/cpuinfo
	GoVersion string    `json:"go_version"`
	Date      time.Time `json:"date"`
	Commit    string    `json:"commit,omitempty"` // git rev-parse --short HEAD, "+dirty" when the tree has changes
}

// machineInfo describes this machine and checkout.
func machineInfo(ctx context.Context, now time.Time) Machine {
	return Machine{
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		NumCPU:    runtime.NumCPU(),
		CPU:       cpuModel(),
		GoVersion: runtime.Version(),
		Date:      now,
		Commit:    gitCommit(ctx),
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo, "" if none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// gitCommit is the short commit of the checkout, with "+dirty" when the
// working tree differs from it; "" outside a git checkout.
func gitCommit(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+dirty"
	}
	return c
}

// writeJSON writes r, indented, to path (through a temporary file, so that
// an interrupted run leaves the previous file whole).
func writeJSON(r *Report, path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'))
}

// writeText writes the table of r, as printed on stdout, to path.
func writeText(r *Report, path string) error {
	var b bytes.Buffer
	writeTable(&b, r)
	return writeAtomic(path, b.Bytes())
}

// writeAtomic writes data to path through a temporary file in the same
// directory, so that a reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".latest-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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
