package ops

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// unary builds a float32 elementwise op y = f(x).
func unary(op string, mk func(n *Node) (func(float32) float32, error)) *Def {
	return unarySlice(op, func(n *Node) (func(dst, src []float32), error) {
		f, err := mk(n)
		if err != nil {
			return nil, err
		}
		return func(dst, src []float32) {
			for i, v := range src {
				dst[i] = f(v)
			}
		}, nil
	})
}

// unarySlice builds an elementwise op from a loop over a chunk, for hot
// ops whose per-element function call would dominate.
func unarySlice(op string, mk func(n *Node) (func(dst, src []float32), error)) *Def {
	return &Def{Op: op, Build: func(n *Node) (Kernel, error) {
		f, err := mk(n)
		if err != nil {
			return nil, err
		}
		if err := n.Attrs.Err(); err != nil {
			return nil, n.Errorf("%v", err)
		}
		return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
			x := in[0]
			if x == nil || x.DType != nd.Float32 {
				return nil, n.Errorf("input must be float, got %v", dtypeOf(x))
			}
			y := ctx.newOut(append([]int(nil), x.Shape...)...)
			mapF(ctx, y.F, x.F, f)
			return y, nil
		}), nil
	}}
}

func dtypeOf(a *nd.Array) string {
	if a == nil {
		return "nothing"
	}
	return a.DType.String()
}

// mapF applies the chunk loop f to src into dst, in parallel chunks for
// large arrays.
func mapF(ctx *Ctx, dst, src []float32, f func(dst, src []float32)) {
	if len(src) < 1<<15 {
		f(dst, src)
		return
	}
	ctx.Parallel(len(src), func(lo, hi int) { f(dst[lo:hi], src[lo:hi]) })
}

// reluSlice is max(0, x): AVX2 VMAXPS where available,
// then without branches (random signs defeat the branch predictor): the
// sign bit, smeared over the word, masks the value.
func reluSlice(dst, src []float32) {
	dst = dst[:len(src)]
	done := reluFast(dst, src)
	dst, src = dst[done:], src[done:]
	for i, v := range src {
		b := math.Float32bits(v)
		dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

func fixed(f func(float32) float32) func(*Node) (func(float32) float32, error) {
	return func(*Node) (func(float32) float32, error) { return f, nil }
}

func f64(f func(float64) float64) func(float32) float32 {
	return func(x float32) float32 { return float32(f(float64(x))) }
}

// Relu is max(0, x).
func Relu(x float32) float32 {
	if x > 0 {
		return x
	}
	return 0
}

// Sigmoid is 1/(1+exp(-x)), computed without overflow.
func Sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}

// Softplus is log(1+exp(x)), computed without overflow.
func Softplus(x float32) float32 {
	v := float64(x)
	if v > 0 {
		return float32(v + math.Log1p(math.Exp(-v)))
	}
	return float32(math.Log1p(math.Exp(v)))
}

func elementwiseDefs() []*Def {
	return []*Def{
		unarySlice("Relu", func(*Node) (func(dst, src []float32), error) { return reluSlice, nil }),
		unarySlice("Sigmoid", func(*Node) (func(dst, src []float32), error) { return sigmoidSlice, nil }),
		unarySlice("Tanh", func(*Node) (func(dst, src []float32), error) { return tanhSlice, nil }),
		unary("Exp", fixed(f64(math.Exp))),
		unary("Log", fixed(f64(math.Log))),
		unary("Sqrt", fixed(f64(math.Sqrt))),
		unary("Erf", fixed(f64(math.Erf))),
		unary("Softplus", fixed(Softplus)),
		unary("Neg", fixed(func(x float32) float32 { return -x })),
		unary("Abs", fixed(func(x float32) float32 { return float32(math.Abs(float64(x))) })),
		unary("LeakyRelu", func(n *Node) (func(float32) float32, error) {
			alpha := n.Attrs.Float("alpha", 0.01)
			return func(x float32) float32 {
				if x < 0 {
					return alpha * x
				}
				return x
			}, nil
		}),
		unary("Elu", func(n *Node) (func(float32) float32, error) {
			alpha := float64(n.Attrs.Float("alpha", 1))
			return func(x float32) float32 {
				if x < 0 {
					return float32(alpha * math.Expm1(float64(x)))
				}
				return x
			}, nil
		}),
		unary("Selu", func(n *Node) (func(float32) float32, error) {
			alpha := float64(n.Attrs.Float("alpha", 1.67326319217681884765625))
			gamma := float64(n.Attrs.Float("gamma", 1.05070102214813232421875))
			return func(x float32) float32 {
				v := float64(x)
				if v <= 0 {
					return float32(gamma * alpha * math.Expm1(v))
				}
				return float32(gamma * v)
			}, nil
		}),
		unary("HardSigmoid", func(n *Node) (func(float32) float32, error) {
			alpha, beta := n.Attrs.Float("alpha", 0.2), n.Attrs.Float("beta", 0.5)
			return func(x float32) float32 { return max(0, min(1, alpha*x+beta)) }, nil
		}),
		unary("HardSwish", fixed(func(x float32) float32 {
			return x * max(0, min(1, x/6+0.5))
		})),
		{Op: "Identity", Build: buildIdentity},
		{Op: "Dropout", Build: buildDropout},
		{Op: "Clip", Build: buildClip},
	}
}

func buildIdentity(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		if in[0] == nil {
			return nil, n.Errorf("missing input")
		}
		return in[0], nil
	}), nil
}

// buildDropout is inference-mode Dropout: the identity, plus an all-true
// mask when a second output is requested. training_mode=true is refused.
func buildDropout(n *Node) (Kernel, error) {
	if n.Opset >= 12 && n.HasInput(2) {
		t := n.ConstInput(2)
		if t == nil {
			return nil, n.Errorf("training_mode from a graph input is not supported (inference only)")
		}
		if t.Len() > 0 && t.Float(0) != 0 {
			return nil, n.Errorf("training_mode=true is not supported (inference only)")
		}
	}
	if n.Attrs.Int("is_test", 1) == 0 && n.Opset < 7 {
		return nil, n.Errorf("is_test=0 is not supported (inference only)")
	}
	return kernelFunc(func(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		out := []*nd.Array{x}
		if n.NumOutputs > 1 {
			m := nd.NewB(append([]int(nil), x.Shape...)...)
			for i := range m.I {
				m.I[i] = 1
			}
			out = append(out, m)
		}
		return out, nil
	}), nil
}

// buildClip clips to [min, max]: attributes before opset 11, optional
// inputs from 11 on. Works on float and int64.
func buildClip(n *Node) (Kernel, error) {
	lo, hi := float64(n.Attrs.Float("min", -math.MaxFloat32)), float64(n.Attrs.Float("max", math.MaxFloat32))
	useInputs := n.Opset >= 11
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		l, h := lo, hi
		if useInputs {
			l, h = math.Inf(-1), math.Inf(1)
			if len(in) > 1 && in[1] != nil {
				if in[1].Len() != 1 {
					return nil, n.Errorf("min must be a scalar, got shape %v", in[1].Shape)
				}
				l = in[1].Float(0)
			}
			if len(in) > 2 && in[2] != nil {
				if in[2].Len() != 1 {
					return nil, n.Errorf("max must be a scalar, got shape %v", in[2].Shape)
				}
				h = in[2].Float(0)
			}
		}
		y := x.Clone()
		switch x.DType {
		case nd.Float32:
			fl, fh := float32(max(l, -math.MaxFloat32)), float32(min(h, math.MaxFloat32))
			for i, v := range y.F {
				y.F[i] = min(max(v, fl), fh)
			}
		case nd.Int64:
			for i, v := range y.I {
				fv := float64(v)
				if fv < l {
					y.I[i] = int64(l)
				} else if fv > h {
					y.I[i] = int64(h)
				}
			}
		default:
			return nil, fmt.Errorf("clip node %q: unsupported dtype %s", n.Name, x.DType)
		}
		return y, nil
	}), nil
}
