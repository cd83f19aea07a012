package graph

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// Limits on untrusted model files.
const (
	// MinOpset is the oldest default-domain opset accepted. Opsets 7-18 are
	// the target; older ones load with their legacy attributes (broadcast,
	// axis, is_test, spatial, consumed_inputs) where the op knows them.
	MinOpset = 1
	// MaxNodes bounds the graph size; real classifiers have a few thousand.
	MaxNodes = 1 << 20
)

// ValueInfo describes a graph input or output: dims of -1 are symbolic.
type ValueInfo struct {
	Name  string
	Shape []int
	DType nd.DType
	// HasShape is false when the model declares no shape.
	HasShape bool
}

// Step is one compiled node of the plan.
type Step struct {
	Node   *ops.Node
	Def    *ops.Def
	Kernel ops.Kernel
	// In and Out are value slots; -1 marks an absent optional input or an
	// unused output.
	In, Out []int
}

// Model is a loaded, validated and planned ONNX graph.
type Model struct {
	Proto   *onnxpb.ModelProto
	Opset   int
	Inputs  []ValueInfo
	Outputs []ValueInfo
	// Names maps slot -> value name; Consts holds the values known at load
	// (initializers, Constant nodes and folded subgraphs), nil otherwise.
	// Never modify a Consts array in place: kernels keep pre-packed copies
	// of constant weights keyed by the array pointer, so a trainer must
	// store updated weights as new arrays (the kernels then use the new
	// values unpacked) or reload the model.
	Names  []string
	Consts []*nd.Array
	// Initializer marks the slots that are graph initializers (the
	// trainable weights).
	Initializer []bool
	Steps       []Step
	slots       map[string]int
	lastUse     []int
	arena       *nd.Arena
}

// Slot returns the slot of a value name.
func (m *Model) Slot(name string) (int, bool) {
	s, ok := m.slots[name]
	return s, ok
}

// Load decodes, validates and plans a model with the ops of reg. Every
// problem (truncated file, unknown op, cycle, bad shape) is returned as an
// error naming what is wrong; Load never panics.
func Load(data []byte, reg *ops.Registry) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("load: internal error: %v", r)
		}
	}()
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, fmt.Errorf("parse model (%d bytes): %w", len(data), err)
	}
	return FromProto(mp, reg)
}

// FromProto validates and plans an already decoded model.
func FromProto(mp *onnxpb.ModelProto, reg *ops.Registry) (*Model, error) {
	g := mp.GetGraph()
	if g == nil || len(g.GetNode()) == 0 {
		return nil, errors.New("model has no graph nodes (not an ONNX model, or truncated)")
	}
	if len(g.GetNode()) > MaxNodes {
		return nil, fmt.Errorf("model has %d nodes, more than %d", len(g.GetNode()), MaxNodes)
	}
	opset, err := defaultOpset(mp)
	if err != nil {
		return nil, err
	}
	m := &Model{Proto: mp, Opset: opset, slots: map[string]int{}, arena: nd.NewArena()}
	if err := m.addInitializers(g); err != nil {
		return nil, err
	}
	if err := m.addInputs(g); err != nil {
		return nil, err
	}
	order, err := m.sortNodes(g, reg)
	if err != nil {
		return nil, err
	}
	if err := m.compile(order, reg); err != nil {
		return nil, err
	}
	if err := m.addOutputs(g); err != nil {
		return nil, err
	}
	m.planLifetimes()
	if err := m.dryRun(); err != nil {
		return nil, err
	}
	return m, nil
}

// dryRun runs the plan once on zeros (batch 1 where symbolic) when the
// model has a single float input with fixed non-batch dims (zeros are no
// valid value for auxiliary inputs such as scales), so that rank and
// shape errors
// (a Conv fed a matrix, mismatched MatMul) surface at load, not at the
// first predict.
func (m *Model) dryRun() error {
	feeds := map[string]*nd.Array{}
	if len(m.Inputs) != 1 {
		return nil
	}
	for _, in := range m.Inputs {
		if in.DType != nd.Float32 || !in.HasShape {
			return nil
		}
		shape := append([]int(nil), in.Shape...)
		for i, d := range shape {
			if d < 0 && i > 0 {
				return nil
			}
			if d < 0 {
				shape[i] = 1
			}
		}
		if nd.Size(shape) > dryRunMaxElements {
			return nil
		}
		feeds[in.Name] = nd.NewF(shape...)
	}
	if _, err := m.Run(&ops.Ctx{Threads: 1}, feeds, false); err != nil {
		return fmt.Errorf("model check on a zero input: %w", err)
	}
	return nil
}

// dryRunMaxElements skips the load-time check for inputs too large to
// run cheaply (more than 16M values per sample).
const dryRunMaxElements = 1 << 24

func defaultOpset(mp *onnxpb.ModelProto) (int, error) {
	opset := -1
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			opset = int(o.GetVersion())
		}
	}
	if opset < 0 {
		return 0, errors.New("model imports no default-domain opset")
	}
	if opset < MinOpset || opset > ops.MaxOpset {
		return 0, fmt.Errorf("opset %d is not supported (want %d to %d)", opset, MinOpset, ops.MaxOpset)
	}
	return opset, nil
}

func (m *Model) newSlot(name string) int {
	s := len(m.Names)
	m.Names = append(m.Names, name)
	m.Consts = append(m.Consts, nil)
	m.Initializer = append(m.Initializer, false)
	m.slots[name] = s
	return s
}

func (m *Model) addInitializers(g *onnxpb.GraphProto) error {
	if len(g.GetSparseInitializer()) > 0 {
		return errors.New("sparse initializers are not supported")
	}
	for _, t := range g.GetInitializer() {
		if t.GetName() == "" {
			return errors.New("initializer without a name")
		}
		if _, dup := m.slots[t.GetName()]; dup {
			return fmt.Errorf("initializer %q defined twice", t.GetName())
		}
		a, err := nd.FromProto(t)
		if err != nil {
			return fmt.Errorf("initializer: %w", err)
		}
		s := m.newSlot(t.GetName())
		m.Consts[s] = a
		m.Initializer[s] = true
	}
	return nil
}

func (m *Model) addInputs(g *onnxpb.GraphProto) error {
	for _, vi := range g.GetInput() {
		if _, isInit := m.slots[vi.GetName()]; isInit {
			continue // an initializer with a default value, not a real input
		}
		info, err := valueInfo(vi)
		if err != nil {
			return fmt.Errorf("input %q: %w", vi.GetName(), err)
		}
		m.newSlot(vi.GetName())
		m.Inputs = append(m.Inputs, info)
	}
	return nil
}

func valueInfo(vi *onnxpb.ValueInfoProto) (ValueInfo, error) {
	info := ValueInfo{Name: vi.GetName()}
	if vi.GetName() == "" {
		return info, errors.New("value without a name")
	}
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return info, errors.New("non-tensor types (sequence, map, optional) are not supported")
	}
	switch onnxpb.TensorProto_DataType(tt.GetElemType()) {
	case onnxpb.TensorProto_FLOAT:
		info.DType = nd.Float32
	case onnxpb.TensorProto_INT64, onnxpb.TensorProto_INT32:
		info.DType = nd.Int64
	case onnxpb.TensorProto_BOOL:
		info.DType = nd.Bool
	default:
		return info, fmt.Errorf("element type %s is not supported (float32 runtime)", onnxpb.TensorProto_DataType(tt.GetElemType()))
	}
	if tt.GetShape() == nil {
		return info, nil
	}
	info.HasShape = true
	var fixed []int64
	for _, d := range tt.GetShape().GetDim() {
		v := d.GetDimValue()
		if _, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && v > 0 {
			info.Shape = append(info.Shape, int(min(v, nd.MaxElements+1)))
			fixed = append(fixed, v)
			continue
		}
		if v < 0 {
			return info, fmt.Errorf("negative dimension %d", v)
		}
		info.Shape = append(info.Shape, -1)
	}
	if _, err := nd.CheckedSize(fixed); err != nil {
		return info, fmt.Errorf("declared shape: %w", err)
	}
	return info, nil
}

func (m *Model) addOutputs(g *onnxpb.GraphProto) error {
	for _, vi := range g.GetOutput() {
		if _, ok := m.slots[vi.GetName()]; !ok {
			return fmt.Errorf("graph output %q is not produced by any node", vi.GetName())
		}
		info, err := valueInfo(vi)
		if err != nil {
			return fmt.Errorf("output %q: %w", vi.GetName(), err)
		}
		m.Outputs = append(m.Outputs, info)
	}
	if len(m.Outputs) == 0 {
		return errors.New("model has no outputs")
	}
	return nil
}
