// Package conformance runs the ONNX backend test suites (Debian's
// libonnx-testdata: node, pytorch-converted, pytorch-operator) and the real
// exports of ../shared/onnx-real against the runtime. It has only tests:
//
//	go test ./plugins/onnx/internal/conformance -run TestONNXBackend -v
//	go test ./plugins/onnx/internal/conformance -run TestRealExports -v
package conformance
