package httpsource

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/arthost/arthost/shared/tensor"
)

// appendFloats appends the values of x as a flat JSON array, each number
// in the shortest form that reads back to the same float32 or float64.
func appendFloats(b []byte, x tensor.Tensor, lo, hi int) ([]byte, error) {
	b = append(b, '[')
	for i := lo; i < hi; i++ {
		if i > lo {
			b = append(b, ',')
		}
		var err error
		if b, err = appendFloat(b, x, i); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendFloat appends element i of x as a JSON number.
func appendFloat(b []byte, x tensor.Tensor, i int) ([]byte, error) {
	var v float64
	bits := 64
	if x.DType == tensor.Float32 {
		v, bits = float64(x.F32[i]), 32
	} else {
		v = x.F64[i]
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("input element %d is %v, which JSON cannot carry", i, v)
	}
	return strconv.AppendFloat(b, v, 'g', -1, bits), nil
}

// v2Datatype is the protocol's name of a float dtype.
func v2Datatype(d tensor.DType) string {
	if d == tensor.Float32 {
		return "FP32"
	}
	return "FP64"
}

// encodeV2 builds an inference request body: one input tensor with its
// shape, datatype and flat row-major data, and the wanted output when
// output is not empty.
func encodeV2(x tensor.Tensor, input, output string) ([]byte, error) {
	b := make([]byte, 0, 64+x.Len()*12)
	b = append(b, `{"inputs":[{"name":`...)
	b = strconv.AppendQuote(b, input)
	b = append(b, `,"shape":[`...)
	for i, d := range x.Shape {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	b = append(b, `],"datatype":"`...)
	b = append(b, v2Datatype(x.DType)...)
	b = append(b, `","data":`...)
	b, err := appendFloats(b, x, 0, x.Len())
	if err != nil {
		return nil, err
	}
	b = append(b, "}]"...)
	if output != "" {
		b = append(b, `,"outputs":[{"name":`...)
		b = strconv.AppendQuote(b, output)
		b = append(b, "}]"...)
	}
	return append(b, '}'), nil
}

type v2Tensor struct {
	Name     string          `json:"name"`
	Shape    []int           `json:"shape"`
	Datatype string          `json:"datatype"`
	Data     json.RawMessage `json:"data"`
}

type v2Response struct {
	Outputs []v2Tensor `json:"outputs"`
	Error   string     `json:"error"`
}

// numericV2 lists the datatypes whose data are JSON numbers or booleans.
var numericV2 = map[string]bool{
	"BOOL": true, "UINT8": true, "UINT16": true, "UINT32": true, "UINT64": true,
	"INT8": true, "INT16": true, "INT32": true, "INT64": true,
	"FP16": true, "FP32": true, "FP64": true, "BF16": true,
}

// decodeV2 reads an inference response for a batch of rows inputs and
// returns the chosen output as float64 with its shape. output names the
// output to use; when empty the response must hold exactly one.
func decodeV2(body []byte, rows int, output string) (tensor.Tensor, error) {
	var r v2Response
	if err := json.Unmarshal(body, &r); err != nil {
		return tensor.Tensor{}, fmt.Errorf("v2 response is not an inference response: %v", err)
	}
	if r.Error != "" {
		return tensor.Tensor{}, fmt.Errorf("v2 response is an error: %s", clip(r.Error))
	}
	out, err := pickV2(r.Outputs, output)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if !numericV2[strings.ToUpper(out.Datatype)] {
		return tensor.Tensor{}, fmt.Errorf("v2 output %q has datatype %q, want a numeric one", out.Name, out.Datatype)
	}
	if len(out.Shape) == 0 || out.Shape[0] != rows {
		return tensor.Tensor{}, fmt.Errorf("v2 output %q has shape %v for a batch of %d", out.Name, out.Shape, rows)
	}
	n := 1
	for _, d := range out.Shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return tensor.Tensor{}, fmt.Errorf("v2 output %q has invalid shape %v", out.Name, out.Shape)
		}
		n *= d
	}
	if len(out.Data) == 0 {
		return tensor.Tensor{}, fmt.Errorf("v2 output %q has no data", out.Name)
	}
	vals, err := parseNumbers(out.Data, make([]float64, 0, n), n)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("v2 output %q data: %v", out.Name, err)
	}
	if len(vals) != n {
		return tensor.Tensor{}, fmt.Errorf("v2 output %q has %d values for shape %v", out.Name, len(vals), out.Shape)
	}
	return tensor.Tensor{DType: tensor.Float64, Shape: append([]int(nil), out.Shape...), F64: vals}, nil
}

func pickV2(outs []v2Tensor, name string) (v2Tensor, error) {
	var names []string
	for _, o := range outs {
		if name != "" && o.Name == name {
			return o, nil
		}
		names = append(names, strconv.Quote(o.Name))
	}
	switch {
	case len(outs) == 0:
		return v2Tensor{}, fmt.Errorf("v2 response has no outputs")
	case name != "":
		return v2Tensor{}, fmt.Errorf("v2 response has no output %q (it has %s)", name, strings.Join(names, ", "))
	case len(outs) > 1:
		return v2Tensor{}, fmt.Errorf("v2 response has %d outputs (%s); set output_name", len(outs), strings.Join(names, ", "))
	}
	return outs[0], nil
}

// clip shortens a server's message for an error line.
func clip(s string) string {
	const max = 300
	s = strings.TrimSpace(s)
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
