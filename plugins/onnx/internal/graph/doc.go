// Package graph loads an ONNX model into a planned interpreter: it decodes
// and validates the protobuf (supported ops and opsets, single assignment,
// no cycles, sane sizes), folds constants, compiles every node into an
// ops.Kernel once, and runs the plan for any batch size.
//
// Every value of the graph has a slot; Run can keep all slot values (the
// activations) so that a backward pass or Activations reuses them. The
// estimator in plugins/onnx and the autodiff of part 2 are its users.
package graph
