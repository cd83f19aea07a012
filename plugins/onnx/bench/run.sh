#!/bin/sh
# run.sh: `make bench` for the ONNX plugin. Times arthost's Predict (go test
# -bench, one thread), torch (one thread) and ONNX Runtime (onnxruntime-node,
# one thread) on the fixture MLP and CNN and a ResNet-18-sized CNN, in the
# same run, and prints arthost/torch and arthost/ORT time ratios (medians).
# A side whose runtime is absent is skipped with a message.
#
# Needs: go; optional /usr/bin/python3 with python3-torch (torch side and
# the ResNet-18 export), node + onnxruntime-node@1.30.0 (ORT side; found via
# $ORT_NODE_PATH or /tmp/ort/node_modules, install with
#   mkdir -p /tmp/ort && cd /tmp/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0).
# RUNS (default 50) sets the repetitions per measurement.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
runs=${RUNS:-50}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/results.txt"
: >"$out"

if $py -c 'import torch' 2>/dev/null; then
	echo "bench: exporting the ResNet-18-sized CNN to $work" >&2
	$py "$plugin/fixtures/make_fixtures.py" --bench "$work" >/dev/null 2>&1 || echo "bench: resnet18 export failed; skipping it" >&2
fi
if [ -f "$work/resnet18.onnx" ]; then
	export ARTHOST_BENCH_MODELS="$work"
fi

echo "bench: arthost (go test -bench, count=$((runs / 10 + 1)))" >&2
{
	(cd "$plugin" && go test -run '^$' -bench 'BenchmarkPredict/model=(mlp|cnn)/' -benchtime 300ms -count $((runs / 10 + 1)) .)
	if [ -n "${ARTHOST_BENCH_MODELS:-}" ]; then
		(cd "$plugin" && go test -run '^$' -bench 'BenchmarkPredict/model=resnet18/' -benchtime 3x -count 3 .)
	fi
} |
	awk '/^BenchmarkPredict\// {
		split($1, p, "/"); sub("model=", "", p[2]); b = p[3]; sub("batch=", "", b); sub("-[0-9]+$", "", b)
		key = p[2] " " b
		n[key]++; wall[key, n[key]] = $3 + 0; cpu[key, n[key]] = $5 + 0
	}
	function median(a, k, m,   i, j, t, v) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((m + 1) / 2)]
	}
	END { for (k in n) print "arthost", k, median(wall, k, n[k]), median(cpu, k, n[k]) }' >>"$out"

if $py -c 'import torch' 2>/dev/null; then
	echo "bench: torch (1 thread)" >&2
	$py "$here/torch_bench.py" "$runs" >>"$out"
else
	echo "bench: torch not installed (apt-get install python3-torch); skipping the torch side" >&2
fi

ortpath=${ORT_NODE_PATH:-/tmp/ort/node_modules/onnxruntime-node}
if command -v node >/dev/null 2>&1 && [ -d "$ortpath" ]; then
	echo "bench: ONNX Runtime (onnxruntime-node, 1 thread)" >&2
	set -- "mlp=$plugin/testdata/mlp.onnx:64" "cnn=$plugin/testdata/cnn.onnx:1,8,8"
	if [ -f "$work/resnet18.onnx" ]; then set -- "$@" "resnet18=$work/resnet18.onnx:3,32,32"; fi
	ORT_NODE_PATH="$ortpath" node "$here/ort_bench.js" "$runs" "$@" >>"$out" || echo "bench: ORT run failed; skipping it" >&2
else
	echo "bench: node or onnxruntime-node absent ($ortpath); skipping the ORT side" >&2
fi

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) on $(nproc) CPUs" >&2
$py "$here/ratios.py" <"$out"
