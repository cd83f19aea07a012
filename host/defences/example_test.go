package defences_test

import (
	"fmt"

	"github.com/arthost/arthost/host/defences"
	"github.com/arthost/arthost/shared/tensor"
)

func ExampleNewPreprocessor() {
	// The parameters as a YAML decoder gives them for
	//   pre: [{feature_squeezing: {bit_depth: 2, clip_values: [0, 4]}}]
	fs, err := defences.NewPreprocessor("feature_squeezing", map[string]any{
		"bit_depth": 2, "clip_values": []any{0, 4},
	}, defences.Defaults{})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := tensor.FromFloat64([]float64{0, 1, 2, 3, 4}, 1, 5)
	out, _, _ := fs.Forward(x, tensor.Tensor{})
	fmt.Printf("%s fit=%v predict=%v\n%.3f\n", fs, fs.ApplyFit(), fs.ApplyPredict(), out.F64)

	_, err = defences.NewPreprocessor("feature_squeezing", map[string]any{"bit_depth": 2}, defences.Defaults{})
	fmt.Println(err)
	// Output:
	// feature_squeezing{bit_depth: 2, clip_values: [0, 4]} fit=false predict=true
	// [0.000 1.333 2.667 2.667 4.000]
	// feature_squeezing: clip_values: required: give [min, max]
}

func ExampleChainBackward() {
	defs := []defences.Preprocessor{}
	for _, d := range []struct {
		name   string
		params map[string]any
	}{
		{"feature_squeezing", map[string]any{"bit_depth": 4, "clip_values": []any{0, 1}}},
		{"thermometer_encoding", map[string]any{"num_space": 2, "clip_values": []any{0, 1}}},
	} {
		p, err := defences.NewPreprocessor(d.name, d.params, defences.Defaults{})
		if err != nil {
			fmt.Println(err)
			return
		}
		defs = append(defs, p)
	}
	x := tensor.FromFloat64([]float64{0.2, 0.8}, 1, 2)
	out, _, inputs, _ := defences.ChainForward(defs, x, tensor.Tensor{})
	grad := tensor.FromFloat64([]float64{1, 1, 1, 1}, out.Shape...)
	g, _ := defences.ChainBackward(defs, inputs, grad)
	fmt.Println(out.Shape, out.F64, g.F64)
	// Output:
	// [1 4] [1 0 1 1] [1 2]
}

func ExampleNewPostprocessor() {
	// numpy with ART's formula gives [[0.6355 0.2196 0.1448]] for this row.
	rs, _ := defences.NewPostprocessor("reverse_sigmoid", map[string]any{"beta": 1.0, "gamma": 0.1})
	preds := tensor.FromFloat64([]float64{0.7, 0.2, 0.1}, 1, 3)
	out, _ := rs.Apply(preds)
	fmt.Printf("%.4f\n", out.F64)

	_, err := defences.NewPostprocessor("rounded", map[string]any{"decimals": 0})
	fmt.Println(err)
	// Output:
	// [0.6355 0.2196 0.1448]
	// rounded: decimals: want a positive integer (at most 300), got 0
}
