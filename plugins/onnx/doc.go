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
//
// Gradients (gradients.go, internal/autodiff) are exact reverse-mode
// derivatives of the float32 graph: Loss and LossGradient use
// cross-entropy from the logits (the input of a final Softmax), and
// ClassGradient differentiates the output as Predict returns it. Fit
// (fit.go) trains the float initializers; its options:
//
//	optimizer=adam|sgd   learning_rate=F (1e-3 adam, 1e-2 sgd)   momentum=F (0.9)
//	beta1=F beta2=F epsilon=F (0.9, 0.999, 1e-8)   weight_decay=F (0)
//	shuffle=BOOL (true)   seed=N (0)
//
// Save writes the model with its current weights as an ONNX file.
package main
