package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// resolve picks the input and output, detects a final Softmax, infers the
// number of classes and builds the description.
func resolve(g *graph.Model, inName, outName, outKind string) (*model, sdk.Description, error) {
	m := &model{g: g}
	var d sdk.Description
	in, err := pickInput(g, inName)
	if err != nil {
		return nil, d, err
	}
	m.input = in.Name
	if outName == "" {
		outName = g.Outputs[0].Name
	} else if _, ok := g.Slot(outName); !ok {
		return nil, d, fmt.Errorf("option output_name=%q: no such value (outputs: %s)", outName, valueNames(g.Outputs))
	}
	m.output = outName
	softmaxIn := finalSoftmax(g, outName)
	switch {
	case softmaxIn != "" && outKind != "logits":
		d.Output, m.logits = sdk.OutputProbabilities, softmaxIn
	case softmaxIn != "":
		d.Output, m.logits, m.output = sdk.OutputLogits, softmaxIn, softmaxIn
	case outKind == "probabilities":
		d.Output, m.logits, m.softmaxOut = sdk.OutputProbabilities, outName, true
	default:
		d.Output, m.logits = sdk.OutputLogits, outName
	}
	g.Pin(m.output)
	if m.logits != "" {
		g.Pin(m.logits)
	}
	if len(in.Shape) < 2 {
		return nil, d, fmt.Errorf("input %q has shape %v: want a batch dimension and at least one more", in.Name, in.Shape)
	}
	d.InputShape = append([]int(nil), in.Shape[1:]...)
	if m.nbClasses, err = nbClasses(g, in, outName); err != nil {
		return nil, d, err
	}
	d.NbClasses = m.nbClasses
	d.ChannelsFirst = channelsFirst(g, in)
	d.Framework, d.Version = "onnx", fmt.Sprintf("opset %d", g.Opset)
	d.NativeDType = tensor.Float32
	d.Layers = layers(g)
	m.layers = d.Layers
	d.Info = map[string]string{
		"producer": strings.TrimSpace(g.Proto.GetProducerName() + " " + g.Proto.GetProducerVersion()),
		"opset":    strconv.Itoa(g.Opset), "input": m.input, "output": m.output,
	}
	return m, d, nil
}

func valueNames(vs []graph.ValueInfo) string {
	var s []string
	for _, v := range vs {
		s = append(s, strconv.Quote(v.Name))
	}
	return strings.Join(s, ", ")
}

func pickInput(g *graph.Model, name string) (graph.ValueInfo, error) {
	var floats []graph.ValueInfo
	for _, in := range g.Inputs {
		if name != "" && in.Name == name {
			if in.DType != nd.Float32 {
				return in, fmt.Errorf("option input=%q: input has type %s, want float", name, in.DType)
			}
			return in, checkOnlyInput(g, in)
		}
		if in.DType == nd.Float32 {
			floats = append(floats, in)
		}
	}
	if name != "" {
		return graph.ValueInfo{}, fmt.Errorf("option input=%q: no such input (inputs: %s)", name, valueNames(g.Inputs))
	}
	if len(floats) != 1 {
		return graph.ValueInfo{}, fmt.Errorf("model has %d float inputs (%s): choose one with option input=NAME", len(floats), valueNames(g.Inputs))
	}
	if !floats[0].HasShape {
		return floats[0], fmt.Errorf("input %q declares no shape", floats[0].Name)
	}
	return floats[0], checkOnlyInput(g, floats[0])
}

func checkOnlyInput(g *graph.Model, in graph.ValueInfo) error {
	if len(g.Inputs) > 1 {
		return fmt.Errorf("model has %d inputs (%s); only single-input models are supported", len(g.Inputs), valueNames(g.Inputs))
	}
	return nil
}

// finalSoftmax returns the input of the Softmax that produces out over
// the class axis, or "".
func finalSoftmax(g *graph.Model, out string) string {
	for _, st := range g.Steps {
		for _, o := range st.Out {
			if o >= 0 && g.Names[o] == out && st.Node.Op == "Softmax" && st.In[0] >= 0 {
				return g.Names[st.In[0]]
			}
		}
	}
	return ""
}

// nbClasses reads the output's last dimension from the declaration, or
// runs the model once on zeros when the declared shape is symbolic.
func nbClasses(g *graph.Model, in graph.ValueInfo, out string) (int, error) {
	for _, o := range g.Outputs {
		if o.Name == out && o.HasShape && len(o.Shape) == 2 && o.Shape[1] > 0 {
			return o.Shape[1], nil
		}
	}
	shape := append([]int(nil), in.Shape...)
	for i := range shape {
		if shape[i] < 0 {
			if i > 0 {
				return 0, fmt.Errorf("input %q has symbolic dims %v: cannot infer the number of classes", in.Name, in.Shape)
			}
			shape[i] = 1
		}
	}
	env, err := g.Run(&ops.Ctx{Threads: 1}, map[string]*nd.Array{in.Name: nd.NewF(shape...)}, false)
	if err != nil {
		return 0, fmt.Errorf("check run on zeros of shape %v: %w", shape, err)
	}
	y := g.Get(env, out)
	if y == nil || y.Rank() == 0 || y.Len()%shape[0] != 0 {
		return 0, fmt.Errorf("output %q has shape %v for a batch of %d", out, shapeOf(y), shape[0])
	}
	return y.Len() / shape[0], nil
}

// channelsFirst says whether an image input is (C, H, W...): true when
// it feeds a spatial op directly.
func channelsFirst(g *graph.Model, in graph.ValueInfo) bool {
	if len(in.Shape) < 4 && len(in.Shape) != 3 {
		return false
	}
	s, _ := g.Slot(in.Name)
	for _, st := range g.Steps {
		for _, i := range st.In {
			if i == s {
				switch st.Node.Op {
				case "Conv", "MaxPool", "AveragePool", "BatchNormalization", "InstanceNormalization", "ConvTranspose":
					return true
				}
			}
		}
	}
	return false
}

// layers lists every non-constant node output in execution order.
func layers(g *graph.Model) []string {
	var out []string
	for _, st := range g.Steps {
		for _, o := range st.Out {
			if o >= 0 {
				out = append(out, g.Names[o])
			}
		}
	}
	return out
}

func shapeOf(a *nd.Array) []int {
	if a == nil {
		return nil
	}
	return a.Shape
}
