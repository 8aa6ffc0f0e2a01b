# SPDX-License-Identifier: Apache-2.0
"""The smooth shrinker from Python: parameters, state round trips, the min filter against a
literal numpy reference (min is exact), and the guarantee's per-image side (AFP <= tau at the
score)."""
import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conseco

LAMBDA_MIN = -1.7976931348623157e308


def test_defaults_and_range():
    sh = conseco.Smooth()
    assert (sh.sigma, sh.filter, sh.element, sh.radius, sh.units, sh.base) == (1.0, "gauss", "cross", 1,
                                                                                "px", 0.5)
    assert sh.lambda_min == LAMBDA_MIN and sh.lambda_max == math.inf
    assert pickle.loads(pickle.dumps(sh)) == sh
    assert conseco.Smooth(sigma=2.0) != sh


@pytest.mark.parametrize("kwargs", [dict(sigma=0.0), dict(sigma=-1.0), dict(sigma=math.nan),
                                    dict(sigma=math.inf), dict(sigma=16.5), dict(radius=0),
                                    dict(radius=33), dict(filter="max"), dict(element="hexagon"),
                                    dict(units="inch"), dict(base=math.nan), dict(radius=1.5)])
def test_bad_params(kwargs):
    with pytest.raises(conseco.BadShrinkerError):
        conseco.Smooth(**kwargs)


@pytest.mark.parametrize("sh", [conseco.Smooth(), conseco.Smooth(sigma=1.5, units="mm", base=0.4),
                                conseco.Smooth(filter="min", element="disk", radius=2)])
def test_state_round_trip(sh):
    cal = conseco.Calibrator(sh, 0.05)
    for s in (0.7, LAMBDA_MIN, math.inf):
        cal.add_score(s)
    blob = cal.to_bytes()
    info = conseco.inspect_state(blob)
    assert info["kind"] == 3 and info["name"] == "smooth" and info["shrinker"] == sh
    c2 = conseco.Calibrator.from_bytes(blob)
    assert c2.shrinker == sh and c2.scores.tolist() == cal.scores.tolist()


def _min_levels(s, element, r):
    """Literal min over the element, positions clamped to the image; -inf outside Yhat."""
    h, w = s.shape
    out = np.full(s.shape, np.inf)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if element == "cross" and abs(dx) + abs(dy) > r:
                continue
            if element == "disk" and dx * dx + dy * dy > r * r:
                continue
            ys = np.clip(np.arange(h) + dy, 0, h - 1)
            xs = np.clip(np.arange(w) + dx, 0, w - 1)
            out = np.minimum(out, s[np.ix_(ys, xs)])
    return out


def _walk(levels, yhat, truth, tau):
    """Literal breakpoint walk: lambda_min, then every Yhat level in increasing order."""
    n = int(yhat.sum())
    fp = yhat & ~truth
    for b in [LAMBDA_MIN] + sorted(set(levels[yhat].tolist())):
        kept = int((fp & (levels >= b)).sum())
        if (kept / n if n else 0.0) <= tau:
            return b
    return math.inf


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 14), st.integers(1, 14), st.sampled_from(["cross", "square", "disk"]),
       st.integers(1, 3), st.sampled_from([0.0, 0.01, 0.1, 0.3]), st.integers(0, 2**31),
       st.sampled_from([2, 5, 256]))
def test_min_filter_against_literal(h, w, element, r, tau, seed, levels):
    rng = np.random.default_rng(seed)
    pred = (rng.integers(0, levels, size=(h, w)) / (levels - 1)).astype(np.float64)
    truth = rng.random((h, w)) < 0.5
    sh = conseco.Smooth(filter="min", element=element, radius=r)
    got = conseco.score(sh, pred, truth, tau)
    yhat = pred >= 0.5
    want = _walk(_min_levels(pred, element, r), yhat, truth, tau)
    assert got == want


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(2, 40), st.floats(0.2, 3.0), st.sampled_from([0.0, 0.01, 0.1]),
       st.integers(0, 2**31))
def test_gauss_score_keeps_its_promise(h, w, sigma, tau, seed):
    rng = np.random.default_rng(seed)
    pred = rng.random((h, w)).astype(np.float32)
    truth = rng.random((h, w)) < 0.6
    sh = conseco.Smooth(sigma=sigma)
    s = conseco.score(sh, pred, truth, tau)
    m = conseco.evaluate(sh, pred, truth, s, tau)
    assert m.valid  # F <= tau at the score (+inf: the empty mask)
    inner = conseco.apply(sh, pred, s)
    assert not (inner & ~(pred >= 0.5)).any()
