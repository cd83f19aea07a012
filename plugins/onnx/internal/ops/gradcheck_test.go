package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// gcCase is one gradient check: an op with attributes and concrete
// inputs. Inputs marked const are known at load (as initializers are), so
// kernels that pre-pack constant weights take that path too.
type gcCase struct {
	name  string
	op    string
	opset int
	attrs []*onnxpb.AttributeProto
	in    []*nd.Array
	konst []bool
	// outputs is the node's output count (default 1).
	outputs int
	// fixed lists float inputs without a gradient (scales, bounds, fill
	// values): they are neither requested nor checked.
	fixed []int
	// forward and vjp, when set, replace the kernel's Forward and the
	// registered VJP (for training-mode variants).
	forward func(k Kernel, in []*nd.Array) ([]*nd.Array, error)
	vjp     VJP
	// h is the finite-difference step (default 1e-3); tol the allowed
	// error relative to the largest gradient (default 1e-2).
	h, tol float64
}

// checkVJP compares the op's VJP with central finite differences of the
// projection L(x) = sum_j <r_j, y_j(x)> (r_j random, L summed in float64)
// for every float input. Perturbed inputs are fresh arrays, so kernels
// holding packed copies of constants fall back to the raw inputs, as they
// do for values that change.
func checkVJP(t *testing.T, c gcCase) {
	t.Helper()
	reg := NewRegistry()
	RegisterVJPs(reg)
	def, ok := reg.Lookup(c.op)
	if !ok || def.VJP == nil {
		t.Fatalf("%s: no VJP registered", c.op)
	}
	vjp := def.VJP
	if c.vjp != nil {
		vjp = c.vjp
	}
	opset, outs, h, tol := c.opset, c.outputs, c.h, c.tol
	if opset == 0 {
		opset = 13
	}
	if outs == 0 {
		outs = 1
	}
	if h == 0 {
		h = 1e-3
	}
	if tol == 0 {
		tol = 1e-2
	}
	node := &Node{Op: c.op, Name: c.name, Opset: opset, Attrs: NewAttrs(c.attrs), NumOutputs: outs}
	for i, x := range c.in {
		name := fmt.Sprintf("in%d", i)
		if x == nil {
			name = ""
		}
		node.Inputs = append(node.Inputs, name)
		var kc *nd.Array
		if i < len(c.konst) && c.konst[i] {
			kc = x
		}
		node.Const = append(node.Const, kc)
	}
	k, err := def.Build(node)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	ctx := &Ctx{Threads: 2}
	fwd := func(in []*nd.Array) ([]*nd.Array, error) {
		if c.forward != nil {
			return c.forward(k, in)
		}
		return k.Forward(ctx, in)
	}
	y, err := fwd(c.in)
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	r := rand.New(rand.NewPCG(7, uint64(len(c.name))))
	proj := make([]*nd.Array, len(y))
	for j, v := range y {
		if v != nil && v.DType == nd.Float32 {
			proj[j] = gcRand(r, v.Shape...)
		}
	}
	need := make([]bool, len(c.in))
	for i, x := range c.in {
		need[i] = x != nil && x.DType == nd.Float32
	}
	for _, i := range c.fixed {
		need[i] = false
	}
	got, err := vjp(ctx, Bound{Kernel: k, Node: node}, c.in, y, proj, need)
	if err != nil {
		t.Fatalf("vjp: %v", err)
	}
	loss := func(in []*nd.Array) float64 {
		ys, err := fwd(in)
		if err != nil {
			t.Fatalf("forward: %v", err)
		}
		var s float64
		for j, p := range proj {
			if p != nil {
				for i, v := range ys[j].F {
					s += float64(p.F[i]) * float64(v)
				}
			}
		}
		return s
	}
	for i, x := range c.in {
		if !need[i] {
			continue
		}
		if got[i] == nil || !nd.EqualShape(got[i].Shape, x.Shape) {
			t.Fatalf("input %d: gradient shape %v, want %v", i, shapeOf(got[i]), x.Shape)
		}
		num := make([]float64, x.Len())
		biggest := 1e-3
		for e := range num {
			args := append([]*nd.Array(nil), c.in...)
			p := x.Clone()
			p.F[e] = x.F[e] + float32(h)
			args[i] = p
			lp := loss(args)
			m := x.Clone()
			m.F[e] = x.F[e] - float32(h)
			args[i] = m
			lm := loss(args)
			num[e] = (lp - lm) / (float64(p.F[e]) - float64(m.F[e]))
			biggest = math.Max(biggest, math.Abs(num[e]))
		}
		worst, at := 0.0, 0
		for e, want := range num {
			if d := math.Abs(float64(got[i].F[e]) - want); d > worst {
				worst, at = d, e
			}
		}
		if worst/biggest > tol {
			t.Errorf("input %d element %d: vjp %g, finite differences %g (error %.3g of the largest gradient %.3g, tolerance %g)",
				i, at, got[i].F[at], num[at], worst/biggest, biggest, tol)
		}
	}
}

// gcRand returns uniform values in [-1, 1).
func gcRand(r *rand.Rand, shape ...int) *nd.Array {
	a := nd.NewF(shape...)
	for i := range a.F {
		a.F[i] = 2*r.Float32() - 1
	}
	return a
}

// gcSep returns distinct values at least 0.05 apart and away from 0 and
// the usual kinks (0, ±3), shuffled: piecewise ops then have no kink or
// tie within a finite-difference step.
func gcSep(r *rand.Rand, shape ...int) *nd.Array {
	a := nd.NewF(shape...)
	n := a.Len()
	for i, p := range r.Perm(n) {
		a.F[i] = float32(p-n/2)*0.1 + 0.05
	}
	if n > 60 {
		for i := range a.F {
			a.F[i] *= 60 / float32(n)
		}
	}
	return a
}

// gcPos returns uniform values in [0.5, 1.5).
func gcPos(r *rand.Rand, shape ...int) *nd.Array {
	a := nd.NewF(shape...)
	for i := range a.F {
		a.F[i] = 0.5 + r.Float32()
	}
	return a
}

func gcInts(v ...int64) *nd.Array { return nd.FromI(v, len(v)) }

func gcAttrInts(name string, v ...int) *onnxpb.AttributeProto {
	a := &onnxpb.AttributeProto{Name: &name, Type: onnxpb.AttributeProto_INTS.Enum()}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func gcAttrInt(name string, v int) *onnxpb.AttributeProto {
	i := int64(v)
	return &onnxpb.AttributeProto{Name: &name, Type: onnxpb.AttributeProto_INT.Enum(), I: &i}
}

func gcAttrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: &name, Type: onnxpb.AttributeProto_FLOAT.Enum(), F: &v}
}

func gcAttrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: &name, Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}
