#!/usr/bin/python3
"""Export scikit-learn's digits test split for the arthost examples.

Needs Debian packages: python3-numpy python3-sklearn (run with /usr/bin/python3).

Writes digits_test.npz next to this script: x float32 (360, 1, 8, 8), the 8x8
images scaled from 0..16 to [0, 1], and y int64 (360,), the classes 0-9. The
rows are the last 360 of load_digits() in its fixed order, so models trained
on the first 1437 rows (load_digits()[:-360]) never see them.
"""
import os

import numpy as np
from sklearn.datasets import load_digits

TEST_ROWS = 360


def main():
    d = load_digits()
    x = (d.data[-TEST_ROWS:] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target[-TEST_ROWS:].astype(np.int64)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits_test.npz")
    np.savez(out, x=x, y=y)
    print(f"wrote {out}: x {x.dtype} {x.shape}, y {y.dtype} {y.shape}, classes {np.bincount(y).tolist()}")


if __name__ == "__main__":
    main()
