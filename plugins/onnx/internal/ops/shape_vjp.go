package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// floatGrad reports whether input i is a float value whose gradient is
// requested and the output gradient exists.
func floatGrad(in []*nd.Array, gout []*nd.Array, need []bool, i int) bool {
	return needAt(need, i) && at(in, i) != nil && in[i].DType == nd.Float32 && len(gout) > 0 && gout[0] != nil
}

// vjpReshape covers Reshape, Flatten, Squeeze and Unsqueeze: the data is
// unchanged, so the gradient is g under the input's shape. The shape and
// axes inputs get none.
func vjpReshape(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	if gout[0].Len() != in[0].Len() {
		return nil, errorf("reshape vjp: gradient of %v values for input %v", gout[0].Shape, in[0].Shape)
	}
	res[0] = gout[0].Reshaped(append([]int(nil), in[0].Shape...)...)
	return res, nil
}

// vjpTranspose transposes g by the inverse permutation.
func vjpTranspose(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	n, err := needNode(k, "Transpose")
	if err != nil {
		return nil, err
	}
	r := in[0].Rank()
	perm := n.Attrs.Ints("perm")
	if perm == nil {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if err := checkGout("Transpose", gout[0], out[0]); err != nil {
		return nil, err
	}
	inv := make([]int, r)
	for i, a := range perm {
		inv[a] = i
	}
	res[0] = Transpose(gout[0], inv)
	return res, nil
}

// vjpConcat cuts g along the axis into one piece per input.
func vjpConcat(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if len(gout) == 0 || gout[0] == nil {
		return res, nil
	}
	n, err := needNode(k, "Concat")
	if err != nil {
		return nil, err
	}
	if err := checkGout("Concat", gout[0], out[0]); err != nil {
		return nil, err
	}
	a, ok := normAxis(n.Attrs.Int("axis", 0), gout[0].Rank())
	if !ok {
		return nil, n.Errorf("vjp: axis out of range")
	}
	var parts, idx []int
	for i, x := range in {
		if x != nil {
			parts = append(parts, x.Shape[a])
			idx = append(idx, i)
		}
	}
	pieces := SplitAxis(ctx, gout[0], a, parts)
	for j, i := range idx {
		if needAt(need, i) && in[i].DType == nd.Float32 {
			res[i] = pieces[j]
		}
	}
	return res, nil
}

// vjpSplit joins the output gradients (zeros where none flows) along the
// axis.
func vjpSplit(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if !needAt(need, 0) || in[0].DType != nd.Float32 {
		return res, nil
	}
	n, err := needNode(k, "Split")
	if err != nil {
		return nil, err
	}
	parts := make([]*nd.Array, 0, len(out))
	for j, y := range out {
		if y == nil {
			continue
		}
		g := at(gout, j)
		if g == nil {
			g = zerosLike(y)
		} else if err := checkGout("Split", g, y); err != nil {
			return nil, err
		}
		parts = append(parts, g)
	}
	dx, err := Concat(ctx, n, parts, n.Attrs.Int("axis", 0))
	if err != nil {
		return nil, err
	}
	res[0] = dx
	return res, nil
}

// vjpGather adds each gathered slice's gradient back at its index.
func vjpGather(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	n, err := needNode(k, "Gather")
	if err != nil {
		return nil, err
	}
	if err := checkGout("Gather", gout[0], out[0]); err != nil {
		return nil, err
	}
	x, ind, g := in[0], in[1], gout[0]
	a, ok := normAxis(n.Attrs.Int("axis", 0), x.Rank())
	if !ok {
		return nil, n.Errorf("vjp: axis out of range")
	}
	dim := x.Shape[a]
	outer, inner := nd.Size(x.Shape[:a]), nd.Size(x.Shape[a+1:])
	kn := ind.Len()
	dx := zerosLike(x)
	for o := 0; o < outer; o++ {
		for j := 0; j < kn; j++ {
			v := int(ind.I[j])
			if v < 0 {
				v += dim
			}
			if v < 0 || v >= dim {
				return nil, n.Errorf("vjp: index %d out of range", ind.I[j])
			}
			dst, src := dx.F[(o*dim+v)*inner:(o*dim+v+1)*inner], g.F[(o*kn+j)*inner:]
			for i := range dst {
				dst[i] += src[i]
			}
		}
	}
	res[0] = dx
	return res, nil
}

// vjpExpand sums g over the broadcast dimensions.
func vjpExpand(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	if err := checkGout("Expand", gout[0], out[0]); err != nil {
		return nil, err
	}
	res[0] = unbroadcast(gout[0], in[0].Shape)
	return res, nil
}

// vjpCast passes the gradient of a float-to-float cast; casts to or from
// integers and booleans cut the gradient.
func vjpCast(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if floatGrad(in, gout, need, 0) && out[0].DType == nd.Float32 {
		res[0] = gout[0]
	}
	return res, nil
}
