package model

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/sklearn/internal/vecmath"
)

// float32Eps is np.finfo(np.float32).eps, GradientBoosting's clip on the
// prior before the log.
const float32Eps = 1.1920928955078125e-07

// GradientBoosting is GradientBoostingClassifier with loss log_loss
// (binomial or multinomial deviance) or exponential. The raw prediction
// starts from the init estimator (zero, or the class prior turned into
// log-odds / log-probabilities / half log-odds as each loss does) and adds
// learning_rate times each stage's regression trees, stage by stage.
type GradientBoosting struct {
	base
	d, k         int
	exponential  bool
	learningRate float64
	prior        []float64 // nil for init "zero"
	init         []float64 // raw prediction of the init estimator (K)
	stages       [][]regTree
}

func decodeGradientBoosting(o *object, s shape, _ int) (Model, error) {
	loss, err := o.enum("loss", "log_loss", "exponential")
	if err != nil {
		return nil, err
	}
	m := &GradientBoosting{d: s.features, k: s.classes, exponential: loss == "exponential"}
	if m.exponential && s.classes != 2 {
		return nil, fmt.Errorf("%s: exponential loss needs 2 classes, have %d", o.key("loss"), s.classes)
	}
	if err := o.req("learning_rate", &m.learningRate); err != nil {
		return nil, err
	}
	if err := checkFinite(o.key("learning_rate"), []float64{m.learningRate}); err != nil {
		return nil, err
	}
	raw, err := o.raw("init")
	if err != nil {
		return nil, err
	}
	if err := m.decodeInit(raw, o.key("init")); err != nil {
		return nil, err
	}
	var stages [][]json.RawMessage
	if err := o.req("estimators", &stages); err != nil {
		return nil, err
	}
	if len(stages) > maxMembers {
		return nil, fmt.Errorf("%s: %d stages, more than %d", o.key("estimators"), len(stages), maxMembers)
	}
	for i, st := range stages {
		path := fmt.Sprintf("%s[%d]", o.key("estimators"), i)
		if err := checkLen(path, len(st), m.rawWidth()); err != nil {
			return nil, err
		}
		trees := make([]regTree, len(st))
		for j, t := range st {
			if trees[j], err = decodeRegTree(t, fmt.Sprintf("%s[%d]", path, j), s.features); err != nil {
				return nil, err
			}
			scaled := make([]float64, len(trees[j].value))
			for v, val := range trees[j].value {
				scaled[v] = m.learningRate * val
			}
			trees[j].scaled = trees[j].bySlot(scaled, 1)
			trees[j].table = newTreeTable(trees[j].flat, trees[j].scaled)
		}
		m.stages = append(m.stages, trees)
	}
	return m, nil
}

// rawWidth is the loss's K: 1 for binary problems.
func (m *GradientBoosting) rawWidth() int {
	if m.k == 2 {
		return 1
	}
	return m.k
}

func (m *GradientBoosting) decodeInit(raw []byte, path string) error {
	o, err := parseObject(raw, path)
	if err != nil {
		return err
	}
	kind, err := o.enum("kind", "zero", "prior")
	if err != nil {
		return err
	}
	m.init = make([]float64, m.rawWidth())
	if kind == "prior" {
		if m.prior, err = o.vector("class_prior", m.k); err != nil {
			return err
		}
		for i, v := range m.prior {
			if v < 0 || v > 1 {
				return fmt.Errorf("%s.class_prior[%d]: %v is not a probability", path, i, v)
			}
		}
		m.setInit()
	}
	return o.done()
}

// setInit is get_init_raw_predictions of the loss for the prior.
func (m *GradientBoosting) setInit() {
	clip := func(p float64) float64 { return math.Min(math.Max(p, float32Eps), 1-float32Eps) }
	if m.k == 2 {
		p := clip(m.prior[1])
		m.init[0] = math.Log(p / (1 - p))
		if m.exponential {
			m.init[0] *= 0.5
		}
		return
	}
	for i, p := range m.prior {
		m.init[i] = math.Log(clip(p))
	}
}

func (m *GradientBoosting) NumFeatures() int   { return m.d }
func (m *GradientBoosting) NumClasses() int    { return m.k }
func (m *GradientBoosting) HasProba() bool     { return true }
func (m *GradientBoosting) DecisionWidth() int { return m.rawWidth() }

// Decision is the raw prediction (decision_function): the init raw
// prediction plus learning_rate times each tree, stage by stage, so every
// output adds the same terms in the same order as sklearn.
// Rows walk the trees a block at a time (stage-major, as sklearn's
// predict_stages), each leaf's value already multiplied by learning_rate.
func (m *GradientBoosting) Decision(x []float64, n int, out []float64) {
	w := m.rawWidth()
	b0 := min(n, treeBlock)
	leaf := make([]int32, b0)
	// acc holds the block's raw predictions column by column (one column
	// per tree of a stage), so each tree adds to contiguous values.
	acc := make([]float64, w*b0)
	for lo := 0; lo < n; lo += treeBlock {
		b := min(treeBlock, n-lo)
		xb, o := x[lo*m.d:(lo+b)*m.d], out[lo*w:(lo+b)*w]
		for j := 0; j < w; j++ {
			col := acc[j*b : (j+1)*b]
			for i := range col {
				col[i] = m.init[j]
			}
		}
		for _, st := range m.stages {
			for j := range st {
				t, col := &st[j], acc[j*b:(j+1)*b]
				if t.table != nil {
					t.table.add(xb, m.d, b, col)
					continue
				}
				t.leavesOf(xb, m.d, b, leaf)
				for i, l := range leaf[:b] {
					col[i] += t.scaled[l]
				}
			}
		}
		for j := 0; j < w; j++ {
			for i, v := range acc[j*b : (j+1)*b] {
				o[i*w+j] = v
			}
		}
	}
}

func (m *GradientBoosting) Logits(x []float64, n int, out []float64) {
	logitsFromDecision(m, x, n, out)
}

// Proba: expit(raw) (expit(2 raw) for exponential loss) with column 0 as
// 1 minus column 1, or exp(raw - logsumexp(raw)) for several classes.
func (m *GradientBoosting) Proba(x []float64, n int, out []float64) {
	w := m.rawWidth()
	if w == 1 {
		raw := make([]float64, n)
		m.Decision(x, n, raw)
		if m.exponential {
			for i := range raw {
				raw[i] *= 2
			}
		}
		expitAll(raw)
		for i, p := range raw {
			out[2*i], out[2*i+1] = 1-p, p
		}
		return
	}
	out = out[:n*w]
	m.Decision(x, n, out)
	// logsumexp of each row (the shifted exponentials first, then the
	// probabilities), each pass one vector exponential.
	t := make([]float64, n*w)
	top := make([]float64, n)
	for i := range top {
		row := out[i*w : (i+1)*w]
		top[i] = row[0]
		for _, v := range row[1:] {
			top[i] = math.Max(top[i], v)
		}
		for j, v := range row {
			t[i*w+j] = v - top[i]
		}
	}
	vecmath.Exp(t, t)
	for i, mx := range top {
		lse := mx
		if !math.IsInf(mx, 0) {
			s := 0.0
			for _, v := range t[i*w : (i+1)*w] {
				s += v
			}
			lse = math.Log(s) + mx
		}
		for j, v := range out[i*w : (i+1)*w] {
			t[i*w+j] = v - lse
		}
	}
	vecmath.Exp(out, t)
	for i, p := range out {
		if math.IsNaN(p) {
			out[i] = 0
		}
	}
}

// Predict: argmax of predict_proba, or raw >= 0 for exponential loss.
func (m *GradientBoosting) Predict(x []float64, n int, out []int) {
	if !m.exponential {
		predictFromProba(m, x, n, out)
		return
	}
	raw := make([]float64, n)
	m.Decision(x, n, raw)
	for i, r := range raw {
		out[i] = 0
		if r >= 0 {
			out[i] = 1
		}
	}
}

func (m *GradientBoosting) export() map[string]any {
	loss := "log_loss"
	if m.exponential {
		loss = "exponential"
	}
	init := map[string]any{"kind": "zero"}
	if m.prior != nil {
		init = map[string]any{"kind": "prior", "class_prior": m.prior}
	}
	stages := make([][]map[string]any, len(m.stages))
	for i, st := range m.stages {
		for j := range st {
			stages[i] = append(stages[i], st[j].export())
		}
	}
	return map[string]any{"type": "GradientBoostingClassifier", "loss": loss,
		"learning_rate": m.learningRate, "init": init, "estimators": stages}
}
