// Package ops holds the ONNX operator kernels of the arthost runtime, one
// file per op family (elementwise.go, gemm.go, conv.go, pool.go, norm.go,
// softmax.go, reduce.go, shape.go, resize.go, ...), and the Registry that
// lists every supported op.
//
// A Def turns a node (its attributes, opset and the inputs known at load
// time) into a Kernel once, at load; the interpreter in
// plugins/onnx/internal/graph then calls Kernel.Forward for every predict.
// Each Def also has a VJP slot for reverse-mode differentiation (filled by
// the autodiff part of the plugin) or a NoGrad reason, so one test can walk
// the registry and check that every op is accounted for.
//
// Kernels never modify their inputs. They return an error for a bad shape
// or value that depends on the data (checked at load by a dry run when
// possible), and never panic on user data.
package ops
