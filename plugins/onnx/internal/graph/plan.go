package graph

import (
	"fmt"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// sortNodes checks every node's op and wiring and returns the nodes in a
// topological order (Kahn's algorithm, stable in file order). It fails on
// unknown ops, values produced twice, undefined inputs and cycles.
func (m *Model) sortNodes(g *onnxpb.GraphProto, reg *ops.Registry) ([]*onnxpb.NodeProto, error) {
	nodes := g.GetNode()
	producer := map[string]int{}
	for i, n := range nodes {
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			return nil, fmt.Errorf("node %q (index %d): op %q of domain %q is not supported", n.GetName(), i, n.GetOpType(), d)
		}
		def, ok := reg.Lookup(n.GetOpType())
		if !ok {
			return nil, fmt.Errorf("node %q (index %d): unsupported op %q", n.GetName(), i, n.GetOpType())
		}
		if m.Opset < def.MinOpset {
			return nil, fmt.Errorf("node %q (index %d): op %q needs opset >= %d, model has %d", n.GetName(), i, n.GetOpType(), def.MinOpset, m.Opset)
		}
		for _, o := range n.GetOutput() {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, fmt.Errorf("node %q (index %d): value %q is produced twice", n.GetName(), i, o)
			}
			if _, dup := m.slots[o]; dup {
				return nil, fmt.Errorf("node %q (index %d): output %q overwrites an input or initializer", n.GetName(), i, o)
			}
			producer[o] = i
		}
	}
	indeg := make([]int, len(nodes))
	users := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, in := range n.GetInput() {
			if in == "" {
				continue
			}
			if p, ok := producer[in]; ok {
				indeg[i]++
				users[p] = append(users[p], i)
			} else if _, ok := m.slots[in]; !ok {
				return nil, fmt.Errorf("node %q (index %d, %s): input %q is not defined", n.GetName(), i, n.GetOpType(), in)
			}
		}
	}
	var order []*onnxpb.NodeProto
	ready := []int{}
	for i := range nodes {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, nodes[i])
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(order) != len(nodes) {
		for i, d := range indeg {
			if d > 0 {
				return nil, fmt.Errorf("graph has a cycle through node %q (index %d, %s)", nodes[i].GetName(), i, nodes[i].GetOpType())
			}
		}
	}
	return order, nil
}

// compile builds the kernels in order. Nodes whose inputs are all known
// at load are evaluated once (constant folding) and leave no step.
func (m *Model) compile(order []*onnxpb.NodeProto, reg *ops.Registry) error {
	ctx := &ops.Ctx{Threads: 1}
	for i, np := range order {
		def, _ := reg.Lookup(np.GetOpType())
		node := &ops.Node{Op: np.GetOpType(), Name: np.GetName(), Opset: m.Opset,
			Attrs: ops.NewAttrs(np.GetAttribute()), Inputs: np.GetInput(), NumOutputs: len(np.GetOutput())}
		if node.Name == "" {
			node.Name = fmt.Sprintf("%s_%d", node.Op, i)
		}
		st := Step{Node: node, Def: def}
		allConst := true
		for _, in := range np.GetInput() {
			if in == "" {
				st.In = append(st.In, -1)
				node.Const = append(node.Const, nil)
				continue
			}
			s := m.slots[in]
			st.In = append(st.In, s)
			node.Const = append(node.Const, m.Consts[s])
			if m.Consts[s] == nil {
				allConst = false
			}
		}
		for _, o := range np.GetOutput() {
			if o == "" {
				st.Out = append(st.Out, -1)
				continue
			}
			st.Out = append(st.Out, m.newSlot(o))
		}
		k, err := safeBuild(def, node)
		if err != nil {
			return err
		}
		st.Kernel = k
		if allConst {
			outs, err := m.exec(ctx, &st, node.Const)
			if err != nil {
				return fmt.Errorf("evaluate constant: %w", err)
			}
			for j, s := range st.Out {
				if s >= 0 && j < len(outs) {
					m.Consts[s] = outs[j]
				}
			}
			continue
		}
		m.Steps = append(m.Steps, st)
	}
	return nil
}

func safeBuild(def *ops.Def, n *ops.Node) (k ops.Kernel, err error) {
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, n.Errorf("internal error at load: %v", r)
		}
	}()
	k, err = def.Build(n)
	if err == nil && k == nil {
		err = n.Errorf("no kernel")
	}
	if err == nil {
		if aerr := n.Attrs.Err(); aerr != nil {
			err = n.Errorf("%v", aerr)
		}
	}
	return k, err
}

// exec runs one step's kernel, turning a panic into an error naming the
// node and checking the number of outputs.
func (m *Model) exec(ctx *ops.Ctx, st *Step, in []*nd.Array) (outs []*nd.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			if tl, ok := r.(nd.TooLarge); ok {
				outs, err = nil, st.Node.Errorf("%v", tl)
				return
			}
			outs, err = nil, st.Node.Errorf("internal error: %v", r)
		}
	}()
	outs, err = st.Kernel.Forward(ctx, in)
	if err != nil {
		return nil, err
	}
	for j, s := range st.Out {
		if s >= 0 && (j >= len(outs) || outs[j] == nil) {
			return nil, st.Node.Errorf("output %d is not computed", j)
		}
	}
	return outs, nil
}

// planLifetimes records, for each slot, the last step that reads it, so
// Run can drop intermediate values early.
func (m *Model) planLifetimes() {
	m.lastUse = make([]int, len(m.Names))
	for i := range m.lastUse {
		m.lastUse[i] = -1
	}
	for i, st := range m.Steps {
		for _, s := range st.In {
			if s >= 0 {
				m.lastUse[s] = i
			}
		}
	}
	for _, o := range m.Outputs {
		m.lastUse[m.slots[o.Name]] = len(m.Steps)
	}
}

// Pin keeps the value name alive to the end of every run (as graph
// outputs are), so a caller can read an intermediate value, such as the
// input of a final Softmax, from the Env. It reports whether name exists.
func (m *Model) Pin(name string) bool {
	s, ok := m.slots[name]
	if ok {
		m.lastUse[s] = len(m.Steps)
	}
	return ok
}
