#!/usr/bin/python3
"""Make the models of the arthost demo from scikit-learn's digits data.

Needs Debian packages: python3-torch python3-sklearn python3-numpy python3-onnx
(run with /usr/bin/python3), and bin/arthost with its plugins built (make build):
the Gaussian process is fitted by arthost's own gp plugin.

Every model trains on the first 1437 rows of load_digits() (pixels scaled
from 0..16 to [0, 1]); the last 360 rows, in digits_test.npz (make_data.py),
are never seen. Writes next to this script:
  cnn.onnx  a PyTorch CNN (Conv 8x3x3, BatchNorm, ReLU, MaxPool, Linear) on
            (n, 1, 8, 8) images, exported with torch.onnx.export, logits out
  svc.json  a scikit-learn SVC (rbf, probability=True) on 64 flat pixels,
            exported with plugins/sklearn/export/arthost_sklearn_export.py
  gp.json   a Gaussian-process classifier (Laplace, RBF) on 64 flat pixels,
            fitted on 300 training rows by `arthost fit --plugin gp`
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.svm import SVC

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TEST_ROWS = 360
GP_ROWS = 300

sys.path.insert(0, os.path.join(ROOT, "plugins", "sklearn", "export"))
from arthost_sklearn_export import export  # noqa: E402


def data():
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    return x[:-TEST_ROWS], y[:-TEST_ROWS], x[-TEST_ROWS:], y[-TEST_ROWS:]


def cnn(xtr, ytr, xte, yte):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10))
    xs, ys = torch.tensor(xtr.reshape(-1, 1, 8, 8)), torch.tensor(ytr)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    for _ in range(40):
        model.train()
        for idx in torch.randperm(len(xs), generator=gen).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xs[idx]), ys[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(torch.tensor(xte.reshape(-1, 1, 8, 8))).argmax(1).numpy() == yte).mean()
    path = os.path.join(HERE, "cnn.onnx")
    torch.onnx.export(model, xs[:1], path, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    print(f"cnn.onnx: test accuracy {acc:.3f}")


def svc(xtr, ytr, xte, yte):
    model = SVC(kernel="rbf", gamma="scale", C=10.0, probability=True, random_state=0).fit(xtr, ytr)
    export(model, os.path.join(HERE, "svc.json"))
    print(f"svc.json: test accuracy {model.score(xte, yte):.3f}, {model.support_vectors_.shape[0]} support vectors")


def gp(xtr, ytr, xte, yte):
    arthost = os.path.join(ROOT, "bin", "arthost")
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), xtr[:GP_ROWS].astype(np.float64))
        np.save(os.path.join(tmp, "y.npy"), ytr[:GP_ROWS])
        np.save(os.path.join(tmp, "xte.npy"), xte.astype(np.float64))
        out = os.path.join(HERE, "gp.json")
        run = [arthost, "--plugin-dir", os.path.join(ROOT, "bin")]
        subprocess.run(run + ["fit", "--plugin", "gp", "--opt", "kernel=rbf", "--opt", "lengthscale=2",
                              "--opt", "variance=4", "--opt", "optimize=false", "--opt", f"nb_features={xtr.shape[1]}",
                              "--input", os.path.join(tmp, "x.npy"), "--labels", os.path.join(tmp, "y.npy"),
                              "--save", out], check=True)
        subprocess.run(run + ["predict", "--plugin", "gp", "--model", out, "--input", os.path.join(tmp, "xte.npy"),
                              "--output", os.path.join(tmp, "p.npy")], check=True)
        acc = (np.load(os.path.join(tmp, "p.npy")).argmax(1) == yte).mean()
    print(f"gp.json: test accuracy {acc:.3f} ({GP_ROWS} training rows)")


def main():
    xtr, ytr, xte, yte = data()
    cnn(xtr, ytr, xte, yte)
    svc(xtr, ytr, xte, yte)
    gp(xtr, ytr, xte, yte)


if __name__ == "__main__":
    main()
