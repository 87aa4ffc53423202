package page

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chartLink is a Markdown image or an HTML img's source.
var chartLink = regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]*\ssrc="([^"]+)"`)

// TestChartsRecorded checks every chart README.md and bench/README.md show
// from bench/results: the file is there, and the charts.json beside it
// says which commit it measured, and when.
func TestChartsRecorded(t *testing.T) {
	root := filepath.Join("..", "..")
	results, err := filepath.Abs(filepath.Join(root, "bench", "results"))
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, doc := range []string{"README.md", filepath.Join("bench", "README.md")} {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range chartLink.FindAllStringSubmatch(string(b), -1) {
			link := m[1] + m[2]
			if strings.Contains(link, "://") {
				continue
			}
			path, err := filepath.Abs(filepath.Join(root, filepath.Dir(doc), filepath.FromSlash(link)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(path, results+string(filepath.Separator)) {
				continue
			}
			shown++
			checkChartRecord(t, doc, link, path)
		}
	}
	if shown == 0 {
		t.Error("no chart from bench/results shown in README.md or bench/README.md: is the link pattern out of date?")
	}
}

// checkChartRecord checks one chart doc shows at link (path on disk).
func checkChartRecord(t *testing.T, doc, link, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("%s shows %s: %v", doc, link, err)
		return
	}
	recs, err := readChartRecords(filepath.Dir(path))
	if err != nil {
		t.Errorf("%s shows %s: %v", doc, link, err)
		return
	}
	rec, ok := recs[filepath.Base(path)]
	switch {
	case !ok:
		t.Errorf("%s shows %s, which %s does not record: draw it again (go run ./bench, or -replot the report it came from)",
			doc, link, filepath.Join(filepath.Dir(link), chartRecordFile))
	case rec.Commit == "" || rec.Date.IsZero():
		t.Errorf("%s shows %s, recorded without its commit or date: %+v", doc, link, rec)
	}
}

// resultDate and resultCommit are what the first line of a table says:
// the bench's own header ("BigPipe benchmark · 2026-11-27 04:24 UTC · … ·
// commit ad55c67"), or a hand-made run's notes ("# go run …  (commit
// 44fb9f8 …, 2026-12-03 ~07:58 UTC …)").
var (
	resultDate   = regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`)
	resultCommit = regexp.MustCompile(`\bcommit [0-9a-f]{7,40}\b`)
)

// TestResultsRecorded checks every file under bench/results: a report
// (.json) names its commit and date, a table (.txt) says both in its first
// line, and a chart (.png, .svg) is in the charts.json beside it. A result
// that cannot say what it measured fails here.
func TestResultsRecorded(t *testing.T) {
	results := filepath.Join("..", "results")
	n := 0
	err := filepath.WalkDir(results, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(results, path)
		switch filepath.Ext(path) {
		case ".json":
			if d.Name() != chartRecordFile {
				checkReportRecord(t, rel, path)
			}
		case ".txt":
			checkTableRecord(t, rel, path)
		case ".png", ".svg":
			recs, err := readChartRecords(filepath.Dir(path))
			if err != nil {
				t.Error(err)
			} else if rec, ok := recs[d.Name()]; !ok || rec.Commit == "" || rec.Date.IsZero() {
				t.Errorf("bench/results/%s: no commit and date for it in %s", rel, chartRecordFile)
			}
		default:
			t.Errorf("bench/results/%s: a result of a kind this test does not know to check", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("bench/results holds no files")
	}
}

// checkReportRecord checks that a report names its commit and date.
func checkReportRecord(t *testing.T, rel, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Machine struct {
			Commit string    `json:"commit"`
			Date   time.Time `json:"date"`
		} `json:"machine"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Errorf("bench/results/%s: %v", rel, err)
		return
	}
	if r.Machine.Commit == "" || r.Machine.Date.IsZero() {
		t.Errorf("bench/results/%s: the report does not say which commit it measured and when (machine.commit, machine.date)", rel)
	}
}

// checkTableRecord checks that a table's first line names its commit and date.
func checkTableRecord(t *testing.T, rel, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if !resultDate.MatchString(first) || !resultCommit.MatchString(first) {
		t.Errorf("bench/results/%s: its first line does not say the commit and date it measured: %.120q", rel, first)
	}
}
