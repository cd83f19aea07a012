#!/usr/bin/python3
"""Time scikit-learn's predict_proba on the rows BenchmarkPredictProba uses.

Needs Debian's python3-sklearn. Refits the fixture models exactly as
fixtures/make_fixtures.py does (same data, same random_state), tiles each
fixture's held-out rows to 1000 rows, and prints one line per model:

    <fixture name> <median seconds per call> <spread: (max-min)/median>

predict_proba is timed; for models without it, predict. Run by bench.sh,
which puts these next to the Go numbers.
"""

import json
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import make_fixtures as mf  # noqa: E402

ROWS = 1000


def main():
    names = sys.argv[1:]
    warnings.filterwarnings("ignore")
    data = mf.datasets()
    testdata = os.path.join(HERE, "..", "testdata")
    try:
        from threadpoolctl import threadpool_info
        blas = ["%s/%s" % (i.get("internal_api"), i.get("architecture")) for i in threadpool_info()]
        print("# sklearn threadpools: %s" % ", ".join(blas), file=sys.stderr)
    except ImportError:
        pass
    for name in names:
        ds, fam = name.split("__", 1)
        Xtr, Xte, ytr, yte = data[ds]
        model, scaled = mf.families(len(np.unique(ytr)) == 2)[fam]
        scale = mf.standardiser(Xtr)
        model.fit(scale(Xtr) if scaled else Xtr, ytr)
        with open(os.path.join(testdata, "expect", name + ".json")) as f:
            rows = np.array(json.load(f)["x"])
        X = np.ascontiguousarray(np.tile(rows, (ROWS // len(rows) + 1, 1))[:ROWS])
        fn = model.predict_proba if mf.has_proba(model) else model.predict
        fn(X)
        times = []
        deadline = time.perf_counter() + 2.0
        while len(times) < 5 or (time.perf_counter() < deadline and len(times) < 200):
            t0 = time.perf_counter()
            fn(X)
            times.append(time.perf_counter() - t0)
        med = float(np.median(times))
        print("%s %.9f %.3f" % (name, med, (max(times) - min(times)) / med))


if __name__ == "__main__":
    main()
