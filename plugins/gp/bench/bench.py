#!/usr/bin/python3
"""Side-by-side timing of plugins/gp against scikit-learn, in one run.

Needs Debian packages: python3-numpy, python3-sklearn; and the go tool.
Run from the repository root (make bench calls it):

    /usr/bin/python3 plugins/gp/bench/bench.py [--count 5]

It writes one moons data set (sklearn.datasets.make_moons, noise 0.3,
random_state 0: 2000 training rows + 1000 test rows) to a temporary file,
runs the Go benchmarks of plugins/gp/internal/gpc on that same data
(GP_BENCH_DATA), times scikit-learn's GaussianProcessClassifier with the
same kernel, 1.0 * RBF(1.0), on it, and prints medians with min-max spread
and the ratios scikit-learn / arthost. Fit is at fixed hyperparameters
(optimizer=None) at n = 200, 1000, 2000, plus L-BFGS hyperparameter
optimisation at n = 200; predict is predict_proba of the 1000 test rows.
The last line compares the analytic class gradient with the
finite-difference option at 64 features.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import make_moons
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF, ConstantKernel as C

PKG = "./plugins/gp/internal/gpc/"
LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op")


def go_bench(pattern, env, count, benchtime):
    cmd = ["go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
           "-count", str(count), PKG]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            res.setdefault(m.group(1), []).append(float(m.group(2)) / 1e9)
    return res


def sk_time(f, count):
    ts = []
    for _ in range(count):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return ts


def fmt(ts):
    return "%9.4fs [%.4f-%.4f]" % (statistics.median(ts), min(ts), max(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5)
    args = ap.parse_args()
    X, y = make_moons(n_samples=3000, noise=0.3, random_state=0)
    Xtr, ytr, Xte = X[:2000], y[:2000], X[2000:]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"x": Xtr.tolist(), "y": ytr.tolist(), "x_test": Xte.tolist()}, f)
        path = f.name
    try:
        env = dict(os.environ, GP_BENCH_DATA=path)
        go = go_bench("BenchmarkFit|BenchmarkPredict", env, args.count, "1x")
        go.update(go_bench("BenchmarkClassGradient", env, args.count, "200x"))
    finally:
        os.unlink(path)

    rows = []
    for n in (200, 1000, 2000):
        fitted = []

        def fit():
            g = GaussianProcessClassifier(kernel=C(1.0) * RBF(1.0), optimizer=None).fit(Xtr[:n], ytr[:n])
            fitted.append(g)
        rows.append(("fit n=%d" % n, go["BenchmarkFit/n=%d" % n], sk_time(fit, args.count)))
        g = fitted[-1]
        rows.append(("predict n=%d (1000 rows)" % n, go["BenchmarkPredict/n=%d" % n],
                     sk_time(lambda: g.predict_proba(Xte), args.count)))
    rows.append(("fit+optimise n=200", go["BenchmarkFit/optimize/n=200"],
                 sk_time(lambda: GaussianProcessClassifier(kernel=C(1.0) * RBF(1.0)).fit(Xtr[:200], ytr[:200]),
                         args.count)))

    print("%-26s %-28s %-28s %s" % ("case", "arthost gp (median [min-max])", "scikit-learn", "sklearn/arthost"))
    for name, a, s in rows:
        print("%-26s %-28s %-28s %6.2fx" % (name, fmt(a), fmt(s), statistics.median(s) / statistics.median(a)))
    for n in (200, 1000):
        print("%-26s %-28s %-28s" % ("fit ep n=%d" % n, fmt(go["BenchmarkFit/ep/n=%d" % n]), "(no counterpart)"))
    an = go["BenchmarkClassGradient/d=64/analytic"]
    fd = go["BenchmarkClassGradient/d=64/finite-difference"]
    print("%-26s %-28s %-28s %6.2fx (target >= 20x)" % ("class_gradient d=64", "analytic " + fmt(an),
                                                        "finite-diff " + fmt(fd),
                                                        statistics.median(fd) / statistics.median(an)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
