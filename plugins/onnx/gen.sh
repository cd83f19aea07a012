#!/bin/sh
# gen.sh regenerates plugins/onnx/internal/onnxpb/onnx.pb.go from the onnx.proto
# that Debian's python3-onnx package ships (onnx 1.12: IR version 8, opset 17+).
# Needs: protoc 3.21 (apt protobuf-compiler) and protoc-gen-go v1.36.12
# (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12).
# Run from anywhere; the Makefile's `proto` target calls it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${ONNX_PROTO_DIR:-/usr/lib/python3/dist-packages/onnx}
gen=${PROTOC_GEN_GO:-$(command -v protoc-gen-go || echo "$HOME/go/bin/protoc-gen-go")}
protoc --plugin=protoc-gen-go="$gen" -I "$src" \
	--go_out="$here/internal/onnxpb" --go_opt=paths=source_relative \
	--go_opt=Monnx.proto=github.com/arthost/arthost/plugins/onnx/internal/onnxpb \
	onnx.proto
