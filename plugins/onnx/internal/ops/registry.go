package ops

import (
	"fmt"
	"sort"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// Kernel is the compiled form of one node: attributes are parsed, constant
// inputs inspected, and Forward maps the node's input arrays (nil for an
// absent optional input) to its outputs.
type Kernel interface {
	Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error)
}

// VJP is the vector-Jacobian product of a kernel: given the forward inputs
// and outputs and the gradients of the outputs (nil where none flows), it
// returns the gradients of the inputs for which need[i] is true (nil for
// the others).
type VJP func(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error)

// Builder compiles a node into a Kernel, or says why it cannot run.
type Builder func(n *Node) (Kernel, error)

// Def is one operator of the default ONNX domain.
type Def struct {
	Op string
	// MinOpset and MaxOpset bound the opsets this runtime implements.
	MinOpset, MaxOpset int
	Build              Builder
	// VJP is the backward rule; nil until autodiff registers one.
	VJP VJP
	// NoGrad, when set, says why the op has no gradient (shape ops,
	// comparisons, integer outputs).
	NoGrad string
}

// Registry maps op names to their Defs. Build one with NewRegistry; it is
// a value, not package state, so tests and autodiff may extend a copy.
type Registry struct {
	defs map[string]*Def
}

// NewRegistry returns a registry with every op this package implements.
func NewRegistry() *Registry {
	r := &Registry{defs: map[string]*Def{}}
	for _, group := range [][]*Def{
		elementwiseDefs(), binaryDefs(), gemmDefs(), convDefs(), poolDefs(),
		normDefs(), softmaxDefs(), reduceDefs(), shapeDefs(), sliceDefs(),
		padDefs(), resizeDefs(), constantDefs(),
	} {
		for _, d := range group {
			if d.MinOpset == 0 {
				d.MinOpset = 1
			}
			if d.MaxOpset == 0 {
				d.MaxOpset = MaxOpset
			}
			r.defs[d.Op] = d
		}
	}
	return r
}

// MaxOpset is the newest default-domain opset the runtime accepts.
const MaxOpset = 18

// Lookup returns the Def of op.
func (r *Registry) Lookup(op string) (*Def, bool) {
	d, ok := r.defs[op]
	return d, ok
}

// Ops returns the names of all registered ops, sorted.
func (r *Registry) Ops() []string {
	out := make([]string, 0, len(r.defs))
	for k := range r.defs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SetVJP installs the backward rule of op.
func (r *Registry) SetVJP(op string, v VJP) error {
	d, ok := r.defs[op]
	if !ok {
		return fmt.Errorf("set vjp: unknown op %q", op)
	}
	d.VJP = v
	return nil
}

// Node is what a Builder sees of a graph node.
type Node struct {
	Op, Name string
	Opset    int
	Attrs    *Attrs
	// Inputs are the input value names ("" for an absent optional input).
	Inputs []string
	// Const holds the values of inputs that are initializers or constant
	// outputs known at load, nil for the others.
	Const      []*nd.Array
	NumOutputs int
}

// ConstInput returns input i when known at load.
func (n *Node) ConstInput(i int) *nd.Array {
	if i < len(n.Const) {
		return n.Const[i]
	}
	return nil
}

// HasInput reports whether optional input i is given.
func (n *Node) HasInput(i int) bool { return i < len(n.Inputs) && n.Inputs[i] != "" }

// Errorf formats an error about this node.
func (n *Node) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s node %q: %s", n.Op, n.Name, fmt.Sprintf(format, args...))
}

// kernelFunc adapts a function to the Kernel interface.
type kernelFunc func(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error)

func (f kernelFunc) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) { return f(ctx, in) }

// one wraps a single-output computation as a kernel.
func one(f func(ctx *Ctx, in []*nd.Array) (*nd.Array, error)) Kernel {
	return kernelFunc(func(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return []*nd.Array{out}, nil
	})
}
