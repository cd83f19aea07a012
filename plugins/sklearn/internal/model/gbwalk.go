package model

// maxTableDepth is the deepest tree addTree can walk from tables: 2^4-1
// internal slots and 2^4 leaf slots fit 16-entry tables, which the
// AVX-512 kernel keeps in registers (GradientBoosting's default max_depth
// is 3).
const maxTableDepth = 4

// treeTable is a shallow regression tree in the complete layout as three
// 16-entry tables: the feature and float64 bound (see bound64) of each
// internal slot, and the value of each leaf slot.
type treeTable struct {
	depth int
	first int // first leaf slot, 2^depth - 1
	feat  [16]int64
	bound [16]float64
	value [16]float64
}

// newTreeTable returns the tables of a flat tree with per-slot values, or
// nil when the tree is deeper than maxTableDepth or has no complete
// layout.
func newTreeTable(f *flatTree, slotValue []float64) *treeTable {
	if f == nil || f.depth > maxTableDepth {
		return nil
	}
	t := &treeTable{depth: f.depth, first: 1<<f.depth - 1}
	for j, n := range f.nodes {
		t.feat[j], t.bound[j] = int64(n.feature), n.threshold
	}
	copy(t.value[:], slotValue)
	return t
}

// addGo adds, for each of the b rows of x (d values per row), the value
// of the leaf the row reaches to acc[i]: the portable version of add.
func (t *treeTable) addGo(x []float64, d, b int, acc []float64) {
	for i := range acc[:b] {
		r, j := x[i*d:(i+1)*d], 0
		for range t.depth {
			j = 2*j + 1 + int(right(r[t.feat[j]], t.bound[j]))
		}
		acc[i] += t.value[j-t.first]
	}
}
