#!/usr/bin/python3
"""A keep-running prediction program for the black-box plugin's command source.

Needs the Debian package python3-numpy. It is the documented framing in
its simplest form: read one .npy batch from stdin, write one .npy array
of probabilities to stdout, flush, repeat until stdin ends.

    source=command command="/usr/bin/python3 softmax_model.py --weights W.npy"

Here the weights are given inline (K rows of D comma-separated values,
rows separated by ';') so the test needs no file.
"""
import argparse
import sys

import numpy as np


class Reader:
    """Hides the file descriptor so numpy reads exactly one array through read()."""

    def __init__(self, f):
        self.f = f

    def read(self, n):
        return self.f.read(n)


class Writer:
    """Hides the file descriptor so numpy writes through write()."""

    def __init__(self, f):
        self.f = f

    def write(self, b):
        return self.f.write(b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-w", required=True, help="K rows of D values: 'a,b;c,d'")
    p.add_argument("-b", required=True, help="K biases: 'a,b'")
    args = p.parse_args()
    w = np.array([[float(v) for v in row.split(",")] for row in args.w.split(";")])
    b = np.array([float(v) for v in args.b.split(",")])
    stdin, stdout = Reader(sys.stdin.buffer), Writer(sys.stdout.buffer)
    while True:
        if not sys.stdin.buffer.peek(1):
            return  # end of input: exit cleanly
        x = np.lib.format.read_array(stdin, allow_pickle=False)
        z = x.reshape(len(x), -1).astype(np.float64) @ w.T + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        np.lib.format.write_array(stdout, p, allow_pickle=False)
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
