#!/usr/bin/python3
"""Reference values for host/defences tests, computed with numpy, scipy and PIL.

Needs the Debian packages python3-numpy, python3-scipy and python3-pil.
Run from anywhere: /usr/bin/python3 host/defences/testdata/make_fixtures.py
It rewrites fixtures.json next to this script. The formulas below follow
ART's defences (art/defences/{pre,post}processor) as documented there.
"""
import io
import json
import os

import numpy as np
from PIL import Image
from scipy.ndimage import median_filter
from scipy.optimize import minimize

rng = np.random.default_rng(20261125)
out = {}


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}


# feature_squeezing: ART's formula with numpy rint (half to even).
def squeeze(x, lo, hi, bits):
    levels = np.rint(2**bits - 1)
    return np.rint((x - lo) / (hi - lo) * levels) / levels * (hi - lo) + lo


fs = []
x = rng.uniform(-0.2, 1.2, size=(3, 4, 5))
fs.append({"bit_depth": 3, "clip_values": [0, 1], "x": arr(x), "want": arr(squeeze(x, 0.0, 1.0, 3))})
lo, hi = np.array([0.0, -1.0, 0.5, 0.0, 0.0]), np.array([1.0, 1.0, 2.0, 4.0, 255.0])
x = rng.uniform(-1, 4, size=(2, 3, 5))
fs.append({"bit_depth": 4, "clip_values": [lo.tolist(), hi.tolist()], "x": arr(x), "want": arr(squeeze(x, lo, hi, 4))})
out["feature_squeezing"] = fs

# spatial_smoothing: scipy's median_filter, mode reflect, spatial axes only.
ss = []
for shape, window, first in [((2, 5, 6, 3), 3, False), ((2, 3, 5, 4), 2, True), ((1, 3, 4, 2), 5, False),
                             ((2, 3, 4, 5, 2), 3, False), ((1, 2, 3, 4, 5), 4, True), ((1, 6, 7, 1), 4, False)]:
    x = rng.integers(0, 10, size=shape).astype(np.float64) + rng.uniform(0, 0.1, size=shape)
    size = [window] * len(shape)
    size[0] = 1
    size[1 if first else len(shape) - 1] = 1
    if len(shape) == 5:
        size[2 if first else 1] = 1
    ss.append({"window_size": window, "channels_first": first, "x": arr(x),
               "want": arr(median_filter(x, size=tuple(size), mode="reflect"))})
x = rng.uniform(0, 1, size=(1, 4, 4, 1))
ss.append({"window_size": 3, "channels_first": False, "clip_values": [0.3, 0.6], "x": arr(x),
           "want": arr(np.clip(median_filter(x, size=(1, 3, 3, 1), mode="reflect"), 0.3, 0.6))})
out["spatial_smoothing"] = ss


# jpeg_compression: PIL (libjpeg) round trip of uint8 images, as ART does.
def pil_jpeg(img, mode, quality):
    buf = io.BytesIO()
    Image.fromarray(img, mode=mode).save(buf, format="jpeg", quality=quality)
    return np.array(Image.open(buf))


jp = []
for channels, quality, (h, w) in [(3, 50, (24, 32)), (3, 90, (24, 32)), (3, 75, (23, 31)), (1, 50, (24, 32)), (2, 75, (13, 9))]:
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(np.sin(xx / 7.0 + 2 * c) * np.cos(yy / 9.0 - c) + 1) * 0.5 for c in range(channels)], axis=-1)
    x = np.clip(base + rng.normal(0, 0.004, size=base.shape), 0, 1)[None]
    u8 = (x * 255).astype(np.uint8)[0]
    if channels == 3:
        want = pil_jpeg(u8, "RGB", quality)
    else:
        want = np.stack([pil_jpeg(np.ascontiguousarray(u8[..., c]), "L", quality) for c in range(channels)], axis=-1)
    jp.append({"quality": quality, "x": arr(x), "want": arr(want[None] / 255.0)})
out["jpeg_compression"] = jp


# thermometer_encoding: ART's _perchannel and estimate_gradient (clip (0, 1)).
def thermometer(x, lo, hi, ns, first):
    x = (np.clip(x, lo, hi) - lo) / (hi - lo)
    axis = 1 if first else x.ndim - 1
    x = np.moveaxis(x, axis, -1)
    pos = np.zeros(x.shape)
    for i in range(1, ns):
        pos[x > float(i) / ns] += 1
    onehot = (pos[..., None] == np.arange(ns)).astype(float)
    enc = np.flip(np.cumsum(np.flip(onehot, -1), -1), -1)
    enc = enc.reshape(x.shape[:-1] + (x.shape[-1] * ns,))
    return np.moveaxis(enc, -1, axis)


def thermo_grad(x, grad, ns):
    mask = np.stack([x > k / ns for k in range(ns)], axis=-1).reshape(x.shape[:-1] + (x.shape[-1] * ns,))
    g = grad * mask
    return g.reshape(g.shape[:-1] + (x.shape[-1], ns)).sum(-1)


th = []
for shape, ns, lo, hi, first in [((2, 3, 3), 10, 0.0, 1.0, False), ((2, 2, 3, 4), 4, -1.0, 3.0, True), ((3, 5), 7, 0.0, 255.0, False)]:
    x = rng.uniform(lo - 0.3 * (hi - lo), hi + 0.3 * (hi - lo), size=shape)
    th.append({"num_space": ns, "clip_values": [lo, hi], "channels_first": first, "x": arr(x),
               "want": arr(thermometer(x, lo, hi, ns, first))})
x = rng.uniform(0, 1, size=(2, 3, 4))
g = rng.normal(size=(2, 3, 4 * 5))
out["thermometer_encoding"] = th
out["thermometer_gradient_art"] = {"num_space": 5, "x": arr(x), "grad": arr(g), "want": arr(thermo_grad(x, g, 5))}


# total_var_min: ART's _loss_func, and the minimum of the convex objective:
# L-BFGS-B on smoothed versions (each |.| and norm with eps^2 added under
# the root), eps shrinking to 1e-9, each run started where the last ended;
# the reported minimum is ART's loss at the final point.
def tv_loss(z, x, mask, norm, lamb):
    res = np.sqrt(np.power(z - x.flatten(), 2).dot(mask.flatten()))
    z = np.reshape(z, x.shape)
    res += lamb * np.linalg.norm(z[1:, :] - z[:-1, :], norm, axis=1).sum()
    res += lamb * np.linalg.norm(z[:, 1:] - z[:, :-1], norm, axis=0).sum()
    return res


def tv_smooth(z, x, mask, norm, lamb, eps):
    res = np.sqrt(np.power(z - x.flatten(), 2).dot(mask.flatten()) + eps**2)
    z = np.reshape(z, x.shape)
    for d, axis in ((z[1:, :] - z[:-1, :], 1), (z[:, 1:] - z[:, :-1], 0)):
        res += lamb * (np.power(d**2 + eps**2, norm / 2.0).sum(axis=axis) ** (1.0 / norm)).sum()
    return res


tv = []
for norm, lamb in [(1, 0.1), (2, 0.5), (3, 0.3)]:
    x = rng.uniform(0, 1, size=(5, 6))
    mask = (rng.uniform(size=x.shape) < 0.5).astype(float)
    z = rng.uniform(0, 1, size=x.shape)
    cur = x.flatten()
    for eps in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9):
        r = minimize(tv_smooth, cur, (x, mask, norm, lamb, eps), method="L-BFGS-B",
                     options={"maxiter": 100000, "maxfun": 1000000, "ftol": 1e-15, "gtol": 1e-12})
        cur = r.x
    tv.append({"norm": norm, "lamb": lamb, "x": arr(x), "mask": arr(mask), "z": arr(z),
               "loss_at_z": float(tv_loss(z.flatten(), x, mask, norm, lamb)),
               "min": float(tv_loss(cur, x, mask, norm, lamb))})
out["total_var_min"] = tv


# reverse_sigmoid: ART's formula, binary (one column) case.
def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def rs_binary(p, beta, gamma):
    c1 = np.clip(p, 1e-9, 1 - 1e-9)
    c2 = 1 - c1
    r1 = beta * (sigmoid(-gamma * np.log((1 - c1) / c1)) - 0.5)
    r2 = beta * (sigmoid(-gamma * np.log((1 - c2) / c2)) - 0.5)
    p1 = np.clip(p - r1, 0, 1)
    p2 = np.clip(1 - p - r2, 0, 1)
    return p1 / (p1 + p2)


p = np.array([[0.0], [1e-12], [0.2], [0.5], [0.73], [1.0]])
out["reverse_sigmoid_binary"] = {"beta": 0.7, "gamma": 0.3, "x": arr(p), "want": arr(rs_binary(p, 0.7, 0.3))}

# rounded: numpy.around, half to even after scaling, in float64 and float32.
vals = np.array([[0.0005, 0.0015, 0.0025, 2.675, -0.0005, 0.12345678, 0.9999, 1e-7, 0.5, 0.3335]])
out["rounded"] = {"decimals": 3, "x": arr(vals), "want64": arr(np.around(vals, 3)),
                  "want32": arr(np.around(vals.astype(np.float32), 3).astype(np.float64)),
                  "want32_5": arr(np.around(vals.astype(np.float32), 5).astype(np.float64))}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json"), "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
