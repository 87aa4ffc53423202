package page

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

func TestReportJSONRoundTrip(t *testing.T) {
	r := goodReport()
	r.Machine = measure.Machine{GOOS: "linux", GOARCH: "amd64", NumCPU: 2, GoVersion: "go1.26", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Commit: "abc1234"}
	r.Flags = map[string]string{"runs": "5"}
	r.Server = "in-process"
	r.Started = r.Machine.Date
	r.Elapsed = 7 * time.Minute
	r.Runs = 3
	r.LoadError = "x"
	r.Targets = evaluateTargets(r)

	f := filepath.Join(t.TempDir(), "latest.json")
	if err := writeJSON(r, f); err != nil {
		t.Fatal(err)
	}
	got, err := readJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip differs:\ngot  %+v\nwant %+v", got, r)
	}
}

func TestMachineInfo(t *testing.T) {
	m := measure.MachineInfo(t.Context(), time.Now())
	if m.GOOS == "" || m.GOARCH == "" || m.NumCPU < 1 || !strings.HasPrefix(m.GoVersion, "go") {
		t.Errorf("MachineInfo = %+v", m)
	}
}

func TestWriteTable(t *testing.T) {
	r := goodReport()
	for _, sc := range r.Scenarios { // every target met: no SKIPPED widens the column
		sc.Browser[Native] = sc.Browser[Pipelined]
	}
	r.Targets = evaluateTargets(r)
	var b bytes.Buffer
	writeTable(&b, r)
	out := b.String()
	for _, want := range []string{
		"== a: delays 50,100 ms",
		"wire pipelined",
		"visible pipelined",
		"Chromium floor (this page with zero delays, pipelined): FCP 125.0",
		"== load", "== capacity", "== cache", "== Targets",
		"MET  pipelined first byte ≤ 5 ms",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	r.Load[3].RPS = 1000 // pipelined at c=16: 50 % of serial
	r.Targets = evaluateTargets(r)
	b.Reset()
	writeTable(&b, r)
	if out := b.String(); !strings.Contains(out, "  MISSED c=16: 50 % (1000 vs 2000 rps)\n") {
		t.Errorf("a missed target's details are not listed:\n%s", out[strings.Index(out, "== Targets"):])
	}
}
