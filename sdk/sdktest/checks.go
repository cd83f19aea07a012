package sdktest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/direct"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// checker holds one conformance run.
type checker struct {
	ctx     context.Context
	c       estimatorv1.EstimatorClient
	cfg     Config
	rng     *rand.Rand
	desc    *estimatorv1.Description
	results []Result
	// path prefixes the names of the checks run again over the direct
	// channel ("direct: ").
	path string
}

func (k *checker) pass(name string, format string, args ...any) {
	k.results = append(k.results, Result{Name: k.path + name, Passed: true, Detail: fmt.Sprintf(format, args...)})
}

func (k *checker) fail(name string, format string, args ...any) {
	k.results = append(k.results, Result{Name: k.path + name, Detail: fmt.Sprintf(format, args...)})
}

func (k *checker) skip(name string, format string, args ...any) {
	k.results = append(k.results, Result{Name: k.path + name, Skipped: true, Detail: fmt.Sprintf(format, args...)})
}

// call runs f under the configured deadline.
func (k *checker) call(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(k.ctx, k.cfg.Timeout)
	defer cancel()
	return f(ctx)
}

func (k *checker) run() {
	if !k.load() {
		return
	}
	k.checkDescribe()
	if k.cfg.FitBeforeChecks {
		k.fitRandom("fit before checks")
	}
	if k.desc.NbClasses <= 0 || k.desc.InputShape == nil {
		k.fail("description complete", "nb_classes %d and input shape %v: the host cannot validate inputs (set Config.FitBeforeChecks for estimators that start unfitted)", k.desc.NbClasses, k.desc.InputShape)
		return
	}
	k.checkHotCalls()
	k.checkHealth()
	k.checkSave()
	k.checkDirect()
	if k.cfg.Fit {
		k.fitRandom("fit")
	}
}

// checkHotCalls checks the methods the direct channel carries.
func (k *checker) checkHotCalls() {
	k.checkPredict()
	k.checkBadInputs()
	k.checkLoss()
	k.checkLossGradient()
	k.checkClassGradient()
	k.checkActivations()
	k.checkUncertainty()
}

// checkDirect opens the plugin's direct channel (shared/direct) when it
// offers one and runs the checks of the methods it carries again through
// it: a plugin must answer the same on both paths.
func (k *checker) checkDirect() {
	dc, ok := k.c.(*direct.Client)
	if !ok {
		return // an in-process client: there is no channel to open
	}
	err := k.call(dc.Open)
	switch {
	case status.Code(err) == codes.Unimplemented:
		k.skip("direct channel", "not offered (optional): the host keeps every call on gRPC")
		return
	case err != nil:
		k.fail("direct channel", "Open: %v", err)
		return
	}
	k.pass("direct channel", "open: the checks of the methods it carries run again through it")
	k.path = "direct: "
	k.checkHotCalls()
	k.path = ""
}

func (k *checker) load() bool {
	var resp *estimatorv1.LoadResponse
	err := k.call(func(ctx context.Context) (err error) {
		resp, err = k.c.Load(ctx, &estimatorv1.LoadRequest{ModelPath: k.cfg.ModelPath, Options: k.cfg.Options})
		return err
	})
	if err != nil {
		k.fail("load", "%v", err)
		return false
	}
	if resp.GetDescription() == nil {
		k.fail("load", "no description in the answer")
		return false
	}
	k.desc = resp.Description
	k.pass("load", "%s %s (%s)", k.desc.Name, k.desc.Version, k.desc.Framework)
	return true
}

func (k *checker) checkDescribe() {
	var resp *estimatorv1.DescribeResponse
	err := k.call(func(ctx context.Context) (err error) {
		resp, err = k.c.Describe(ctx, &estimatorv1.DescribeRequest{})
		return err
	})
	switch {
	case err != nil:
		k.fail("describe", "%v", err)
	case resp.GetDescription().GetProtocolVersion() != shared.ProtocolVersion:
		k.fail("describe", "protocol_version %d, want %d", resp.Description.ProtocolVersion, shared.ProtocolVersion)
	case resp.Description.GetCapabilities() == nil:
		k.fail("describe", "no capabilities")
	default:
		k.desc = resp.Description
		k.pass("describe", "input %v, %d classes, output %v", k.desc.InputShape, k.desc.NbClasses, k.desc.Output)
	}
}

// sample returns n random inputs inside the model's clip values (or [0,1]).
func (k *checker) sample(n int, dt tensor.DType) tensor.Tensor {
	shape := []int{n}
	for _, s := range k.desc.InputShape {
		if s < 0 {
			s = int64(k.cfg.SymbolicSize)
		}
		shape = append(shape, int(s))
	}
	x := tensor.New(tensor.Float64, shape...)
	per := tensor.NumElements(shape[1:])
	for i := range x.F64 {
		lo, hi := 0.0, 1.0
		if m := len(k.desc.ClipMin); m > 0 {
			lo, hi = k.desc.ClipMin[(i%per)%m], k.desc.ClipMax[(i%per)%m]
		}
		x.F64[i] = lo + (hi-lo)*(0.05+0.9*k.rng.Float64())
	}
	return x.As(dt)
}

func (k *checker) proto(t tensor.Tensor) *estimatorv1.Tensor {
	p, err := tensor.ToProto(t)
	if err != nil {
		panic("sdktest: " + err.Error())
	}
	return p
}

func (k *checker) predict(x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	var resp *estimatorv1.PredictResponse
	err := k.call(func(ctx context.Context) (err error) {
		resp, err = k.c.Predict(ctx, &estimatorv1.PredictRequest{X: k.proto(x), Logits: logits})
		return err
	})
	if err != nil {
		return tensor.Tensor{}, err
	}
	return tensor.FromProto(resp.Y)
}

func (k *checker) checkPredict() {
	nc := int(k.desc.NbClasses)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, n := range []int{1, 3} {
			name := fmt.Sprintf("predict %v batch %d", dt, n)
			y, err := k.predict(k.sample(n, dt), false)
			if err != nil {
				k.fail(name, "%v", err)
				continue
			}
			if msg := expectTensor(y, dt, n, nc); msg != "" {
				k.fail(name, "%s", msg)
				continue
			}
			if k.desc.Output == estimatorv1.OutputKind_OUTPUT_KIND_PROBABILITIES {
				if msg := checkProbabilities(y, n, nc); msg != "" {
					k.fail(name, "%s", msg)
					continue
				}
			}
			k.pass(name, "shape %v", y.Shape)
		}
	}
	y, err := k.predict(k.sample(2, tensor.Float64), true)
	switch {
	case status.Code(err) == codes.InvalidArgument:
		k.pass("predict logits", "refused with InvalidArgument: %s", status.Convert(err).Message())
	case err != nil:
		k.fail("predict logits", "want a result or InvalidArgument, got %v", err)
	default:
		if msg := expectTensor(y, tensor.Float64, 2, nc); msg != "" {
			k.fail("predict logits", "%s", msg)
		} else {
			k.pass("predict logits", "shape %v", y.Shape)
		}
	}
}

func expectTensor(y tensor.Tensor, dt tensor.DType, shape ...int) string {
	if y.DType != dt {
		return fmt.Sprintf("dtype %v, want %v", y.DType, dt)
	}
	if len(y.Shape) != len(shape) {
		return fmt.Sprintf("shape %v, want %v", y.Shape, shape)
	}
	for i := range shape {
		if y.Shape[i] != shape[i] {
			return fmt.Sprintf("shape %v, want %v", y.Shape, shape)
		}
	}
	if i := y.FirstNonFinite(); i >= 0 {
		return fmt.Sprintf("non-finite value %v at %v", y.At(i), y.Index(i))
	}
	return ""
}

func checkProbabilities(y tensor.Tensor, n, k int) string {
	for i := 0; i < n; i++ {
		sum := 0.0
		for j := 0; j < k; j++ {
			v := y.At(i*k + j)
			if v < -1e-6 || v > 1+1e-6 {
				return fmt.Sprintf("row %d has probability %v outside [0,1]", i, v)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-4 {
			return fmt.Sprintf("row %d sums to %v (description says probabilities)", i, sum)
		}
	}
	return ""
}

// wantCode checks that err carries code.
func (k *checker) wantCode(name string, err error, code codes.Code) {
	switch got := status.Code(err); {
	case err == nil:
		k.fail(name, "accepted; want %v", code)
	case got != code:
		k.fail(name, "code %v (%s); want %v", got, status.Convert(err).Message(), code)
	default:
		k.pass(name, "%v: %s", code, status.Convert(err).Message())
	}
}

func (k *checker) checkBadInputs() {
	good := k.sample(2, tensor.Float32)
	wrong := tensor.New(tensor.Float32, append([]int{2}, append(good.Shape[1:], 1)...)...)
	_, err := k.predict(wrong, false)
	k.wantCode("refuses wrong shape", err, codes.InvalidArgument)

	nan := good.Clone()
	nan.F32[len(nan.F32)/2] = float32(math.NaN())
	_, err = k.predict(nan, false)
	k.wantCode("refuses NaN", err, codes.InvalidArgument)

	_, err = k.predict(tensor.New(tensor.Float32, append([]int{0}, good.Shape[1:]...)...), false)
	k.wantCode("refuses empty batch", err, codes.InvalidArgument)

	_, err = k.predict(good.As(tensor.Int64), false)
	k.wantCode("refuses integer input", err, codes.InvalidArgument)

	bad := k.proto(good)
	bad.Data = bad.Data[:len(bad.Data)-3]
	err = k.call(func(ctx context.Context) error {
		_, err := k.c.Predict(ctx, &estimatorv1.PredictRequest{X: bad})
		return err
	})
	k.wantCode("refuses truncated tensor", err, codes.InvalidArgument)
}

// labels returns random class indices and the same labels one-hot.
func (k *checker) labels(n int) (tensor.Tensor, tensor.Tensor) {
	nc := int(k.desc.NbClasses)
	idx := tensor.New(tensor.Int64, n)
	oh := tensor.New(tensor.Float32, n, nc)
	for i := 0; i < n; i++ {
		c := k.rng.IntN(nc)
		idx.I64[i] = int64(c)
		oh.F32[i*nc+c] = 1
	}
	return idx, oh
}

// unimplemented checks a capability the plugin does not claim.
func (k *checker) unimplemented(name string, f func(ctx context.Context) error) {
	err := k.call(f)
	if status.Code(err) == codes.Unimplemented {
		k.pass(name+" not claimed", "Unimplemented as the capability flag says")
		return
	}
	k.fail(name+" not claimed", "capability flag is false but the call answered %v", errOrOK(err))
}

func errOrOK(err error) string {
	if err == nil {
		return "OK"
	}
	return status.Code(err).String() + ": " + status.Convert(err).Message()
}

func (k *checker) checkLoss() {
	x := k.sample(3, tensor.Float64)
	idx, oh := k.labels(3)
	loss := func(y tensor.Tensor, r estimatorv1.Reduction) (tensor.Tensor, error) {
		var resp *estimatorv1.LossResponse
		err := k.call(func(ctx context.Context) (err error) {
			resp, err = k.c.Loss(ctx, &estimatorv1.LossRequest{X: k.proto(x), Labels: k.proto(y), Reduction: r})
			return err
		})
		if err != nil {
			return tensor.Tensor{}, err
		}
		return tensor.FromProto(resp.Loss)
	}
	if !k.desc.Capabilities.Loss {
		k.unimplemented("loss", func(ctx context.Context) error { _, err := loss(idx, 0); return err })
		return
	}
	a, err := loss(idx, estimatorv1.Reduction_REDUCTION_NONE)
	if err != nil {
		k.failClaimed("loss", "loss", err)
		return
	}
	if msg := expectTensor(a, tensor.Float64, 3); msg != "" {
		k.fail("loss", "%s", msg)
		return
	}
	k.pass("loss", "per-sample shape %v", a.Shape)
	b, err := loss(oh, estimatorv1.Reduction_REDUCTION_NONE)
	if err != nil {
		k.fail("loss one-hot labels", "%v", err)
	} else if d := maxDiff(a, b); d > 1e-5 {
		k.fail("loss one-hot labels", "differs from index labels by %v", d)
	} else {
		k.pass("loss one-hot labels", "same as index labels")
	}
	m, err := loss(idx, estimatorv1.Reduction_REDUCTION_MEAN)
	if err != nil || m.Len() != 1 || math.Abs(m.At(0)-(a.At(0)+a.At(1)+a.At(2))/3) > 1e-6*(1+math.Abs(m.At(0))) {
		k.fail("loss mean reduction", "got %v (err %v), want the mean of %v", m.Float64s(), err, a.Float64s())
	} else {
		k.pass("loss mean reduction", "%v", m.At(0))
	}
	bad := idx.Clone()
	bad.I64[1] = k.desc.NbClasses
	_, err = loss(bad, 0)
	k.wantCode("loss refuses out-of-range label", err, codes.InvalidArgument)
}

func (k *checker) lossGradient(x, y tensor.Tensor) (tensor.Tensor, error) {
	var resp *estimatorv1.LossGradientResponse
	err := k.call(func(ctx context.Context) (err error) {
		resp, err = k.c.LossGradient(ctx, &estimatorv1.LossGradientRequest{X: k.proto(x), Labels: k.proto(y)})
		return err
	})
	if err != nil {
		return tensor.Tensor{}, err
	}
	return tensor.FromProto(resp.Gradient)
}

func (k *checker) checkLossGradient() {
	x := k.sample(3, tensor.Float64)
	idx, oh := k.labels(3)
	if !k.desc.Capabilities.LossGradient {
		k.unimplemented("loss_gradient", func(context.Context) error { _, err := k.lossGradient(x, idx); return err })
		return
	}
	g, err := k.lossGradient(x, idx)
	if err != nil {
		k.failClaimed("loss_gradient", "loss_gradient", err)
		return
	}
	if msg := expectTensor(g, tensor.Float64, x.Shape...); msg != "" {
		k.fail("loss_gradient", "%s", msg)
		return
	}
	k.pass("loss_gradient", "shape %v", g.Shape)
	if g2, err := k.lossGradient(x, oh); err != nil {
		k.fail("loss_gradient one-hot labels", "%v", err)
	} else if d := maxDiff(g, g2); d > 1e-5*(1+maxAbs(g)) {
		k.fail("loss_gradient one-hot labels", "differs from index labels by %v", d)
	} else {
		k.pass("loss_gradient one-hot labels", "same as index labels")
	}
	if k.desc.Capabilities.GradientsEstimated {
		k.skip("loss_gradient independent of batch", "gradients are estimates")
		return
	}
	single, err := k.lossGradient(x.Slice(0, 1), idx.Slice(0, 1))
	if err != nil {
		k.fail("loss_gradient independent of batch", "%v", err)
	} else if d := maxDiff(single, g.Slice(0, 1)); d > 1e-6*(1+maxAbs(g)) {
		k.fail("loss_gradient independent of batch", "row 0 alone differs from row 0 in a batch of 3 by %v (a mean reduction scales by 1/batch)", d)
	} else {
		k.pass("loss_gradient independent of batch", "row 0 alone matches the batch")
	}
}

func (k *checker) classGradient(x tensor.Tensor, classes []int64) (tensor.Tensor, error) {
	var resp *estimatorv1.ClassGradientResponse
	err := k.call(func(ctx context.Context) (err error) {
		resp, err = k.c.ClassGradient(ctx, &estimatorv1.ClassGradientRequest{X: k.proto(x), Classes: classes})
		return err
	})
	if err != nil {
		return tensor.Tensor{}, err
	}
	return tensor.FromProto(resp.Gradient)
}

func (k *checker) checkClassGradient() {
	n, nc := 3, int(k.desc.NbClasses)
	x := k.sample(n, tensor.Float64)
	if !k.desc.Capabilities.ClassGradient {
		k.unimplemented("class_gradient", func(context.Context) error { _, err := k.classGradient(x, nil); return err })
		return
	}
	all, err := k.classGradient(x, nil)
	if err != nil {
		k.failClaimed("class_gradient all classes", "class_gradient", err)
		return
	}
	if msg := expectTensor(all, tensor.Float64, append([]int{n, nc}, x.Shape[1:]...)...); msg != "" {
		k.fail("class_gradient all classes", "%s", msg)
		return
	}
	k.pass("class_gradient all classes", "shape %v", all.Shape)
	per := tensor.NumElements(x.Shape[1:])
	rows := []int64{int64(nc - 1), 0, int64(nc / 2)}
	for _, form := range []struct {
		name    string
		classes []int64
	}{{"one label", []int64{rows[0]}}, {"label per row", rows}} {
		name := "class_gradient " + form.name
		g, err := k.classGradient(x, form.classes)
		if err != nil {
			k.fail(name, "%v", err)
			continue
		}
		if msg := expectTensor(g, tensor.Float64, append([]int{n, 1}, x.Shape[1:]...)...); msg != "" {
			k.fail(name, "%s", msg)
			continue
		}
		worst := 0.0
		for i := 0; i < n; i++ {
			c := int(form.classes[0])
			if len(form.classes) == n {
				c = int(form.classes[i])
			}
			for j := 0; j < per; j++ {
				worst = math.Max(worst, math.Abs(g.At(i*per+j)-all.At((i*nc+c)*per+j)))
			}
		}
		if worst > 1e-6*(1+maxAbs(all)) && !k.desc.Capabilities.GradientsEstimated {
			k.fail(name, "differs from the all-classes gradient by %v", worst)
			continue
		}
		k.pass(name, "shape %v, matches the all-classes gradient", g.Shape)
	}
	_, err = k.classGradient(x, []int64{int64(nc)})
	k.wantCode("class_gradient refuses out-of-range label", err, codes.InvalidArgument)
	if k.cfg.GradientTolerance > 0 && !k.desc.Capabilities.GradientsEstimated {
		k.checkFiniteDifferences(x.Slice(0, 1), all.Slice(0, 1))
	}
}

// checkFiniteDifferences compares d output / d x with central differences
// of Predict in float64 on a few coordinates. Errors are relative to the
// largest gradient entry of the sample, as the gradient tests
// measure them: a float32 model's rounding over the step is a fixed
// absolute amount, which a per-entry relative error would blow up on tiny
// entries. Coordinates where a kink (ReLU, MaxPool, ...) lies within the
// step are skipped: there no finite difference measures the derivative.
// A kink shows as forward and backward differences that disagree by the
// same amount at steps h and 2h, where curvature makes them disagree
// twice as much at 2h.
func (k *checker) checkFiniteDifferences(x, grad tensor.Tensor) {
	const name = "class_gradient vs finite differences"
	// The step must be well above the model's own rounding: a float32
	// model resolves about 1e-7 relative, so a 1e-5 step would measure noise.
	h := 1e-5
	if k.desc.NativeDtype == estimatorv1.DType_DTYPE_FLOAT32 {
		h = 1e-3
	}
	nc := int(k.desc.NbClasses)
	per := x.Len()
	scale := math.Max(maxAbs(grad), 1e-12)
	shifted := func(j int, d float64) (tensor.Tensor, error) {
		xs := x.Clone()
		xs.F64[j] += d
		return k.predict(xs, false)
	}
	y0, err := k.predict(x, false)
	if err != nil {
		k.fail(name, "predict: %v", err)
		return
	}
	worst, smooth, kinked := 0.0, 0, 0
	for _, j := range k.rng.Perm(per) {
		if smooth == 8 || smooth+kinked == 64 {
			break
		}
		var y [5]tensor.Tensor // at x + (i-2) h
		y[2] = y0
		for _, i := range []int{1, 3} {
			if y[i], err = shifted(j, float64(i-2)*h); err != nil {
				k.fail(name, "predict: %v", err)
				return
			}
		}
		// spread is forward minus backward difference at step m*h.
		spread := func(c, m int) float64 {
			return (y[2+m].At(c) - 2*y[2].At(c) + y[2-m].At(c)) / (float64(m) * h)
		}
		coord, kink := 0.0, false
		for c := 0; c < nc && !kink; c++ {
			if d1 := spread(c, 1); math.Abs(d1) > k.cfg.GradientTolerance*scale {
				if y[0].Shape == nil {
					if y[0], err = shifted(j, -2*h); err == nil {
						y[4], err = shifted(j, 2*h)
					}
					if err != nil {
						k.fail(name, "predict: %v", err)
						return
					}
				}
				kink = math.Abs(spread(c, 2)-2*d1) > math.Abs(d1)/2
			}
			fd := (y[3].At(c) - y[1].At(c)) / (2 * h)
			coord = math.Max(coord, math.Abs(fd-grad.At(c*per+j))/scale)
		}
		if kink {
			kinked++
			continue
		}
		smooth++
		worst = math.Max(worst, coord)
	}
	switch {
	case smooth == 0:
		k.fail(name, "every one of %d coordinates tried has a kink within a step of %g", kinked, h)
	case worst > k.cfg.GradientTolerance:
		k.fail(name, "error %.3g of the largest gradient entry, above %.3g (%d coordinates, %d skipped at kinks)",
			worst, k.cfg.GradientTolerance, smooth, kinked)
	default:
		k.pass(name, "error %.3g of the largest gradient entry (%d coordinates, %d skipped at kinks)", worst, smooth, kinked)
	}
}

func (k *checker) checkActivations() {
	x := k.sample(2, tensor.Float32)
	act := func(layer string) (tensor.Tensor, error) {
		var resp *estimatorv1.ActivationsResponse
		err := k.call(func(ctx context.Context) (err error) {
			resp, err = k.c.Activations(ctx, &estimatorv1.ActivationsRequest{X: k.proto(x), Layer: layer})
			return err
		})
		if err != nil {
			return tensor.Tensor{}, err
		}
		return tensor.FromProto(resp.Activations)
	}
	if !k.desc.Capabilities.Activations {
		k.unimplemented("activations", func(context.Context) error { _, err := act("0"); return err })
		return
	}
	if len(k.desc.Layers) == 0 {
		k.fail("activations", "capability claimed but no layers listed")
		return
	}
	for _, layer := range []string{k.desc.Layers[0], strconv.Itoa(len(k.desc.Layers) - 1)} {
		a, err := act(layer)
		if err != nil {
			k.fail("activations "+layer, "%v", err)
		} else if a.Rows() != 2 {
			k.fail("activations "+layer, "shape %v for 2 inputs", a.Shape)
		} else {
			k.pass("activations "+layer, "shape %v", a.Shape)
		}
	}
	_, err := act("no-such-layer-\x01")
	k.wantCode("activations refuses unknown layer", err, codes.InvalidArgument)
}

func (k *checker) checkUncertainty() {
	x := k.sample(2, tensor.Float64)
	var resp *estimatorv1.PredictUncertaintyResponse
	f := func(ctx context.Context) (err error) {
		resp, err = k.c.PredictUncertainty(ctx, &estimatorv1.PredictUncertaintyRequest{X: k.proto(x)})
		return err
	}
	if !k.desc.Capabilities.PredictUncertainty {
		k.unimplemented("predict_uncertainty", f)
		return
	}
	if err := k.call(f); err != nil {
		k.failClaimed("predict_uncertainty", "predict_uncertainty", err)
		return
	}
	v, err := tensor.FromProto(resp.Variance)
	if err != nil || v.Rows() != 2 {
		k.fail("predict_uncertainty", "shape %v for 2 inputs (%v)", v.Shape, err)
		return
	}
	k.pass("predict_uncertainty", "shape %v", v.Shape)
}

func (k *checker) checkHealth() {
	var resp *estimatorv1.HealthResponse
	err := k.call(func(ctx context.Context) (err error) {
		resp, err = k.c.Health(ctx, &estimatorv1.HealthRequest{})
		return err
	})
	if err != nil || !resp.Ok {
		k.fail("health", "%v %v", err, resp.GetDetail())
		return
	}
	k.pass("health", "%s in %dµs", resp.Detail, resp.CanaryMicros)
}

func (k *checker) checkSave() {
	dir, err := os.MkdirTemp("", "sdktest-save-")
	if err != nil {
		k.skip("save", "no temp dir: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model")
	f := func(ctx context.Context) error {
		_, err := k.c.Save(ctx, &estimatorv1.SaveRequest{Path: path})
		return err
	}
	if !k.desc.Capabilities.Save {
		k.unimplemented("save", f)
		return
	}
	if err := k.call(f); err != nil {
		k.failClaimed("save", "save", err)
		return
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		k.fail("save", "no model written at the given path (%v)", err)
		return
	}
	k.pass("save", "wrote %s", filepath.Base(path))
}

func (k *checker) fitRandom(name string) {
	if !k.desc.Capabilities.Fit {
		k.unimplemented(name, func(ctx context.Context) error {
			s, err := k.c.Fit(ctx, &estimatorv1.FitRequest{})
			if err != nil {
				return err
			}
			_, err = s.Recv()
			return err
		})
		return
	}
	nc := max(int(k.desc.NbClasses), 2)
	n := max(8, 2*nc) // every class gets rows
	x := k.sample(n, tensor.Float64)
	y := tensor.New(tensor.Int64, n)
	for i := range y.I64 {
		y.I64[i] = int64(i % nc)
	}
	err := k.call(func(ctx context.Context) error {
		s, err := k.c.Fit(ctx, &estimatorv1.FitRequest{X: k.proto(x), Labels: k.proto(y), Epochs: 1})
		if err != nil {
			return err
		}
		for {
			p, err := s.Recv()
			if err != nil {
				return err
			}
			if p.Done {
				return nil
			}
		}
	})
	if err != nil {
		k.fail(name, "%v", err)
		return
	}
	k.pass(name, "one epoch on %d random samples", n)
	k.checkDescribe()
}

func maxDiff(a, b tensor.Tensor) float64 {
	if a.Len() != b.Len() {
		return math.Inf(1)
	}
	d := 0.0
	for i := 0; i < a.Len(); i++ {
		d = math.Max(d, math.Abs(a.At(i)-b.At(i)))
	}
	return d
}

func maxAbs(a tensor.Tensor) float64 {
	m := 0.0
	for i := 0; i < a.Len(); i++ {
		m = math.Max(m, math.Abs(a.At(i)))
	}
	return m
}
