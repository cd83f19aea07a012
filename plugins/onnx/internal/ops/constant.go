package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func constantDefs() []*Def {
	return []*Def{
		{Op: "Constant", NoGrad: "no inputs", Build: buildConstant},
		{Op: "ConstantOfShape", NoGrad: "constant output", Build: buildConstantOfShape},
	}
}

// ConstantValue decodes the value of a Constant node (value, value_float,
// value_floats, value_int, value_ints), or fails naming the node.
func ConstantValue(n *Node) (*nd.Array, error) {
	a := n.Attrs
	var v *nd.Array
	switch {
	case a.Has("value"):
		v = a.Tensor("value")
	case a.Has("value_float"):
		v = nd.FromF([]float32{a.Float("value_float", 0)})
	case a.Has("value_floats"):
		f := a.Floats("value_floats")
		v = nd.FromF(append([]float32(nil), f...), len(f))
	case a.Has("value_int"):
		v = nd.FromI([]int64{int64(a.Int("value_int", 0))})
	case a.Has("value_ints"):
		is := a.Ints("value_ints")
		v = nd.FromI(toInt64s(is), len(is))
	case a.Has("sparse_value"):
		return nil, n.Errorf("sparse_value is not supported")
	default:
		return nil, n.Errorf("no value attribute")
	}
	if err := a.Err(); err != nil {
		return nil, n.Errorf("%v", err)
	}
	return v, nil
}

func buildConstant(n *Node) (Kernel, error) {
	v, err := ConstantValue(n)
	if err != nil {
		return nil, err
	}
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) { return v, nil }), nil
}

func buildConstantOfShape(n *Node) (Kernel, error) {
	fill := n.Attrs.Tensor("value")
	if err := n.Attrs.Err(); err != nil {
		return nil, n.Errorf("%v", err)
	}
	if fill == nil {
		fill = nd.FromF([]float32{0}, 1)
	}
	if fill.Len() != 1 {
		return nil, n.Errorf("value must hold one element, got shape %v", fill.Shape)
	}
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		s := at(in, 0)
		if s == nil || s.DType != nd.Int64 {
			return nil, n.Errorf("input must be an int64 shape")
		}
		shape := s.Ints()
		if _, err := nd.CheckedSize(s.I); err != nil {
			return nil, n.Errorf("%v", err)
		}
		y := nd.New(fill.DType, shape...)
		if fill.DType == nd.Float32 {
			for i := range y.F {
				y.F[i] = fill.F[0]
			}
		} else {
			for i := range y.I {
				y.I[i] = fill.I[0]
			}
		}
		return y, nil
	}), nil
}
