package model

import (
	"fmt"
)

// tree is the structure of a fitted sklearn tree (tree_.children_left,
// children_right, feature, threshold). A leaf has both children -1.
type tree struct {
	left, right []int32
	feature     []int32
	threshold   []float64
	nodes       []node
	flat        *flatTree // complete layout; nil for deep trees
}

// maxNodes bounds a single tree.
const maxNodes = 1 << 26

// decodeTree reads and checks a tree's structure: every internal node has
// two children inside the tree, every node but the root is reached exactly
// once from the root (so there are no loops, shared children or orphans),
// and features are in range.
func decodeTree(o *object, features int) (tree, error) {
	var left, right, feat []int
	var t tree
	if err := o.req("children_left", &left); err != nil {
		return t, err
	}
	n := len(left)
	if n == 0 || n > maxNodes {
		return t, fmt.Errorf("%s: %d nodes, want 1 to %d", o.key("children_left"), n, maxNodes)
	}
	if err := o.req("children_right", &right); err != nil {
		return t, err
	}
	if err := checkLen(o.key("children_right"), len(right), n); err != nil {
		return t, err
	}
	if err := o.req("feature", &feat); err != nil {
		return t, err
	}
	if err := checkLen(o.key("feature"), len(feat), n); err != nil {
		return t, err
	}
	thr, err := o.vector("threshold", n)
	if err != nil {
		return t, err
	}
	t = tree{left: make([]int32, n), right: make([]int32, n), feature: make([]int32, n), threshold: thr}
	seen := make([]bool, n)
	seen[0] = true
	for i := 0; i < n; i++ {
		l, r := left[i], right[i]
		if l == -1 || r == -1 {
			if l != r {
				return t, fmt.Errorf("%s: node %d has one child (%d, %d)", where(o.path), i, l, r)
			}
			t.left[i], t.right[i], t.feature[i] = -1, -1, int32(feat[i])
			continue
		}
		for _, c := range []int{l, r} {
			if c <= 0 || c >= n {
				return t, fmt.Errorf("%s: node %d has child %d outside the tree [1,%d)", where(o.path), i, c, n)
			}
			if seen[c] {
				return t, fmt.Errorf("%s: node %d reached twice (child of node %d): the tree has a loop or shared node", where(o.path), c, i)
			}
			seen[c] = true
		}
		if f := feat[i]; f < 0 || f >= features {
			return t, fmt.Errorf("%s: node %d splits on feature %d, want [0,%d)", where(o.path), i, f, features)
		}
		t.left[i], t.right[i], t.feature[i] = int32(l), int32(r), int32(feat[i])
	}
	// Every node has at most one parent and the root none; with all nodes
	// reached this is a tree, but a cycle among non-root nodes would also
	// give each one parent, so walk from the root too.
	if err := t.checkReachable(o.path); err != nil {
		return t, err
	}
	t.nodes = make([]node, n)
	for i := range t.nodes {
		t.nodes[i] = node{left: t.left[i], right: t.right[i], feature: t.feature[i], threshold: thr[i]}
	}
	t.flat = t.flatten()
	return t, nil
}

func (t *tree) checkReachable(path string) error {
	n := len(t.left)
	reached := 0
	stack := []int32{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		reached++
		if reached > n {
			return fmt.Errorf("%s: walk from the root visits more than %d nodes: the tree loops", where(path), n)
		}
		if t.left[i] >= 0 {
			stack = append(stack, t.left[i], t.right[i])
		}
	}
	if reached != n {
		return fmt.Errorf("%s: %d of %d nodes unreachable from the root", where(path), n-reached, n)
	}
	return nil
}

// node is one tree node laid out together for cache locality.
type node struct {
	left, right, feature int32
	threshold            float64
}

// leaf returns the leaf reached by x. Like sklearn, the feature is cast to
// float32 and compared with <= against the float64 threshold.
func (t *tree) leaf(x []float64) int {
	nodes := t.nodes
	i := int32(0)
	for nodes[i].left >= 0 {
		n := &nodes[i]
		if float64(float32(x[n.feature])) <= n.threshold {
			i = n.left
		} else {
			i = n.right
		}
	}
	return int(i)
}

// onColumns returns a copy of m that splits on columns[f] of a d-column
// input where m splits on f (m itself when columns is nil).
func (m *TreeClassifier) onColumns(columns []int, d int) *TreeClassifier {
	if columns == nil {
		return m
	}
	c := *m
	c.d = d
	c.tree.feature = make([]int32, len(m.feature))
	c.tree.nodes = make([]node, len(m.nodes))
	for i, f := range m.feature {
		c.tree.feature[i] = f
		c.tree.nodes[i] = m.nodes[i]
		if m.left[i] >= 0 {
			c.tree.feature[i] = int32(columns[f])
			c.tree.nodes[i].feature = int32(columns[f])
		}
	}
	c.tree.flat = c.tree.flatten()
	return &c
}

func (t *tree) exportInto(e map[string]any) {
	e["children_left"], e["children_right"], e["feature"], e["threshold"] = t.left, t.right, t.feature, t.threshold
}

// TreeClassifier is DecisionTreeClassifier or ExtraTreeClassifier: leaves
// hold weighted class counts, normalised per row by predict_proba.
type TreeClassifier struct {
	base
	tree
	typ   string
	d, k  int
	value []float64 // nodes x k
	proba []float64 // nodes x k: value normalised as predict_proba does
	// By leaf slot (see leavesOf): proba, and the class predict gives.
	slotProba []float64
	slotClass []int
}

func decodeTreeClassifier(o *object, s shape, _ int) (Model, error) {
	var typ string
	_ = o.req("type", &typ)
	t, err := decodeTree(o, s.features)
	if err != nil {
		return nil, err
	}
	m := &TreeClassifier{tree: t, typ: typ, d: s.features, k: s.classes}
	if m.value, _, err = o.matrix("value", len(t.left), s.classes); err != nil {
		return nil, err
	}
	for i, v := range m.value {
		if v < 0 {
			return nil, fmt.Errorf("%s[%d][%d]: negative class weight %v", o.key("value"), i/s.classes, i%s.classes, v)
		}
	}
	m.proba = make([]float64, len(m.value))
	for i := range t.left {
		m.probaLeaf(i, m.proba[i*m.k:(i+1)*m.k])
	}
	m.slotProba = m.bySlot(m.proba, m.k)
	for _, node := range m.slotNodes() {
		m.slotClass = append(m.slotClass, argmax(m.value[int(node)*m.k:(int(node)+1)*m.k]))
	}
	return m, nil
}

func (m *TreeClassifier) NumFeatures() int { return m.d }
func (m *TreeClassifier) NumClasses() int  { return m.k }
func (m *TreeClassifier) HasProba() bool   { return true }

// Proba divides the leaf's class weights by their sum (a zero sum counts
// as 1), as DecisionTreeClassifier.predict_proba.
func (m *TreeClassifier) Proba(x []float64, n int, out []float64) {
	leaf := make([]int32, n)
	m.leavesOf(x, m.d, n, leaf)
	for i, l := range leaf {
		copy(out[i*m.k:(i+1)*m.k], m.slotProba[int(l)*m.k:])
	}
}

func (m *TreeClassifier) probaLeaf(leaf int, p []float64) {
	v := m.value[leaf*m.k:]
	s := 0.0
	for j := 0; j < m.k; j++ {
		s += v[j]
	}
	if s == 0 {
		s = 1
	}
	for j := range p {
		p[j] = v[j] / s
	}
}

// Predict is the argmax of the leaf's weights.
func (m *TreeClassifier) Predict(x []float64, n int, out []int) {
	leaf := make([]int32, n)
	m.leavesOf(x, m.d, n, leaf)
	for i, l := range leaf {
		out[i] = m.slotClass[l]
	}
}

func (m *TreeClassifier) export() map[string]any {
	e := map[string]any{"type": m.typ, "value": rows2(m.value, m.k)}
	m.exportInto(e)
	return e
}

// regTree is a regression tree of GradientBoosting: one value per node.
type regTree struct {
	tree
	value  []float64
	scaled []float64  // by leaf slot: value times GradientBoosting's learning_rate
	table  *treeTable // scaled as tables, for shallow trees
}

func decodeRegTree(data []byte, path string, features int) (regTree, error) {
	o, err := parseObject(data, path)
	if err != nil {
		return regTree{}, err
	}
	t, err := decodeTree(o, features)
	if err != nil {
		return regTree{}, err
	}
	v, err := o.vector("value", len(t.left))
	if err != nil {
		return regTree{}, err
	}
	return regTree{tree: t, value: v}, o.done()
}

func (t *regTree) export() map[string]any {
	e := map[string]any{"value": t.value}
	t.exportInto(e)
	return e
}
