package pipeline

import (
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// Preprocessor is an input defence (ART's Preprocessor). Forward may also
// transform labels (fit-time defences such as label smoothing); y is the
// zero Tensor when there are none. Backward maps a gradient with respect
// to the defence's output to its input x; defences without a true
// gradient return grad unchanged (BPDA).
type Preprocessor interface {
	Name() string
	ApplyFit() bool
	ApplyPredict() bool
	Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error)
	Backward(x, grad tensor.Tensor) (tensor.Tensor, error)
}

// Postprocessor is an output defence (ART's Postprocessor); it never takes
// part in a gradient.
type Postprocessor interface {
	Name() string
	Apply(preds tensor.Tensor) (tensor.Tensor, error)
}

// preprocess runs the defences that apply (fit or predict) in list order
// and returns every intermediate input, so Backward can give each defence
// its own input (ART feeds the original x to all, issue #485).
func (p *Pipeline) preprocess(method string, x, y tensor.Tensor, fit bool) ([]tensor.Tensor, tensor.Tensor, error) {
	inputs := []tensor.Tensor{x}
	for _, d := range p.cfg.Pre {
		if (fit && !d.ApplyFit()) || (!fit && !d.ApplyPredict()) {
			continue
		}
		nx, ny, err := d.Forward(x, y)
		if err != nil {
			return nil, y, host.Errorf(p.desc.Name, method, codes.InvalidArgument, "defence %s: %v", d.Name(), err)
		}
		x, y = nx, ny
		inputs = append(inputs, x)
	}
	return inputs, y, nil
}

// backward carries a gradient with respect to the last defence's output
// back to the caller's input. grad has shape (n, outputs, *input) when
// outputs > 0 (class gradients), else the shape of x.
func (p *Pipeline) backward(method string, inputs []tensor.Tensor, grad tensor.Tensor, outputs int) (tensor.Tensor, error) {
	applied := p.appliedPredict()
	if len(applied) == 0 {
		return grad, nil
	}
	if outputs == 0 {
		return p.backwardOne(method, applied, inputs, grad)
	}
	x := inputs[0]
	n, d := x.Rows(), tensor.NumElements(x.Shape[1:])
	out := tensor.New(grad.DType, grad.Shape...)
	for o := 0; o < outputs; o++ {
		slice := tensor.New(grad.DType, x.Shape...)
		for i := 0; i < n; i++ {
			copyRow(slice, i*d, grad, (i*outputs+o)*d, d)
		}
		g, err := p.backwardOne(method, applied, inputs, slice)
		if err != nil {
			return g, err
		}
		for i := 0; i < n; i++ {
			copyRow(out, (i*outputs+o)*d, g.As(grad.DType), i*d, d)
		}
	}
	return out, nil
}

func (p *Pipeline) backwardOne(method string, applied []Preprocessor, inputs []tensor.Tensor, grad tensor.Tensor) (tensor.Tensor, error) {
	for i := len(applied) - 1; i >= 0; i-- {
		g, err := applied[i].Backward(inputs[i], grad)
		if err != nil {
			return g, host.Errorf(p.desc.Name, method, codes.Internal, "defence %s backward: %v", applied[i].Name(), err)
		}
		if g.Len() != inputs[i].Len() {
			return g, host.Errorf(p.desc.Name, method, codes.Internal, "defence %s backward returned shape %v for input %v", applied[i].Name(), g.Shape, inputs[i].Shape)
		}
		grad = g
	}
	return grad, nil
}

func (p *Pipeline) appliedPredict() []Preprocessor {
	var out []Preprocessor
	for _, d := range p.cfg.Pre {
		if d.ApplyPredict() {
			out = append(out, d)
		}
	}
	return out
}

func copyRow(dst tensor.Tensor, do int, src tensor.Tensor, so, n int) {
	switch dst.DType {
	case tensor.Float32:
		copy(dst.F32[do:do+n], src.F32[so:so+n])
	default:
		copy(dst.F64[do:do+n], src.F64[so:so+n])
	}
}

// postprocess applies the output defences in list order.
func (p *Pipeline) postprocess(preds tensor.Tensor) (tensor.Tensor, error) {
	for _, d := range p.cfg.Post {
		if a, ok := d.(interface{ ApplyPredict() bool }); ok && !a.ApplyPredict() {
			continue
		}
		out, err := d.Apply(preds)
		if err != nil {
			return out, host.Errorf(p.desc.Name, "predict", codes.Internal, "defence %s: %v", d.Name(), err)
		}
		if out.Len() != preds.Len() {
			return out, host.Errorf(p.desc.Name, "predict", codes.Internal, "defence %s changed the shape %v to %v", d.Name(), preds.Shape, out.Shape)
		}
		preds = out
	}
	return preds, nil
}

func defenceNames[T interface{ Name() string }](ds []T) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += ", "
		}
		s += d.Name()
	}
	return fmt.Sprintf("[%s]", s)
}
