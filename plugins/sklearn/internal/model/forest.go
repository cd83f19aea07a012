package model

import (
	"encoding/json"
	"fmt"
)

// Forest is RandomForestClassifier or ExtraTreesClassifier: the mean of
// its trees' predict_proba, accumulated in tree order.
type Forest struct {
	base
	typ   string
	d, k  int
	trees []*TreeClassifier
}

func decodeForest(o *object, s shape, depth int) (Model, error) {
	m := &Forest{d: s.features, k: s.classes}
	_ = o.req("type", &m.typ)
	var raws []json.RawMessage
	if err := o.req("estimators", &raws); err != nil {
		return nil, err
	}
	if len(raws) == 0 || len(raws) > maxMembers {
		return nil, fmt.Errorf("%s: %d trees, want 1 to %d", o.key("estimators"), len(raws), maxMembers)
	}
	for i, raw := range raws {
		path := fmt.Sprintf("%s[%d]", o.key("estimators"), i)
		t, err := decodeModel(raw, path, s, depth+1)
		if err != nil {
			return nil, err
		}
		tc, ok := t.(*TreeClassifier)
		if !ok {
			return nil, fmt.Errorf("%s: a forest holds DecisionTreeClassifier or ExtraTreeClassifier, got %T", path, t)
		}
		m.trees = append(m.trees, tc)
	}
	return m, nil
}

func (m *Forest) NumFeatures() int { return m.d }
func (m *Forest) NumClasses() int  { return m.k }
func (m *Forest) HasProba() bool   { return true }

// Proba adds the trees' predict_proba tree by tree, then divides by the
// number of trees, as sklearn does.
func (m *Forest) Proba(x []float64, n int, out []float64) {
	k := m.k
	leaf := make([]int32, min(n, treeBlock))
	for lo := 0; lo < n; lo += treeBlock {
		b := min(treeBlock, n-lo)
		o := out[lo*k : (lo+b)*k]
		clear(o)
		for _, t := range m.trees {
			t.leavesOf(x[lo*m.d:(lo+b)*m.d], m.d, b, leaf)
			for i, l := range leaf[:b] {
				row, p := o[i*k:(i+1)*k], t.slotProba[int(l)*k:(int(l)+1)*k]
				for j, v := range p {
					row[j] += v
				}
			}
		}
		for j := range o {
			o[j] /= float64(len(m.trees))
		}
	}
}

func (m *Forest) Predict(x []float64, n int, out []int) { predictFromProba(m, x, n, out) }

func (m *Forest) export() map[string]any {
	trees := make([]map[string]any, len(m.trees))
	for i, t := range m.trees {
		trees[i] = t.export()
	}
	return map[string]any{"type": m.typ, "estimators": trees}
}
