# SPDX-License-Identifier: Apache-2.0
"""Custom shrinkers from Python callables; exceptions come back out."""
import math
import threading

import numpy as np
import pytest
from hypothesis import given

import conseco
import reference as ref
from strategies import pairs, taus


def threshold_levels(pred):
    s = ref.values(pred)
    return np.where(s >= 0.5, np.minimum(s, 1.0), -np.inf)


def make_levels():
    return conseco.Custom(levels=threshold_levels, lambda_min=0.5, lambda_max=1.0, name="thr-levels")


def erosion_apply(pred, lam):
    return ref.erosion_inner(pred, lam, "cross", "foreground")


@given(pairs(max_side=8, dtypes=["float32", "float64"]), taus)
def test_levels_equals_threshold_on_floats_below_top(pair, tau):
    pred, truth = pair
    pred = np.minimum(pred, pred.dtype.type(1.0))
    got = conseco.score(make_levels(), pred, truth, tau)
    assert got == ref.threshold_score(pred, truth, tau)
    want = ref.threshold_inner(pred, 0.75)
    assert np.array_equal(conseco.apply(make_levels(), pred, 0.75), want)


@given(pairs(max_side=6, allow_3d=False), taus)
def test_black_box_integer_equals_erosion(pair, tau):
    pred, truth = pair
    sh = conseco.Custom(apply=erosion_apply, domain="integer", lambda_min=0, lambda_max=math.inf,
                        name="bb-erosion")
    assert conseco.score(sh, pred, truth, tau) == conseco.score(conseco.Erosion(), pred, truth, tau)


@given(pairs(max_side=6, allow_3d=False, dtypes=["float64"]), taus)
def test_black_box_real_with_breakpoints(pair, tau):
    pred, truth = pair
    pred = np.minimum(pred, 1.0)
    sh = conseco.Custom(apply=lambda p, lam: p >= max(lam, 0.5),
                        breakpoints=lambda p: np.concatenate(([0.5, 1.0], p[p >= 0.5].ravel())),
                        domain="real", lambda_min=0.5, lambda_max=1.0, name="bb-thr")
    assert conseco.score(sh, pred, truth, tau) == ref.threshold_score(pred, truth, tau)


class Boom(RuntimeError):
    pass


def test_callback_exceptions_come_back():
    pred = np.random.default_rng(0).random((9, 9))
    truth = pred > 0.6

    def bad_levels(p):
        raise Boom("levels failed")

    def bad_apply(p, lam):
        raise KeyError("apply failed")

    a = conseco.Custom(levels=bad_levels)
    b = conseco.Custom(apply=bad_apply, domain="integer")
    with pytest.raises(Boom, match="levels failed"):
        conseco.score(a, pred, truth, 0.1)
    with pytest.raises(Boom):
        conseco.apply(a, pred, 0.7)
    with pytest.raises(KeyError):
        conseco.score(b, pred, truth, 0.1)
    cal = conseco.Calibrator(a, 0.1)
    with pytest.raises(Boom):
        cal.add(pred, truth)
    with pytest.raises(Boom):
        cal.add_batch([pred] * 8, [truth] * 8, threads=2)
    assert len(cal) == 0
    # wrong shapes and values are reported as ordinary exceptions, never a crash
    c = conseco.Custom(levels=lambda p: np.zeros(3))
    with pytest.raises(ValueError, match="levels returned shape"):
        conseco.score(c, pred, truth, 0.1)
    # after failures the shrinker still works
    ok = make_levels()
    assert conseco.score(ok, pred, truth, 0.1) == ref.threshold_score(pred, truth, 0.1)


def test_custom_threads_and_state():
    rng = np.random.default_rng(3)
    preds = [rng.random((12, 11)) for _ in range(30)]
    truths = [p > 0.55 for p in preds]
    calls = []
    lock = threading.Lock()

    def levels(p):
        with lock:
            calls.append(threading.get_ident())
        return threshold_levels(p)

    sh = conseco.Custom(levels=levels, lambda_min=0.5, lambda_max=1.0, name="thr-levels")
    cal = conseco.Calibrator(sh, 0.05)
    out = cal.add_batch(preds, truths, threads=2)
    want = [ref.threshold_score(p, t, 0.05) for p, t in zip(preds, truths)]
    assert out.tolist() == want
    blob = cal.to_bytes()
    assert conseco.inspect_state(blob)["name"] == "thr-levels"
    with pytest.raises(conseco.IncompatibleError):
        conseco.Calibrator.from_bytes(blob)
    c2 = conseco.Calibrator.from_bytes(blob, make_levels(), 0.05)
    assert c2.scores.tolist() == want


def test_custom_bad_definitions():
    with pytest.raises(conseco.BadShrinkerError):
        conseco.Custom()
    with pytest.raises(conseco.BadShrinkerError):
        conseco.Custom(levels=threshold_levels, name="has space")
    with pytest.raises(conseco.BadShrinkerError):
        conseco.Custom(apply=erosion_apply, domain="real")  # real domain needs breakpoints
    with pytest.raises(TypeError):
        conseco.Custom(levels=3)


def test_no_stale_callback_error():
    good = np.random.default_rng(2).random((6, 6))
    nan = good.copy()
    nan[0, 0] = np.nan
    boom = np.full((6, 6), 0.75)

    def levels(p):
        if np.all(p == 0.75):
            raise Boom("the third pair")
        return np.where(p >= 0.5, p, -np.inf)

    sh = conseco.Custom(levels=levels, lambda_min=0.5, lambda_max=1.0)
    cal = conseco.Calibrator(sh, 0.1)
    truth = np.zeros((6, 6), bool)
    with pytest.raises((conseco.NonFiniteError, conseco.CallbackError, Boom)):
        cal.add_batch([good, nan, boom], [truth] * 3, threads=1)
    assert len(cal) == 0

    def other(p):
        raise KeyError("fresh")

    # whatever the batch left behind is gone: the next failure is its own
    sh2 = conseco.Custom(levels=other)
    with pytest.raises(KeyError):
        conseco.score(sh2, good, truth, 0.1)
    assert conseco.score(sh, good, truth, 0.1) == conseco.score(
        conseco.Custom(levels=lambda p: np.where(p >= 0.5, p, -np.inf), lambda_min=0.5,
                       lambda_max=1.0), good, truth, 0.1)
    with pytest.raises(Boom, match="third"):
        conseco.score(sh, boom, truth, 0.1)
