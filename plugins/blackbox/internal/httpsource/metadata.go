package httpsource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Metadata is what the v2 model metadata endpoint says about the tensors
// the plugin uses. Shapes exclude the leading batch dimension; -1 marks a
// variable size.
type Metadata struct {
	InputName, InputDatatype string
	InputShape               []int
	OutputName               string
	OutputShape              []int
}

type v2MetaTensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

type v2Meta struct {
	Name    string         `json:"name"`
	Inputs  []v2MetaTensor `json:"inputs"`
	Outputs []v2MetaTensor `json:"outputs"`
	Error   string         `json:"error"`
}

// Metadata asks the server about the model's input and output: v2's
// GET {url}/v2/models/{model}, or TF Serving's
// GET {url}/v1/models/{model}/metadata (signature serving_default, or the
// only one). The input is Config.InputName or the only input; the output
// is Config.OutputName or the only output.
func (s *Source) Metadata(ctx context.Context) (Metadata, error) {
	path := "/v2/models/" + url.PathEscape(s.cfg.Model)
	parse := parseMetadata
	if s.cfg.Protocol == ProtocolTFServing {
		path = "/v1/models/" + url.PathEscape(s.cfg.Model) + "/metadata"
		parse = parseTFMetadata
	}
	body, err := s.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return Metadata{}, err
	}
	m, err := parse(body, s.cfg.InputName, s.cfg.OutputName)
	if err != nil {
		return Metadata{}, fmt.Errorf("model metadata %s: %w", s.endpoint(path), err)
	}
	return m, nil
}

// SetTensors fills the input name, output name and input datatype from v2
// metadata where Config left them empty (TF Serving needs none of them).
// Call it before any Query.
func (s *Source) SetTensors(m Metadata) {
	if s.cfg.Protocol != ProtocolV2 {
		return
	}
	if s.cfg.InputName == "" {
		s.cfg.InputName = m.InputName
	}
	if s.cfg.OutputName == "" {
		s.cfg.OutputName = m.OutputName
	}
	if s.cfg.InputDatatype == "" && (m.InputDatatype == "FP32" || m.InputDatatype == "FP64") {
		s.cfg.InputDatatype = m.InputDatatype
	}
}

func parseMetadata(body []byte, input, output string) (Metadata, error) {
	var r v2Meta
	if err := json.Unmarshal(body, &r); err != nil {
		return Metadata{}, fmt.Errorf("not a metadata response: %v", err)
	}
	if r.Error != "" {
		return Metadata{}, fmt.Errorf("server error: %s", clip(r.Error))
	}
	in, err := pickMeta(r.Inputs, input, "input")
	if err != nil {
		return Metadata{}, err
	}
	out, err := pickMeta(r.Outputs, output, "output")
	if err != nil {
		return Metadata{}, err
	}
	m := Metadata{InputName: in.Name, InputDatatype: strings.ToUpper(in.Datatype), OutputName: out.Name}
	if m.InputShape, err = dropBatch(in); err != nil {
		return Metadata{}, err
	}
	if m.OutputShape, err = dropBatch(out); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

func pickMeta(ts []v2MetaTensor, name, what string) (v2MetaTensor, error) {
	var names []string
	for _, t := range ts {
		if t.Name == name && name != "" {
			return t, nil
		}
		names = append(names, strconv.Quote(t.Name))
	}
	switch {
	case len(ts) == 0:
		return v2MetaTensor{}, fmt.Errorf("no %ss listed", what)
	case name != "":
		return v2MetaTensor{}, fmt.Errorf("no %s %q (it has %s)", what, name, strings.Join(names, ", "))
	case len(ts) > 1:
		return v2MetaTensor{}, fmt.Errorf("%d %ss (%s); set %s_name", len(ts), what, strings.Join(names, ", "), what)
	}
	return ts[0], nil
}

// dropBatch removes the leading batch dimension of a metadata shape and
// checks the others.
func dropBatch(t v2MetaTensor) ([]int, error) {
	if len(t.Shape) == 0 {
		return nil, fmt.Errorf("tensor %q has no batch dimension (shape [])", t.Name)
	}
	rest := append([]int{}, t.Shape[1:]...)
	for _, d := range rest {
		if d < -1 || d == 0 {
			return nil, fmt.Errorf("tensor %q has invalid shape %v", t.Name, t.Shape)
		}
	}
	return rest, nil
}
