# SPDX-License-Identifier: Apache-2.0
"""A small, literal numpy reference of docs/DESIGN.md (section 1), written for the tests.

Deliberately slow: every breakpoint is walked, erosions are done one at a time.
It does not call libconseco.
"""
import math
from fractions import Fraction

import numpy as np


def values(pred):
    """The scores a map means: uint8 / 255, uint16 / 65535, floats as they are, bool 0/1."""
    if pred.dtype == np.uint8:
        return pred.astype(np.float64) / 255.0
    if pred.dtype == np.uint16:
        return pred.astype(np.float64) / 65535.0
    if pred.dtype == np.bool_:
        return pred.astype(np.float64)
    return pred.astype(np.float64)


def afp_ok(inner, truth, n_yhat, tau):
    if n_yhat == 0:
        return True
    kept = int(np.count_nonzero(inner & ~truth))
    return np.float64(kept) / np.float64(n_yhat) <= tau


def threshold_score(pred, truth, tau, base=0.5, top=1.0):
    s = values(pred)
    truth = truth != 0
    yhat = s >= base
    n = int(yhat.sum())
    if n == 0:
        return base
    cands = sorted({base, top} | {float(v) for v in s[yhat] if v <= top})
    for lam in cands:
        if afp_ok(s >= lam, truth, n, tau):
            return lam
    return math.inf


def _offsets(element, nd, radius=1):
    rng = range(-radius, radius + 1)
    if nd == 2:
        offs = [(0, dy, dx) for dy in rng for dx in rng]
    else:
        offs = [(dz, dy, dx) for dz in rng for dy in rng for dx in rng]
    if element == "cross":
        return [o for o in offs if sum(abs(v) for v in o) <= 1]
    if element == "square":
        return offs
    return [o for o in offs if o[0] ** 2 + o[1] ** 2 + o[2] ** 2 <= radius ** 2]  # disk


def _erode(mask3, offsets, border):
    d, h, w = mask3.shape
    pad = max(max(abs(v) for v in o) for o in offsets) if offsets else 0
    big = np.pad(mask3, pad, constant_values=(border == "foreground"))
    out = np.ones_like(mask3)
    for dz, dy, dx in offsets:
        out &= big[pad + dz:pad + dz + d, pad + dy:pad + dy + h, pad + dx:pad + dx + w]
    return out & mask3


def erosion_inner(pred, lam, element="cross", border="foreground", base=0.5):
    """I_lam: Yhat eroded ceil(lam) times (cross/square) or once by the disk of radius ceil(lam)."""
    s = values(pred)
    yhat = s >= base
    if lam == math.inf:
        return np.zeros_like(yhat)
    steps = max(0, math.ceil(lam))
    m = yhat.reshape((1,) + yhat.shape) if yhat.ndim == 2 else yhat.copy()
    nd = yhat.ndim
    if element == "disk":
        if steps > 0:  # radii beyond the image's extent all give the same set
            m = _erode(m, _offsets("disk", nd, min(steps, sum(m.shape) + 1)), border)
    else:
        offs = _offsets(element, nd)
        for _ in range(steps):
            nxt = _erode(m, offs, border)
            if np.array_equal(nxt, m):  # a fixed point: further erosions change nothing
                break
            m = nxt
    return m.reshape(yhat.shape)


def erosion_score(pred, truth, tau, element="cross", border="foreground", base=0.5):
    s = values(pred)
    truth = truth != 0
    yhat = s >= base
    n = int(yhat.sum())
    if n == 0:
        return 0.0
    limit = sum(yhat.shape) + 2
    prev = None
    for lam in range(0, limit + 1):
        inner = erosion_inner(pred, lam, element, border, base)
        if afp_ok(inner, truth, n, tau) or not inner.any():
            return float(lam)
        if prev is not None and np.array_equal(prev, inner) and element != "disk":
            return math.inf
        prev = inner
    return math.inf


def threshold_inner(pred, lam, base=0.5):
    s = values(pred)
    return s >= max(lam, base)


def rank(n, alpha):
    a = Fraction(repr(float(alpha)))
    return math.ceil((n + 1) * (1 - a))


def quantile(scores, alpha):
    k = rank(len(scores), alpha)
    if k > len(scores):
        return math.inf, k
    return float(sorted(scores)[k - 1]), k
