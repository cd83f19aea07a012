package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// gcCases lists a gradient check for every op with a VJP (several for
// ops with modes).
func gcCases() []gcCase {
	r := rand.New(rand.NewPCG(3, 4))
	x := func(shape ...int) *nd.Array { return gcRand(r, shape...) }
	sep := func(shape ...int) *nd.Array { return gcSep(r, shape...) }
	pos := func(shape ...int) *nd.Array { return gcPos(r, shape...) }
	ai, af, as, ais := gcAttrInt, gcAttrFloat, gcAttrString, gcAttrInts
	type A = []*onnxpb.AttributeProto
	cs := []gcCase{
		{name: "relu", op: "Relu", in: []*nd.Array{sep(3, 5)}},
		{name: "leakyrelu", op: "LeakyRelu", attrs: A{af("alpha", 0.1)}, in: []*nd.Array{sep(3, 5)}},
		{name: "sigmoid", op: "Sigmoid", in: []*nd.Array{x(3, 5)}},
		{name: "tanh", op: "Tanh", in: []*nd.Array{x(3, 5)}},
		{name: "exp", op: "Exp", in: []*nd.Array{x(3, 5)}},
		{name: "log", op: "Log", in: []*nd.Array{pos(3, 5)}},
		{name: "sqrt", op: "Sqrt", in: []*nd.Array{pos(3, 5)}},
		{name: "erf", op: "Erf", in: []*nd.Array{x(3, 5)}},
		{name: "softplus", op: "Softplus", in: []*nd.Array{x(3, 5)}},
		{name: "neg", op: "Neg", in: []*nd.Array{x(3, 5)}},
		{name: "abs", op: "Abs", in: []*nd.Array{sep(3, 5)}},
		{name: "elu", op: "Elu", attrs: A{af("alpha", 0.7)}, in: []*nd.Array{sep(3, 5)}},
		{name: "selu", op: "Selu", in: []*nd.Array{sep(3, 5)}},
		{name: "hardsigmoid", op: "HardSigmoid", in: []*nd.Array{func() *nd.Array {
			a := sep(4, 10)
			for i := range a.F {
				a.F[i] *= 1.7
			}
			return a
		}()}},
		{name: "hardswish", op: "HardSwish", in: []*nd.Array{sep(4, 15)}},
		{name: "identity", op: "Identity", in: []*nd.Array{x(2, 3)}},
		{name: "dropout", op: "Dropout", in: []*nd.Array{x(2, 3)}},
		{name: "clip-inputs", op: "Clip", in: []*nd.Array{sep(3, 5), nd.FromF([]float32{-0.42}), nd.FromF([]float32{0.33})}, fixed: []int{1, 2}},
		{name: "clip-attrs", op: "Clip", opset: 6, attrs: A{af("min", -0.42), af("max", 0.33)}, in: []*nd.Array{sep(3, 5)}},
		{name: "add-broadcast", op: "Add", in: []*nd.Array{x(2, 3, 4), x(3, 1)}},
		{name: "add-legacy-axis", op: "Add", opset: 6, attrs: A{ai("broadcast", 1), ai("axis", 1)}, in: []*nd.Array{x(2, 3, 4), x(3)}},
		{name: "sub-broadcast", op: "Sub", in: []*nd.Array{x(4), x(2, 3, 4)}},
		{name: "mul-broadcast", op: "Mul", in: []*nd.Array{x(2, 3, 4), x(1, 3, 1)}},
		{name: "div-broadcast", op: "Div", in: []*nd.Array{x(2, 3, 4), pos(3, 4)}},
		{name: "pow", op: "Pow", in: []*nd.Array{pos(2, 3), x(3)}},
		{name: "pow-int-exponent", op: "Pow", in: []*nd.Array{x(2, 3), gcInts(2)}},
		{name: "prelu", op: "PRelu", in: []*nd.Array{sep(2, 3, 4), x(3, 1)}},
		{name: "max", op: "Max", in: []*nd.Array{x(2, 3), x(3), x(2, 3)}},
		{name: "min", op: "Min", in: []*nd.Array{x(2, 3), x(2, 3)}},
		{name: "where", op: "Where", in: []*nd.Array{nd.FromI([]int64{1, 0, 1}, 3), x(2, 3), x(2, 1)}},
		{name: "gemm", op: "Gemm", attrs: A{af("alpha", 0.7), af("beta", 1.3)}, in: []*nd.Array{x(3, 4), x(4, 5), x(5)}},
		{name: "gemm-transA", op: "Gemm", attrs: A{ai("transA", 1)}, in: []*nd.Array{x(4, 3), x(4, 5), x(3, 5)}},
		{name: "gemm-transB-const", op: "Gemm", attrs: A{ai("transB", 1)}, in: []*nd.Array{x(3, 4), x(5, 4), x(1, 5)}, konst: []bool{false, true, true}},
		{name: "gemm-transAB", op: "Gemm", attrs: A{ai("transA", 1), ai("transB", 1), af("beta", 0.5)}, in: []*nd.Array{x(4, 3), x(5, 4), x(1)}},
		{name: "matmul-2d", op: "MatMul", in: []*nd.Array{x(3, 4), x(4, 5)}, konst: []bool{false, true}},
		{name: "matmul-batch-2d", op: "MatMul", in: []*nd.Array{x(2, 3, 4), x(4, 2)}},
		{name: "matmul-broadcast", op: "MatMul", in: []*nd.Array{x(2, 1, 3, 4), x(3, 4, 2)}},
		{name: "matmul-vectors", op: "MatMul", in: []*nd.Array{x(4), x(2, 4, 3)}},
		{name: "conv", op: "Conv", attrs: A{ais("pads", 1, 1, 1, 1)}, in: []*nd.Array{x(2, 3, 5, 4), x(4, 3, 3, 3), x(4)}, konst: []bool{false, true, true}},
		{name: "conv-const-w-rows-of-8", op: "Conv", attrs: A{ais("pads", 1, 1, 1, 1), ai("group", 2)}, in: []*nd.Array{x(3, 4, 8, 8), x(6, 2, 3, 3), x(6)}, konst: []bool{false, true, true}, fixed: []int{1, 2}},
		{name: "conv-const-w-one-channel", op: "Conv", attrs: A{ais("pads", 1, 1, 1, 1)}, in: []*nd.Array{x(5, 1, 8, 8), x(8, 1, 3, 3), x(8)}, konst: []bool{false, true, true}, fixed: []int{1, 2}},
		{name: "conv-stride-dil-group", op: "Conv", attrs: A{ais("strides", 2, 1), ais("dilations", 1, 2), ais("pads", 1, 0, 0, 2), ai("group", 2)},
			in: []*nd.Array{x(2, 4, 6, 5), x(6, 2, 2, 3)}},
		{name: "conv-stride1-group-dil", op: "Conv", attrs: A{ais("dilations", 2, 1), ais("pads", 1, 0, 2, 1), ai("group", 2)},
			in: []*nd.Array{x(2, 4, 6, 5), x(6, 2, 2, 3), x(6)}, konst: []bool{false, true, false}},
		{name: "conv-same-asym-dil", op: "Conv", attrs: A{ais("dilations", 2, 1), ais("pads", 3, 2, 1, 0)}, in: []*nd.Array{x(2, 2, 5, 4), x(3, 2, 3, 3), x(3)}},
		{name: "conv-same-rows-tall-pad", op: "Conv", attrs: A{ais("pads", 2, 1, 2, 1)}, in: []*nd.Array{x(1, 1, 2, 3), x(2, 1, 3, 3)}},
		{name: "conv-1x1-padded", op: "Conv", attrs: A{ais("pads", 1, 2, 0, 1)}, in: []*nd.Array{x(2, 3, 3, 4), x(2, 3, 1, 1)}},
		{name: "conv-1d-same", op: "Conv", attrs: A{as("auto_pad", "SAME_UPPER"), ais("strides", 2)}, in: []*nd.Array{x(2, 2, 7), x(3, 2, 3), x(3)}},
		{name: "conv-3d", op: "Conv", attrs: A{ais("pads", 1, 0, 1, 0, 1, 0)}, in: []*nd.Array{x(1, 2, 3, 3, 3), x(2, 2, 2, 2, 2)}},
		{name: "convtranspose", op: "ConvTranspose", attrs: A{ais("strides", 2, 2), ais("pads", 1, 0, 0, 1)}, in: []*nd.Array{x(2, 4, 3, 3), x(4, 3, 3, 2), x(3)}},
		{name: "convtranspose-group", op: "ConvTranspose", attrs: A{ai("group", 2), ais("output_padding", 1)}, in: []*nd.Array{x(1, 4, 4), x(4, 1, 3)}},
		{name: "maxpool-2x2", op: "MaxPool", attrs: A{ais("kernel_shape", 2, 2), ais("strides", 2, 2)}, in: []*nd.Array{sep(2, 2, 4, 6)}},
		{name: "maxpool-2x2-wide", op: "MaxPool", attrs: A{ais("kernel_shape", 2, 2), ais("strides", 2, 2)}, in: []*nd.Array{sep(2, 3, 4, 18)}},
		{name: "maxpool-2x2-odd", op: "MaxPool", attrs: A{ais("kernel_shape", 2, 2), ais("strides", 2, 2)}, in: []*nd.Array{sep(2, 2, 5, 7)}},
		{name: "maxpool-2x2-ceil", op: "MaxPool", attrs: A{ais("kernel_shape", 2, 2), ais("strides", 2, 2), ai("ceil_mode", 1)}, in: []*nd.Array{sep(1, 2, 4, 5)}},
		{name: "maxpool-pad-overlap", op: "MaxPool", attrs: A{ais("kernel_shape", 3, 3), ais("strides", 2, 1), ais("pads", 1, 1, 1, 1)}, in: []*nd.Array{sep(1, 2, 5, 5)}},
		{name: "maxpool-ceil-1d", op: "MaxPool", attrs: A{ais("kernel_shape", 2), ais("strides", 2), ai("ceil_mode", 1)}, in: []*nd.Array{sep(2, 2, 7)}},
		{name: "maxpool-indices", op: "MaxPool", outputs: 2, attrs: A{ais("kernel_shape", 2, 2)}, in: []*nd.Array{sep(1, 2, 4, 4)}},
		{name: "avgpool", op: "AveragePool", attrs: A{ais("kernel_shape", 2, 2), ais("strides", 2, 2)}, in: []*nd.Array{x(2, 2, 4, 6)}},
		{name: "avgpool-pad-exclude", op: "AveragePool", attrs: A{ais("kernel_shape", 3, 3), ais("pads", 1, 1, 1, 1)}, in: []*nd.Array{x(1, 2, 4, 5)}},
		{name: "avgpool-pad-include", op: "AveragePool", attrs: A{ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1), ai("count_include_pad", 1)}, in: []*nd.Array{x(1, 2, 5, 5)}},
		{name: "avgpool-3d", op: "AveragePool", attrs: A{ais("kernel_shape", 2, 2, 2), ais("pads", 0, 1, 0, 1, 0, 1)}, in: []*nd.Array{x(1, 1, 3, 3, 3)}},
		{name: "globalavgpool", op: "GlobalAveragePool", in: []*nd.Array{x(2, 3, 4, 4)}},
		{name: "globalmaxpool", op: "GlobalMaxPool", in: []*nd.Array{sep(2, 3, 3, 2)}},
		{name: "batchnorm", op: "BatchNormalization", in: []*nd.Array{x(2, 3, 2, 2), x(3), x(3), x(3), pos(3)}, konst: []bool{false, true, true, true, true}},
		{name: "batchnorm-2d", op: "BatchNormalization", in: []*nd.Array{x(4, 3), x(3), x(3), x(3), pos(3)}},
		{name: "instancenorm", op: "InstanceNormalization", in: []*nd.Array{x(2, 3, 4), x(3), x(3)}},
		{name: "layernorm", op: "LayerNormalization", opset: 17, attrs: A{ai("axis", -2)}, in: []*nd.Array{x(2, 3, 4), x(3, 4), x(4)}},
		{name: "softmax", op: "Softmax", in: []*nd.Array{x(3, 5)}},
		{name: "softmax-axis1-3d", op: "Softmax", attrs: A{ai("axis", 1)}, in: []*nd.Array{x(2, 3, 4)}},
		{name: "softmax-legacy", op: "Softmax", opset: 11, in: []*nd.Array{x(2, 3, 4)}},
		{name: "logsoftmax", op: "LogSoftmax", in: []*nd.Array{x(3, 5)}},
		{name: "reshape", op: "Reshape", in: []*nd.Array{x(2, 3, 4), gcInts(0, -1)}},
		{name: "flatten", op: "Flatten", attrs: A{ai("axis", 2)}, in: []*nd.Array{x(2, 3, 4)}},
		{name: "squeeze", op: "Squeeze", in: []*nd.Array{x(2, 1, 4), gcInts(1)}},
		{name: "unsqueeze", op: "Unsqueeze", in: []*nd.Array{x(2, 4), gcInts(0, 3)}},
		{name: "transpose", op: "Transpose", attrs: A{ais("perm", 1, 2, 0)}, in: []*nd.Array{x(2, 3, 4)}},
		{name: "transpose-default", op: "Transpose", in: []*nd.Array{x(2, 3, 4)}},
		{name: "concat", op: "Concat", attrs: A{ai("axis", 1)}, in: []*nd.Array{x(2, 1, 3), x(2, 4, 3), x(2, 2, 3)}},
		{name: "split", op: "Split", outputs: 2, attrs: A{ai("axis", 1)}, in: []*nd.Array{x(2, 5), gcInts(2, 3)}},
		{name: "gather-repeat", op: "Gather", attrs: A{ai("axis", 1)}, in: []*nd.Array{x(2, 4, 3), nd.FromI([]int64{3, -1, 0, 2}, 2, 2)}},
		{name: "expand", op: "Expand", in: []*nd.Array{x(3, 1), gcInts(2, 3, 4)}},
		{name: "cast-float", op: "Cast", attrs: A{ai("to", int(onnxpb.TensorProto_FLOAT))}, in: []*nd.Array{x(2, 3)}},
		{name: "reducesum", op: "ReduceSum", attrs: A{ai("keepdims", 0)}, in: []*nd.Array{x(2, 3, 4), gcInts(0, 2)}},
		{name: "reducemean", op: "ReduceMean", attrs: A{ais("axes", 1)}, in: []*nd.Array{x(2, 3, 4)}},
		{name: "reducemean-all", op: "ReduceMean", in: []*nd.Array{x(2, 3)}},
		{name: "reducemax", op: "ReduceMax", attrs: A{ais("axes", -1)}, in: []*nd.Array{sep(2, 3, 4)}},
		{name: "slice", op: "Slice", in: []*nd.Array{x(3, 5, 4), gcInts(1, 4), gcInts(3, 0), gcInts(0, 1), gcInts(1, -2)}},
		{name: "slice-legacy", op: "Slice", opset: 9, attrs: A{ais("starts", 1), ais("ends", 3), ais("axes", 1)}, in: []*nd.Array{x(2, 4)}},
		{name: "pad-constant", op: "Pad", in: []*nd.Array{x(2, 3), gcInts(1, 0, 1, -1), nd.FromF([]float32{0.5})}, fixed: []int{2}},
		{name: "pad-reflect", op: "Pad", attrs: A{as("mode", "reflect")}, in: []*nd.Array{x(1, 2, 4), gcInts(0, 0, 2, 0, 0, 3)}},
		{name: "pad-edge", op: "Pad", attrs: A{as("mode", "edge")}, in: []*nd.Array{x(3, 3), gcInts(2, 1, 0, 2)}},
		{name: "resize-linear", op: "Resize", attrs: A{as("mode", "linear")}, in: []*nd.Array{x(1, 2, 3, 4), nil, nd.FromF([]float32{1, 1, 2, 1.5}, 4)}, fixed: []int{2}},
		{name: "resize-nearest", op: "Resize", attrs: A{as("coordinate_transformation_mode", "asymmetric")}, in: []*nd.Array{x(1, 1, 3, 3), nil, nil, gcInts(1, 1, 5, 7)}},
		{name: "resize-align-corners", op: "Resize", attrs: A{as("mode", "linear"), as("coordinate_transformation_mode", "align_corners")}, in: []*nd.Array{x(2, 5), nil, nil, gcInts(2, 3)}},
	}
	bnTrain := func(k Kernel, in []*nd.Array) ([]*nd.Array, error) {
		y, _, _, err := BatchNormTrain(k, in)
		return []*nd.Array{y}, err
	}
	cs = append(cs,
		gcCase{name: "batchnorm-train", op: "BatchNormalization", in: []*nd.Array{x(3, 2, 2, 2), x(2), x(2), x(2), pos(2)},
			forward: bnTrain, vjp: VJPBatchNormTrain, fixed: []int{3, 4}},
		gcCase{name: "batchnorm-train-2d", op: "BatchNormalization", in: []*nd.Array{x(5, 3), pos(3), x(3), x(3), pos(3)},
			forward: bnTrain, vjp: VJPBatchNormTrain, fixed: []int{3, 4}},
	)
	return cs
}

func TestVJPFiniteDifferences(t *testing.T) {
	for _, c := range gcCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkVJP(t, c)
		})
	}
}

// TestEveryOpHasGradientOrReason walks the registry after RegisterVJPs:
// each op has exactly one of a VJP and a NoGrad reason, and every op with
// a VJP has a finite-difference case above.
func TestEveryOpHasGradientOrReason(t *testing.T) {
	reg := NewRegistry()
	RegisterVJPs(reg)
	checked := map[string]bool{}
	for _, c := range gcCases() {
		checked[c.op] = true
	}
	for _, op := range reg.Ops() {
		d, _ := reg.Lookup(op)
		switch {
		case d.VJP != nil && d.NoGrad != "":
			t.Errorf("%s has both a VJP and a NoGrad reason", op)
		case d.VJP == nil && d.NoGrad == "":
			t.Errorf("%s has neither a VJP nor a NoGrad reason", op)
		case d.VJP != nil && !checked[op]:
			t.Errorf("%s has a VJP but no finite-difference case", op)
		}
	}
	for op := range vjpTable() {
		if _, ok := reg.Lookup(op); !ok {
			t.Errorf("vjpTable lists unknown op %s", op)
		}
	}
}

// TestMaxPoolTiesGoToFirst checks PyTorch's tie rule on an all-equal
// window, and ReLU's zero gradient at 0.
func TestMaxPoolTiesGoToFirst(t *testing.T) {
	reg := NewRegistry()
	RegisterVJPs(reg)
	def, _ := reg.Lookup("MaxPool")
	n := &Node{Op: "MaxPool", Name: "p", Opset: 13, NumOutputs: 1,
		Attrs: NewAttrs([]*onnxpb.AttributeProto{gcAttrInts("kernel_shape", 2, 2), gcAttrInts("strides", 2, 2)})}
	k, _ := def.Build(n)
	x := nd.FromF([]float32{1, 1, 1, 1}, 1, 1, 2, 2)
	y, _ := k.Forward(nil, []*nd.Array{x})
	g, err := def.VJP(nil, Bound{k, n}, []*nd.Array{x}, y, []*nd.Array{nd.FromF([]float32{1}, 1, 1, 1, 1)}, []bool{true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 0, 0, 0}; !equalF(g[0].F, want) {
		t.Errorf("MaxPool tie gradient %v, want %v", g[0].F, want)
	}
	rd, _ := reg.Lookup("Relu")
	rn := &Node{Op: "Relu", Name: "r", Opset: 13, Attrs: NewAttrs(nil), NumOutputs: 1}
	rk, _ := rd.Build(rn)
	xr := nd.FromF([]float32{-1, 0, 2, float32(math.Copysign(0, -1)), 1e-40, -1e-40}, 6)
	yr, _ := rk.Forward(nil, []*nd.Array{xr})
	gr, _ := rd.VJP(nil, Bound{rk, rn}, []*nd.Array{xr}, yr, []*nd.Array{nd.FromF([]float32{5, 5, 5, 5, 5, 5}, 6)}, []bool{true})
	if want := []float32{0, 0, 5, 0, 5, 0}; !equalF(gr[0].F, want) {
		t.Errorf("Relu gradient %v, want %v", gr[0].F, want)
	}
}

func equalF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
