package page

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// chartRecordFile is the file, next to the charts, that says what each
// chart measured: README.md and bench/README.md show charts, and
// TestChartsRecorded fails for one that has no record here.
const chartRecordFile = "charts.json"

// chartRecord is what one chart measured: the commit of the checkout and
// the date of the run (not of the drawing: -replot keeps the report's).
type chartRecord struct {
	Commit string    `json:"commit"`
	Date   time.Time `json:"date"`
}

// readChartRecords reads dir's chart records; none if it has no file.
func readChartRecords(dir string) (map[string]chartRecord, error) {
	recs := map[string]chartRecord{}
	b, err := os.ReadFile(filepath.Join(dir, chartRecordFile))
	if errors.Is(err, fs.ErrNotExist) {
		return recs, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, chartRecordFile), err)
	}
	return recs, nil
}

// recordCharts notes in dir's chart records that files (paths in dir) were
// drawn from a run on m; the records of the other charts in dir stay.
func recordCharts(dir string, files []string, m measure.Machine) error {
	recs, err := readChartRecords(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		recs[filepath.Base(f)] = chartRecord{Commit: m.Commit, Date: m.Date.UTC()}
	}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	return measure.WriteAtomic(filepath.Join(dir, chartRecordFile), append(b, '\n'))
}
