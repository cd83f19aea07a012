package ops

import (
	"fmt"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// Attrs gives typed access to a node's attributes. A getter returns the
// default when the attribute is absent; a type mismatch is recorded and
// reported by Err.
type Attrs struct {
	m   map[string]*onnxpb.AttributeProto
	err error
}

// NewAttrs indexes the attributes of a node.
func NewAttrs(list []*onnxpb.AttributeProto) *Attrs {
	a := &Attrs{m: map[string]*onnxpb.AttributeProto{}}
	for _, p := range list {
		a.m[p.GetName()] = p
	}
	return a
}

// Err returns the first attribute error.
func (a *Attrs) Err() error { return a.err }

// Has reports whether the attribute is set.
func (a *Attrs) Has(name string) bool {
	_, ok := a.m[name]
	return ok
}

func (a *Attrs) get(name string, t onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	p, ok := a.m[name]
	if !ok {
		return nil
	}
	if p.GetType() != t && p.GetType() != 0 {
		if a.err == nil {
			a.err = fmt.Errorf("attribute %q has type %s, want %s", name, p.GetType(), t)
		}
		return nil
	}
	return p
}

// Int returns an INT attribute.
func (a *Attrs) Int(name string, def int) int {
	if p := a.get(name, onnxpb.AttributeProto_INT); p != nil {
		return int(p.GetI())
	}
	return def
}

// Float returns a FLOAT attribute.
func (a *Attrs) Float(name string, def float32) float32 {
	if p := a.get(name, onnxpb.AttributeProto_FLOAT); p != nil {
		return p.GetF()
	}
	return def
}

// String returns a STRING attribute.
func (a *Attrs) String(name, def string) string {
	if p := a.get(name, onnxpb.AttributeProto_STRING); p != nil {
		return string(p.GetS())
	}
	return def
}

// Ints returns an INTS attribute (nil when absent).
func (a *Attrs) Ints(name string) []int {
	p := a.get(name, onnxpb.AttributeProto_INTS)
	if p == nil {
		return nil
	}
	out := make([]int, len(p.GetInts()))
	for i, v := range p.GetInts() {
		out[i] = int(v)
	}
	return out
}

// Floats returns a FLOATS attribute (nil when absent).
func (a *Attrs) Floats(name string) []float32 {
	if p := a.get(name, onnxpb.AttributeProto_FLOATS); p != nil {
		return p.GetFloats()
	}
	return nil
}

// Tensor returns a TENSOR attribute decoded, or nil.
func (a *Attrs) Tensor(name string) *nd.Array {
	p := a.get(name, onnxpb.AttributeProto_TENSOR)
	if p == nil {
		return nil
	}
	t, err := nd.FromProto(p.GetT())
	if err != nil {
		if a.err == nil {
			a.err = fmt.Errorf("attribute %q: %w", name, err)
		}
		return nil
	}
	return t
}
