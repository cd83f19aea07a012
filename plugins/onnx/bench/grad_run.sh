#!/bin/sh
# grad_run.sh: the gradient half of `make bench` for the ONNX plugin (issue 4).
# Times arthost's LossGradient and all-class ClassGradient (go test -bench,
# one thread) and torch (one thread; loss_gradient = forward + one
# backward, class_gradient = forward + one backward per class as ART's
# PyTorchClassifier does) on the fixture MLP, CNN and CNN2 at batch 1, 64
# and 256, in the same run, and prints arthost/torch ratios of process CPU
# time (medians over repetitions; wall-clock ratios in brackets).
#
# Needs: go; optional /usr/bin/python3 with python3-torch (the torch side is
# skipped with a message when absent). RUNS (default 30) sets repetitions.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
runs=${RUNS:-30}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/results.txt"
: >"$out"

echo "bench: arthost gradients (go test -bench, count=$((runs / 10 + 1)))" >&2
(cd "$plugin" && go test -run '^$' -bench 'Benchmark(LossGradient|ClassGradient)/' -benchtime 200ms -count $((runs / 10 + 1)) .) |
	awk '/^Benchmark(LossGradient|ClassGradient)\// {
		split($1, p, "/"); m = (p[1] ~ /Loss/) ? "loss_gradient" : "class_gradient"
		sub("model=", "", p[2]); b = p[3]; sub("batch=", "", b); sub("-[0-9]+$", "", b)
		key = m ":" p[2] " " b
		n[key]++; wall[key, n[key]] = $3 + 0; cpu[key, n[key]] = $5 + 0
	}
	function median(a, k, m,   i, j, t, v) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((m + 1) / 2)]
	}
	END { for (k in n) print "arthost", k, median(wall, k, n[k]), median(cpu, k, n[k]) }' >>"$out"

if $py -c 'import torch' 2>/dev/null; then
	echo "bench: torch gradients (1 thread)" >&2
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $py "$here/torch_grad_bench.py" "$runs" >>"$out"
else
	echo "bench: torch not installed (apt-get install python3-torch); skipping the torch side" >&2
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) on $(nproc) CPUs" >&2
$py "$here/grad_ratios.py" <"$out"
