package model

import "math"

// maxFlatDepth bounds the trees walked in the complete layout: it holds
// 2^depth leaf slots, so deeper trees keep the node-by-node walk.
const maxFlatDepth = 10

// flatNode is an internal slot of a flatTree: go right when the input at
// feature is not <= threshold (a float64 bound equivalent to sklearn's
// float32 comparison; see bound64).
type flatNode struct {
	feature   int32
	threshold float64
}

// flatTree is a tree of depth D padded to a complete binary tree: slot j
// has children 2j+1 and 2j+2, the 2^D-1 internal slots come first, and
// leafOf maps each of the 2^D leaf slots to the original leaf node. A leaf
// shallower than D becomes a padding slot both of whose subtrees end in
// it, so every row takes exactly D steps and no step branches on the data.
type flatTree struct {
	depth  int
	nodes  []flatNode
	leafOf []int32
}

// flatten returns the complete layout of t, or nil when t is deeper than
// maxFlatDepth.
func (t *tree) flatten() *flatTree {
	if t.deeperThan(0, maxFlatDepth) {
		return nil
	}
	depth := t.depth(0)
	f := &flatTree{depth: depth, nodes: make([]flatNode, 1<<depth-1), leafOf: make([]int32, 1<<depth)}
	f.fill(t, 0, 0, 0)
	return f
}

// deeperThan reports whether a path below node i has more than limit
// splits; it recurses at most limit+1 levels.
func (t *tree) deeperThan(i int32, limit int) bool {
	if t.left[i] < 0 {
		return false
	}
	if limit == 0 {
		return true
	}
	return t.deeperThan(t.left[i], limit-1) || t.deeperThan(t.right[i], limit-1)
}

// depth is the number of splits on the longest path below node i (called
// on trees known to be shallow).
func (t *tree) depth(i int32) int {
	if t.left[i] < 0 {
		return 0
	}
	return 1 + max(t.depth(t.left[i]), t.depth(t.right[i]))
}

// fill lays out the subtree of node i at slot j of level l.
func (f *flatTree) fill(t *tree, i int32, j, l int) {
	if l == f.depth {
		f.leafOf[j-len(f.nodes)] = i
		return
	}
	if t.left[i] < 0 {
		// Padding: both subtrees lead to leaf i whatever the input.
		f.nodes[j] = flatNode{}
		f.fill(t, i, 2*j+1, l+1)
		f.fill(t, i, 2*j+2, l+1)
		return
	}
	f.nodes[j] = flatNode{feature: t.feature[i], threshold: bound64(t.threshold[i])}
	f.fill(t, t.left[i], 2*j+1, l+1)
	f.fill(t, t.right[i], 2*j+2, l+1)
}

// floor32 is the largest float32 not above v, so that for every float32 x,
// x <= floor32(v) exactly when float64(x) <= v.
func floor32(v float64) float32 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

// maxFloat32Tie is the float64 halfway between the largest float32 and
// 2^128, from which float32 conversion rounds to infinity.
const maxFloat32Tie = math.MaxFloat32 + 0x1p103

// bound64 returns the float64 b with float64(float32(x)) <= thr exactly
// when x <= b, for every float64 x (NaN fails both). This is sklearn's
// comparison of the input cast to float32, with no cast per row:
// float32(x) <= t for t = floor32(thr) holds below the midpoint between t
// and the next float32 up, and at the midpoint itself when the tie rounds
// to t (t's significand even), as round-to-nearest-even does.
func bound64(thr float64) float64 {
	t := floor32(thr)
	if math.IsInf(float64(t), -1) {
		return -maxFloat32Tie // the tie rounds to -Inf
	}
	mid := maxFloat32Tie // t is the largest float32
	if up := math.Nextafter32(t, float32(math.Inf(1))); !math.IsInf(float64(up), 1) {
		mid = (float64(t) + float64(up)) / 2 // exact: 25 significant bits
	}
	if math.Float32bits(t)&1 == 0 {
		return mid
	}
	return math.Nextafter(mid, math.Inf(-1))
}

// leaves writes the leaf slot reached by each of the b rows of x (d values
// per row) into leaf. The rows advance one level at a time, all of them
// before the next level, so their independent chains of loads overlap.
func (f *flatTree) leaves(x []float64, d, b int, leaf []int32) {
	nodes := f.nodes
	js := leaf[:b]
	clear(js)
	x = x[:b*d]
	for range f.depth {
		o := 0
		for i, j := range js {
			n := nodes[j]
			js[i] = 2*j + 1 + right(x[o+int(n.feature)], n.threshold)
			o += d
		}
	}
	base := int32(len(nodes))
	for i := range js {
		js[i] -= base
	}
}

// right is 1 when sklearn goes right (v is not <= t, NaN included), else
// 0, computed without a branch.
func right(v, t float64) int32 {
	c := int32(0)
	if !(v <= t) {
		c = 1
	}
	return c
}

// leavesOf writes the leaf slot of each of the b rows of x (d values per
// row) into leaf: a slot of the complete layout when t has one, else the
// leaf node. Per-leaf tables are laid out by slot with bySlot.
func (t *tree) leavesOf(x []float64, d, b int, leaf []int32) {
	if t.flat != nil {
		t.flat.leaves(x, d, b, leaf)
		return
	}
	for i := 0; i < b; i++ {
		leaf[i] = int32(t.leaf(x[i*d : (i+1)*d]))
	}
}

// slotNodes returns the leaf node of each slot leavesOf reports.
func (t *tree) slotNodes() []int32 {
	if t.flat != nil {
		return t.flat.leafOf
	}
	id := make([]int32, len(t.left))
	for i := range id {
		id[i] = int32(i)
	}
	return id
}

// bySlot lays out a per-node table (w values per node) by slot.
func (t *tree) bySlot(v []float64, w int) []float64 {
	nodes := t.slotNodes()
	out := make([]float64, len(nodes)*w)
	for s, node := range nodes {
		copy(out[s*w:(s+1)*w], v[int(node)*w:(int(node)+1)*w])
	}
	return out
}

// treeBlock is how many rows walk the trees of an ensemble together: the
// rows stay in cache while the trees go by.
const treeBlock = 128
