# SPDX-License-Identifier: Apache-2.0
"""Scores, masks, ranks and lambda_hat against the literal numpy reference."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import conseco
import reference as ref
from strategies import alphas, pairs, taus

ELEMENTS = ["cross", "square", "disk"]
BORDERS = ["foreground", "background"]


@given(pairs(), taus)
def test_threshold_score(pair, tau):
    pred, truth = pair
    got = conseco.score(conseco.Threshold(), pred, truth, tau)
    assert got == ref.threshold_score(pred, truth, tau)


@given(pairs(dtypes=["float32", "float64"]), taus,
       st.sampled_from([(0.5, 1.0), (0.25, 0.75), (0.0, 1.5), (0.5, 0.5)]))
def test_threshold_score_base_top(pair, tau, bt):
    pred, truth = pair
    base, top = bt
    got = conseco.score(conseco.Threshold(base=base, top=top), pred, truth, tau)
    assert got == ref.threshold_score(pred, truth, tau, base, top)


@given(pairs(max_side=8), taus, st.sampled_from(ELEMENTS), st.sampled_from(BORDERS))
def test_erosion_score(pair, tau, element, border):
    pred, truth = pair
    got = conseco.score(conseco.Erosion(element=element, border=border), pred, truth, tau)
    assert got == ref.erosion_score(pred, truth, tau, element, border)


@given(pairs(max_side=8), st.sampled_from([0, 0.5, 1, 2, 3, math.inf]), st.sampled_from(ELEMENTS),
       st.sampled_from(BORDERS))
def test_erosion_apply(pair, lam, element, border):
    pred, _ = pair
    sh = conseco.Erosion(element=element, border=border)
    inner, unc = conseco.apply(sh, pred, lam, uncertain=True)
    want = ref.erosion_inner(pred, lam, element, border)
    assert inner.dtype == np.bool_ and inner.shape == pred.shape
    assert np.array_equal(inner, want)
    assert np.array_equal(unc, (ref.values(pred) >= 0.5) & ~want)


@given(pairs(), st.sampled_from([0.0, 0.5, 0.6, 0.75, 1.0, 2.0, math.inf]))
def test_threshold_apply(pair, lam):
    pred, _ = pair
    inner, unc = conseco.apply(conseco.Threshold(), pred, lam, uncertain=True)
    want = np.zeros(pred.shape, bool) if lam == math.inf else ref.threshold_inner(pred, lam)
    assert np.array_equal(inner, want)
    assert np.array_equal(unc, (ref.values(pred) >= 0.5) & ~want)
    assert np.array_equal(conseco.apply(conseco.Threshold(), pred, lam), want)


@given(st.integers(0, 400), alphas)
def test_rank(n, alpha):
    assert conseco.rank(n, alpha) == ref.rank(n, alpha)


def test_rank_known_values():
    assert conseco.rank(9, 0.1) == 9
    assert conseco.rank(9, 0.7) == 3
    assert conseco.rank(149, 0.18) == 123
    assert conseco.min_calibration_size(0.1) == 9


@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, math.inf]) | st.floats(0, 10),
                max_size=40), alphas)
def test_quantile(scores, alpha):
    lam, k = conseco.quantile(scores, alpha)
    assert (lam, k) == ref.quantile(scores, alpha)


@given(st.lists(pairs(max_side=7, allow_3d=False), min_size=0, max_size=14), taus, alphas,
       st.sampled_from(["threshold", "erosion"]))
def test_calibrator_lambda_hat(items, tau, alpha, kind):
    sh = conseco.Threshold() if kind == "threshold" else conseco.Erosion()
    cal = conseco.Calibrator(sh, tau=tau)
    want = []
    for pred, truth in items:
        s = cal.add(pred, truth)
        r = (ref.threshold_score(pred, truth, tau) if kind == "threshold"
             else ref.erosion_score(pred, truth, tau))
        assert s == r
        want.append(r)
    assert len(cal) == len(items)
    assert cal.scores.tolist() == want
    lam, k = cal.lambda_hat(alpha)
    assert (lam, k) == ref.quantile(want, alpha)
    assert cal.scores.tolist() == want  # lambda_hat keeps the order of addition
    if k > len(want):
        assert lam == math.inf


@given(pairs(max_side=9, allow_3d=True))
def test_strided_views_equal_contiguous(pair):
    pred, truth = pair
    big = np.zeros(pred.shape[:-1] + (pred.shape[-1] * 2 + 3,), pred.dtype)
    big[..., 3:3 + pred.shape[-1]] = pred
    view = big[..., 3:3 + pred.shape[-1]]
    tbig = np.zeros(big.shape, np.bool_)
    tbig[..., 3:3 + pred.shape[-1]] = truth != 0
    tview = tbig[..., 3:3 + pred.shape[-1]]
    for sh in (conseco.Threshold(), conseco.Erosion(element="square")):
        assert conseco.score(sh, view, tview, 0.1) == conseco.score(sh, pred, truth, 0.1)
        assert np.array_equal(conseco.apply(sh, view, 1.0), conseco.apply(sh, pred, 1.0))


def test_inf_score_and_inf_lambda():
    pred = np.full((5, 5), 255, np.uint8)  # saturated map, every pixel a false positive at top
    truth = np.zeros((5, 5), bool)
    assert conseco.score(conseco.Threshold(), pred, truth, 0.0) == math.inf
    assert conseco.score(conseco.Erosion(), pred, truth, 0.0) == math.inf  # full image, foreground
    cal = conseco.Calibrator(conseco.Threshold(), tau=0.0)
    for _ in range(3):
        cal.add(pred, truth)
    lam, k = cal.lambda_hat(0.1)
    assert lam == math.inf and k == 4
    assert not conseco.apply(cal.shrinker, pred, lam).any()


def test_empty_prediction():
    pred = np.zeros((6, 4), np.float32)
    truth = np.ones((6, 4), bool)
    assert conseco.score(conseco.Threshold(), pred, truth, 0.0) == 0.5
    assert conseco.score(conseco.Erosion(), pred, truth, 0.0) == 0.0
    m = conseco.evaluate(conseco.Erosion(), pred, truth, 0.0, 0.01)
    assert (m.predicted, m.cr, m.atp, m.afp, m.valid) == (0, 1.0, 1.0, 0.0, True)


@given(pairs(max_side=8), taus, st.sampled_from([0.0, 1.0, 2.0, math.inf]))
def test_metrics_and_evaluate(pair, tau, lam):
    pred, truth = pair
    sh = conseco.Erosion()
    inner = conseco.apply(sh, pred, lam)
    yhat = ref.values(pred) >= 0.5
    m1 = conseco.metrics(yhat, inner, truth, tau)
    m2 = conseco.evaluate(sh, pred, truth, lam, tau)
    assert m1 == m2
    n = int(yhat.sum())
    fp = int((inner & ~(truth != 0)).sum())
    assert m1.predicted == n and m1.inner == int(inner.sum()) and m1.inner_fp == fp
    assert m1.afp == (fp / n if n else 0.0)
    assert m1.valid == (m1.afp <= tau)
    s = conseco.set_metrics([m1, m2])
    assert s.n == 2 and s.ev == float(m1.valid) and s.cr == m1.cr


def test_spacing_keyword_accepted():
    pred = np.random.default_rng(1).random((3, 6, 7))
    truth = pred > 0.7
    a = conseco.score(conseco.Erosion(), pred, truth, 0.1, spacing=(2.5, 0.8, 0.8))
    assert a == conseco.score(conseco.Erosion(), pred, truth, 0.1)  # voxel-step elements ignore it
    cal = conseco.Calibrator(conseco.Erosion(), 0.1)
    assert cal.add(pred, truth, spacing=(2.5, 0.8, 0.8)) == a
    with pytest.raises(conseco.BadSpacingError):
        conseco.score(conseco.Erosion(), pred, truth, 0.1, spacing=(0, 1, 1))
    with pytest.raises(conseco.BadSpacingError):
        conseco.score(conseco.Erosion(), pred, truth, 0.1, spacing=(1, 1))


def test_add_batch_equals_add_any_threads(rng):
    preds = [rng.random((rng.integers(5, 30), rng.integers(5, 30))).astype(np.float32)
             for _ in range(40)]
    truths = [p > rng.uniform(0.3, 0.8) for p in preds]
    one = conseco.Calibrator(conseco.Erosion(element="square"), 0.05)
    for p, t in zip(preds, truths):
        one.add(p, t)
    for threads in (0, 1, 2, 5):
        cal = conseco.Calibrator(conseco.Erosion(element="square"), 0.05)
        out = cal.add_batch(preds, truths, threads=threads)
        assert out.tolist() == one.scores.tolist() == cal.scores.tolist()


def test_add_batch_spacing():
    rng = np.random.default_rng(4)
    preds = [rng.random((3, 5, 6)) for _ in range(5)]
    truths = [p > 0.6 for p in preds]
    sp = [(2.0, 1.0, 0.5)] * 5
    a = conseco.Calibrator(conseco.Erosion(), 0.1)
    b = conseco.Calibrator(conseco.Erosion(), 0.1)
    assert a.add_batch(preds, truths, spacing=sp).tolist() == \
        b.add_batch(preds, truths, spacing=(2.0, 1.0, 0.5)).tolist()
    with pytest.raises(conseco.BadSpacingError):
        a.add_batch(preds, truths, spacing=[(1, 1, 1)] * 4 + [(1, -1, 1)])
    assert len(a) == 5
