package autodiff

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// TestLinearTail checks which steps LinearTail takes: a purely linear
// model is all tail with the input as frontier, a final Softmax leaves no
// tail, the Reshape of testModel (its shape computed from x) is refused;
// and the tail pass on one row per class gives the gradient of the full
// pass.
func TestLinearTail(t *testing.T) {
	reg := ops.NewRegistry()
	ops.RegisterVJPs(reg)
	build := func(nodes ...*onnxpb.NodeProto) *graph.Model {
		g := &onnxpb.GraphProto{Name: proto.String("l"), Node: nodes,
			Initializer: []*onnxpb.TensorProto{floatInit("W", []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4)},
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
	transB := &onnxpb.AttributeProto{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}
	slots := func(m *graph.Model) (int, int) {
		x, _ := m.Slot("x")
		y, _ := m.Slot("y")
		return x, y
	}

	soft := build(node("Gemm", []string{"x", "W"}, []string{"h"}, transB), node("Softmax", []string{"h"}, []string{"y"}))
	x, y := slots(soft)
	if tail, fr := LinearTail(soft, x, y); tail != nil || fr != nil {
		t.Errorf("final softmax: tail %v, frontier %v", tail, fr)
	}
	tm := testModel(t, reg)
	x, y = slots(tm)
	if tail, fr := LinearTail(tm, x, y); tail != nil || fr != nil {
		t.Errorf("reshape to a shape computed from x: tail %v, frontier %v", tail, fr)
	}

	lin := build(node("Gemm", []string{"x", "W"}, []string{"h"}, transB), node("Identity", []string{"h"}, []string{"y"}))
	xs, ys := slots(lin)
	tail, fr := LinearTail(lin, xs, ys)
	if len(fr) != 1 || fr[0] != xs || !tail[0] || !tail[1] {
		t.Fatalf("linear model: tail %v, frontier %v", tail, fr)
	}
	env, err := lin.Run(&ops.Ctx{}, map[string]*nd.Array{"x": nd.FromF([]float32{1, -2, 3, 0.5, 2, 1, -1, 4}, 2, 4)}, true)
	if err != nil {
		t.Fatal(err)
	}
	eye := nd.NewF(3, 3)
	for c := 0; c < 3; c++ {
		eye.F[c*3+c] = 1
	}
	g, err := BackwardSteps(&ops.Ctx{}, lin, TailEnv(lin, env, xs, 3), []Seed{{Slot: ys, Grad: eye}}, fr, tail)
	if err != nil {
		t.Fatal(err)
	}
	// d y_c / d x = row c of W, for every sample.
	for c := 0; c < 3; c++ {
		for j := 0; j < 4; j++ {
			if got, want := g[0].F[c*4+j], float32(c*4+j+1); got != want {
				t.Fatalf("class %d, input %d: %g, want %g", c, j, got, want)
			}
		}
	}
}
