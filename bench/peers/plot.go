package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plotSpec is one line chart of a table's medians: x is the row (a
// number), one line per system; systems in lines are drawn as flat
// reference lines (the disk's fsync limit).
type plotSpec struct {
	table, file, title, xLabel, yLabel string
	logX                               bool
	flat                               []string
}

// writePlots draws every plot whose table exists into dir and returns the
// file names written.
func writePlots(dir string, res *results, specs []plotSpec) ([]string, error) {
	var files []string
	for _, s := range specs {
		t := res.find(s.table)
		if t == nil || len(t.rows) < 2 {
			continue
		}
		p, err := linePlot(t, s)
		if err != nil {
			return files, err
		}
		if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, filepath.Join(dir, s.file)); err != nil {
			return files, fmt.Errorf("plot %s: %w", s.file, err)
		}
		files = append(files, s.file)
	}
	return files, nil
}

func linePlot(t *table, s plotSpec) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = s.title
	p.X.Label.Text = s.xLabel
	p.Y.Label.Text = s.yLabel + " (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks125{}
	if s.logX {
		p.X.Scale = plot.LogScale{}
	}
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	xs := make([]float64, len(t.rows))
	for i, r := range t.rows {
		x, err := strconv.ParseFloat(r, 64)
		if err != nil {
			return nil, fmt.Errorf("plot %s: row %q is not a number", s.file, r)
		}
		xs[i] = x
	}
	p.X.Tick.Marker = plot.ConstantTicks(xTicks(t.rows, xs))
	for i, sys := range t.systems {
		pts := plotter.XYs{}
		for j, r := range t.rows {
			if m, ok := t.median(r, sys); ok && m > 0 {
				pts = append(pts, plotter.XY{X: xs[j], Y: m})
			}
		}
		if len(pts) == 0 {
			continue
		}
		if contains(s.flat, sys) {
			pts = flatLine(pts, xs)
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", s.file, err)
		}
		line.Color = plotutil.Color(i)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		if sys == "brook" {
			line.Width = vg.Points(2.5)
		}
		if contains(s.flat, sys) {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			line.Color = color.Gray{Y: 80}
			points.Shape = draw.CircleGlyph{}
			points.Radius = 0
		}
		p.Add(line, points)
		p.Legend.Add(sys, line, points)
	}
	// Room below the lines for the legend, above them for the eye.
	p.Y.Min, p.Y.Max = p.Y.Min/8, p.Y.Max*2
	return p, nil
}

// ticks125 marks 1, 2 and 5 times each power of ten in range, labelled
// like the report's tables (2k, 5M).
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for dec := math.Pow(10, math.Floor(math.Log10(lo))); dec <= hi; dec *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * dec; v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v, Label: format(perSec, v)})
			}
		}
	}
	return out
}

// xTicks marks each row's x.
func xTicks(rows []string, xs []float64) []plot.Tick {
	out := make([]plot.Tick, len(xs))
	for i, x := range xs {
		out[i] = plot.Tick{Value: x, Label: rows[i]}
	}
	return out
}

// flatLine is the mean of pts drawn across every x.
func flatLine(pts plotter.XYs, xs []float64) plotter.XYs {
	var sum float64
	for _, p := range pts {
		sum += p.Y
	}
	out := make(plotter.XYs, len(xs))
	for i, x := range xs {
		out[i] = plotter.XY{X: x, Y: sum / float64(len(pts))}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
