# SPDX-License-Identifier: Apache-2.0
"""Smooth, ball-mm and the calibrator's outer / band sides against the numpy reference
(docs/DESIGN.md "Smooth shrinker"; /work/shared/DESIGN.md 5.1 and 5.2), bad input, state."""
import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import conseco
import reference as ref
from strategies import pairs, taus

SP2 = st.sampled_from([None, (1.0, 1.0), (0.5, 2.0), (3.0, 0.75), (1.5, 1.5)])
SP3 = st.sampled_from([None, (1.0, 1.0, 1.0), (2.5, 0.5, 1.0), (0.75, 1.25, 2.0)])
DT = {np.dtype(np.uint8): 1, np.dtype(np.uint16): 2, np.dtype(np.float32): 3,
      np.dtype(np.float64): 4, np.dtype(np.bool_): 5}


def _spacing(draw, pred):
    return draw(SP2 if pred.ndim == 2 else SP3)


def lib_levels(sh, pred, spacing=None):
    """The library's own level map (the smooth vtable's levels callback) for a C-contiguous pred."""
    ffi, lib = conseco._ffi, conseco._lib
    a = np.ascontiguousarray(pred)
    a3 = a.reshape((1,) + a.shape) if a.ndim == 2 else a
    d, h, w = a3.shape
    im = ffi.new("conseco_image *")
    im.data = ffi.from_buffer(a)
    im.width, im.height, im.depth = w, h, d
    im.row_stride, im.slice_stride = a3.strides[1], a3.strides[0]
    im.dtype = DT[a.dtype]
    if spacing is not None:
        sp = ([1.0] + list(spacing)) if a.ndim == 2 else list(spacing)
        im.spacing[0], im.spacing[1], im.spacing[2] = sp[2], sp[1], sp[0]
    out = np.empty(a.size, np.float64)
    vt = lib.conseco_smooth_vtable()
    rc = vt.levels(sh._c.keep, im, ffi.from_buffer("double[]", out), a.size)
    assert rc == 0
    return out.reshape(a.shape)


def _check_masks(sh, pred, levels, lams, spacing=None, strict=False):
    yhat = ref.values(pred) >= sh.base
    for lam in lams:
        inner, unc = conseco.apply(sh, pred, lam, uncertain=True, spacing=spacing)
        want = yhat & ((levels > lam) if strict else (levels >= lam))
        assert np.array_equal(inner, want), lam
        assert np.array_equal(unc, yhat & ~want)


# ------------------------------------------------------------------ smooth
@given(pairs(max_side=7), taus, st.sampled_from(["cross", "square", "disk"]), st.integers(1, 3),
       st.sampled_from([0.25, 0.5, 0.75]))
def test_smooth_min_exact(pair, tau, element, radius, base):
    pred, truth = pair
    sh = conseco.Smooth(filter="min", element=element, radius=radius, base=base)
    lv = ref.smooth_levels(pred, base=base, filter="min", element=element, radius=radius)
    got = conseco.score(sh, pred, truth, tau)
    assert got == ref.smooth_score_walk(lv, truth, tau)
    assert np.array_equal(lib_levels(sh, pred), lv)
    fin = lv[np.isfinite(lv)]
    lams = [got if got != math.inf else math.inf, 0.5, 2.0] + ([float(fin[0])] if fin.size else [])
    _check_masks(sh, pred, lv, [l for l in lams if l != math.inf])


@st.composite
def smooth_case(draw):
    pred, truth = draw(pairs(max_side=8))
    sigma = draw(st.sampled_from([0.3, 0.5, 1.0, 1.7, 2.5] if pred.ndim == 2 else [0.4, 1.0, 1.3]))
    units = draw(st.sampled_from(["px", "mm"]))
    spacing = _spacing(draw, pred)
    return pred, truth, sigma, units, spacing


@given(smooth_case(), taus, st.sampled_from([0.0, 0.5, 0.7]))
def test_smooth_gauss(case, tau, base):
    pred, truth, sigma, units, spacing = case
    sh = conseco.Smooth(sigma=sigma, base=base, units=units)
    lv = lib_levels(sh, pred, spacing)
    want = ref.smooth_levels(pred, sigma=sigma, base=base, units=units, spacing=spacing)
    assert np.array_equal(np.isfinite(lv), np.isfinite(want))
    fin = np.isfinite(want)
    scale = max(1.0, float(np.abs(want[fin]).max()) if fin.any() else 1.0)
    assert np.all(np.abs(lv[fin] - want[fin]) <= 1e-12 * scale)
    # the score is exact given the levels: the walk over the library's own level map
    got = conseco.score(sh, pred, truth, tau, spacing=spacing)
    assert got == ref.smooth_score_walk(lv, truth, tau)
    cal = conseco.Calibrator(sh, tau)
    assert cal.add(pred, truth, spacing=spacing) == got
    lams = [got] if got != math.inf else []
    if fin.any():
        lams.append(float(lv[fin].ravel()[0]))
    _check_masks(sh, pred, lv, lams + [0.6], spacing)


def test_smooth_lambda_range():
    sh = conseco.Smooth()
    assert sh.lambda_min == ref.SMOOTH_LAMBDA_MIN and sh.lambda_max == math.inf
    p = np.zeros((4, 5))
    assert conseco.score(sh, p, p > 0, 0.0) == ref.SMOOTH_LAMBDA_MIN  # empty prediction


# ------------------------------------------------------------------ ball-mm
@st.composite
def spaced_pairs(draw, max_side=7):
    pred, truth = draw(pairs(max_side=max_side))
    return pred, truth, _spacing(draw, pred)


@given(spaced_pairs(), taus, st.sampled_from(["foreground", "background"]),
       st.sampled_from([0.25, 0.5]))
def test_ballmm(case, tau, border, base):
    pred, truth, spacing = case
    sh = conseco.Erosion(element="ball-mm", border=border, base=base)
    got = conseco.score(sh, pred, truth, tau, spacing=spacing)
    assert got == ref.ballmm_score(pred, truth, tau, border, base, spacing)
    lv = ref.ballmm_levels(pred, border, base, spacing)
    fin = lv[np.isfinite(lv)]
    lams = [0.0, 1.0, 1.4142135623730951] + ([got] if got != math.inf else []) + \
        [float(v) for v in fin[:2]]
    _check_masks(sh, pred, lv, lams, spacing, strict=True)


# ------------------------------------------------------------------ sides
@given(pairs(max_side=8), st.sampled_from([0.0, 0.01, 0.1, 0.25, 0.5]),
       st.sampled_from([(0.5, 0.0), (0.5, 0.25), (0.75, 0.5), (0.5, 0.5)]))
def test_outer_lowering(pair, tau, bb):
    pred, truth = pair
    base, bottom = bb
    cal = conseco.Calibrator(conseco.Threshold(base=base), tau, side="outer", bottom=bottom)
    want = ref.lowering_score(pred, truth, tau, base, bottom)
    assert cal.add(pred, truth) == want
    assert conseco.score(cal.shrinker, pred, truth, tau, side="outer", bottom=bottom) == want


@given(pairs(max_side=7), st.sampled_from([0.0, 0.01, 0.1, 0.25, 0.5]),
       st.sampled_from(["cross", "square", "disk"]))
def test_outer_dilation(pair, tau, element):
    pred, truth = pair
    cal = conseco.Calibrator(conseco.Erosion(element=element), tau, side="outer")
    want = ref.dilation_score(pred, truth, tau, element)
    assert cal.add(pred, truth) == want
    assert conseco.score(cal.shrinker, pred, truth, tau, side="outer") == want


@given(pairs(max_side=7), st.sampled_from([0.0, 0.1, 0.25]), st.sampled_from([0.0, 0.1, 0.5]),
       st.sampled_from(["threshold", "cross", "square", "disk"]))
def test_band(pair, tau, tau_outer, kind):
    pred, truth = pair
    if kind == "threshold":
        sh = conseco.Threshold()
        want = ref.band_threshold_score(pred, truth, tau, tau_outer)
    else:
        sh = conseco.Erosion(element=kind)
        want = max(ref.erosion_score(pred, truth, tau, kind),
                   ref.dilation_score(pred, truth, tau_outer, kind))
    cal = conseco.Calibrator(sh, tau, side="band", tau_outer=tau_outer)
    assert cal.add(pred, truth) == want
    assert conseco.score(sh, pred, truth, tau, side="band", tau_outer=tau_outer) == want
    assert cal.side == "band" and cal.tau_outer == tau_outer


@given(st.lists(st.sampled_from([-math.inf, 0.0, 0.1, 0.3, 0.5]) | st.floats(0, 0.5), max_size=40),
       st.sampled_from([0.05, 0.1, 0.2, 0.5, 0.9]))
def test_lowering_lambda_hat_is_kth_largest(scores, alpha):
    cal = conseco.Calibrator(conseco.Threshold(), 0.1, side="outer")
    for s in scores:
        cal.add_score(s)
    k = ref.rank(len(scores), alpha)
    want = -math.inf if k > len(scores) else sorted(scores, reverse=True)[k - 1]
    assert cal.lambda_hat(alpha) == (want, k)
    assert cal.scores.tolist() == scores  # not reordered
    band = conseco.Calibrator(conseco.Erosion(), 0.1, side="band", tau_outer=0.2)
    for s in scores:
        band.add_score(abs(s))
    assert band.lambda_hat(alpha) == ref.quantile([abs(s) for s in scores], alpha)


# ------------------------------------------------------------------ state
CALS = [
    lambda: conseco.Calibrator(conseco.Smooth(), 0.1),
    lambda: conseco.Calibrator(conseco.Smooth(sigma=2.5, base=0.25, filter="min", element="disk",
                                              radius=3, units="mm"), 0.05),
    lambda: conseco.Calibrator(conseco.Erosion(element="ball-mm", border="background"), 0.1),
    lambda: conseco.Calibrator(conseco.Threshold(), 0.1, side="outer", bottom=0.25),
    lambda: conseco.Calibrator(conseco.Erosion(element="square"), 0.1, side="outer"),
    lambda: conseco.Calibrator(conseco.Threshold(base=0.4, top=0.9), 0.1, side="band", tau_outer=0.3),
    lambda: conseco.Calibrator(conseco.Erosion(element="disk"), 0.0, side="band", tau_outer=1.0),
]


@pytest.mark.parametrize("make", CALS)
def test_state_round_trip(make):
    cal = make()
    lowering = cal.side == "outer" and isinstance(cal.shrinker, conseco.Threshold)
    for s in [0.0, 0.5, -math.inf if lowering else math.inf, 0.125, 0.25]:
        cal.add_score(s)
    if lowering:  # thresholds: +inf is no score of this family
        with pytest.raises(conseco.BadScoreError):
            cal.add_score(math.inf)
    blob = cal.to_bytes()
    info = conseco.inspect_state(blob)
    assert info["side"] == cal.side and info["guarantee"] == "quantile"
    assert info["tau_outer"] == cal.tau_outer and info["bottom"] == cal.bottom
    assert info["shrinker"] == cal.shrinker and info["count"] == 5
    for c2 in (conseco.Calibrator.from_bytes(blob), pickle.loads(pickle.dumps(cal)),
               conseco.Calibrator.from_bytes(blob, cal.shrinker, cal.tau)):
        assert c2.to_bytes() == blob
        assert (c2.side, c2.tau_outer, c2.bottom, c2.shrinker) == \
            (cal.side, cal.tau_outer, cal.bottom, cal.shrinker)
        assert c2.lambda_hat(0.3) == cal.lambda_hat(0.3)
    # another side, tau_outer or bottom is another calibration
    inner = conseco.Calibrator(cal.shrinker, cal.tau)
    if cal.side != "inner":
        with pytest.raises(conseco.IncompatibleError):
            inner.load_bytes(blob)
        with pytest.raises(conseco.IncompatibleError):
            inner.merge(cal)
    assert "with 5 scores" in repr(cal)


def test_normalised_settings():
    cal = conseco.Calibrator(conseco.Erosion(), 0.1, side="outer", bottom=0.3)
    assert cal.bottom == 0.0  # dilation has no bottom: stored as 0
    cal = conseco.Calibrator(conseco.Threshold(), 0.1, side="outer")
    assert (cal.side, cal.bottom, cal.tau_outer) == ("outer", 0.0, 0.0)


# ------------------------------------------------------------------ bad input
P = np.random.default_rng(3).random((6, 7))
T = P > 0.6


@pytest.mark.parametrize("call, exc", [
    (lambda: conseco.Smooth(filter="box"), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(element="ball-mm"), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(units="cm"), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(radius=1.5), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(radius=0), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(radius=33), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(sigma=0.0), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(sigma=16.5), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(sigma=math.nan), conseco.BadShrinkerError),
    (lambda: conseco.Smooth(base=math.inf), conseco.BadShrinkerError),
    (lambda: conseco.score(conseco.Smooth(sigma=4, units="mm"), P, T, 0.1, spacing=(1.0, 0.2)),
     conseco.BadShrinkerError),
    (lambda: conseco.score(conseco.Erosion(element="ball-mm"), P, T, 0.1, spacing=(1e-300, 1.0)),
     conseco.BadSpacingError),
    (lambda: conseco.score(conseco.Erosion(element="ball-mm"), P, T, 0.1, spacing=(1.0, -1.0)),
     conseco.BadSpacingError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, side="both"), conseco.InvalidArgError),
    (lambda: conseco.score(conseco.Threshold(), P, T, 0.1, side="both"), conseco.InvalidArgError),
    (lambda: conseco.score(conseco.Threshold(), P, T, 0.1, bottom=0.2), conseco.InvalidArgError),
    (lambda: conseco.score(conseco.Threshold(), P, T, 0.1, side="outer", bottom=0.9),
     conseco.BadBottomError),
    (lambda: conseco.score(conseco.Smooth(), P, T, 0.1, side="outer"), conseco.UnsupportedError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, side="band"), conseco.InvalidArgError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, tau_outer=0.1), conseco.InvalidArgError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, bottom=0.1), conseco.InvalidArgError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, side="band", tau_outer=1.5),
     conseco.BadTauError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, side="outer", bottom=0.6),
     conseco.BadBottomError),
    (lambda: conseco.Calibrator(conseco.Threshold(), 0.1, side="outer", bottom=-math.inf),
     conseco.BadBottomError),
    (lambda: conseco.Calibrator(conseco.Smooth(), 0.1, side="outer"), conseco.UnsupportedError),
    (lambda: conseco.Calibrator(conseco.Smooth(), 0.1, side="band", tau_outer=0.1),
     conseco.UnsupportedError),
    (lambda: conseco.Calibrator(conseco.Custom(levels=lambda p: p), 0.1, side="outer"),
     conseco.UnsupportedError),

])
def test_bad_input(call, exc):
    with pytest.raises(exc):
        call()


def test_bad_bottom_error_class():
    e = conseco.BadBottomError("x")
    assert e.status == -29 and e.name == "CONSECO_E_BAD_BOTTOM" and isinstance(e, ValueError)
    assert conseco._ffi.string(conseco._lib.conseco_status_name(-29)).decode() == e.name


# ------------------------------------------------------------------ ball-mm sides
BALLMM_SIDES = conseco._api._ballmm_outer_ok()


@pytest.mark.skipif(BALLMM_SIDES, reason="the library's ball-mm outer family is Euclidean")
def test_ballmm_sides_refused_while_the_library_measures_steps():
    # libconseco 0.2.0 measures ball-mm's outer set in city-block steps (no spacing): refused
    for kw in ({"side": "outer"}, {"side": "band", "tau_outer": 0.1}):
        with pytest.raises(conseco.UnsupportedError):
            conseco.Calibrator(conseco.Erosion(element="ball-mm"), 0.1, **kw)


@pytest.mark.skipif(not BALLMM_SIDES, reason="the library's ball-mm outer family ignores mm")
@given(spaced_pairs(max_side=6), st.sampled_from([0.0, 0.1, 0.25, 0.5]), st.sampled_from([0.0, 0.2]))
def test_ballmm_sides(case, tau, tau_outer):
    pred, truth, spacing = case
    sh = conseco.Erosion(element="ball-mm")
    cal = conseco.Calibrator(sh, tau, side="outer")
    assert cal.add(pred, truth, spacing=spacing) == ref.ballmm_outer_score(pred, truth, tau, 0.5, spacing)
    band = conseco.Calibrator(sh, tau, side="band", tau_outer=tau_outer)
    assert band.add(pred, truth, spacing=spacing) == max(
        ref.ballmm_score(pred, truth, tau, spacing=spacing),
        ref.ballmm_outer_score(pred, truth, tau_outer, 0.5, spacing))
    yhat = ref.values(pred) >= 0.5
    dist = ref.distance_mm(np.ones(pred.shape, bool), yhat, spacing)
    for mu in [0.0, 0.5, 1.0, 1.4142135623730951, 2.5, math.inf]:
        inner, outer = conseco.apply_side(sh, pred, mu, spacing=spacing)
        want = np.ones(pred.shape, bool) if mu == math.inf else dist <= mu
        assert np.array_equal(inner, yhat) and np.array_equal(outer, want)
        bi, bo = conseco.apply_side(sh, pred, mu, "band", spacing=spacing)
        assert np.array_equal(bo, want)
        assert np.array_equal(bi, conseco.apply(sh, pred, mu, spacing=spacing))


# ------------------------------------------------------------------ apply_side
@given(pairs(max_side=7), st.sampled_from(["cross", "square", "disk"]),
       st.sampled_from([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 50.0, math.inf]),
       st.sampled_from(["foreground", "background"]))
def test_apply_side_erosion(pair, element, mu, border):
    pred, _ = pair
    sh = conseco.Erosion(element=element, border=border)
    yhat = ref.values(pred) >= 0.5
    inner, outer = conseco.apply_side(sh, pred, mu)
    want = np.ones(pred.shape, bool) if mu == math.inf else \
        ref.dilation_outer(pred, max(math.floor(mu), 0), element)
    assert np.array_equal(inner, yhat) and np.array_equal(outer, want)
    bi, bo = conseco.apply_side(sh, pred, mu, "band")
    assert np.array_equal(bo, want)
    assert np.array_equal(bi, ref.erosion_inner(pred, max(mu, 0.0), element, border))


@given(pairs(max_side=7), st.sampled_from([-math.inf, -1.0, 0.0, 0.1, 0.25, 0.5, 0.75, 1.0,
                                           math.inf]),
       st.sampled_from([0.5, 0.3]))
def test_apply_side_threshold(pair, lam, base):
    pred, _ = pair
    s = ref.values(pred)
    sh = conseco.Threshold(base=base)
    inner, outer = conseco.apply_side(sh, pred, lam)
    assert np.array_equal(inner, s >= base)
    assert np.array_equal(outer, s >= min(lam, base))
    bi, bo = conseco.apply_side(sh, pred, lam, "band")
    l = max(lam, 0.0)
    assert np.array_equal(bi, s >= base + l) and np.array_equal(bo, s >= base - l)


@given(pairs(max_side=7), st.sampled_from([0.0, 0.1, 0.25]), st.sampled_from([0.0, 0.2]),
       st.sampled_from(["threshold", "cross", "disk"]))
def test_apply_side_at_the_score_meets_the_tolerances(pair, tau, tau_outer, kind):
    """The sets at an image's own score satisfy what the score promises."""
    pred, truth = pair
    truth = truth != 0
    sh = conseco.Threshold() if kind == "threshold" else conseco.Erosion(element=kind)
    n = int((ref.values(pred) >= 0.5).sum())
    for side in ("outer", "band"):
        kw = {"tau_outer": tau_outer} if side == "band" else {}
        r = conseco.Calibrator(sh, tau, side=side, **kw).add(pred, truth)
        inner, outer = conseco.apply_side(sh, pred, r, side)
        assert np.all(inner <= outer)
        assert ref.fnr_ok(outer, truth, tau if side == "outer" else tau_outer)
        if side == "band":
            assert ref.afp_ok(inner, truth, n, tau)


@pytest.mark.parametrize("call, exc", [
    (lambda: conseco.apply_side(conseco.Smooth(), P, 0.5), conseco.UnsupportedError),
    (lambda: conseco.apply_side(conseco.Custom(levels=lambda p: p), P, 0.5), conseco.UnsupportedError),
    (lambda: conseco.apply_side(conseco.Threshold(), P, 0.5, "inner"), conseco.InvalidArgError),
    (lambda: conseco.apply_side(conseco.Threshold(), P, math.nan), conseco.BadLambdaError),
    (lambda: conseco.apply_side(conseco.Erosion(), P.astype(np.int64), 1.0), conseco.BadDtypeError),
    (lambda: conseco.apply_side("erosion", P, 1.0), conseco.BadShrinkerError),
])
def test_apply_side_bad_input(call, exc):
    with pytest.raises(exc):
        call()


def test_every_header_status_has_a_subclass():
    import os
    import re
    hdr = os.path.join(os.path.dirname(__file__), "..", "..", "include", "conseco.h")
    if not os.path.isfile(hdr):
        pytest.skip("conseco.h not in the source tree")
    codes = {int(v): n for n, v in re.findall(r"(CONSECO_E_[A-Z_]+)\s*=\s*(-\d+)", open(hdr).read())}
    from conseco._errors import BY_STATUS
    for st_, name in codes.items():
        assert st_ in BY_STATUS and BY_STATUS[st_].name == name, name


def test_threshold_range_is_its_own():
    sh = conseco.Threshold(base=0.3, top=0.9)
    assert (sh.lambda_min, sh.lambda_max) == (0.3, 0.9)
    assert (conseco.Erosion(element="ball-mm").lambda_min, conseco.Erosion().lambda_max) == (0.0, math.inf)


@given(st.lists(pairs(max_side=6), min_size=1, max_size=5), st.sampled_from([0.0, 0.1]),
       st.sampled_from([("outer", {}), ("outer", {"bottom": 0.25}), ("band", {"tau_outer": 0.1})]),
       st.sampled_from(["threshold", "square", "smooth"]), st.sampled_from([1, 3]))
def test_add_batch_sides_equals_add(items, tau, sidekw, kind, threads):
    side, kw = sidekw
    if kind == "smooth":
        sh, side, kw = conseco.Smooth(filter="min", radius=2), "inner", {}
    elif kind == "threshold":
        sh = conseco.Threshold()
    else:
        sh = conseco.Erosion(element="square")
        kw = {k: v for k, v in kw.items() if k != "bottom"}
    one = conseco.Calibrator(sh, tau, side=side, **kw)
    want = [one.add(p, t) for p, t in items]
    many = conseco.Calibrator(sh, tau, side=side, **kw)
    got = many.add_batch([p for p, _ in items], [t for _, t in items], threads=threads)
    assert got.tolist() == want and many.to_bytes() == one.to_bytes()
