#!/usr/bin/python3
"""Times torch (one thread) on the gradient methods ART's PyTorchClassifier
implements, on the fixture architectures.

Needs Debian's python3-torch. Usage: torch_grad_bench.py RUNS
Prints one line per (method, model, batch): "torch <method>:<model> <batch>
<median wall ns> <mean process CPU ns>".
  loss_gradient   forward, cross-entropy (sum), one backward to the input
  class_gradient  forward once, then one backward per class with
                  retain_graph (ART's class_gradient for all classes)
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import make_fixtures as mf  # noqa: E402


def loss_gradient(model, x, y):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    (g,) = torch.autograd.grad(loss, x)
    return g


def class_gradient(model, x, y):
    x = x.clone().requires_grad_(True)
    out = model(x)
    grads = []
    for c in range(out.shape[1]):
        (g,) = torch.autograd.grad(out[:, c], x, grad_outputs=torch.ones(out.shape[0]), retain_graph=True)
        grads.append(g)
    return torch.stack(grads, dim=1)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    models = [("mlp", mf.mlp, (64,)), ("cnn", mf.cnn, (1, 8, 8)), ("cnn2", mf.CNN2, (1, 8, 8))]
    for method, fn in (("loss_gradient", loss_gradient), ("class_gradient", class_gradient)):
        for name, make, shape in models:
            torch.manual_seed(0)
            model = make().eval()
            for batch in (1, 64, 256):
                x = torch.rand((batch,) + shape)
                y = torch.arange(batch) % 10
                n = runs if batch < 256 or method == "loss_gradient" else max(5, runs // 3)
                for _ in range(max(2, n // 5)):
                    fn(model, x, y)
                times = []
                c0 = time.process_time_ns()
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    fn(model, x, y)
                    times.append(time.perf_counter_ns() - t0)
                cpu = (time.process_time_ns() - c0) / n
                times.sort()
                print("torch %s:%s %d %d %d" % (method, name, batch, times[len(times) // 2], cpu), flush=True)


if __name__ == "__main__":
    main()
