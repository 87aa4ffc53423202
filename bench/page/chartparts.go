package page

// The parts the charts are drawn with: colours, bar labels, the millisecond
// axis and the delay tick.

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// modeColor is the colour of a mode in every chart.
func modeColor(m Mode) color.Color {
	switch m {
	case Serial:
		return color.RGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff} // grey: the classic page
	case InOrder:
		return color.RGBA{R: 0xf2, G: 0x8e, B: 0x2b, A: 0xff} // orange
	case Pipelined:
		return color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
	case Native:
		return color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff} // purple
	}
	return color.RGBA{R: 0x59, G: 0xa1, B: 0x4f, A: 0xff} // green: the crawler
}

// barLabels labels each bar of vals with its value, past the bar's end.
func barLabels(vals plotter.Values, horizontal bool, offset vg.Length) (*plotter.Labels, error) {
	xyl := plotter.XYLabels{XYs: make(plotter.XYs, len(vals)), Labels: make([]string, len(vals))}
	for i, v := range vals {
		if horizontal {
			xyl.XYs[i] = plotter.XY{X: v, Y: float64(i)}
		} else {
			xyl.XYs[i] = plotter.XY{X: float64(i), Y: v}
		}
		xyl.Labels[i] = fmtLabel(v)
	}
	l, err := plotter.NewLabels(xyl)
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = labelFont
		if horizontal {
			l.TextStyle[i].YAlign = draw.YCenter
		} else {
			l.TextStyle[i].XAlign = draw.XCenter
		}
	}
	if horizontal {
		l.Offset = vg.Point{X: 2, Y: offset}
	} else {
		l.Offset = vg.Point{X: offset, Y: 2}
	}
	return l, nil
}

// fmtLabel is a bar's value: whole milliseconds, one decimal under 10.
func fmtLabel(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// msTicks marks an axis in milliseconds at round steps (1, 2 or 5 times a
// power of ten), about six labelled ticks with a minor tick between each.
type msTicks struct{}

// Ticks implements plot.Ticker.
func (msTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi <= lo {
		return []plot.Tick{{Value: lo, Label: fmtTick(lo, 3)}}
	}
	raw := (hi - lo) / 6
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow * 10
	for _, m := range []float64{1, 2, 5} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	decimals := max(0, -int(math.Floor(math.Log10(step))))
	var ticks []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi*(1+1e-9); i++ {
		v := i * step
		ticks = append(ticks, plot.Tick{Value: v, Label: fmtTick(v, decimals)})
		if mid := v + step/2; mid <= hi {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
}

// fmtTick is a tick label: v to at most decimals places, without trailing
// zeros.
func fmtTick(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// tickGlyph is a vertical line through the point, Radius above and below.
type tickGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (tickGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.StrokeLine2(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.5)},
		pt.X, pt.Y-sty.Radius, pt.X, pt.Y+sty.Radius)
}
