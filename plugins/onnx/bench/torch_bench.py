#!/usr/bin/python3
"""Times torch (one thread, eval, no_grad) on the benchmark models.

Needs Debian's python3-torch. Usage: torch_bench.py RUNS
Prints one line per (model, batch): "torch <model> <batch> <median wall ns>
<mean process CPU ns>" (CPU time is robust to other load on a shared machine).
The models are rebuilt from plugins/onnx/fixtures/make_fixtures.py (same
architectures as the ONNX files arthost runs; weights do not change the time).
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import make_fixtures as mf  # noqa: E402


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    torch.set_num_threads(1)
    models = [("mlp", mf.mlp, (64,)), ("cnn", mf.cnn, (1, 8, 8))]
    if os.environ.get("ARTHOST_BENCH_MODELS"):
        models.append(("resnet18", mf.resnet18, (3, 32, 32)))
    for name, make, shape in models:
        torch.manual_seed(0)
        model = make().eval()
        for batch in ((1, 16) if name == "resnet18" else (1, 64, 256)):
            x = torch.rand((batch,) + shape)
            n = runs if name != "resnet18" else max(3, runs // 10)
            with torch.no_grad():
                for _ in range(max(2, n // 5)):
                    model(x)
                times = []
                c0 = time.process_time_ns()
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    model(x)
                    times.append(time.perf_counter_ns() - t0)
                cpu = (time.process_time_ns() - c0) / n
            times.sort()
            print("torch %s %d %d %d" % (name, batch, times[len(times) // 2], cpu), flush=True)


if __name__ == "__main__":
    main()
