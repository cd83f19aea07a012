package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// TestShapeOnlyClaims runs the backward rule of every finite-difference
// case twice, with its inputs and outputs, and with those that
// ShapeOnlyInput and ShapeOnlyOutputs call shape-only replaced by arrays
// without data: the gradients must be identical (a rule that read the
// data would panic or differ). Tiled class gradients and linear tails
// rely on these claims.
func TestShapeOnlyClaims(t *testing.T) {
	reg := NewRegistry()
	RegisterVJPs(reg)
	for _, c := range gcCases() {
		if c.vjp != nil || c.forward != nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			def, _ := reg.Lookup(c.op)
			opset, outs := c.opset, c.outputs
			if opset == 0 {
				opset = 13
			}
			if outs == 0 {
				outs = 1
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
				t.Fatal(err)
			}
			ctx := &Ctx{Threads: 1}
			y, err := k.Forward(ctx, c.in)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(9, 10))
			gout := make([]*nd.Array, len(y))
			for j, v := range y {
				if v != nil && v.DType == nd.Float32 {
					gout[j] = gcRand(r, v.Shape...)
				}
			}
			need := make([]bool, len(c.in))
			for i, x := range c.in {
				need[i] = x != nil && x.DType == nd.Float32
			}
			for _, i := range c.fixed {
				need[i] = false
			}
			in2, out2 := append([]*nd.Array(nil), c.in...), append([]*nd.Array(nil), y...)
			replaced := false
			for j, x := range c.in {
				if need[j] && ShapeOnlyInput(c.op, j, need) {
					in2[j], replaced = &nd.Array{DType: nd.Float32, Shape: x.Shape}, true
				}
			}
			if ShapeOnlyOutputs(c.op) {
				for j, v := range y {
					if v != nil && v.DType == nd.Float32 {
						out2[j], replaced = &nd.Array{DType: nd.Float32, Shape: v.Shape}, true
					}
				}
			}
			if !replaced {
				t.Skip("no shape-only claim")
			}
			b := Bound{Kernel: k, Node: node}
			want, err := def.VJP(ctx, b, c.in, y, gout, need)
			if err != nil {
				t.Fatal(err)
			}
			got, err := def.VJP(ctx, b, in2, out2, gout, need)
			if err != nil {
				t.Fatal(err)
			}
			for i := range need {
				if !need[i] {
					continue
				}
				for e := range want[i].F {
					if got[i].F[e] != want[i].F[e] {
						t.Fatalf("input %d element %d: %g with shapes only, %g with data", i, e, got[i].F[e], want[i].F[e])
					}
				}
			}
		})
	}
}

// TestRepeatReads runs the backward rules that accept row-repeated values
// (RepeatReadInput, RepeatReadOutput) on a batch repeated row-wise, once
// with copied rows and once with the rows shared (nd.Array.RowRepeat):
// the gradients must be identical.
func TestRepeatReads(t *testing.T) {
	reg := NewRegistry()
	RegisterVJPs(reg)
	r := rand.New(rand.NewPCG(11, 12))
	for _, op := range []string{"Relu", "LeakyRelu", "Sigmoid", "Tanh"} {
		for _, sz := range [][3]int{{1, 1, 3}, {3, 4, 5}, {2, 10, 16}} {
			rows, reps, per := sz[0], sz[1], sz[2]
			def, _ := reg.Lookup(op)
			node := &Node{Op: op, Name: op, Opset: 13, Attrs: NewAttrs(nil), Inputs: []string{"x"}, NumOutputs: 1, Const: []*nd.Array{nil}}
			k, err := def.Build(node)
			if err != nil {
				t.Fatal(err)
			}
			x := gcRand(r, rows, per)
			x.F[0] = 0 // the kink
			y, err := k.Forward(&Ctx{}, []*nd.Array{x})
			if err != nil {
				t.Fatal(err)
			}
			tile := func(a *nd.Array) *nd.Array {
				b := nd.NewF(rows*reps, per)
				for i := 0; i < rows*reps; i++ {
					copy(b.F[i*per:(i+1)*per], a.F[(i/reps)*per:])
				}
				return b
			}
			shared := func(a *nd.Array) *nd.Array {
				return &nd.Array{DType: nd.Float32, Shape: []int{rows * reps, per}, F: a.F, RowRepeat: reps}
			}
			g := gcRand(r, rows*reps, per)
			b := Bound{Kernel: k, Node: node}
			need := []bool{true}
			want, err := def.VJP(&Ctx{}, b, []*nd.Array{tile(x)}, []*nd.Array{tile(y[0])}, []*nd.Array{g}, need)
			if err != nil {
				t.Fatal(err)
			}
			xs, ys := tile(x), tile(y[0])
			if RepeatReadInput(op, 0) {
				xs = shared(x)
			}
			if RepeatReadOutput(op) {
				ys = shared(y[0])
			}
			got, err := def.VJP(&Ctx{}, b, []*nd.Array{xs}, []*nd.Array{ys}, []*nd.Array{g}, need)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want[0].F {
				if got[0].F[i] != want[0].F[i] {
					t.Fatalf("%s %v element %d: %g with shared rows, %g with copies", op, sz, i, got[0].F[i], want[0].F[i])
				}
			}
		}
	}
}
