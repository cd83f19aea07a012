package ops

import (
	"strings"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// issueOps is the op list of issue 3: every one must be registered.
const issueOps = `Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Neg Abs Relu LeakyRelu PRelu Elu Selu
Sigmoid HardSigmoid HardSwish Tanh Softplus Erf Softmax LogSoftmax Conv ConvTranspose MaxPool
AveragePool GlobalAveragePool GlobalMaxPool BatchNormalization InstanceNormalization
LayerNormalization Dropout Identity Flatten Reshape Transpose Squeeze Unsqueeze Concat Split
Slice Gather Shape Constant ConstantOfShape Cast Clip Pad ReduceMean ReduceSum ReduceMax Max
Min Where Equal Expand Resize`

func TestRegistryCoversIssueOps(t *testing.T) {
	r := NewRegistry()
	for _, op := range strings.Fields(issueOps) {
		d, ok := r.Lookup(op)
		if !ok {
			t.Errorf("op %s is not registered", op)
			continue
		}
		if d.Build == nil || d.Op != op || d.MinOpset < 1 || d.MaxOpset != MaxOpset {
			t.Errorf("op %s: incomplete def %+v", op, d)
		}
	}
	if _, ok := r.Lookup("NoSuchOp"); ok {
		t.Error("lookup of an unknown op succeeded")
	}
	if len(r.Ops()) != len(strings.Fields(issueOps)) {
		t.Errorf("registry has %d ops, the issue lists %d: %v", len(r.Ops()), len(strings.Fields(issueOps)), r.Ops())
	}
}

// TestRegistryGradientSlots lists the ops that have neither a VJP nor a
// NoGrad reason: part 2 (autodiff) must fill every one of them. The test
// documents the hand-over; it fails if an op is marked both ways.
func TestRegistryGradientSlots(t *testing.T) {
	r := NewRegistry()
	var pending []string
	for _, op := range r.Ops() {
		d, _ := r.Lookup(op)
		if d.VJP != nil && d.NoGrad != "" {
			t.Errorf("op %s has both a VJP and a NoGrad reason", op)
		}
		if d.VJP == nil && d.NoGrad == "" {
			pending = append(pending, op)
		}
	}
	t.Logf("ops awaiting a VJP (issue 4): %s", strings.Join(pending, " "))
	if err := r.SetVJP("NoSuchOp", nil); err == nil {
		t.Error("SetVJP accepted an unknown op")
	}
}

func TestNewRegistryIsFresh(t *testing.T) {
	a, b := NewRegistry(), NewRegistry()
	if err := a.SetVJP("Relu", func(*Ctx, Kernel, []*nd.Array, []*nd.Array, []*nd.Array, []bool) ([]*nd.Array, error) {
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.Lookup("Relu"); d.VJP != nil {
		t.Error("registries share state")
	}
}
