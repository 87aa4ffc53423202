package page

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
