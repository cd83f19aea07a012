package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

const noGradShape = "integer/shape output"

func shapeDefs() []*Def {
	return []*Def{
		{Op: "Reshape", Build: buildReshape},
		{Op: "Flatten", Build: buildFlatten},
		{Op: "Transpose", Build: buildTranspose},
		{Op: "Squeeze", Build: buildSqueeze},
		{Op: "Unsqueeze", Build: buildUnsqueeze},
		{Op: "Concat", Build: buildConcat},
		{Op: "Split", Build: buildSplit},
		{Op: "Gather", Build: buildGather},
		{Op: "Shape", NoGrad: noGradShape, Build: buildShape},
		{Op: "Expand", Build: buildExpand},
		{Op: "Cast", Build: buildCast},
	}
}

// view returns x's data under a new shape (no copy; kernels never write
// their inputs, so sharing is safe).
func view(x *nd.Array, shape []int) *nd.Array {
	return &nd.Array{DType: x.DType, Shape: shape, F: x.F, I: x.I}
}

func normAxis(a, r int) (int, bool) {
	if a < 0 {
		a += r
	}
	return a, a >= 0 && a < r
}

func buildReshape(n *Node) (Kernel, error) {
	allowZero := n.Attrs.Int("allowzero", 0) != 0
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x, s := in[0], at(in, 1)
		if x == nil || s == nil || s.DType != nd.Int64 {
			return nil, n.Errorf("needs data and an int64 shape")
		}
		want := s.Ints()
		shape := make([]int, len(want))
		infer, known := -1, 1
		for i, d := range want {
			switch {
			case d == 0 && !allowZero:
				if i >= x.Rank() {
					return nil, n.Errorf("shape %v copies dim %d of input shape %v", want, i, x.Shape)
				}
				shape[i] = x.Shape[i]
			case d == -1:
				if infer >= 0 {
					return nil, n.Errorf("shape %v has more than one -1", want)
				}
				infer = i
				continue
			case d < 0:
				return nil, n.Errorf("invalid shape %v", want)
			default:
				shape[i] = d
			}
			known *= shape[i]
		}
		if infer >= 0 {
			if known == 0 || x.Len()%known != 0 {
				return nil, n.Errorf("cannot reshape %v to %v", x.Shape, want)
			}
			shape[infer] = x.Len() / known
		}
		if nd.Size(shape) != x.Len() {
			return nil, n.Errorf("cannot reshape %v (%d values) to %v", x.Shape, x.Len(), want)
		}
		return view(x, shape), nil
	}), nil
}

func buildFlatten(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 1)
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		a := axis
		if a < 0 {
			a += x.Rank()
		}
		if a < 0 || a > x.Rank() {
			return nil, n.Errorf("axis %d out of range for shape %v", axis, x.Shape)
		}
		return view(x, []int{nd.Size(x.Shape[:a]), nd.Size(x.Shape[a:])}), nil
	}), nil
}

func buildTranspose(n *Node) (Kernel, error) {
	perm := n.Attrs.Ints("perm")
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		p := perm
		if p == nil {
			p = make([]int, x.Rank())
			for i := range p {
				p[i] = x.Rank() - 1 - i
			}
		}
		if len(p) != x.Rank() {
			return nil, n.Errorf("perm %v does not match shape %v", p, x.Shape)
		}
		seen := make([]bool, len(p))
		for _, a := range p {
			if a < 0 || a >= len(p) || seen[a] {
				return nil, n.Errorf("perm %v is not a permutation", p)
			}
			seen[a] = true
		}
		return Transpose(x, p), nil
	}), nil
}

// Transpose returns x with axes permuted: out.Shape[i] = x.Shape[perm[i]].
func Transpose(x *nd.Array, perm []int) *nd.Array {
	r := x.Rank()
	shape := make([]int, r)
	src := nd.Strides(x.Shape)
	st := make([]int, r)
	for i, a := range perm {
		shape[i] = x.Shape[a]
		st[i] = src[a]
	}
	y := nd.New(x.DType, shape...)
	idx := make([]int, r)
	off := 0
	for i := 0; i < y.Len(); i++ {
		if y.DType == nd.Float32 {
			y.F[i] = x.F[off]
		} else {
			y.I[i] = x.I[off]
		}
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			off += st[d]
			if idx[d] < shape[d] {
				break
			}
			off -= st[d] * idx[d]
			idx[d] = 0
		}
	}
	return y
}

// axesOf returns the axes from the attribute (before opset 13) or input 1.
func axesOf(n *Node, in []*nd.Array) []int {
	if n.Opset < 13 {
		return n.Attrs.Ints("axes")
	}
	if a := at(in, 1); a != nil {
		return a.Ints()
	}
	return nil
}

func buildSqueeze(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		axes := axesOf(n, in)
		drop := make([]bool, x.Rank())
		for _, a := range axes {
			b, ok := normAxis(a, x.Rank())
			if !ok || x.Shape[b] != 1 {
				return nil, n.Errorf("cannot squeeze axis %d of shape %v", a, x.Shape)
			}
			drop[b] = true
		}
		var shape []int
		for i, d := range x.Shape {
			if (axes == nil && d == 1) || drop[i] {
				continue
			}
			shape = append(shape, d)
		}
		return view(x, shape), nil
	}), nil
}

func buildUnsqueeze(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		axes := axesOf(n, in)
		r := x.Rank() + len(axes)
		ins := make([]bool, r)
		for _, a := range axes {
			b, ok := normAxis(a, r)
			if !ok || ins[b] {
				return nil, n.Errorf("invalid axes %v for shape %v", axes, x.Shape)
			}
			ins[b] = true
		}
		shape := make([]int, 0, r)
		j := 0
		for i := 0; i < r; i++ {
			if ins[i] {
				shape = append(shape, 1)
			} else {
				shape = append(shape, x.Shape[j])
				j++
			}
		}
		return view(x, shape), nil
	}), nil
}

func buildConcat(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	if !n.Attrs.Has("axis") && n.Opset >= 4 {
		return nil, n.Errorf("missing required attribute axis")
	}
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		return Concat(ctx, n, in, axis)
	}), nil
}

// Concat joins the non-nil inputs along axis (a float output from ctx's
// arena: every element is written).
func Concat(ctx *Ctx, n *Node, in []*nd.Array, axis int) (*nd.Array, error) {
	var xs []*nd.Array
	for _, x := range in {
		if x != nil {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 {
		return nil, n.Errorf("no inputs")
	}
	r := xs[0].Rank()
	a, ok := normAxis(axis, r)
	if !ok {
		return nil, n.Errorf("axis %d out of range for shape %v", axis, xs[0].Shape)
	}
	shape := append([]int(nil), xs[0].Shape...)
	shape[a] = 0
	for _, x := range xs {
		if x.Rank() != r || x.DType != xs[0].DType {
			return nil, n.Errorf("inputs differ in rank or type: %v and %v", xs[0].Shape, x.Shape)
		}
		for d := 0; d < r; d++ {
			if d != a && x.Shape[d] != shape[d] {
				return nil, n.Errorf("shapes %v and %v differ outside axis %d", xs[0].Shape, x.Shape, axis)
			}
		}
		shape[a] += x.Shape[a]
	}
	var y *nd.Array
	if xs[0].DType == nd.Float32 {
		y = ctx.newOut(shape...)
	} else {
		y = nd.New(xs[0].DType, shape...)
	}
	outer := nd.Size(shape[:a])
	rowOut := nd.Size(shape[a:])
	off := 0
	for _, x := range xs {
		row := nd.Size(x.Shape[a:])
		for o := 0; o < outer; o++ {
			if y.DType == nd.Float32 {
				copy(y.F[o*rowOut+off:], x.F[o*row:(o+1)*row])
			} else {
				copy(y.I[o*rowOut+off:], x.I[o*row:(o+1)*row])
			}
		}
		off += row
	}
	return y, nil
}

func buildSplit(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	attrSplit := n.Attrs.Ints("split")
	return kernelFunc(func(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		a, ok := normAxis(axis, x.Rank())
		if !ok {
			return nil, n.Errorf("axis %d out of range for shape %v", axis, x.Shape)
		}
		parts := attrSplit
		if n.Opset >= 13 {
			parts = nil
			if s := at(in, 1); s != nil {
				parts = s.Ints()
			}
		}
		dim := x.Shape[a]
		if parts == nil {
			k := n.NumOutputs
			if k <= 0 {
				return nil, n.Errorf("no outputs")
			}
			chunk := (dim + k - 1) / k
			for i := 0; i < k; i++ {
				parts = append(parts, max(0, min(chunk, dim-i*chunk)))
			}
		}
		total := 0
		for _, p := range parts {
			if p < 0 {
				return nil, n.Errorf("negative split %v", parts)
			}
			total += p
		}
		if total != dim || len(parts) != n.NumOutputs {
			return nil, n.Errorf("split %v does not divide axis %d of shape %v into %d outputs", parts, axis, x.Shape, n.NumOutputs)
		}
		return SplitAxis(ctx, x, a, parts), nil
	}), nil
}

// SplitAxis cuts x along axis a into pieces of the given sizes.
func SplitAxis(ctx *Ctx, x *nd.Array, a int, parts []int) []*nd.Array {
	outer, inner := nd.Size(x.Shape[:a]), nd.Size(x.Shape[a+1:])
	row := x.Shape[a] * inner
	var out []*nd.Array
	off := 0
	for _, p := range parts {
		shape := append([]int(nil), x.Shape...)
		shape[a] = p
		var y *nd.Array
		if x.DType == nd.Float32 {
			y = ctx.newOut(shape...) // every element is written
		} else {
			y = nd.New(x.DType, shape...)
		}
		for o := 0; o < outer; o++ {
			src := o*row + off*inner
			if y.DType == nd.Float32 {
				copy(y.F[o*p*inner:(o+1)*p*inner], x.F[src:src+p*inner])
			} else {
				copy(y.I[o*p*inner:(o+1)*p*inner], x.I[src:src+p*inner])
			}
		}
		out = append(out, y)
		off += p
	}
	return out
}

func buildGather(n *Node) (Kernel, error) {
	axis := n.Attrs.Int("axis", 0)
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x, ind := in[0], at(in, 1)
		if x == nil || ind == nil || ind.DType != nd.Int64 {
			return nil, n.Errorf("needs data and integer indices")
		}
		a, ok := normAxis(axis, x.Rank())
		if !ok {
			return nil, n.Errorf("axis %d out of range for shape %v", axis, x.Shape)
		}
		dim := x.Shape[a]
		shape := append(append(append([]int(nil), x.Shape[:a]...), ind.Shape...), x.Shape[a+1:]...)
		y := nd.New(x.DType, shape...)
		outer, inner := nd.Size(x.Shape[:a]), nd.Size(x.Shape[a+1:])
		k := ind.Len()
		for o := 0; o < outer; o++ {
			for j := 0; j < k; j++ {
				v := int(ind.I[j])
				if v < 0 {
					v += dim
				}
				if v < 0 || v >= dim {
					return nil, n.Errorf("index %d out of range [%d, %d)", ind.I[j], -dim, dim)
				}
				src, dst := (o*dim+v)*inner, (o*k+j)*inner
				if y.DType == nd.Float32 {
					copy(y.F[dst:dst+inner], x.F[src:src+inner])
				} else {
					copy(y.I[dst:dst+inner], x.I[src:src+inner])
				}
			}
		}
		return y, nil
	}), nil
}

func buildShape(n *Node) (Kernel, error) {
	start, hasEnd := n.Attrs.Int("start", 0), n.Attrs.Has("end")
	end := n.Attrs.Int("end", 0)
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		r := x.Rank()
		s, e := clampAxis(start, r), r
		if hasEnd {
			e = clampAxis(end, r)
		}
		out := nd.NewI(max(0, e-s))
		for i := range out.I {
			out.I[i] = int64(x.Shape[s+i])
		}
		return out, nil
	}), nil
}

func clampAxis(a, r int) int {
	if a < 0 {
		a += r
	}
	return min(max(a, 0), r)
}

func buildExpand(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x, s := in[0], at(in, 1)
		if x == nil || s == nil || s.DType != nd.Int64 {
			return nil, n.Errorf("needs data and an int64 shape")
		}
		want := s.Ints()
		for _, d := range want {
			if d < 0 {
				return nil, n.Errorf("invalid shape %v", want)
			}
		}
		shape, err := nd.BroadcastShape(x.Shape, want)
		if err != nil {
			return nil, n.Errorf("%v", err)
		}
		if _, err := nd.CheckedSize(toInt64s(shape)); err != nil {
			return nil, n.Errorf("%v", err)
		}
		y := nd.New(x.DType, shape...)
		broadcastLoop(shape, shape, x.Shape, func(o, _, ib, cnt, _, sb int) {
			for k := 0; k < cnt; k++ {
				if y.DType == nd.Float32 {
					y.F[o+k] = x.F[ib+k*sb]
				} else {
					y.I[o+k] = x.I[ib+k*sb]
				}
			}
		})
		return y, nil
	}), nil
}

func toInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, d := range v {
		out[i] = int64(d)
	}
	return out
}
