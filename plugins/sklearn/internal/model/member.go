package model

import (
	"encoding/json"
	"fmt"
)

// maxMembers bounds an ensemble.
const maxMembers = 1 << 16

// member is one estimator of a Bagging or AdaBoost ensemble: its model,
// the ensemble class of each of its classes, and for Bagging the input
// columns it sees.
type member struct {
	model    Model
	classes  []int
	features []int // nil: all columns
}

// decodeMembers reads a list of {"model", "classes"[, "features"]}.
func decodeMembers(o *object, k string, s shape, withFeatures bool, depth int) ([]member, error) {
	var raws []json.RawMessage
	if err := o.req(k, &raws); err != nil {
		return nil, err
	}
	if len(raws) == 0 || len(raws) > maxMembers {
		return nil, fmt.Errorf("%s: %d estimators, want 1 to %d", o.key(k), len(raws), maxMembers)
	}
	out := make([]member, len(raws))
	for i, raw := range raws {
		path := fmt.Sprintf("%s[%d]", o.key(k), i)
		mo, err := parseObject(raw, path)
		if err != nil {
			return nil, err
		}
		var mb member
		if err := mo.req("classes", &mb.classes); err != nil {
			return nil, err
		}
		if len(mb.classes) < 2 {
			return nil, fmt.Errorf("%s.classes: %d classes, want at least 2", path, len(mb.classes))
		}
		for j, c := range mb.classes {
			if c < 0 || c >= s.classes || (j > 0 && c <= mb.classes[j-1]) {
				return nil, fmt.Errorf("%s.classes[%d]: %d, want increasing classes in [0,%d)", path, j, c, s.classes)
			}
		}
		ms := shape{features: s.features, classes: len(mb.classes)}
		if withFeatures {
			if err := mo.req("features", &mb.features); err != nil {
				return nil, err
			}
			if len(mb.features) == 0 {
				return nil, fmt.Errorf("%s.features: empty", path)
			}
			for j, f := range mb.features {
				if f < 0 || f >= s.features {
					return nil, fmt.Errorf("%s.features[%d]: column %d, want [0,%d)", path, j, f, s.features)
				}
			}
			ms.features = len(mb.features)
		}
		raw, err := mo.raw("model")
		if err != nil {
			return nil, err
		}
		if mb.model, err = decodeModel(raw, path+".model", ms, depth+1); err != nil {
			return nil, err
		}
		if err := mo.done(); err != nil {
			return nil, err
		}
		out[i] = mb
	}
	return out, nil
}

// input returns the member's columns of x (n rows of d), or x itself.
func (mb *member) input(x []float64, n, d int) []float64 {
	if mb.features == nil {
		return x
	}
	w := len(mb.features)
	out := make([]float64, n*w)
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		for j, f := range mb.features {
			out[i*w+j] = row[f]
		}
	}
	return out
}

// inputInto is input writing into buf (reused when large enough).
func (mb *member) inputInto(x []float64, n, d int, buf []float64) []float64 {
	if mb.features == nil {
		return x[:n*d]
	}
	w := len(mb.features)
	buf = grow(buf, n*w)
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		for j, f := range mb.features {
			buf[i*w+j] = row[f]
		}
	}
	return buf
}

func (mb *member) export() map[string]any {
	e := map[string]any{"model": mb.model.export(), "classes": mb.classes}
	if mb.features != nil {
		e["features"] = mb.features
	}
	return e
}

func exportMembers(ms []member) []map[string]any {
	out := make([]map[string]any, len(ms))
	for i := range ms {
		out[i] = ms[i].export()
	}
	return out
}
