"""The softmax-regression model: logits = W x + b, read from the
"arthost-linear" JSON format (version 1) shared with the Go linear plugin."""

import json
import math

import numpy as np

MODEL_FORMAT = "arthost-linear"
MODEL_VERSION = 1


class ModelError(ValueError):
    """A model file that cannot be used; the message names the problem."""


def _finite_matrix(value, name):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ModelError(f"{name} is not numeric: {e}") from None
    if not np.all(np.isfinite(a)):
        raise ModelError(f"{name} has a non-finite value")
    return a


def parse_model(data):
    """Parses model bytes; raises ModelError naming the first problem."""
    try:
        f = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelError(f"parse model: {e}") from None
    if not isinstance(f, dict):
        raise ModelError("parse model: not a JSON object")
    if f.get("format") != MODEL_FORMAT:
        raise ModelError(f"model format {f.get('format')!r}, want {MODEL_FORMAT!r}")
    if f.get("version") != MODEL_VERSION:
        raise ModelError(f"model version {f.get('version')}, this plugin reads version {MODEL_VERSION}")
    w = f.get("weights")
    if not isinstance(w, list) or len(w) < 2:
        raise ModelError("model needs weights for at least 2 classes")
    if not all(isinstance(r, list) and len(r) == len(w[0]) for r in w) or len(w[0]) == 0:
        raise ModelError("weights rows must be non-empty and of equal length")
    w = _finite_matrix(w, "weights")
    b = _finite_matrix(f.get("bias"), "bias")
    if b.shape != (w.shape[0],):
        raise ModelError(f"bias has shape {b.shape} for {w.shape[0]} classes")
    clip = f.get("clip_values") or []
    if clip:
        clip = list(_finite_matrix(clip, "clip_values"))
        if len(clip) != 2 or not clip[0] < clip[1]:
            raise ModelError(f"clip_values {clip}: want [min, max] with min below max")
    return SoftmaxModel(w, b, clip)


class SoftmaxModel:
    """Weights W (k, d), bias b (k,), optional clip values [min, max]."""

    def __init__(self, w, b, clip):
        self.w, self.b, self.clip = w, b, clip

    @property
    def classes(self):
        return self.w.shape[0]

    @property
    def features(self):
        return self.w.shape[1]

    def logits(self, x):
        """x (n, d) float64 -> logits (n, k)."""
        return x @ self.w.T + self.b

    def probabilities(self, x):
        """Softmax of the logits, shifted by the row maximum so exp never overflows."""
        z = self.logits(x)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def loss(self, x, q):
        """Cross-entropy -sum_c q_c log p_c per row, for label rows q (n, k)."""
        z = self.logits(x)
        m = z.max(axis=1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return -(np.where(q > 0, q * logp, 0.0)).sum(axis=1)

    def loss_gradient(self, x, q):
        """d loss_i / d x_i = (p_i - q_i) W for rows whose q sums to 1."""
        return (self.probabilities(x) - q) @ self.w

    def class_gradient(self, x, classes=None):
        """d p_c / d x = p_c (W_c - p W): (n, k, d) for all classes, or
        (n, 1, d) for one class per row."""
        p = self.probabilities(x)
        mean_w = p @ self.w  # (n, d)
        if classes is None:
            return p[:, :, None] * (self.w[None, :, :] - mean_w[:, None, :])
        rows = np.arange(x.shape[0])
        pc = p[rows, classes]
        return (pc[:, None] * (self.w[classes] - mean_w))[:, None, :]


def _check():
    """A tiny self-check against central differences (run: python3 -m pysoftmax.model)."""
    rng = np.random.default_rng(1)
    m = SoftmaxModel(rng.normal(size=(3, 4)), rng.normal(size=3), [])
    x = rng.uniform(size=(2, 4))
    g = m.class_gradient(x)
    h = 1e-6
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd = (m.probabilities(x + e) - m.probabilities(x - e)) / (2 * h)
        assert np.allclose(fd, g[:, :, j], atol=1e-8), (fd, g[:, :, j])
    q = np.eye(3)[[0, 2]]
    gl = m.loss_gradient(x, q)
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd = (m.loss(x + e, q) - m.loss(x - e, q)) / (2 * h)
        assert np.allclose(fd, gl[:, j], atol=1e-7), (fd, gl[:, j])
    assert math.isclose(m.class_gradient(x, np.array([1, 2]))[1, 0, 3], g[1, 2, 3])
    print("ok")


if __name__ == "__main__":
    _check()
