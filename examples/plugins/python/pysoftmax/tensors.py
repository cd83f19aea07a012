"""The wire tensor codec and the checks the Go SDK makes before calling an
estimator: row-major little-endian bytes whose length is prod(shape) *
itemsize, a non-empty finite float batch of the model's sample shape, and
labels as class indices or one-hot / probability rows."""

import math

import numpy as np

from arthost_pb import estimator_pb2 as pb

_DTYPES = {
    pb.DTYPE_FLOAT32: np.dtype("<f4"),
    pb.DTYPE_FLOAT64: np.dtype("<f8"),
    pb.DTYPE_INT64: np.dtype("<i8"),
}
_NAMES = {pb.DTYPE_FLOAT32: "float32", pb.DTYPE_FLOAT64: "float64", pb.DTYPE_INT64: "int64"}


class BadInput(ValueError):
    """Input the caller must fix; answered with InvalidArgument."""


def decode(t, what="input"):
    """Wire tensor -> numpy array (a copy, native byte order)."""
    if t is None or t.dtype not in _DTYPES:
        raise BadInput(f"{what}: dtype {getattr(t, 'dtype', None)} is not float32, float64 or int64")
    shape = tuple(t.shape)
    if any(s < 0 for s in shape):
        raise BadInput(f"{what}: negative dimension in shape {list(shape)}")
    dt = _DTYPES[t.dtype]
    n = math.prod(shape)  # Python ints: no overflow on hostile shapes
    if len(t.data) != n * dt.itemsize:
        raise BadInput(f"{what}: {len(t.data)} data bytes for shape {list(shape)} of {_NAMES[t.dtype]} (want {n * dt.itemsize})")
    return np.frombuffer(t.data, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))


def encode(a, like):
    """numpy array -> wire tensor in the dtype of the wire tensor `like`."""
    dt = _DTYPES[like.dtype]
    a = np.ascontiguousarray(a, dtype=dt)
    return pb.Tensor(dtype=like.dtype, shape=list(a.shape), data=a.tobytes())


def check_input(t, features):
    """Decodes x and checks it is a non-empty finite float (n, features) batch;
    returns it as float64."""
    x = decode(t)
    if t.dtype == pb.DTYPE_INT64:
        raise BadInput("input dtype int64, want float32 or float64")
    if x.ndim == 0 or x.shape[0] == 0:
        raise BadInput(f"input shape {list(x.shape)}: empty batch")
    if x.ndim != 2 or x.shape[1] != features:
        raise BadInput(f"input shape {list(x.shape)}, want (n, {features})")
    bad = np.argwhere(~np.isfinite(x))
    if bad.size:
        i = tuple(bad[0])
        raise BadInput(f"input has {x[i]} at index {list(i)}")
    return x.astype(np.float64)


def labels(t, n, k):
    """Labels as class indices ((n,) or (n,1) whole numbers) or rows of
    probabilities ((n, k)) -> (n, k) float64 probability rows."""
    y = decode(t, "labels")
    if y.ndim == 0 or y.shape[0] != n:
        raise BadInput(f"labels: shape {list(y.shape)} does not match {n} samples")
    if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and k != 1):
        v = y.reshape(n).astype(np.float64)
        for i, c in enumerate(v):
            if not np.isfinite(c) or c != np.trunc(c):
                raise BadInput(f"labels: row {i} is {c}, not a class index")
            if c < 0 or c >= k:
                raise BadInput(f"labels: row {i} is class {int(c)}, out of range [0,{k})")
        return np.eye(k)[v.astype(np.int64)]
    if y.ndim == 2 and y.shape[1] == k:
        q = y.astype(np.float64)
        bad = np.argwhere(~np.isfinite(q) | (q < 0))
        if bad.size:
            i, j = bad[0]
            raise BadInput(f"labels: row {i} column {j} is {q[i, j]}, not a probability")
        s = q.sum(axis=1)
        off = np.flatnonzero(np.abs(s - 1) > 1e-4)
        if off.size:
            raise BadInput(f"labels: row {off[0]} sums to {s[off[0]]}, want 1 (one-hot or probabilities)")
        return q
    raise BadInput(f"labels: shape {list(y.shape)}, want ({n},) indices or ({n}, {k}) one-hot")


def classes(values, n, k):
    """The wire class list -> None (all classes) or one class per row."""
    values = list(values)
    if not values:
        return None
    if len(values) not in (1, n):
        raise BadInput(f"{len(values)} class labels for {n} samples, want none, 1 or {n}")
    for c in values:
        if c < 0 or c >= k:
            raise BadInput(f"label {c} out of range [0,{k})")
    return np.array(values * n if len(values) == 1 else values, dtype=np.int64)
