#!/usr/bin/python3
"""Writes the .npy/.npz fixtures of the black-box plugin's tests with numpy.

Needs the Debian package python3-numpy; run with /usr/bin/python3 from
plugins/blackbox/testdata (make fixtures does). The arrays are simple
formulas that the Go tests recompute independently, so numpy is the
reference writer for the npy reader and the table loader.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
npy_dir = os.path.join(here, "npy")
os.makedirs(npy_dir, exist_ok=True)


def ramp(shape, dtype, scale=0.25, offset=-1.0):
    """value of flat element i is offset + scale*i (row-major)."""
    n = int(np.prod(shape))
    return (offset + scale * np.arange(n, dtype=np.float64)).reshape(shape).astype(dtype)


def save(name, arr, version=None):
    path = os.path.join(npy_dir, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)


save("f4_c.npy", ramp((2, 3), np.float32))
save("f8_c.npy", ramp((2, 3, 2), np.float64))
save("f8_fortran.npy", np.asfortranarray(ramp((3, 4), np.float64)))
save("f4_fortran3d.npy", np.asfortranarray(ramp((2, 3, 4), np.float32)))
save("f4_big.npy", ramp((5,), ">f4"))
save("f8_big.npy", ramp((2, 2), ">f8"))
save("i4.npy", np.array([0, 2, 1, 2, 0], dtype=np.int32))
save("i8.npy", np.array([[3], [-1]], dtype=np.int64))
save("u1.npy", np.array([0, 255, 7], dtype=np.uint8))
save("b1.npy", np.array([True, False, True]))
save("f4_v2.npy", ramp((2, 2), np.float32), version=(2, 0))
save("f4_v3.npy", ramp((3,), np.float32), version=(3, 0))
save("f8_scalar.npy", np.float64(2.5) * np.ones((), dtype=np.float64))
save("f4_empty.npy", np.zeros((0, 3), dtype=np.float32))
save("f2.npy", ramp((2,), np.float16))
save("c8.npy", np.zeros((2,), dtype=np.complex64))
save("u8.npy", np.zeros((2,), dtype=np.uint64))

# Tables: x is a ramp of shape (6, 4); y is either probabilities (6, 3)
# (row i is one-hot at i % 3 mixed with uniform: 0.8*onehot + 0.2/3) or
# int64 class labels i % 3.
x = ramp((6, 4), np.float64, scale=0.125, offset=-1.5)
probs = 0.8 * np.eye(3)[np.arange(6) % 3] + 0.2 / 3
np.savez_compressed(os.path.join(here, "table_probs_f4.npz"),
                    x=x.astype(np.float32), y=probs.astype(np.float32))
np.savez(os.path.join(here, "table_labels_f8.npz"),
         x=x, y=(np.arange(6) % 3).astype(np.int64))
np.savez(os.path.join(here, "table_no_y.npz"), x=x)
np.savez(os.path.join(here, "table_rows_mismatch.npz"), x=x, y=np.arange(5))
