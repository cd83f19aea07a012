#!/bin/sh
# Regenerates the Python stubs in arthost_pb/ from the published contract
# (shared/proto/arthost/v1/estimator.proto and direct.proto) and from proto/ (the gRPC health
# service and go-plugin's controller and stdio services).
# Needs Debian's python3-grpc-tools: apt-get install -y python3-grpc-tools
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$here/arthost_pb"
PYTHON=${PYTHON:-/usr/bin/python3}
rm -f "$out"/*_pb2.py "$out"/*_pb2_grpc.py
"$PYTHON" -m grpc_tools.protoc -I "$root/shared/proto/arthost/v1" -I /usr/include \
	--python_out="$out" --grpc_python_out="$out" estimator.proto direct.proto
"$PYTHON" -m grpc_tools.protoc -I "$here/proto" -I /usr/include \
	--python_out="$out" --grpc_python_out="$out" health.proto goplugin.proto
# The generated *_grpc modules import their messages as top-level modules;
# make them package-relative so arthost_pb needs no sys.path tweak.
for f in "$out"/*_pb2_grpc.py; do
	sed -i 's/^import \([a-z_]*_pb2\) as /from . import \1 as /' "$f"
done
