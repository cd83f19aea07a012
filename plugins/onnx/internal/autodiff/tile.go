package autodiff

import (
	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// BatchLocal reports whether every value computed from the input named
// in is batch-local: a float array whose first axis is the batch and
// whose rows depend only on the same input row. Then the forward values
// of a batch repeated row-wise are the forward values repeated row-wise,
// and Tile can stand in for a second forward pass. sample is the input
// shape without the batch axis.
//
// The check runs the model at batch 1 and 2 (on zeros) and requires, for
// every value depending on the input, a leading axis equal to the batch
// and the same trailing shape in both runs; it also refuses the ops that
// mix rows while keeping that shape (softmax, layer normalisation or a
// transpose across the batch axis, the batch as a GEMM's inner
// dimension). Integer values computed from the input (Shape) also refuse,
// since they would change with the batch size.
func BatchLocal(m *graph.Model, in string, sample []int) bool {
	slot, ok := m.Slot(in)
	if !ok {
		return false
	}
	var shapes [2][][]int
	var dep []bool
	for b := 1; b <= 2; b++ {
		x := nd.NewF(append([]int{b}, sample...)...)
		env, err := m.Run(&ops.Ctx{Threads: 1}, map[string]*nd.Array{in: x}, true)
		if err != nil {
			return false
		}
		dep = dependents(m, slot)
		shapes[b-1] = make([][]int, len(m.Names))
		for s, d := range dep {
			if !d {
				continue
			}
			v := env.Values[s]
			if v == nil || v.DType != nd.Float32 || v.Rank() == 0 || v.Shape[0] != b {
				return false
			}
			shapes[b-1][s] = v.Shape[1:]
		}
	}
	for s, d := range dep {
		if d && !nd.EqualShape(shapes[0][s], shapes[1][s]) {
			return false
		}
	}
	for _, st := range m.Steps {
		if anyDep(dep, st.In) && mixesRows(st, dep) {
			return false
		}
	}
	return true
}

// dependents marks the slots computed from slot (slot included).
func dependents(m *graph.Model, slot int) []bool {
	dep := make([]bool, len(m.Names))
	dep[slot] = true
	for _, st := range m.Steps {
		if anyDep(dep, st.In) {
			for _, o := range st.Out {
				if o >= 0 {
					dep[o] = true
				}
			}
		}
	}
	return dep
}

// mixesRows reports ops that can combine batch rows without changing the
// leading axis.
func mixesRows(st graph.Step, dep []bool) bool {
	n := st.Node
	// axis0 is conservative: without the rank at hand, any axis that may
	// resolve to 0 (0, or negative beyond -1) counts, and for softmax
	// before opset 13 (coerced to 2-D at the axis) so does -1.
	axis0 := func(def int) bool {
		a := n.Attrs.Int("axis", def)
		return a == 0 || a < -1 || (n.Op != "LayerNormalization" && n.Opset < 13 && a <= 0)
	}
	depIn := func(i int) bool { return i < len(st.In) && st.In[i] >= 0 && dep[st.In[i]] }
	switch n.Op {
	case "Softmax", "LogSoftmax":
		def := -1
		if n.Opset < 13 {
			def = 1
		}
		return axis0(def)
	case "LayerNormalization":
		return axis0(-1)
	case "Transpose":
		p := n.Attrs.Ints("perm")
		return p == nil || p[0] != 0
	case "Flatten":
		return n.Attrs.Int("axis", 1) == 0
	case "Gemm":
		return depIn(1) || n.Attrs.Int("transA", 0) != 0
	case "MatMul":
		return depIn(1)
	}
	return false
}

// Tile returns an environment for the batch repeated reps times row-wise
// (row i becomes rows i*reps .. i*reps+reps-1) for a backward pass to
// slot: the values computed from slot are repeated, the others shared.
// Valid when BatchLocal holds. A repeated value that no backward rule
// reads (ops.ShapeOnlyInput, ops.ShapeOnlyOutputs) and that is not in
// read (values the caller reads itself) is a shape without data; one
// that only row-wise backward rules read (ops.RepeatReadInput,
// ops.RepeatReadOutput) shares the rows of env's value instead of a copy
// (nd.Array.RowRepeat). The other repeated arrays come from alloc (every
// element is written), nd.NewF when nil.
func Tile(m *graph.Model, env *graph.Env, slot, reps int, alloc func(shape ...int) *nd.Array, read ...int) *graph.Env {
	if alloc == nil {
		alloc = nd.NewF
	}
	dep := dependents(m, slot)
	data, repeatOK := dataRead(m, dep)
	for _, s := range read {
		if s >= 0 && s < len(data) {
			data[s], repeatOK[s] = true, false
		}
	}
	out := &graph.Env{Values: make([]*nd.Array, len(env.Values))}
	for s, v := range env.Values {
		if !dep[s] || v == nil || v.DType != nd.Float32 || v.Rank() == 0 {
			out.Values[s] = v
			continue
		}
		n := v.Shape[0]
		per := v.Len() / max(n, 1)
		shape := append([]int{n * reps}, v.Shape[1:]...)
		if !data[s] {
			out.Values[s] = &nd.Array{DType: nd.Float32, Shape: shape}
			continue
		}
		if repeatOK[s] && v.RowRepeat <= 1 {
			// Its readers take repeated rows: share v's rows (not the
			// environment's to give back to an arena).
			out.Values[s] = &nd.Array{DType: nd.Float32, Shape: shape, F: v.F, RowRepeat: reps}
			continue
		}
		t := alloc(shape...)
		for i := 0; i < n; i++ {
			row := v.F[i*per : (i+1)*per]
			for r := 0; r < reps; r++ {
				copy(t.F[(i*reps+r)*per:], row)
			}
		}
		out.Values[s] = t
	}
	return out
}

// dataRead marks the values computed from the differentiated input (dep)
// whose data a backward pass to that input may read: inputs and outputs
// of steps whose backward rules are not known to need only their shapes;
// and, of those, the ones every such reader accepts row-repeated
// (ops.RepeatReadInput, ops.RepeatReadOutput).
func dataRead(m *graph.Model, dep []bool) (data, repeatOK []bool) {
	data = make([]bool, len(dep))
	repeatOK = make([]bool, len(dep))
	for s := range repeatOK {
		repeatOK[s] = true
	}
	for _, st := range m.Steps {
		if !anyDep(dep, st.In) {
			continue
		}
		need := make([]bool, len(st.In))
		for j, s := range st.In {
			need[j] = s >= 0 && dep[s]
		}
		for j, s := range st.In {
			if need[j] && !ops.ShapeOnlyInput(st.Node.Op, j, need) {
				data[s] = true
				repeatOK[s] = repeatOK[s] && ops.RepeatReadInput(st.Node.Op, j)
			}
		}
		if !ops.ShapeOnlyOutputs(st.Node.Op) {
			for _, o := range st.Out {
				if o >= 0 {
					data[o] = true
					repeatOK[o] = repeatOK[o] && ops.RepeatReadOutput(st.Node.Op)
				}
			}
		}
	}
	return data, repeatOK
}
