# SPDX-License-Identifier: Apache-2.0
"""Expected-risk calibration (guarantee="risk", docs/DESIGN.md 5.3) against the literal
reference in reference.py: every candidate lambda walked, the condition in exact rationals."""
import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conseco
import reference as ref
from strategies import alphas, pairs

# alphas the library reads as decimals, and arbitrary doubles (often read in binary); with a
# few images, 1/(n+1) > alpha gives inf, so most are large
risk_alphas = (alphas | st.sampled_from([0.25, 0.3, 1 / 3, 0.4, 0.45, 0.6, 0.8])
               | st.floats(0.1, 0.99))
THRESHOLDS = [(0.5, 1.0), (0.25, 0.75), (0.5, 0.5), (0.0, 1.0)]


def calibrate(sh, items, split):
    """A risk calibrator fed items[:split] one by one and the rest as one batch."""
    cal = conseco.Calibrator(sh, guarantee="risk")
    got = [cal.add(p, t) for p, t in items[:split]]
    got += cal.add_batch([p for p, _ in items[split:]], [t for _, t in items[split:]],
                         threads=2).tolist()
    return cal, got


def check_against(cal, got_add, alpha, lam_want, cands, losses):
    n = len(losses)
    assert len(cal) == n
    assert cal.scores.size == 0
    lam, k = cal.lambda_hat(alpha)
    assert k == 0
    assert lam == lam_want, (lam, lam_want)
    # add/add_batch return each pair's loss at lambda_min (the first candidate)
    assert got_add == [row[0] for row in losses]
    for j, c in enumerate(cands):
        want = float(ref.risk_mean(losses, j)) if n else 0.0
        assert cal.risk(c) == pytest.approx(want, rel=1e-15, abs=0.0)
    assert cal.risk(math.inf) == 0.0
    if n:
        assert cal.risk(-1e300) == cal.risk(cands[0])
    # alphas at (and one double either side of) the condition's boundary at some candidates:
    # (S + 1) / (n + 1) rounded to a double; the decision must be exact there
    step = max(1, len(cands) // 6)
    for j in range(0, len(cands), step):
        edge = float((sum(Fraction(row[j]) for row in losses) + 1) / (n + 1))
        for a in (edge, float(np.nextafter(edge, 0.0)), float(np.nextafter(edge, 1.0))):
            if 0.0 < a < 1.0:
                assert cal.lambda_hat(a) == (ref.risk_walk(cands, losses, a), 0), a


@settings(max_examples=300)
@given(st.lists(pairs(max_side=8, dtypes=["uint8"]), min_size=1, max_size=10), risk_alphas,
       st.sampled_from(THRESHOLDS), st.integers(0, 10))
def test_threshold_uint8(items, alpha, bt, split):
    base, top = bt
    cal, got = calibrate(conseco.Threshold(base=base, top=top), items, split)
    lam, cands, losses = ref.threshold_risk(items, alpha, base, top)
    check_against(cal, got, alpha, lam, cands, losses)


@settings(max_examples=150)
@given(st.lists(pairs(max_side=7), min_size=1, max_size=8), risk_alphas,
       st.sampled_from(THRESHOLDS), st.integers(0, 8))
def test_threshold_any_dtype(items, alpha, bt, split):
    base, top = bt
    cal, got = calibrate(conseco.Threshold(base=base, top=top), items, split)
    lam, cands, losses = ref.threshold_risk(items, alpha, base, top)
    check_against(cal, got, alpha, lam, cands, losses)


@settings(max_examples=250)
@given(st.data(), risk_alphas, st.sampled_from(["cross", "square", "disk"]),
       st.sampled_from(["foreground", "background"]), st.integers(0, 5))
def test_erosion(data, alpha, element, border, split):
    # the literal disk erosion is slow on volumes: 2-D for the disk
    items = data.draw(st.lists(pairs(max_side=7, allow_3d=element != "disk"), min_size=1,
                               max_size=8))
    cal, got = calibrate(conseco.Erosion(element=element, border=border), items, split)
    lam, cands, losses = ref.erosion_risk(items, alpha, element, border)
    check_against(cal, got, alpha, lam, [float(c) for c in cands], losses)


def test_exact_tie_passes():
    # n = 3, alpha = 0.5: the condition is S + 1 <= 2; two images of loss 1/2 at Yhat tie
    pred = np.array([[255, 255]], np.uint8)
    half = np.array([[1, 0]], np.uint8)
    cal = conseco.Calibrator(conseco.Threshold(), guarantee="risk")
    cal.add_batch([pred, pred, pred], [half, half, np.ones((1, 2), np.uint8)])
    assert cal.risk(0.5) == pytest.approx(1 / 3)
    assert cal.lambda_hat(0.5) == (0.5, 0)
    assert cal.lambda_hat(0.4999999999) == (math.inf, 0)
    # reading alpha: 0.1 is 1/10, so n = 9 with zero loss ties at 1/(n+1) = alpha
    z = conseco.Calibrator(conseco.Erosion(), guarantee="risk")
    for _ in range(9):
        z.add(pred, np.ones((1, 2), np.uint8))
    assert z.lambda_hat(0.1) == (0.0, 0)
    assert z.lambda_hat(0.09) == (math.inf, 0)
    assert ref.alpha_exact(0.1) == Fraction(1, 10)


@settings(max_examples=40)
@given(st.lists(pairs(max_side=6), min_size=1, max_size=6),
       st.sampled_from([conseco.Threshold(), conseco.Erosion(element="square"),
                        conseco.Erosion(border="background")]),
       st.randoms(use_true_random=False))
def test_merge_equals_adding_all(items, sh, rnd):
    whole = conseco.Calibrator(sh, guarantee="risk")
    whole.add_batch([p for p, _ in items], [t for _, t in items], threads=1)
    order = list(range(len(items)))
    rnd.shuffle(order)
    parts = [conseco.Calibrator(sh, guarantee="risk") for _ in range(3)]
    for i in order:
        parts[rnd.randrange(3)].add(*items[i])
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged is parts[0]
    assert len(merged) == len(items)
    assert merged.to_bytes() == whole.to_bytes()
    for alpha in (0.05, 0.1, 0.3, 0.7):
        assert merged.lambda_hat(alpha) == whole.lambda_hat(alpha)


@settings(max_examples=40)
@given(st.lists(pairs(max_side=6), max_size=5),
       st.sampled_from([conseco.Threshold(), conseco.Threshold(base=0.25, top=0.75),
                        conseco.Erosion(), conseco.Erosion(element="disk", border="background",
                                                           base=0.4)]))
def test_state_round_trip(items, sh):
    cal = conseco.Calibrator(sh, guarantee="risk")
    for p, t in items:
        cal.add(p, t)
    blob = cal.to_bytes()
    info = conseco.inspect_state(blob)
    assert info["guarantee"] == "risk" and info["format_version"] == 3
    assert info["side"] == "inner" and info["tau"] == 0.0
    assert info["count"] == len(items) and info["shrinker"] == sh
    for c2 in (conseco.Calibrator.from_bytes(blob), conseco.Calibrator.from_bytes(blob, sh),
               pickle.loads(pickle.dumps(cal))):
        assert c2.guarantee == "risk" and c2.tau is None and c2.shrinker == sh
        assert len(c2) == len(items)
        assert c2.to_bytes() == blob
        for alpha in (0.1, 0.5):
            assert c2.lambda_hat(alpha) == cal.lambda_hat(alpha)
    target = conseco.Calibrator(sh, guarantee="risk")
    target.load_bytes(blob)
    assert target.to_bytes() == blob
    target.reset()
    assert len(target) == 0 and target.lambda_hat(0.5) == (math.inf, 0)
    assert target.to_bytes() == conseco.Calibrator(sh, guarantee="risk").to_bytes()


def test_empty_and_repr():
    cal = conseco.Calibrator(conseco.Erosion(), guarantee="risk")
    assert len(cal) == 0 and cal.scores.size == 0 and cal.tau is None
    assert cal.add_batch([], []).size == 0
    assert cal.guarantee == "risk" and cal.side == "inner"
    assert cal.lambda_hat(0.1) == (math.inf, 0)
    assert cal.risk(0.0) == 0.0
    assert "guarantee='risk'" in repr(cal)
    assert conseco.Calibrator(conseco.Erosion(), 0.1).guarantee == "quantile"


def test_custom_with_levels_equals_threshold(rng):
    items = [((rng.random((6, 7)) * 255).astype(np.uint8), rng.random((6, 7)) < 0.5)
             for _ in range(5)]

    def levels(pred):
        s = ref.values(pred)
        return np.where(s >= 0.5, np.minimum(s, 1.0), -np.inf)
    custom = conseco.Custom(levels=levels, lambda_min=0.5, lambda_max=1.0, name="thr-levels")
    a, _ = calibrate(custom, items, 2)
    b, _ = calibrate(conseco.Threshold(), items, 3)
    for alpha in (0.1, 0.2, 0.4, 0.6):
        assert a.lambda_hat(alpha) == b.lambda_hat(alpha)
        assert a.risk(a.lambda_hat(alpha)[0]) == b.risk(b.lambda_hat(alpha)[0])
    with pytest.raises(conseco.IncompatibleError):
        a.merge(b)


def test_bad_input():
    thr = conseco.Threshold()
    # tau belongs to the quantile guarantee only
    with pytest.raises(conseco.InvalidArgError, match="no tau"):
        conseco.Calibrator(thr, 0.1, guarantee="risk")
    with pytest.raises(ValueError):
        conseco.Calibrator(thr, tau=0.0, guarantee="risk")
    with pytest.raises(conseco.InvalidArgError):
        conseco.Calibrator(thr, guarantee="risk", side="band", tau_outer=0.1)
    with pytest.raises(conseco.BadTauError, match="needs tau"):
        conseco.Calibrator(thr)
    with pytest.raises(conseco.InvalidArgError, match="unknown guarantee"):
        conseco.Calibrator(thr, 0.1, guarantee="expected")
    with pytest.raises(conseco.InvalidArgError):
        conseco.Calibrator(thr, guarantee="risk", side="diagonal")
    with pytest.raises(conseco.InvalidArgError):
        conseco.Calibrator(thr, guarantee="risk", bottom=0.1)  # bottom: outer side only
    cal = conseco.Calibrator(thr, guarantee="risk")
    with pytest.raises(conseco.UnsupportedError):
        cal.add_score(0.5)
    with pytest.raises(conseco.BadLambdaError):
        cal.risk(math.nan)
    for alpha in (0.0, 1.0, -0.1, math.nan):
        with pytest.raises(conseco.BadAlphaError):
            cal.lambda_hat(alpha)
    with pytest.raises(conseco.SizeMismatchError):
        cal.add(np.zeros((3, 3), np.uint8), np.zeros((3, 4), np.uint8))
    with pytest.raises(conseco.NonFiniteError):
        cal.add(np.full((2, 2), np.nan), np.zeros((2, 2), np.uint8))
    with pytest.raises(conseco.BadDtypeError):
        cal.add_batch([np.zeros((2, 2), np.int32)], [np.zeros((2, 2), np.uint8)])
    assert len(cal) == 0  # nothing was added
    # a quantile calibrator has no risk; quantile and risk do not mix
    q = conseco.Calibrator(thr, 0.1)
    with pytest.raises(conseco.UnsupportedError):
        q.risk(0.5)
    with pytest.raises(conseco.IncompatibleError):
        q.merge(cal)
    with pytest.raises(conseco.IncompatibleError):
        cal.merge(q)
    with pytest.raises(conseco.IncompatibleError):
        cal.load_bytes(q.to_bytes())
    with pytest.raises(conseco.IncompatibleError):
        q.load_bytes(cal.to_bytes())
    with pytest.raises(conseco.InvalidArgError):
        conseco.Calibrator.from_bytes(cal.to_bytes(), thr, 0.1)
    with pytest.raises(conseco.IncompatibleError):
        conseco.Calibrator.from_bytes(cal.to_bytes(), conseco.Threshold(base=0.4))
    blob = bytearray(cal.to_bytes())
    blob[-1] ^= 0xFF
    with pytest.raises(conseco.CorruptError):
        cal.load_bytes(bytes(blob))
    # a black box (no levels) has no loss curve
    bb = conseco.Custom(apply=lambda p, lam: p >= max(lam, 0.5), domain="real",
                        breakpoints=lambda p: np.array([0.5, 1.0]), lambda_min=0.5,
                        lambda_max=1.0, name="bb")
    with pytest.raises(conseco.UnsupportedError):
        conseco.Calibrator(bb, guarantee="risk")


@pytest.mark.parametrize("side", ["outer", "band"])
def test_other_sides_pass_through(side):
    """The side goes to the library: it either calibrates the risk of that side or says
    UNSUPPORTED (this version: inner only)."""
    sh = conseco.Erosion()
    try:
        cal = conseco.Calibrator(sh, guarantee="risk", side=side)
    except conseco.UnsupportedError:
        return
    assert cal.side == side and cal.guarantee == "risk"
    pred = np.array([[0, 255, 255, 0]], np.uint8)
    cal.add(pred, np.array([[1, 1, 0, 0]], np.uint8))
    blob = cal.to_bytes()
    assert conseco.inspect_state(blob)["side"] == side
    assert conseco.Calibrator.from_bytes(blob).to_bytes() == blob
    assert cal.lambda_hat(0.9)[1] == 0
