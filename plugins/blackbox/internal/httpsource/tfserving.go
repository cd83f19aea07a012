package httpsource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/arthost/arthost/shared/tensor"
)

// encodeTFServing builds a row-format predict body: {"instances": [...]}
// with one nested array per row, or {"instances": [{input: row}, ...]}
// when the signature's input is named.
func encodeTFServing(x tensor.Tensor, input string) ([]byte, error) {
	rows := x.Shape[0]
	inner := x.Shape[1:]
	w := tensor.NumElements(inner)
	b := make([]byte, 0, 32+x.Len()*12)
	b = append(b, `{"instances":[`...)
	for r := 0; r < rows; r++ {
		if r > 0 {
			b = append(b, ',')
		}
		if input != "" {
			b = append(b, '{')
			b = strconv.AppendQuote(b, input)
			b = append(b, ':')
		}
		var err error
		if b, err = appendNested(b, x, inner, r*w); err != nil {
			return nil, err
		}
		if input != "" {
			b = append(b, '}')
		}
	}
	return append(b, "]}"...), nil
}

// appendNested writes the values of x from offset off as nested arrays of
// the given shape (a bare number for an empty shape).
func appendNested(b []byte, x tensor.Tensor, shape []int, off int) ([]byte, error) {
	if len(shape) == 0 {
		return appendFloat(b, x, off)
	}
	if len(shape) == 1 {
		return appendFloats(b, x, off, off+shape[0])
	}
	b = append(b, '[')
	w := tensor.NumElements(shape[1:])
	for i := 0; i < shape[0]; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendNested(b, x, shape[1:], off+i*w); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

type tfResponse struct {
	Predictions []json.RawMessage `json:"predictions"`
	Error       string            `json:"error"`
}

// decodeTFServing reads a row-format predict response for rows inputs. Each
// prediction is a number, a (nested) array, or an object of named outputs
// from which output (or the only one) is taken; every row must have the
// same number of values. A scalar per row gives shape (rows,), otherwise
// (rows, width).
func decodeTFServing(body []byte, rows int, output string, maxValues int) (tensor.Tensor, error) {
	var r tfResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return tensor.Tensor{}, fmt.Errorf("tfserving response is not a predict response: %v", err)
	}
	if r.Error != "" {
		return tensor.Tensor{}, fmt.Errorf("tfserving response is an error: %s", clip(r.Error))
	}
	if r.Predictions == nil {
		return tensor.Tensor{}, fmt.Errorf("tfserving response has no predictions")
	}
	if len(r.Predictions) != rows {
		return tensor.Tensor{}, fmt.Errorf("tfserving response has %d predictions for a batch of %d", len(r.Predictions), rows)
	}
	var vals []float64
	width, scalar := -1, false
	for i, p := range r.Predictions {
		raw, err := pickTF(p, output)
		if err != nil {
			return tensor.Tensor{}, fmt.Errorf("tfserving prediction %d: %v", i, err)
		}
		before := len(vals)
		if vals, err = parseNumbers(raw, vals, maxValues); err != nil {
			return tensor.Tensor{}, fmt.Errorf("tfserving prediction %d: %v", i, err)
		}
		isScalar := len(raw) > 0 && raw[0] != '['
		if width < 0 {
			width, scalar = len(vals)-before, isScalar
		}
		if len(vals)-before != width || isScalar != scalar {
			return tensor.Tensor{}, fmt.Errorf("tfserving prediction %d has %d values, prediction 0 has %d", i, len(vals)-before, width)
		}
	}
	shape := []int{rows, width}
	if scalar {
		shape = shape[:1]
	}
	return tensor.Tensor{DType: tensor.Float64, Shape: shape, F64: vals}, nil
}

// pickTF returns the JSON of the wanted output of one prediction.
func pickTF(p json.RawMessage, output string) (json.RawMessage, error) {
	p = bytes.TrimSpace(p)
	if len(p) == 0 {
		return nil, fmt.Errorf("empty prediction")
	}
	if p[0] != '{' {
		// An unnamed prediction is the model's only output.
		return p, nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(p, &named); err != nil {
		return nil, err
	}
	if output != "" {
		if v, ok := named[output]; ok {
			return bytes.TrimSpace(v), nil
		}
	} else if len(named) == 1 {
		for _, v := range named {
			return bytes.TrimSpace(v), nil
		}
	}
	var names []string
	for k := range named {
		names = append(names, strconv.Quote(k))
	}
	sort.Strings(names)
	if output != "" {
		return nil, fmt.Errorf("no output %q (it has %s)", output, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("%d named outputs (%s); set output_name", len(names), strings.Join(names, ", "))
}
