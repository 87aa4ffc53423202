package page

// Charts, drawn with gonum/plot: per scenario a waterfall (when each
// pagelet became available, one row per pagelet, the modes side by side)
// and bars of first byte, last byte and FCP per mode. Each is written as
// SVG and PNG.

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const (
	chartWidth = 18 * vg.Centimeter
	barWidth   = 6 * vg.Millimeter / 2 // one mode's bar in a waterfall row
	labelFont  = 7                     // points
)

// writeCharts writes the charts of every scenario of r into dir and
// returns the files written.
func writeCharts(r *Report, dir string) ([]string, error) {
	var files []string
	for _, sc := range r.Scenarios {
		for _, c := range []struct {
			name string
			make func(*ScenarioResult) (*plot.Plot, vg.Length, error)
		}{
			{"waterfall", waterfallChart},
			{"modes", modesChart},
		} {
			p, h, err := c.make(sc)
			if err != nil {
				return files, fmt.Errorf("%s chart of %s: %w", c.name, sc.Name, err)
			}
			if p == nil {
				continue
			}
			for _, ext := range []string{"svg", "png"} {
				f := filepath.Join(dir, fmt.Sprintf("%s-%s.%s", c.name, sc.Name, ext))
				if err := p.Save(chartWidth, h, f); err != nil {
					return files, fmt.Errorf("%s: %w", f, err)
				}
				files = append(files, f)
			}
		}
	}
	return files, nil
}

// waterfallChart is one row per pagelet, p0 at the top, with a horizontal
// bar per mode from 0 to when the pagelet became available: visible in
// Chromium when the browser part ran for every mode shown, else its marker
// on the wire. A black tick marks the pagelet's delay, the earliest it can
// be available. It returns the plot and the height it needs, or a nil
// plot when there is nothing to draw.
func waterfallChart(sc *ScenarioResult) (*plot.Plot, vg.Length, error) {
	w := newWaterfall(sc)
	if w == nil {
		return nil, 0, nil
	}
	p := plot.New()
	what := "marker arrived on the wire"
	if w.browser {
		what = "became visible in Chromium"
	}
	p.Title.Text = fmt.Sprintf("%s: when each pagelet %s (median of %d runs)", sc.Name, what, runsOf(sc))
	p.X.Label.Text = "ms since the request"
	if w.browser {
		p.X.Label.Text = "ms since navigation start"
	}
	p.Y.Label.Text = "pagelet"
	p.X.Min = 0
	p.X.Tick.Marker = msTicks{}
	p.Add(plotter.NewGrid())

	maxX, err := w.bars(p)
	if err != nil {
		return nil, 0, err
	}
	if maxX, err = w.delays(p, maxX); err != nil {
		return nil, 0, err
	}
	if f := sc.BrowserFloor; w.browser && f != nil {
		// Nothing is visible before Chromium's own floor.
		line, err := floorLine(plotter.XYs{{X: measure.MS(f.FCP), Y: -0.5}, {X: measure.MS(f.FCP), Y: float64(w.n) - 0.5}})
		if err != nil {
			return nil, 0, err
		}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("Chromium floor (%.0f ms)", measure.MS(f.FCP)), line)
	}

	names := make([]string, w.n)
	for i := range w.n {
		names[int(w.row(i))] = fmt.Sprintf("p%d", i)
	}
	p.NominalY(names...)
	p.X.Max = maxX * 1.45 // room for the labels and the legend
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = 9

	h := vg.Length(w.n)*(w.bw*vg.Length(len(w.modes))+3*vg.Millimeter) + 3*vg.Centimeter
	return p, max(h, 8*vg.Centimeter), nil
}

// waterfall is what a waterfall chart draws: its modes, its pagelets, and
// whether it shows Chromium's figures or the wire's.
type waterfall struct {
	sc      *ScenarioResult
	modes   []Mode
	n       int       // pagelets
	browser bool      // visible in Chromium, not the marker on the wire
	labels  bool      // a label at each bar
	bw      vg.Length // one mode's bar
}

// newWaterfall picks what sc's waterfall draws; nil for nothing.
func newWaterfall(sc *ScenarioResult) *waterfall {
	// The classic page, the streamed one in document order and the
	// pipelined one. The crawler gets the in-order page: it would repeat
	// that row.
	var modes []Mode
	for _, m := range []Mode{Serial, InOrder, Pipelined, Native} {
		if sc.Wire[m] != nil || sc.Browser[m] != nil {
			modes = append(modes, m)
		}
	}
	n := len(sc.Delays)
	if len(modes) == 0 || n == 0 {
		return nil
	}
	w := &waterfall{sc: sc, modes: modes, n: n, labels: n <= 12, bw: barWidth}
	w.browser = !slices.ContainsFunc(modes, func(m Mode) bool { return sc.Browser[m] == nil })
	if !w.labels {
		w.bw = barWidth * 2 / 3 // many rows: thinner bars, no labels
	}
	return w
}

// at is when pagelet i became available in mode m, in ms.
func (w *waterfall) at(m Mode, i int) float64 {
	var ss []measure.Stat
	if w.browser {
		ss = w.sc.Browser[m].Visible
	} else if w.sc.Wire[m] != nil {
		ss = w.sc.Wire[m].Markers
	}
	if i < len(ss) {
		return measure.MS(ss[i].Median)
	}
	return 0
}

// row is pagelet i's row: p0 at the top.
func (w *waterfall) row(i int) float64 { return float64(w.n - 1 - i) }

// bars adds a bar chart per mode to p and returns the largest value.
func (w *waterfall) bars(p *plot.Plot) (float64, error) {
	maxX := 1.0
	for k, m := range w.modes {
		vals := make(plotter.Values, w.n)
		for i := range w.n {
			vals[int(w.row(i))] = w.at(m, i)
			maxX = math.Max(maxX, vals[int(w.row(i))])
		}
		b, err := plotter.NewBarChart(vals, w.bw)
		if err != nil {
			return 0, err
		}
		b.Horizontal = true
		b.Color = modeColor(m)
		b.LineStyle.Width = 0
		// The first mode on top within a row.
		b.Offset = vg.Length(float64(len(w.modes)-1)/2-float64(k)) * w.bw
		p.Add(b)
		p.Legend.Add(string(m), b)
		if w.labels {
			l, err := barLabels(vals, true, b.Offset)
			if err != nil {
				return 0, err
			}
			p.Add(l)
		}
	}
	return maxX, nil
}

// delays adds a tick at each pagelet's delay, and its legend, to p and
// returns maxX raised to the largest delay.
func (w *waterfall) delays(p *plot.Plot, maxX float64) (float64, error) {
	delays := make(plotter.XYs, w.n)
	for i, d := range w.sc.Delays {
		delays[i] = plotter.XY{X: measure.MS(d), Y: w.row(i)}
		maxX = math.Max(maxX, measure.MS(d))
	}
	s, err := plotter.NewScatter(delays)
	if err != nil {
		return 0, err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: w.bw * vg.Length(len(w.modes)) / 2, Shape: tickGlyph{}}
	p.Add(s)
	// The legend's tick is the size of the legend's other entries.
	key, err := plotter.NewScatter(plotter.XYs{{}})
	if err != nil {
		return 0, err
	}
	key.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: tickGlyph{}}
	p.Legend.Add("delay", key)
	return maxX, nil
}

// floorLine is the dashed line of Chromium's floor through xys.
func floorLine(xys plotter.XYs) (*plotter.Line, error) {
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	line.Color = color.RGBA{R: 0xe6, G: 0x55, B: 0x0d, A: 0xff}
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	line.Width = vg.Points(1)
	return line, nil
}

// modeSeries is one bar per mode of a modes chart.
type modeSeries struct {
	name  string
	color color.Color
	value func(Mode) (float64, bool)
}

// modesChart is, per mode, bars of first byte and last byte on the wire and
// FCP in Chromium (when measured), with the Chromium floor as a dashed line.
func modesChart(sc *ScenarioResult) (*plot.Plot, vg.Length, error) {
	var modes []Mode
	for _, m := range Modes {
		if sc.Wire[m] != nil {
			modes = append(modes, m)
		}
	}
	if len(modes) == 0 {
		return nil, 0, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: first byte, last byte and FCP by mode (median of %d runs)", sc.Name, runsOf(sc))
	p.Y.Label.Text = "ms"
	p.X.Label.Text = "mode"
	p.Y.Min = 0
	p.Y.Tick.Marker = msTicks{}
	p.Add(plotter.NewGrid())
	maxY, err := modeBars(p, modes, modesSeries(sc))
	if err != nil {
		return nil, 0, err
	}
	if f := sc.BrowserFloor; f != nil {
		line, err := floorLine(plotter.XYs{{X: -0.5, Y: measure.MS(f.FCP)}, {X: float64(len(modes)) - 0.5, Y: measure.MS(f.FCP)}})
		if err != nil {
			return nil, 0, err
		}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("FCP floor, zero-delay page (%.0f ms)", measure.MS(f.FCP)), line)
	}
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = string(m)
	}
	p.NominalX(names...)
	p.Y.Max = maxY * 1.45 // room for the legend
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = 9
	return p, 10 * vg.Centimeter, nil
}

// modesSeries is what a modes chart of sc shows: first and last byte, and
// FCP when Chromium measured it.
func modesSeries(sc *ScenarioResult) []modeSeries {
	all := []modeSeries{
		{"first byte", color.RGBA{R: 0x9e, G: 0xca, B: 0xe1, A: 0xff}, func(m Mode) (float64, bool) {
			return measure.MS(sc.Wire[m].TTFB.Median), true
		}},
		{"last byte", color.RGBA{R: 0x31, G: 0x82, B: 0xbd, A: 0xff}, func(m Mode) (float64, bool) {
			return measure.MS(sc.Wire[m].Last.Median), true
		}},
	}
	if len(sc.Browser) > 0 {
		all = append(all, modeSeries{"FCP (Chromium)", color.RGBA{R: 0xe6, G: 0x55, B: 0x0d, A: 0xff}, func(m Mode) (float64, bool) {
			if b := sc.Browser[m]; b != nil {
				return measure.MS(b.FCP.Median), true
			}
			return 0, false
		}})
	}
	return all
}

// modeBars adds the bars of every series, side by side within a mode, to
// p and returns the largest value.
func modeBars(p *plot.Plot, modes []Mode, all []modeSeries) (float64, error) {
	const w = 9 * vg.Millimeter
	maxY := 1.0
	for k, s := range all {
		vals := make(plotter.Values, len(modes))
		for i, m := range modes {
			v, _ := s.value(m)
			vals[i] = v
			maxY = math.Max(maxY, v)
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return 0, err
		}
		b.Color = s.color
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(k)-float64(len(all)-1)/2) * w
		p.Add(b)
		p.Legend.Add(s.name, b)
		l, err := barLabels(vals, false, b.Offset)
		if err != nil {
			return 0, err
		}
		p.Add(l)
	}
	return maxY, nil
}

// runsOf is how many runs a scenario's wire figures are over.
func runsOf(sc *ScenarioResult) int {
	for _, ws := range sc.Wire {
		return len(ws.Runs)
	}
	return 0
}
