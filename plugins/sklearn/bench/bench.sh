#!/usr/bin/env bash
# Prints arthost/scikit-learn time ratios of predict_proba on 1000 rows, per
# family, both measured in this run and interleaved family by family (so a
# busy machine slows both sides alike). Go side: BenchmarkPredictProba in
# plugins/sklearn (in process, no gRPC). scikit-learn side: bench/compare.py
# with Debian's python3-sklearn; skipped when it is absent.
#
# ratio compares arthost's mean time per call (median of COUNT runs) with
# sklearn's median single call; ratio_call compares medians of single calls
# on both sides (arthost: median over the runs of each run's median call),
# which a busy machine's interruptions skew less. Each Go run makes 200
# calls, as compare.py makes up to 200 after a warm-up: with 20 a run's
# calls still paid for page faults and garbage collection of a cold heap.
#
#   plugins/sklearn/bench/bench.sh            # from the repository root
#   COUNT=5 BENCHTIME=200x plugins/sklearn/bench/bench.sh
#
# OpenBLAS: some machines set OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE to work
# around old OpenBLAS bugs; they slow a current numpy, so they are unset for
# the scikit-learn timing command only (compare.py prints the kernel it
# then uses). Tests never change them.
set -euo pipefail
cd "$(dirname "$0")/../../.."

COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-200x}
FAMILIES=$(sed -n '/^var benchFamilies = \[\]string{/,/^}/p' plugins/sklearn/bench_test.go | grep -o '"[a-z_]*__[a-z_]*"' | tr -d '"')

have_sklearn=1
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || have_sklearn=0
[ "$have_sklearn" = 1 ] || echo "# python3-sklearn not installed: scikit-learn timings skipped"

go test -c -o /tmp/arthost-sklearn-bench.test ./plugins/sklearn/ >/dev/null
printf '%-40s %12s %8s %12s %8s %8s %12s %10s\n' family arthost_ms spread sklearn_ms spread ratio arthost_call ratio_call
for f in $FAMILIES; do
	# Median and spread ((max-min)/median) of COUNT runs of ns/op.
	raw=$(cd plugins/sklearn && /tmp/arthost-sklearn-bench.test -test.run '^$' \
		-test.bench "BenchmarkPredictProba/family=${f}\$" -test.benchtime "$BENCHTIME" -test.count "$COUNT")
	go_line=$(echo "$raw" | awk '/^BenchmarkPredictProba/ {print $3}' | sort -g |
		awk '{v[NR]=$1} END {m=v[int((NR+1)/2)]; printf "%.3f %.2f", m/1e6, (v[NR]-v[1])/m}')
	go_ms=${go_line% *}; go_spread=${go_line#* }
	go_call=$(echo "$raw" | awk '/^BenchmarkPredictProba/ {print $5}' | sort -g |
		awk '{v[NR]=$1} END {printf "%.3f", v[int((NR+1)/2)]}')
	if [ "$have_sklearn" = 1 ]; then
		py_line=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 plugins/sklearn/bench/compare.py "$f" 2>/dev/null)
		set -- $py_line
		sk_ms=$(awk -v s="$2" 'BEGIN {printf "%.3f", s*1e3}')
		ratio=$(awk -v a="$go_ms" -v b="$sk_ms" 'BEGIN {printf "%.2f", a/b}')
		ratio_call=$(awk -v a="$go_call" -v b="$sk_ms" 'BEGIN {printf "%.2f", a/b}')
		printf '%-40s %12s %8s %12s %8s %8s %12s %10s\n' "$f" "$go_ms" "$go_spread" "$sk_ms" "$3" "$ratio" "$go_call" "$ratio_call"
	else
		printf '%-40s %12s %8s %12s %8s %8s %12s %10s\n' "$f" "$go_ms" "$go_spread" - - - "$go_call" -
	fi
done
rm -f /tmp/arthost-sklearn-bench.test
echo "# ratio = arthost/sklearn median time per call of 1000 rows; < 1 means arthost is faster"
echo "# ratio_call = the same from median single calls on both sides"
