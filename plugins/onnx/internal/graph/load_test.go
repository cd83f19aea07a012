package graph

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// builder assembles small models for tests.
type builder struct{ m *onnxpb.ModelProto }

func newModel(opset int64) *builder {
	return &builder{m: &onnxpb.ModelProto{IrVersion: proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph:       &onnxpb.GraphProto{Name: proto.String("g")}}}
}

func tensorType(dims ...int64) *onnxpb.TypeProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		if d < 0 {
			sh.Dim = append(sh.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}})
		} else {
			sh.Dim = append(sh.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
		}
	}
	return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: sh}}}
}

func (b *builder) input(name string, dims ...int64) *builder {
	b.m.Graph.Input = append(b.m.Graph.Input, &onnxpb.ValueInfoProto{Name: proto.String(name), Type: tensorType(dims...)})
	return b
}

func (b *builder) output(name string) *builder {
	b.m.Graph.Output = append(b.m.Graph.Output, &onnxpb.ValueInfoProto{Name: proto.String(name), Type: tensorType()})
	return b
}

func (b *builder) node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *builder {
	b.m.Graph.Node = append(b.m.Graph.Node, &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name),
		Input: in, Output: out, Attribute: attrs})
	return b
}

func (b *builder) init(name string, a *nd.Array) *builder {
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, nd.ToProto(name, a))
	return b
}

func (b *builder) bytes(t *testing.T) []byte {
	out, err := proto.Marshal(b.m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadRefusesBadModels(t *testing.T) {
	reg := ops.NewRegistry()
	w := nd.NewF(4, 3, 3, 3)
	mlp, err := os.ReadFile("../../testdata/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"nil", nil, "no graph nodes"},
		{"garbage", []byte("not a model at all"), "parse model"},
		{"truncated", mlp[:len(mlp)-100], "parse model"},
		{"unknown op", newModel(13).input("x", -1, 4).output("y").
			node("Relu", "r", []string{"x"}, []string{"h"}).
			node("FancyOp", "fancy1", []string{"h"}, []string{"y"}).bytes(t), `node "fancy1" (index 1): unsupported op "FancyOp"`},
		{"foreign domain", func() []byte {
			b := newModel(13).input("x", -1, 4).output("y").node("Relu", "r", []string{"x"}, []string{"y"})
			b.m.Graph.Node[0].Domain = proto.String("com.microsoft")
			return b.bytes(t)
		}(), `domain "com.microsoft"`},
		{"cycle", newModel(13).input("x", -1, 4).output("y").
			node("Add", "a", []string{"x", "c"}, []string{"b"}).
			node("Relu", "r", []string{"b"}, []string{"c"}).
			node("Relu", "out", []string{"c"}, []string{"y"}).bytes(t), "cycle"},
		{"undefined input", newModel(13).input("x", -1, 4).output("y").
			node("Add", "a", []string{"x", "ghost"}, []string{"y"}).bytes(t), `input "ghost" is not defined`},
		{"produced twice", newModel(13).input("x", -1, 4).output("y").
			node("Relu", "a", []string{"x"}, []string{"y"}).
			node("Relu", "b", []string{"x"}, []string{"y"}).bytes(t), "produced twice"},
		{"wrong input rank", newModel(13).input("x", -1, 3).output("y").init("w", w).
			node("Conv", "conv1", []string{"x", "w"}, []string{"y"}).bytes(t), `Conv node "conv1"`},
		{"huge declared shape", newModel(13).input("x", -1, 1<<40, 1<<40).output("y").
			node("Relu", "r", []string{"x"}, []string{"y"}).bytes(t), "more than"},
		{"opset too new", newModel(99).input("x", -1, 4).output("y").
			node("Relu", "r", []string{"x"}, []string{"y"}).bytes(t), "opset 99"},
		{"missing output", newModel(13).input("x", -1, 4).output("z").
			node("Relu", "r", []string{"x"}, []string{"y"}).bytes(t), `output "z"`},
		{"initializer data short", func() []byte {
			b := newModel(13).input("x", -1, 4).output("y").init("w", nd.NewF(4)).
				node("Add", "a", []string{"x", "w"}, []string{"y"})
			b.m.Graph.Initializer[0].Dims = []int64{1 << 20}
			return b.bytes(t)
		}(), "raw data has 16 bytes"},
		{"huge initializer dims", func() []byte {
			b := newModel(13).input("x", -1, 4).output("y").init("w", nd.NewF(4)).
				node("Add", "a", []string{"x", "w"}, []string{"y"})
			b.m.Graph.Initializer[0].Dims = []int64{1 << 40, 1 << 40}
			return b.bytes(t)
		}(), "more than"},
		{"bad attribute type", newModel(13).input("x", -1, 4).output("y").
			node("LeakyRelu", "lr", []string{"x"}, []string{"y"}, &onnxpb.AttributeProto{Name: proto.String("alpha"),
				Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("big")}).bytes(t), "attribute \"alpha\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.data, reg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRunSymbolicBatch(t *testing.T) {
	w := nd.FromF([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	b := newModel(13).input("x", -1, 3).output("y").init("w", w).
		node("MatMul", "mm", []string{"x", "w"}, []string{"h"}).
		node("Relu", "r", []string{"h"}, []string{"y"})
	m, err := Load(b.bytes(t), ops.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 5} {
		x := nd.NewF(n, 3)
		for i := range x.F {
			x.F[i] = float32(i%3) - 1 // rows (-1, 0, 1)
		}
		env, err := m.Run(&ops.Ctx{}, map[string]*nd.Array{"x": x}, true)
		if err != nil {
			t.Fatal(err)
		}
		y := m.Get(env, "y")
		// (-1,0,1) x w = (-1+5, -2+6) = (4, 4).
		if !nd.EqualShape(y.Shape, []int{n, 2}) || y.F[0] != 4 || y.F[2*n-1] != 4 {
			t.Fatalf("batch %d: y = %v %v", n, y.Shape, y.F)
		}
		if m.Get(env, "h") == nil {
			t.Fatal("keep=true dropped an intermediate value")
		}
	}
	if _, err := m.Run(&ops.Ctx{}, map[string]*nd.Array{"x": nd.NewF(2, 4)}, false); err == nil {
		t.Fatal("wrong feature size accepted")
	}
}

func FuzzLoad(f *testing.F) {
	for _, p := range []string{"../../testdata/mlp.onnx", "../../testdata/cnn.onnx", "../../testdata/cnn2.onnx"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	reg := ops.NewRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(data, reg)
		if err != nil {
			// Load recovers panics into "internal error"; for the fuzzer
			// they are still bugs.
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("load: %v", err)
			}
			return
		}
		// A model that loads must also run (or fail cleanly) on zeros.
		feeds := map[string]*nd.Array{}
		for _, in := range m.Inputs {
			shape := append([]int(nil), in.Shape...)
			for i := range shape {
				if shape[i] < 0 {
					shape[i] = 2
				}
			}
			if nd.Size(shape) > 1<<20 {
				return
			}
			feeds[in.Name] = nd.New(in.DType, shape...)
		}
		if _, err := m.Run(&ops.Ctx{Threads: 2}, feeds, false); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("run: %v", err)
		}
	})
}
