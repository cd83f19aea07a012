package sdk

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// checkDescription refuses descriptions the host could not use.
func checkDescription(d Description) error {
	if d.NbClasses < 0 {
		return fmt.Errorf("nb_classes %d", d.NbClasses)
	}
	for _, s := range d.InputShape {
		if s == 0 || s < -1 {
			return fmt.Errorf("input shape %v: dimensions are positive or -1", d.InputShape)
		}
	}
	if len(d.ClipMin) != len(d.ClipMax) {
		return fmt.Errorf("clip bounds have %d and %d values", len(d.ClipMin), len(d.ClipMax))
	}
	for i := range d.ClipMin {
		if !(d.ClipMin[i] <= d.ClipMax[i]) {
			return fmt.Errorf("clip bound %d: min %v above max %v", i, d.ClipMin[i], d.ClipMax[i])
		}
	}
	return nil
}

// checkInput decodes x and checks it is a non-empty, finite float batch
// whose sample shape matches the model's input shape.
func checkInput(d *Description, p *estimatorv1.Tensor) (tensor.Tensor, error) {
	x, err := tensor.FromProto(p)
	if err != nil {
		return x, InvalidArgumentf("input: %v", err)
	}
	if !x.IsFloat() {
		return x, InvalidArgumentf("input dtype %v, want float32 or float64", x.DType)
	}
	if len(x.Shape) == 0 || x.Shape[0] == 0 {
		return x, InvalidArgumentf("input shape %v: empty batch", x.Shape)
	}
	if d.InputShape != nil && !matchShape(x.Shape[1:], d.InputShape) {
		return x, InvalidArgumentf("input shape %v, want (n, %s)", x.Shape, shapeString(d.InputShape))
	}
	if i := firstNonFinite(x); i >= 0 {
		return x, InvalidArgumentf("input has %v at index %v", x.At(i), x.Index(i))
	}
	return x, nil
}

func checkInputLabels(d *Description, px, py *estimatorv1.Tensor) (tensor.Tensor, tensor.Labels, error) {
	x, err := checkInput(d, px)
	if err != nil {
		return x, tensor.Labels{}, err
	}
	y, err := tensor.FromProto(py)
	if err != nil {
		return x, tensor.Labels{}, InvalidArgumentf("labels: %v", err)
	}
	l, err := tensor.NormalizeLabels(y, x.Rows(), d.NbClasses)
	if err != nil {
		return x, l, InvalidArgumentf("%v", err)
	}
	return x, l, nil
}

// checkFitInput is checkInputLabels for models that may not know their
// input shape or classes before the first fit: the labels then decide.
func checkFitInput(d *Description, px, py *estimatorv1.Tensor) (tensor.Tensor, tensor.Labels, error) {
	if d.NbClasses > 0 {
		return checkInputLabels(d, px, py)
	}
	x, err := checkInput(d, px)
	if err != nil {
		return x, tensor.Labels{}, err
	}
	y, err := tensor.FromProto(py)
	if err != nil {
		return x, tensor.Labels{}, InvalidArgumentf("labels: %v", err)
	}
	k := 0
	switch {
	case len(y.Shape) == 2 && y.Shape[1] > 1:
		k = y.Shape[1]
	default:
		for i := 0; i < y.Len(); i++ {
			if v := int(y.At(i)); v+1 > k {
				k = v + 1
			}
		}
	}
	l, err := tensor.NormalizeLabels(y, x.Rows(), k)
	if err != nil {
		return x, l, InvalidArgumentf("%v", err)
	}
	return x, l, nil
}

func matchShape(got, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if want[i] != -1 && got[i] != want[i] {
			return false
		}
	}
	return true
}

func shapeString(s []int) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		if v == -1 {
			out += "?"
		} else {
			out += strconv.Itoa(v)
		}
	}
	return out
}

// checkOutput checks an estimator's answer against the shape the contract
// promises (-1 matches anything) and converts it to the caller's dtype, so
// the host never receives a wrong-shaped or wrong-typed answer.
func checkOutput(v tensor.Tensor, dtype tensor.DType, shape ...int) (tensor.Tensor, error) {
	if err := v.Validate(); err != nil {
		return v, fmt.Errorf("estimator returned an invalid tensor: %w", err)
	}
	if !v.IsFloat() {
		return v, fmt.Errorf("estimator returned dtype %v, want %v", v.DType, dtype)
	}
	if !matchShape(v.Shape, shape) {
		return v, fmt.Errorf("estimator returned shape %v, want (%s)", v.Shape, shapeString(shape))
	}
	return v.As(dtype), nil
}

func checkRows(v tensor.Tensor, n int) error {
	if err := v.Validate(); err != nil {
		return fmt.Errorf("estimator returned an invalid tensor: %w", err)
	}
	if v.Rows() != n {
		return fmt.Errorf("estimator returned %d rows for %d inputs", v.Rows(), n)
	}
	return nil
}

func outputWidth(d *Description) int {
	if d.NbClasses <= 0 {
		return -1
	}
	return d.NbClasses
}

// expandClasses turns the wire's class list into nil (all classes) or one
// class per row, checking each against the number of classes.
func expandClasses(classes []int64, n, k int) ([]int, error) {
	switch len(classes) {
	case 0:
		return nil, nil
	case 1, n:
	default:
		return nil, InvalidArgumentf("%d class labels for %d samples, want none, 1 or %d", len(classes), n, n)
	}
	out := make([]int, n)
	for i := range out {
		c := classes[0]
		if len(classes) == n {
			c = classes[i]
		}
		if c < 0 || (k > 0 && c >= int64(k)) {
			return nil, InvalidArgumentf("label %d out of range [0,%d)", c, k)
		}
		out[i] = int(c)
	}
	return out, nil
}

// resolveLayer accepts a layer name or an index into layers (negative
// counts from the end).
func resolveLayer(layers []string, layer string) (string, error) {
	for _, l := range layers {
		if l == layer {
			return l, nil
		}
	}
	if i, err := strconv.Atoi(layer); err == nil {
		if i < 0 {
			i += len(layers)
		}
		if i >= 0 && i < len(layers) {
			return layers[i], nil
		}
		return "", InvalidArgumentf("layer index %s out of range [0,%d)", layer, len(layers))
	}
	return "", InvalidArgumentf("unknown layer %q (%d layers; see describe)", layer, len(layers))
}

func reduce(v tensor.Tensor, r estimatorv1.Reduction) (tensor.Tensor, error) {
	if r == estimatorv1.Reduction_REDUCTION_NONE {
		return v, nil
	}
	sum := 0.0
	for i := 0; i < v.Len(); i++ {
		sum += v.At(i)
	}
	switch r {
	case estimatorv1.Reduction_REDUCTION_MEAN:
		sum /= float64(v.Len())
	case estimatorv1.Reduction_REDUCTION_SUM:
	default:
		return v, InvalidArgumentf("unknown reduction %v", r)
	}
	out := tensor.New(v.DType)
	if v.DType == tensor.Float32 {
		out.F32[0] = float32(sum)
	} else {
		out.F64[0] = sum
	}
	return out, nil
}

// canary is the health-check input: one sample of zeros of the input
// shape, symbolic dimensions set to 1.
func canary(d *Description) tensor.Tensor {
	shape := []int{1}
	for _, s := range d.InputShape {
		if s < 0 {
			s = 1
		}
		shape = append(shape, s)
	}
	dt := d.NativeDType
	if dt != tensor.Float64 {
		dt = tensor.Float32
	}
	return tensor.New(dt, shape...)
}

// firstNonFinite is tensor.FirstNonFinite on the bits, branch-free over
// blocks so the scan of a large input runs at memory speed. A float is NaN
// or infinite exactly when its exponent bits are all ones; masking the
// exponent and adding one to its lowest bit then carries into the sign
// bit, which the mask cleared. Float32 values are read two at a time as
// 64-bit words (two lanes; a lane's carry stops at its own sign bit). A
// block that holds a non-finite value is scanned again value by value.
func firstNonFinite(t tensor.Tensor) int {
	switch t.DType {
	case tensor.Float32:
		return firstNonFinite32(t.F32)
	case tensor.Float64:
		const exp, one, sign = 0x7ff0000000000000, 0x0010000000000000, 0x8000000000000000
		v := t.F64
		i := 0
		for ; i+8 <= len(v); i += 8 {
			b := v[i : i+8 : i+8]
			acc := (math.Float64bits(b[0])&exp + one) | (math.Float64bits(b[1])&exp + one) |
				(math.Float64bits(b[2])&exp + one) | (math.Float64bits(b[3])&exp + one) |
				(math.Float64bits(b[4])&exp + one) | (math.Float64bits(b[5])&exp + one) |
				(math.Float64bits(b[6])&exp + one) | (math.Float64bits(b[7])&exp + one)
			if acc&sign != 0 {
				break
			}
		}
		for ; i < len(v); i++ {
			if math.Float64bits(v[i])&exp == exp {
				return i
			}
		}
	}
	return -1
}

func firstNonFinite32(v []float32) int {
	const exp = 0x7f800000
	const m, one, sign = exp<<32 | exp, 0x0080000000800000, 0x8000000080000000
	i := 0
	if len(v) > 0 && uintptr(unsafe.Pointer(&v[0]))%8 != 0 {
		if math.Float32bits(v[0])&exp == exp {
			return 0
		}
		i = 1 // start the word view on an 8-byte boundary
	}
	if n := (len(v) - i) / 2; n > 0 {
		w := unsafe.Slice((*uint64)(unsafe.Pointer(&v[i])), n)
		j := 0
		for ; j+8 <= len(w); j += 8 {
			b := w[j : j+8 : j+8]
			acc := (b[0]&m + one) | (b[1]&m + one) | (b[2]&m + one) | (b[3]&m + one) |
				(b[4]&m + one) | (b[5]&m + one) | (b[6]&m + one) | (b[7]&m + one)
			if acc&sign != 0 {
				break
			}
		}
		i += 2 * j
	}
	for ; i < len(v); i++ {
		if math.Float32bits(v[i])&exp == exp {
			return i
		}
	}
	return -1
}
