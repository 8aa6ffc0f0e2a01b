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
    # a (1, h, w) volume is a 2-D image to the library (depth 1): 2-D elements, so with the
    # background border the outside above and below does not erode it
    nd = 2 if m.shape[0] == 1 else 3
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


# ---------------------------------------------------------------- smooth (docs/DESIGN.md)
SMOOTH_LAMBDA_MIN = -1.7976931348623157e308  # the lowest finite double: smooth's lambda_min


def _kernel(sigma):
    """R = floor(4 sigma), w[k] = exp(-k^2 / (2 sigma^2)) normalised over -R..R."""
    R = int(math.floor(4.0 * sigma))
    w = [math.exp(-float(k * k) / (2.0 * sigma * sigma)) for k in range(R + 1)]
    total = 0.0
    for k in range(R + 1):
        total += w[k] if k == 0 else 2.0 * w[k]
    return R, [v / total for v in w]


def smooth_levels(pred, sigma=1.0, base=0.5, filter="gauss", element="cross", radius=1,
                  units="px", spacing=None):
    """Levels of the smooth shrinker, -inf outside Yhat (numpy axis order, spacing likewise).

    Gauss: the literal (2R+1)^d sum with product weights and clamped positions, axes of
    length 1 not blurred (equal to the library's separable sums up to rounding). Min: the
    literal minimum over the element's offsets (exact).
    """
    s = values(pred)
    s3 = s.reshape((1,) + s.shape) if s.ndim == 2 else s
    sp = [1.0] * s3.ndim if spacing is None else ([1.0] + list(spacing) if s.ndim == 2 else list(spacing))
    d, h, w = s3.shape
    out = np.full(s3.shape, -math.inf)
    if filter == "gauss":
        radii, weights = [], []
        for a, n in enumerate(s3.shape):
            if n < 2:
                radii.append(0)
                weights.append([1.0])
                continue
            sg = sigma / sp[a] if units == "mm" else sigma
            R, wk = _kernel(sg)
            radii.append(R)
            weights.append(wk)
        for z, y, x in zip(*np.nonzero(s3 >= base)):
            acc = 0.0
            for dz in range(-radii[0], radii[0] + 1):
                for dy in range(-radii[1], radii[1] + 1):
                    for dx in range(-radii[2], radii[2] + 1):
                        v = s3[min(max(z + dz, 0), d - 1), min(max(y + dy, 0), h - 1),
                               min(max(x + dx, 0), w - 1)]
                        acc += weights[0][abs(dz)] * weights[1][abs(dy)] * weights[2][abs(dx)] * v
            out[z, y, x] = acc
    else:
        r = radius
        rz = r if d > 1 else 0
        offs = []
        for dz in range(-rz, rz + 1):
            for dy in range(-r, r + 1):
                for dx in range(-r, r + 1):
                    a = (abs(dz), abs(dy), abs(dx))
                    ok = (max(a) <= r if element == "square" else
                          dz * dz + dy * dy + dx * dx <= r * r if element == "disk" else sum(a) <= r)
                    if ok:
                        offs.append((dz, dy, dx))
        for z, y, x in zip(*np.nonzero(s3 >= base)):
            out[z, y, x] = min(s3[min(max(z + dz, 0), d - 1), min(max(y + dy, 0), h - 1),
                                  min(max(x + dx, 0), w - 1)] for dz, dy, dx in offs)
    return out.reshape(s.shape)


def smooth_score_walk(levels, truth, tau):
    """Walk B = {lambda_min} U {levels in Yhat} upwards; the first with F <= tau, else inf."""
    truth = truth != 0
    yhat = levels != -math.inf
    n = int(yhat.sum())
    for lam in sorted({SMOOTH_LAMBDA_MIN} | {float(v) for v in levels[yhat]}):
        if afp_ok(yhat & (levels >= lam), truth, n, tau):
            return lam
    return math.inf


# ---------------------------------------------------------------- ball-mm (DESIGN.md 5.1)
def nearest_sqrt(q):
    """The double nearest to sqrt(q) for a non-negative Fraction q (exact comparisons)."""
    if q == 0:
        return 0.0
    c = math.sqrt(float(q))
    best = math.nextafter(c, -math.inf)
    for v in (c, math.nextafter(c, math.inf)):
        mid = (Fraction(best) + Fraction(v)) / 2
        if mid * mid < q:  # sqrt(q) lies above the midpoint: v is nearer
            best = v
    return best


def distance_mm(inside, target, spacing, outside_is_target=False):
    """For each voxel of `inside` (bool, 2-D or 3-D), the exact-nearest-double distance in mm
    from its centre to the nearest voxel of `target`; inf if none. With outside_is_target,
    the ring of voxels just outside the array counts as target (the background policy; not
    across z when a 3-D array has depth 1, which is how the library sees a 2-D image)."""
    nd = inside.ndim
    sp = [Fraction(float(v)) for v in (spacing if spacing is not None else [1.0] * nd)]
    tgt = np.argwhere(target)
    if outside_is_target:
        widths = [(0, 0) if (nd == 3 and a == 0 and n == 1) else (1, 1)
                  for a, n in enumerate(target.shape)]
        padded = np.pad(np.zeros(target.shape, bool), widths, constant_values=True)
        ring = np.argwhere(padded) - np.array([w[0] for w in widths])
        tgt = np.concatenate([tgt, ring]) if tgt.size else ring
    out = np.full(inside.shape, math.inf)
    if len(tgt) == 0:
        return out
    for p in np.argwhere(inside):
        diff = np.abs(tgt - p)
        # the smallest exact squared distance (float pre-selection, exact comparison)
        approx = (diff.astype(np.float64) * [float(v) for v in sp]) ** 2
        tot = approx.sum(axis=1)
        lim = tot.min() * (1 + 1e-9) + 1e-300
        best = None
        for row in diff[tot <= lim]:
            q = sum(Fraction(int(k)) ** 2 * s * s for k, s in zip(row, sp))
            if best is None or q < best:
                best = q
        out[tuple(p)] = nearest_sqrt(best)
    return out


def ballmm_levels(pred, border="foreground", base=0.5, spacing=None):
    """d_mm(p) for p in Yhat (-inf outside Yhat)."""
    yhat = values(pred) >= base
    d = distance_mm(yhat, ~yhat, spacing, outside_is_target=(border == "background"))
    return np.where(yhat, d, -math.inf)


def ballmm_score(pred, truth, tau, border="foreground", base=0.5, spacing=None):
    truth = truth != 0
    lv = ballmm_levels(pred, border, base, spacing)
    yhat = lv != -math.inf
    n = int(yhat.sum())
    if n == 0:
        return 0.0
    for lam in sorted({0.0} | {float(v) for v in lv[yhat]}):
        if afp_ok(yhat & (lv > lam), truth, n, tau):
            return lam
    return math.inf


# ---------------------------------------------------------------- outer sides (DESIGN.md 5.2)
def fnr_ok(outer, truth, tau):
    ny = int(truth.sum())
    if ny == 0:
        return True
    missed = int(np.count_nonzero(truth & ~outer))
    return np.float64(missed) / np.float64(ny) <= tau


def lowering_score(pred, truth, tau, base=0.5, bottom=0.0):
    """Largest t in {base} U {s_p : bottom <= s_p < base} U {bottom} with FNR({s >= t}) <= tau."""
    s = values(pred)
    truth = truth != 0
    cands = {base, bottom} | {float(v) for v in s.ravel() if bottom <= v < base}
    for t in sorted(cands, reverse=True):
        if fnr_ok(s >= t, truth, tau):
            return t
    return -math.inf


def _dilate(mask3, offsets):
    d, h, w = mask3.shape
    pad = max(max(abs(v) for v in o) for o in offsets)
    big = np.pad(mask3, pad, constant_values=False)
    out = np.zeros_like(mask3)
    for dz, dy, dx in offsets:
        out |= big[pad + dz:pad + dz + d, pad + dy:pad + dy + h, pad + dx:pad + dx + w]
    return out


def dilation_outer(pred, mu, element="cross", base=0.5):
    """O_mu: Yhat dilated mu times by the cross or square, or once by the disk (ball) of
    radius mu; never leaving the image."""
    yhat = values(pred) >= base
    m = yhat.reshape((1,) + yhat.shape) if yhat.ndim == 2 else yhat.copy()
    if element == "disk":
        if mu > 0:
            m = _dilate(m, _offsets("disk", yhat.ndim, int(mu)))
        return m.reshape(yhat.shape)
    offs = _offsets(element, yhat.ndim)
    for _ in range(int(mu)):
        m = _dilate(m, offs)
    return m.reshape(yhat.shape)


def yhat_any(pred, base=0.5):
    return bool((values(pred) >= base).any())


def dilation_score(pred, truth, tau, element="cross", base=0.5):
    truth = truth != 0
    prev = None
    for mu in range(0, sum(truth.shape) + 3):
        o = dilation_outer(pred, mu, element, base)
        if fnr_ok(o, truth, tau):
            return float(mu)
        if not yhat_any(pred, base) or (element != "disk" and prev is not None
                                        and np.array_equal(prev, o)):
            return math.inf  # nothing to dilate, or a fixed point
        prev = o
    return math.inf


def ballmm_outer_score(pred, truth, tau, base=0.5, spacing=None):
    """Smallest mu in {0} U {d_mm(p, Yhat) : p in Y} with FNR({d_mm(., Yhat) <= mu}) <= tau."""
    truth = truth != 0
    yhat = values(pred) >= base
    dist = distance_mm(np.ones(yhat.shape, bool), yhat, spacing)
    for mu in sorted({0.0} | {float(v) for v in dist[truth]}):
        if fnr_ok(dist <= mu, truth, tau):
            return mu
    return math.inf


def band_threshold_score(pred, truth, tau, tau_outer, base=0.5):
    """max(inner, outer) over lambda in {0} U {|s_p - base|}: I = {s >= base + l}, O = {s >= base - l}."""
    s = values(pred)
    truth = truth != 0
    yhat = s >= base
    n = int(yhat.sum())
    cands = sorted({0.0} | {abs(float(v) - base) for v in s.ravel()})
    inner = next((l for l in cands if afp_ok(s >= base + l, truth, n, tau)), math.inf)
    outer = next((l for l in cands if fnr_ok(s >= base - l, truth, tau_outer)), math.inf)
    return max(inner, outer)


# ---------------------------------------------------------------- DESIGN.md 5.3: expected risk
def alpha_exact(alpha):
    """alpha as the library reads it: the shortest decimal A / 10^d (d <= 15) whose correctly
    rounded value is alpha, else the exact binary value of the double."""
    alpha = float(alpha)
    for d in range(1, 16):
        p = 10 ** d
        guess = math.floor(Fraction(alpha) * p)
        for a in range(max(guess - 1, 1), guess + 3):
            if a < p and float(Fraction(a, p)) == alpha:
                return Fraction(a, p)
    return Fraction(alpha)


def afp_loss(inner, truth, n_yhat):
    """One image's loss: the double |I ∩ FP| / |Yhat| (0 for an empty Yhat)."""
    if n_yhat == 0:
        return 0.0
    kept = int(np.count_nonzero(inner & ~truth))
    return float(np.float64(kept) / np.float64(n_yhat))


def risk_walk(candidates, losses, alpha):
    """The smallest candidate with n/(n+1) R + 1/(n+1) <= alpha, R the mean of the n images'
    losses (losses[i][j]: image i at candidates[j], ascending), in exact rationals of the
    double losses; inf if none or n = 0."""
    n = len(losses)
    if n == 0:
        return math.inf
    a = alpha_exact(alpha)
    for j, lam in enumerate(candidates):
        r = sum(Fraction(row[j]) for row in losses) / n
        if Fraction(n, n + 1) * r + Fraction(1, n + 1) <= a:
            return lam
    return math.inf


def risk_mean(losses, j):
    """R at candidate j as an exact Fraction."""
    return sum(Fraction(row[j]) for row in losses) / len(losses)


def threshold_risk(pairs, alpha, base=0.5, top=1.0):
    """(lambda_hat, candidates, losses) of the risk guarantee for the threshold shrinker:
    candidates = the union of every image's {base} U {s_p : p in Yhat, s_p <= top} U {top}."""
    cands = {base, top}
    for pred, _ in pairs:
        s = values(pred)
        cands |= {float(v) for v in s[s >= base] if v <= top}
    cands = sorted(cands)
    losses = []
    for pred, truth in pairs:
        s = values(pred)
        truth = truth != 0
        yhat = s >= base
        n = int(yhat.sum())
        losses.append([afp_loss(yhat & (s >= lam), truth, n) for lam in cands])
    return risk_walk(cands, losses, alpha), cands, losses


def erosion_risk(pairs, alpha, element="cross", border="foreground", base=0.5):
    """(lambda_hat, candidates, losses) of the risk guarantee for erosion: candidates
    0, 1, 2, ... up to a lambda where every image's inner set has stopped changing (empty, or a
    fixed point of the erosion), so the condition fails there for good if it fails."""
    limit = max([sum(p.shape) + 2 for p, _ in pairs], default=0)
    cands = list(range(0, limit + 1))
    losses = []
    for pred, truth in pairs:
        s = values(pred)
        truth = truth != 0
        yhat = s >= base
        n = int(yhat.sum())
        final = erosion_inner(pred, limit, element, border, base)
        row, done = [], False
        for lam in cands:
            if not done:
                inner = erosion_inner(pred, lam, element, border, base)
                loss = afp_loss(inner, truth, n)
                done = np.array_equal(inner, final)  # nested sets: no change after this
            row.append(loss)
        losses.append(row)
    return risk_walk([float(c) for c in cands], losses, alpha), cands, losses
