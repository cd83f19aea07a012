package autodiff

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

func node(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(out[0] + "_node"), Input: in, Output: out, Attribute: attrs}
}

func floatInit(name string, v []float32, dims ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, FloatData: v}
}

func valueInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		if d > 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
		} else {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
}

// testModel is y = Reshape(h*h + relu(h), Shape(x) with -1) where
// h = Gemm(x, W, b, transB): h is used three times, and the Shape branch
// (no gradient) depends on x but leads to the seed only through an
// integer input.
func testModel(t *testing.T, reg *ops.Registry) *graph.Model {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, 12)
	for i := range w {
		w[i] = 2*r.Float32() - 1
	}
	transB := &onnxpb.AttributeProto{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}
	g := &onnxpb.GraphProto{
		Name: proto.String("t"),
		Node: []*onnxpb.NodeProto{
			node("Gemm", []string{"x", "W", "b"}, []string{"h"}, transB),
			node("Mul", []string{"h", "h"}, []string{"sq"}),
			node("Relu", []string{"h"}, []string{"r"}),
			node("Add", []string{"sq", "r"}, []string{"s"}),
			node("Shape", []string{"x"}, []string{"xs"}),
			node("Gather", []string{"xs", "zero"}, []string{"n0"}),
			node("Concat", []string{"n0", "minus1"}, []string{"shp"}, &onnxpb.AttributeProto{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(0)}),
			node("Reshape", []string{"s", "shp"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			floatInit("W", w, 3, 4), floatInit("b", []float32{0.1, -0.2, 0.3}, 3),
			{Name: proto.String("zero"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{0}},
			{Name: proto.String("minus1"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{1}, Int64Data: []int64{-1}},
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", -1, 4)},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", -1, 3)},
	}
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}}
	m, err := graph.FromProto(mp, reg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBackwardMatchesFiniteDifferences(t *testing.T) {
	reg := ops.NewRegistry()
	ops.RegisterVJPs(reg)
	m := testModel(t, reg)
	r := rand.New(rand.NewPCG(3, 4))
	x := nd.NewF(5, 4)
	for i := range x.F {
		x.F[i] = 2*r.Float32() - 1
	}
	seed := nd.NewF(5, 3)
	for i := range seed.F {
		seed.F[i] = 2*r.Float32() - 1
	}
	ctx := &ops.Ctx{Threads: 1}
	xs, _ := m.Slot("x")
	ws, _ := m.Slot("W")
	ys, _ := m.Slot("y")
	env, err := m.Run(ctx, map[string]*nd.Array{"x": x}, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Backward(ctx, m, env, []Seed{{Slot: ys, Grad: seed}}, []int{xs, ws})
	if err != nil {
		t.Fatal(err)
	}
	// Central differences of <seed, y> in x and in W (W replaced, never
	// modified in place, through Forward's consts).
	objective := func(xv *nd.Array, w *nd.Array) float64 {
		consts := make([]*nd.Array, len(m.Names))
		consts[ws] = w
		e, _, err := Forward(ctx, m, consts, map[string]*nd.Array{"x": xv}, false)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i, v := range e.Values[ys].F {
			s += float64(v) * float64(seed.F[i])
		}
		return s
	}
	const h = 1e-3
	for k, base := range []*nd.Array{x, m.Consts[ws]} {
		worst, big := 0.0, 0.0
		for i := range base.F {
			p, q := base.Clone(), base.Clone()
			p.F[i] += h
			q.F[i] -= h
			var fd float64
			if k == 0 {
				fd = (objective(p, m.Consts[ws]) - objective(q, m.Consts[ws])) / (float64(p.F[i]) - float64(q.F[i]))
			} else {
				fd = (objective(x, p) - objective(x, q)) / (float64(p.F[i]) - float64(q.F[i]))
			}
			worst = math.Max(worst, math.Abs(fd-float64(got[k].F[i])))
			big = math.Max(big, math.Abs(fd))
		}
		if worst > 1e-2*big {
			t.Errorf("wrt %d: error %.3g, largest gradient %.3g", k, worst, big)
		}
	}
}

func TestBackwardErrors(t *testing.T) {
	bare := ops.NewRegistry() // no VJPs registered
	m := testModel(t, bare)
	ctx := &ops.Ctx{}
	x := nd.NewF(2, 4)
	env, err := m.Run(ctx, map[string]*nd.Array{"x": x}, true)
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := m.Slot("x")
	ys, _ := m.Slot("y")
	_, err = Backward(ctx, m, env, []Seed{{Slot: ys, Grad: nd.NewF(2, 3)}}, []int{xs})
	if err == nil || !strings.Contains(err.Error(), "Reshape") {
		t.Errorf("backward without VJPs: %v, want an error naming the Reshape node", err)
	}
	if _, err := Backward(ctx, m, env, []Seed{{Slot: ys, Grad: nd.NewF(3, 3)}}, []int{xs}); err == nil {
		t.Error("seed of the wrong shape accepted")
	}
	if _, err := Backward(ctx, m, &graph.Env{}, nil, []int{xs}); err == nil {
		t.Error("foreign environment accepted")
	}
	// A value the seed does not depend on gets zeros.
	reg := ops.NewRegistry()
	ops.RegisterVJPs(reg)
	m = testModel(t, reg)
	env, _ = m.Run(ctx, map[string]*nd.Array{"x": x}, true)
	hs, _ := m.Slot("h")
	g, err := Backward(ctx, m, env, []Seed{{Slot: hs, Grad: nd.NewF(2, 3)}}, []int{xs})
	if err != nil || g[0].Len() != 8 {
		t.Errorf("gradient of h: %v, %v", g, err)
	}
}

// TestBatchLocal refuses a model whose Shape output depends on the input,
// and a softmax across the batch; it accepts a row-wise Gemm.
func TestBatchLocal(t *testing.T) {
	reg := ops.NewRegistry()
	if BatchLocal(testModel(t, reg), "x", []int{4}) {
		t.Error("model reading Shape(x) accepted")
	}
	build := func(axis int64) *graph.Model {
		g := &onnxpb.GraphProto{Name: proto.String("s"),
			Node: []*onnxpb.NodeProto{
				node("Gemm", []string{"x", "W"}, []string{"h"}, &onnxpb.AttributeProto{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}),
				node("Softmax", []string{"h"}, []string{"y"}, &onnxpb.AttributeProto{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(axis)}),
			},
			Initializer: []*onnxpb.TensorProto{floatInit("W", make([]float32, 12), 3, 4)},
			Input:       []*onnxpb.ValueInfoProto{valueInfo("x", -1, 4)},
			Output:      []*onnxpb.ValueInfoProto{valueInfo("y", -1, 3)},
		}
		m, err := graph.FromProto(&onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
			OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}}, reg)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if !BatchLocal(build(1), "x", []int{4}) {
		t.Error("row-wise Gemm + Softmax(axis=1) refused")
	}
	if BatchLocal(build(0), "x", []int{4}) {
		t.Error("Softmax across the batch accepted")
	}
	m := build(1)
	env, err := m.Run(&ops.Ctx{}, map[string]*nd.Array{"x": nd.FromF([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 4)}, true)
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := m.Slot("x")
	tiled := Tile(m, env, xs, 3, nil, xs)
	if v := tiled.Values[xs]; !nd.EqualShape(v.Shape, []int{6, 4}) || v.F[4*2] != 1 || v.F[4*3] != 5 {
		t.Errorf("tiled input %v %v", v.Shape, v.F)
	}
	// Unless the caller reads it, the input only feeds Gemm's A with a
	// constant B: its shape is repeated, not its data. The Gemm output
	// feeds Softmax, whose backward rule reads values: repeated in full.
	tiled = Tile(m, env, xs, 3, nil)
	if v := tiled.Values[xs]; !nd.EqualShape(v.Shape, []int{6, 4}) || v.F != nil {
		t.Errorf("shape-only input %v has data %v", v.Shape, v.F)
	}
	for s, v := range tiled.Values {
		if s != xs && v != nil && v.DType == nd.Float32 && v.Shape[0] == 6 && len(v.F) != v.Len() {
			t.Errorf("value %s %v not repeated in full", m.Names[s], v.Shape)
		}
	}
}

// TestBackwardArenaGivesSameResult runs a pass large enough for the
// arena to recycle intermediate gradients and compares it with a pass
// without one, twice on the same arena.
func TestBackwardArenaGivesSameResult(t *testing.T) {
	reg := ops.NewRegistry()
	ops.RegisterVJPs(reg)
	m := testModel(t, reg)
	r := rand.New(rand.NewPCG(5, 6))
	x, seed := nd.NewF(300, 4), nd.NewF(300, 3)
	for i := range x.F {
		x.F[i] = 2*r.Float32() - 1
	}
	for i := range seed.F {
		seed.F[i] = 2*r.Float32() - 1
	}
	xs, _ := m.Slot("x")
	ws, _ := m.Slot("W")
	ys, _ := m.Slot("y")
	env, err := m.Run(&ops.Ctx{}, map[string]*nd.Array{"x": x}, true)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Backward(&ops.Ctx{}, m, env, []Seed{{Slot: ys, Grad: seed}}, []int{xs, ws})
	if err != nil {
		t.Fatal(err)
	}
	ar := nd.NewArena()
	for round := 0; round < 2; round++ {
		got, err := Backward(&ops.Ctx{Arena: ar}, m, env, []Seed{{Slot: ys, Grad: seed}}, []int{xs, ws})
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			for i := range want[k].F {
				if got[k].F[i] != want[k].F[i] {
					t.Fatalf("round %d, result %d element %d: %g with the arena, %g without", round, k, i, got[k].F[i], want[k].F[i])
				}
			}
		}
	}
}
