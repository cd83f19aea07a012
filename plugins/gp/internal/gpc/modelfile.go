package gpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// The model file format. FormatVersion changes when a field changes
// meaning; readers refuse versions they do not know.
const (
	FormatName    = "arthost-gp-model"
	FormatVersion = 1
)

// maxClasses bounds the one-vs-rest classifiers a model file may declare.
const maxClasses = 10000

// fileKernel is the JSON form of a kernel.
type fileKernel struct {
	Family      string    `json:"family"`
	Variance    float64   `json:"variance"`
	Lengthscale []float64 `json:"lengthscale"`
	Constant    float64   `json:"constant"`
	White       float64   `json:"white"`
}

// fileBinary is one binary classifier: its hyperparameters (also as log
// theta, for reading), the LML it reached and its mode (Laplace: pi) or
// site parameters (EP: tau, nu).
type fileBinary struct {
	PositiveClass int        `json:"positive_class"`
	Kernel        fileKernel `json:"kernel"`
	LogTheta      []float64  `json:"log_theta"`
	LML           float64    `json:"lml"`
	Pi            []float64  `json:"pi,omitempty"`
	Tau           []float64  `json:"tau,omitempty"`
	Nu            []float64  `json:"nu,omitempty"`
}

// file is the model file: a JSON object.
type file struct {
	Format        string       `json:"format"`
	FormatVersion int          `json:"format_version"`
	Inference     Inference    `json:"inference"`
	Classes       int          `json:"classes"`
	LML           float64      `json:"lml"`
	X             [][]float64  `json:"x"`
	Labels        []int        `json:"labels"`
	Classifiers   []fileBinary `json:"classifiers"`
}

// Marshal returns the model file of m.
func (m *Model) Marshal() ([]byte, error) {
	n, _ := m.X.Dims()
	f := file{Format: FormatName, FormatVersion: FormatVersion, Inference: m.Inference, Classes: m.Classes, LML: m.LML, Labels: m.Labels}
	f.X = make([][]float64, n)
	for i := range f.X {
		f.X[i] = append([]float64(nil), m.X.RawRowView(i)...)
	}
	for t, b := range m.Bins {
		pos := t
		if m.Classes == 2 {
			pos = 1
		}
		k := b.Kernel
		f.Classifiers = append(f.Classifiers, fileBinary{
			PositiveClass: pos,
			Kernel:        fileKernel{Family: k.Family.String(), Variance: k.Variance, Lengthscale: k.Lengthscale, Constant: k.Constant, White: k.White},
			LogTheta:      k.Theta(), LML: b.LML, Pi: b.Pi, Tau: b.Tau, Nu: b.Nu,
		})
	}
	return json.MarshalIndent(f, "", " ")
}

// Unmarshal reads a model file, refusing anything inconsistent (unknown
// format or version, more than maxTrain training rows, ragged or
// non-finite inputs, labels out of range, duplicate rows, invalid kernels,
// site parameters of the wrong length or range), and rebuilds the
// posterior factors. It never panics on any input.
func Unmarshal(data []byte, maxTrain int) (*Model, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	if f.Format != FormatName {
		return nil, fmt.Errorf("model file: format %q, want %q", f.Format, FormatName)
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("model file: format_version %d, this plugin reads %d", f.FormatVersion, FormatVersion)
	}
	if f.Inference != Laplace && f.Inference != EP {
		return nil, fmt.Errorf("model file: inference %q, want laplace|ep", f.Inference)
	}
	n := len(f.X)
	if n > maxTrain {
		return nil, fmt.Errorf("model file: %d training rows exceed max_train=%d", n, maxTrain)
	}
	if n < 2 || len(f.X[0]) == 0 {
		return nil, errors.New("model file: need at least 2 training rows with at least 1 feature")
	}
	if f.Classes < 2 || f.Classes > maxClasses {
		return nil, fmt.Errorf("model file: classes %d, want 2..%d", f.Classes, maxClasses)
	}
	d := len(f.X[0])
	x := mat.NewDense(n, d, nil)
	for i, row := range f.X {
		if len(row) != d {
			return nil, fmt.Errorf("model file: x row %d has %d features, row 0 has %d", i, len(row), d)
		}
		x.SetRow(i, row)
	}
	m := &Model{Inference: f.Inference, X: x, Labels: f.Labels, Classes: f.Classes, LML: f.LML}
	tasks := f.Classes
	if tasks == 2 {
		tasks = 1
	}
	if len(f.Classifiers) != tasks {
		return nil, fmt.Errorf("model file: %d classifiers for %d classes, want %d", len(f.Classifiers), f.Classes, tasks)
	}
	for t, fb := range f.Classifiers {
		b, err := fb.binary(t, m)
		if err != nil {
			return nil, fmt.Errorf("model file: classifier %d: %w", t, err)
		}
		m.Bins = append(m.Bins, b)
	}
	if err := CheckTraining(m.Bins[0].Kernel, x, f.Labels, f.Classes); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	for t, b := range m.Bins {
		if err := b.restore(f.Inference, x); err != nil {
			return nil, fmt.Errorf("model file: classifier %d: %w", t, err)
		}
	}
	return m, nil
}

func (fb fileBinary) binary(t int, m *Model) (*Binary, error) {
	pos := t
	if m.Classes == 2 {
		pos = 1
	}
	if fb.PositiveClass != pos {
		return nil, fmt.Errorf("positive_class %d, want %d", fb.PositiveClass, pos)
	}
	fam, err := kernel.ParseFamily(fb.Kernel.Family)
	if err != nil {
		return nil, err
	}
	k := kernel.Kernel{Family: fam, Variance: fb.Kernel.Variance, Lengthscale: fb.Kernel.Lengthscale, Constant: fb.Kernel.Constant, White: fb.Kernel.White}
	if err := k.Validate(m.Features()); err != nil {
		return nil, err
	}
	n := len(m.Labels)
	b := &Binary{Kernel: k, LML: fb.LML, Target: make([]float64, n)}
	for i, c := range m.Labels {
		if c == pos {
			b.Target[i] = 1
		}
	}
	switch m.Inference {
	case Laplace:
		if len(fb.Pi) != n {
			return nil, fmt.Errorf("pi has %d values for %d training rows", len(fb.Pi), n)
		}
		for i, p := range fb.Pi {
			if !(p > 0 && p < 1) {
				return nil, fmt.Errorf("pi[%d] = %v, want a value in (0,1)", i, p)
			}
		}
		b.Pi = fb.Pi
	case EP:
		if len(fb.Tau) != n || len(fb.Nu) != n {
			return nil, fmt.Errorf("tau and nu have %d and %d values for %d training rows", len(fb.Tau), len(fb.Nu), n)
		}
		for i := range fb.Tau {
			if !(fb.Tau[i] >= 0 && fb.Tau[i] < math.Inf(1)) || math.IsNaN(fb.Nu[i]) || math.IsInf(fb.Nu[i], 0) {
				return nil, fmt.Errorf("site %d: tau %v, nu %v (want tau >= 0 and both finite)", i, fb.Tau[i], fb.Nu[i])
			}
		}
		b.Tau, b.Nu = fb.Tau, fb.Nu
	}
	return b, nil
}
