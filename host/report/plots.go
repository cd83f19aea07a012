package report

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// accuracyPlot draws accuracy against eps, one line per attack, with the
// clean accuracy as a dashed line, and saves it as a PNG at path.
func accuracyPlot(r EstimatorResult, path string) error {
	p := plot.New()
	p.Title.Text = "Accuracy under attack: " + r.Name
	p.X.Label.Text = "eps"
	p.Y.Label.Text = "accuracy"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Add(plotter.NewGrid())
	var order []string
	series := map[string]plotter.XYs{}
	for _, a := range r.Results {
		key := a.Attack + " (norm " + a.Norm + ")"
		if _, ok := series[key]; !ok {
			order = append(order, key)
		}
		series[key] = append(series[key], plotter.XY{X: a.Eps, Y: a.Accuracy})
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for i, key := range order {
		pts := append(plotter.XYs{{X: 0, Y: r.CleanAccuracy}}, series[key]...)
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", key, err)
		}
		line.Color = plotutil.Color(i)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(key, line, points)
		for _, pt := range pts {
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
		}
	}
	clean, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: r.CleanAccuracy}, {X: xmax, Y: r.CleanAccuracy}})
	if err != nil {
		return err
	}
	clean.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	clean.Color = color.Gray{Y: 120}
	p.Add(clean)
	p.Legend.Add("clean", clean)
	p.Legend.Top, p.Legend.Left = false, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(8)
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, path)
}

// Example grid geometry in pixels: the side of one image, the gap between
// columns, and the gap under each row, where the predicted class goes.
const (
	tile = 48
	gapX = 6
	gapY = 20
)

// examplesPlot draws the example grid, one row per Examples row, as a
// PNG at path: a gonum plot whose data area is the grid image, with the
// row names on the Y axis.
func examplesPlot(e *Examples, shape []int, path string) error {
	c, h, w, first := layout(shape)
	rows, cols := len(e.Images), len(e.Images[0])
	img := image.NewRGBA(image.Rect(0, 0, cols*(tile+gapX), rows*(tile+gapY)))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			img.Set(x, y, color.White)
		}
	}
	for r, row := range e.Images {
		for col, t := range row {
			v := t.Float64s()
			lo, hi := minMax(v)
			for py := range tile {
				for px := range tile {
					i, j := py*h/tile, px*w/tile
					px0 := col*(tile+gapX) + px
					py0 := r*(tile+gapY) + py
					img.Set(px0, py0, pixel(v, c, h, w, first, i, j, lo, hi))
				}
			}
		}
	}
	p := plot.New()
	p.Title.Text = "Original and adversarial examples (predicted class under each image)"
	p.Add(plotter.NewImage(img, -0.5, -0.5, float64(cols)-0.5, float64(rows)-0.5))
	names := make([]string, rows)
	for r := range rows {
		names[rows-1-r] = e.Rows[r]
	}
	p.NominalY(names...)
	ticks := make([]plot.Tick, cols)
	for col := range cols {
		label := fmt.Sprintf("true %d", e.Labels[col])
		ticks[col] = plot.Tick{Value: float64(col), Label: label}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	labels, err := plotter.NewLabels(predLabels(e))
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Color = color.RGBA{R: 200, A: 255}
		labels.TextStyle[i].XAlign = draw.XCenter
		labels.TextStyle[i].YAlign = draw.YBottom
	}
	p.Add(labels)
	width := vg.Length(cols)*2*vg.Centimeter + 4*vg.Centimeter
	height := vg.Length(rows)*2*vg.Centimeter + 2*vg.Centimeter
	return p.Save(width, height, path)
}

// predLabels places each image's predicted class in the gap under it.
func predLabels(e *Examples) plotter.XYLabels {
	rows := len(e.Images)
	var out plotter.XYLabels
	for r, preds := range e.Pred {
		for col, c := range preds {
			out.XYs = append(out.XYs, plotter.XY{X: float64(col), Y: float64(rows-1-r) - 0.5 + 0.03})
			out.Labels = append(out.Labels, fmt.Sprintf("%d", c))
		}
	}
	return out
}

func minMax(v []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if lo >= 0 && hi <= 1 {
		return 0, 1 // data in [0, 1] keeps its absolute scale
	}
	if hi == lo {
		hi = lo + 1
	}
	return lo, hi
}

// pixel returns the colour of row i, column j of one sample, scaled from
// [lo, hi]; one channel is drawn as ink on paper (dark for high values).
func pixel(v []float64, c, h, w int, first bool, i, j int, lo, hi float64) color.Color {
	at := func(ch int) uint8 {
		k := (i*w+j)*c + ch
		if first {
			k = (ch*h+i)*w + j
		}
		s := (v[k] - lo) / (hi - lo)
		return uint8(math.Round(255 * math.Min(math.Max(s, 0), 1)))
	}
	if c == 1 {
		return color.Gray{Y: 255 - at(0)}
	}
	return color.RGBA{R: at(0), G: at(1), B: at(2), A: 255}
}
