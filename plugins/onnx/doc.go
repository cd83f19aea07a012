// Command arthost-plugin-onnx is the arthost estimator plugin for ONNX
// models: a pure-Go runtime (internal/graph, internal/ops) that runs what
// torch.onnx.export, tf2onnx, CNTK, paddle2onnx and other exporters emit,
// at opsets 7 to 18 (older opsets with their legacy attributes).
//
// The host launches it; run alone it prints a message and exits. Options
// given at Load:
//
//	output=logits|probabilities  what Predict returns (default: probabilities
//	                             when the graph ends in Softmax, else logits)
//	input=NAME                   the graph input fed with x (default: the only one)
//	output_name=NAME             the graph output read (default: the first)
//	threads=N                    goroutines used across the batch (default 1)
package main
