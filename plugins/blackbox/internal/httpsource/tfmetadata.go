package httpsource

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// tfDim is a TensorFlow dimension size, which proto3 JSON writes as a
// string ("-1") and some servers as a number.
type tfDim int

func (d *tfDim) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return fmt.Errorf("dimension size %s", b)
	}
	*d = tfDim(n)
	return nil
}

type tfTensorInfo struct {
	Dtype       string `json:"dtype"`
	TensorShape struct {
		Dim []struct {
			Size tfDim `json:"size"`
		} `json:"dim"`
		UnknownRank bool `json:"unknown_rank"`
	} `json:"tensor_shape"`
}

type tfSignature struct {
	Inputs  map[string]tfTensorInfo `json:"inputs"`
	Outputs map[string]tfTensorInfo `json:"outputs"`
}

type tfMetadata struct {
	Metadata struct {
		SignatureDef struct {
			SignatureDef map[string]tfSignature `json:"signature_def"`
		} `json:"signature_def"`
	} `json:"metadata"`
	Error string `json:"error"`
}

// tfDatatypes maps TensorFlow dtypes to the v2 names Metadata uses.
var tfDatatypes = map[string]string{"DT_FLOAT": "FP32", "DT_DOUBLE": "FP64", "DT_HALF": "FP16"}

// parseTFMetadata reads a TF Serving model metadata response.
func parseTFMetadata(body []byte, input, output string) (Metadata, error) {
	var r tfMetadata
	if err := json.Unmarshal(body, &r); err != nil {
		return Metadata{}, fmt.Errorf("not a metadata response: %v", err)
	}
	if r.Error != "" {
		return Metadata{}, fmt.Errorf("server error: %s", clip(r.Error))
	}
	sigs := r.Metadata.SignatureDef.SignatureDef
	sig, ok := sigs["serving_default"]
	if !ok {
		if len(sigs) != 1 {
			return Metadata{}, fmt.Errorf("no serving_default signature (it has %s)", strings.Join(sortedKeys(sigs), ", "))
		}
		for _, only := range sigs {
			sig = only
		}
	}
	inName, in, err := pickTFTensor(sig.Inputs, input, "input")
	if err != nil {
		return Metadata{}, err
	}
	outName, out, err := pickTFTensor(sig.Outputs, output, "output")
	if err != nil {
		return Metadata{}, err
	}
	m := Metadata{InputName: inName, InputDatatype: tfDatatypes[in.Dtype], OutputName: outName}
	if m.InputShape, err = tfShape(inName, in); err != nil {
		return Metadata{}, err
	}
	if m.OutputShape, err = tfShape(outName, out); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

func pickTFTensor[V any](ts map[string]V, name, what string) (string, V, error) {
	var zero V
	if name != "" {
		if t, ok := ts[name]; ok {
			return name, t, nil
		}
		return "", zero, fmt.Errorf("no %s %q (it has %s)", what, name, strings.Join(sortedKeys(ts), ", "))
	}
	if len(ts) != 1 {
		return "", zero, fmt.Errorf("%d %ss (%s); set %s_name", len(ts), what, strings.Join(sortedKeys(ts), ", "), what)
	}
	for k, t := range ts {
		return k, t, nil
	}
	return "", zero, nil
}

// tfShape drops the batch dimension of a signature tensor's shape.
func tfShape(name string, t tfTensorInfo) ([]int, error) {
	if t.TensorShape.UnknownRank {
		return nil, fmt.Errorf("tensor %q has an unknown rank", name)
	}
	dims := make([]int, len(t.TensorShape.Dim))
	for i, d := range t.TensorShape.Dim {
		dims[i] = int(d.Size)
	}
	return dropBatch(v2MetaTensor{Name: name, Shape: dims})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, strconv.Quote(k))
	}
	sort.Strings(out)
	return out
}
