package model

import (
	"encoding/json"
	"fmt"
	"math"
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

// gbBlock is how many rows walk each tree together: the float32 copy of
// the block stays in cache while the trees go by, as in sklearn's
// stage-major predict_stages.
const gbBlock = 128

// Decision is the raw prediction (decision_function): the init raw
// prediction plus learning_rate times each tree, stage by stage, so every
// output adds the same terms in the same order as sklearn.
func (m *GradientBoosting) Decision(x []float64, n int, out []float64) {
	w := m.rawWidth()
	buf := make([]float32, min(n, gbBlock)*m.d)
	for lo := 0; lo < n; lo += gbBlock {
		b := min(gbBlock, n-lo)
		for i := range buf[:b*m.d] {
			buf[i] = float32(x[lo*m.d+i])
		}
		o := out[lo*w : (lo+b)*w]
		for i := 0; i < b; i++ {
			copy(o[i*w:(i+1)*w], m.init)
		}
		for _, st := range m.stages {
			for j := range st {
				t := &st[j]
				for i := 0; i < b; i++ {
					o[i*w+j] += m.learningRate * t.value[t.leaf32(buf[i*m.d:(i+1)*m.d])]
				}
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
	raw := make([]float64, n*w)
	m.Decision(x, n, raw)
	for i := 0; i < n; i++ {
		if w == 1 {
			r := raw[i]
			if m.exponential {
				r *= 2
			}
			p := expit(r)
			out[2*i], out[2*i+1] = 1-p, p
			continue
		}
		row := raw[i*w : (i+1)*w]
		lse := logSumExp(row)
		for j, v := range row {
			p := math.Exp(v - lse)
			if math.IsNaN(p) {
				p = 0
			}
			out[i*w+j] = p
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
