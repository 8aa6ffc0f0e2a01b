# SPDX-License-Identifier: Apache-2.0
"""score, apply, metrics, rank, quantile and the Calibrator."""
from __future__ import annotations

import math
import os
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ._errors import BY_STATUS, ConsecoError
from ._runtime import ffi, lib, raise_status
from ._shrinkers import KINDS, Custom, Shrinker, _Prepared

ArrayLike = np.ndarray
Spacing = Optional[Sequence[float]]

_DTYPES = {np.dtype(np.uint8): 1, np.dtype(np.uint16): 2, np.dtype(np.float32): 3,
           np.dtype(np.float64): 4, np.dtype(np.bool_): 5}
_MASK_DTYPES = (np.dtype(np.uint8), np.dtype(np.bool_))
_from_buffer = ffi.from_buffer
_cast = ffi.cast
_NOSPACE = (0.0, 0.0, 0.0)
_MASKSET = frozenset(_MASK_DTYPES)
from ._fast import fast_add as _fast_add  # noqa: E402
from ._fast import fast_score as _fast_score  # noqa: E402


def _err(status: int, msg: str) -> ConsecoError:
    cls = BY_STATUS[status]
    return cls(f"{cls.name}: {msg}")


def _geometry(a: Any, what: str, dtypes: Any) -> Tuple[Any, int, int, int, int, int, int, Any]:
    """(pointer, w, h, d, row stride, slice stride, dtype code, keepalive) of a numpy array."""
    if type(a) is not np.ndarray:
        if not isinstance(a, np.ndarray):
            raise _err(-7, f"{what}: expected a numpy array, got {type(a).__name__}")
    code = dtypes.get(a.dtype) if dtypes is not None else (5 if a.dtype in _MASK_DTYPES else None)
    if code is None:
        raise _err(-7, f"{what}: unsupported dtype {a.dtype} (uint8, uint16, float32, float64, "
                       "bool; masks bool or uint8; native byte order)")
    nd = a.ndim
    st = a.strides
    sh = a.shape
    if nd == 2:
        h, w = sh
        d = 1
        rs = st[0]
        ss = rs * h
        xs = st[1]
    elif nd == 3:
        d, h, w = sh
        ss, rs, xs = st
        if d == 1:
            ss = rs * h
    else:
        raise _err(-3, f"{what}: expected a 2-D (h, w) or 3-D (d, h, w) array, got {nd}-D")
    if h == 1:
        rs = w * a.itemsize
        if d == 1:
            ss = rs
    if xs != a.itemsize and w > 1:
        raise _err(-4, f"{what}: the last axis must be contiguous (stride {xs}, item "
                       f"{a.itemsize}); pass np.ascontiguousarray({what})")
    if rs < 0 or ss < 0:
        raise _err(-4, f"{what}: negative strides (a flipped view) are not supported; "
                       f"pass np.ascontiguousarray({what})")
    if a.flags.c_contiguous:
        ptr = _from_buffer(a)
    else:
        ptr = _cast("void *", a.__array_interface__["data"][0])
    return ptr, w, h, d, rs, ss, code, a


def _spacing(spacing: Spacing, nd: int) -> Tuple[float, float, float]:
    """numpy axis order (z, y, x) or (y, x) -> the C order x, y, z."""
    if spacing is None:
        return _NOSPACE
    sp = [float(v) for v in spacing]
    if len(sp) != nd:
        raise _err(-28, f"spacing has {len(sp)} entries, the array has {nd} axes")
    for v in sp:
        if not (math.isfinite(v) and v > 0):
            raise _err(-28, f"spacing {tuple(sp)}: every entry must be finite and > 0")
    if nd == 2:
        return (sp[1], sp[0], 1.0)
    return (sp[2], sp[1], sp[0])


def _tau(tau: Any) -> float:
    try:
        if isinstance(tau, (str, bytes)):
            raise TypeError
        return float(tau)
    except (TypeError, ValueError):
        raise _err(-10, f"tau must be a number in [0, 1], not {tau!r}") from None


def _scratch(c: _Prepared, w: int, h: int, d: int) -> Tuple[Any, int, Any]:
    """Per-thread scratch of a prepared shrinker, grown when a larger image comes."""
    loc = c.local
    key = (w, h, d)
    try:
        if loc.key == key:
            return loc.buf, loc.size, loc.out
    except AttributeError:
        loc.out = ffi.new("double *")
        loc.size = -1
    need = lib.conseco_scratch_size(c.ptr, w, h, d)
    if need > loc.size:
        loc.buf = ffi.new("char[]", max(need, 1))
        loc.size = need
    loc.key = key
    return loc.buf, loc.size, loc.out


def _fail(shrinker: Shrinker, rc: int, what: str) -> None:
    if type(shrinker) is Custom:
        # always take what the callbacks stored (add_batch may report another pair's status)
        e = shrinker._take_error()
        if e is not None and rc == -16:
            raise e
    raise_status(rc, what)


def _truth_geometry(truth: Any, pred: Any) -> Tuple[Any, int, int, Any]:
    if type(truth) is not np.ndarray or truth.dtype not in _MASK_DTYPES:
        if not isinstance(truth, np.ndarray):
            raise _err(-7, f"truth: expected a numpy array, got {type(truth).__name__}")
        if truth.dtype.kind not in "biu":
            raise _err(-7, f"truth: unsupported dtype {truth.dtype} (bool or integer, nonzero = inside)")
        truth = np.not_equal(truth, 0)  # a copy, only for integer masks wider than 8 bits
    if truth.shape != pred.shape:
        raise _err(-12, f"truth shape {truth.shape} differs from prediction shape {pred.shape}")
    t = _geometry(truth, "truth", None)
    return t[0], t[4], t[5], t[7]


def score(shrinker: Shrinker, pred: ArrayLike, truth: ArrayLike, tau: float, *,
          spacing: Spacing = None, side: str = "inner", tau_outer: Optional[float] = None,
          bottom: Optional[float] = None) -> float:
    """Nonconformity score of one calibration pair.

    ``r = inf {lambda : F_lambda <= tau}`` with ``F_lambda`` the accepted
    false-positive proportion ``|I_lambda minus Y| / |Yhat|`` (docs/DESIGN.md).

    Parameters
    ----------
    shrinker : Shrinker
        :class:`Threshold`, :class:`Erosion` or :class:`Custom`.
    pred : numpy.ndarray
        Score map, 2-D ``(h, w)`` or 3-D ``(d, h, w)``; uint8 (value/255),
        uint16 (value/65535), float32/float64 (as is, finite) or bool. Rows
        and slices may be strided; the last axis must be contiguous.
    truth : numpy.ndarray
        Ground-truth mask of the same shape, bool or uint8 (nonzero = inside).
    tau : float
        Tolerance in ``[0, 1]``.
    spacing : sequence of float, optional
        Voxel size per array axis, in the order of ``pred.shape``.
    side, tau_outer, bottom
        As in :class:`Calibrator`: the score of an outer or band calibration
        (computed by a one-pair calibrator, since the C library's
        ``conseco_side_score`` is not exported from ``libconseco.so``).

    Returns
    -------
    float
        The score; ``math.inf`` when no lambda gets ``F <= tau`` (outer
        threshold lowering: the largest threshold, ``-math.inf`` if none).

    Raises
    ------
    ConsecoError
        A subclass naming the status: ``BadDtypeError``, ``SizeMismatchError``,
        ``NonFiniteError``, ``BadTauError``, ``BadStrideError`` ... An exception
        raised by a :class:`Custom` callable is re-raised as itself.
    """
    if side != "inner" or tau_outer is not None or bottom is not None:
        cal = Calibrator(shrinker, tau, side=side, tau_outer=tau_outer, bottom=bottom)
        return cal.add(pred, truth, spacing=spacing)
    # fast path (C, buffer protocol): any supported 2-D/3-D numpy view, no spacing
    if spacing is None:
        try:
            r = _fast_score(shrinker._addr, pred, truth, tau)
        except AttributeError:  # not a Shrinker: the general path says so
            r = None
        if type(r) is float:
            return r
        if r is not None:
            _fail(shrinker, r, "score")
    return _score_general(shrinker, pred, truth, tau, spacing)


def _score_general(shrinker: Shrinker, pred: Any, truth: Any, tau: float, spacing: Spacing) -> float:
    if not isinstance(shrinker, Shrinker):
        raise _err(-17, f"shrinker must be a conseco Shrinker, not {type(shrinker).__name__}")
    c = shrinker._c
    p, w, h, d, prs, pss, dt, _k1 = _geometry(pred, "pred", _DTYPES)
    t, trs, tss, truth = _truth_geometry(truth, pred)
    sx, sy, sz = _NOSPACE if spacing is None else _spacing(spacing, pred.ndim)
    buf, size, out = _scratch(c, w, h, d)
    rc = lib.pyc_score(c.ptr, p, w, h, d, prs, pss, dt, sx, sy, sz, t, trs, tss, _tau(tau), buf,
                       size, out)
    if rc:
        _fail(shrinker, rc, "score")
    return out[0]


def apply(shrinker: Shrinker, pred: ArrayLike, lam: float, *, uncertain: bool = False,
          spacing: Spacing = None, out: Optional[np.ndarray] = None
          ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
    """Inner mask ``I_lam`` of a prediction (and the uncertain region).

    Parameters
    ----------
    shrinker : Shrinker
        The shrinker the calibrator used (``cal.shrinker``).
    pred : numpy.ndarray
        Score map (see :func:`score`).
    lam : float
        Usually ``lambda_hat``; ``math.inf`` gives the empty mask, a value at
        or below ``shrinker.lambda_min`` gives ``Yhat``.
    uncertain : bool, default False
        Also return ``U = Yhat minus I``.
    spacing : sequence of float, optional
        Voxel size per array axis.
    out : numpy.ndarray, optional
        A C-contiguous bool array of ``pred.shape`` to write the inner mask into.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        Bool mask(s) of ``pred.shape``; written only on success.
    """
    if not isinstance(shrinker, Shrinker):
        raise _err(-17, f"shrinker must be a conseco Shrinker, not {type(shrinker).__name__}")
    c = shrinker._c
    p, w, h, d, prs, pss, dt, _k = _geometry(pred, "pred", _DTYPES)
    sx, sy, sz = _NOSPACE if spacing is None else _spacing(spacing, pred.ndim)
    lam = float(lam)
    if math.isnan(lam):
        raise _err(-11, "lambda is NaN")
    inner = np.empty(pred.shape, np.bool_)
    unc = np.empty(pred.shape, np.bool_) if uncertain else None
    rc = lib.pyc_apply_c(c.ptr, p, w, h, d, prs, pss, dt, sx, sy, sz, lam,
                         _from_buffer(inner), _from_buffer(unc) if unc is not None else ffi.NULL)
    if rc:
        _fail(shrinker, rc, "apply")
    if out is not None:
        if out.shape != inner.shape or out.dtype != np.bool_:
            raise _err(-12, f"out must be bool of shape {inner.shape}")
        out[...] = inner
        inner = out
    return (inner, unc) if uncertain else inner


class ImageMetrics(NamedTuple):
    """Per-image quantities at one lambda (paper Eqs. 3, 7-9)."""

    predicted: int  #: |Yhat|
    inner: int  #: |I|
    inner_fp: int  #: |I minus Y|
    inner_tp: int  #: |I and Y|
    afp: float  #: inner_fp / predicted (0 for an empty prediction)
    cr: float  #: inner / predicted (1 for an empty prediction)
    atp: float  #: inner_tp / predicted (1 for an empty prediction)
    valid: bool  #: afp <= tau


class SetMetrics(NamedTuple):
    """Means over images: EV (fraction valid), CR and ATP."""

    n: int
    ev: float
    cr: float
    atp: float


def _im(m: Any) -> ImageMetrics:
    return ImageMetrics(int(m.predicted), int(m.inner), int(m.inner_fp), int(m.inner_tp),
                        float(m.afp), float(m.cr), float(m.atp), bool(m.valid))


def evaluate(shrinker: Shrinker, pred: ArrayLike, truth: ArrayLike, lam: float, tau: float, *,
             spacing: Spacing = None) -> ImageMetrics:
    """Metrics of ``shrinker`` at ``lam`` on one image, without building a mask.

    Parameters
    ----------
    shrinker, pred, truth, spacing
        As in :func:`score`.
    lam : float
        The lambda to evaluate (e.g. ``lambda_hat``).
    tau : float
        Tolerance that decides ``valid`` (``afp <= tau``).

    Returns
    -------
    ImageMetrics
    """
    c = shrinker._c
    p, w, h, d, prs, pss, dt, _k = _geometry(pred, "pred", _DTYPES)
    t, trs, tss, _t = _truth_geometry(truth, pred)
    sx, sy, sz = _NOSPACE if spacing is None else _spacing(spacing, pred.ndim)
    lam = float(lam)
    if math.isnan(lam):
        raise _err(-11, "lambda is NaN")
    buf, size, _o = _scratch(c, w, h, d)
    m = ffi.new("conseco_image_metrics *")
    rc = lib.pyc_evaluate(c.ptr, p, w, h, d, prs, pss, dt, sx, sy, sz, t, trs, tss, lam,
                          _tau(tau), buf, size, m)
    if rc:
        _fail(shrinker, rc, "evaluate")
    return _im(m)


def metrics(yhat: ArrayLike, inner: ArrayLike, truth: ArrayLike, tau: float) -> ImageMetrics:
    """Metrics from explicit masks.

    Parameters
    ----------
    yhat, inner, truth : numpy.ndarray
        Bool or uint8 masks of one shape (nonzero = inside); ``inner`` must lie
        inside ``yhat``.
    tau : float
        Tolerance that decides ``valid``.

    Returns
    -------
    ImageMetrics
    """
    arrs = []
    for name, a in (("yhat", yhat), ("inner", inner), ("truth", truth)):
        if not isinstance(a, np.ndarray):
            raise _err(-7, f"{name}: expected a numpy array")
        if a.ndim not in (2, 3):
            raise _err(-3, f"{name}: expected a 2-D or 3-D array")
        arrs.append(np.ascontiguousarray(np.not_equal(a, 0), dtype=np.uint8))
    if not (arrs[0].shape == arrs[1].shape == arrs[2].shape):
        raise _err(-12, "yhat, inner and truth must have one shape")
    sh = arrs[0].shape
    d, h, w = (1,) + sh if len(sh) == 2 else sh
    m = ffi.new("conseco_image_metrics *")
    rc = lib.pyc_metrics_from_masks(*(_from_buffer(a) for a in arrs), w, h, d, _tau(tau), m)
    if rc:
        raise_status(rc, "metrics")
    return _im(m)


def set_metrics(items: Sequence[ImageMetrics]) -> SetMetrics:
    """EV, mean CR and mean ATP over per-image metrics (at least one).

    Parameters
    ----------
    items : sequence of ImageMetrics

    Returns
    -------
    SetMetrics
    """
    n = len(items)
    if n == 0:
        raise _err(-3, "set_metrics needs at least one image")
    arr = ffi.new("conseco_image_metrics[]", n)
    for i, it in enumerate(items):
        a = arr[i]
        a.predicted, a.inner, a.inner_fp, a.inner_tp = (it.predicted, it.inner, it.inner_fp,
                                                        it.inner_tp)
        a.afp, a.cr, a.atp, a.valid = it.afp, it.cr, it.atp, int(it.valid)
    out = ffi.new("conseco_set_metrics *")
    rc = lib.conseco_set_metrics_compute(arr, n, out)
    if rc:
        raise_status(rc, "set_metrics")
    return SetMetrics(int(out.n), float(out.ev), float(out.cr), float(out.atp))


def rank(n: int, alpha: float) -> int:
    """The conformal rank ``k = ceil((n + 1)(1 - alpha))``, exact.

    alpha is read as the shortest decimal that rounds to it (n = 149,
    alpha = 0.18 gives 123). ``k > n`` means ``lambda_hat = inf``.

    Parameters
    ----------
    n : int
        Number of calibration scores (>= 0).
    alpha : float
        Miscoverage level in (0, 1).

    Returns
    -------
    int

    Raises
    ------
    BadAlphaError
        alpha outside (0, 1) or NaN.
    """
    if n < 0:
        raise _err(-2, "n must be >= 0")
    k = ffi.new("size_t *")
    rc = lib.conseco_rank(int(n), float(alpha), k)
    if rc:
        raise_status(rc, "rank")
    return int(k[0])


def min_calibration_size(alpha: float) -> int:
    """Smallest n with a finite lambda_hat for this alpha (9 for alpha = 0.1).

    Parameters
    ----------
    alpha : float

    Returns
    -------
    int
    """
    k = ffi.new("size_t *")
    rc = lib.conseco_min_calibration_size(float(alpha), k)
    if rc:
        raise_status(rc, "min_calibration_size")
    return int(k[0])


def quantile(scores: Union[Sequence[float], np.ndarray], alpha: float) -> Tuple[float, int]:
    """Conformal quantile: the k-th smallest score, ``k = rank(n, alpha)``.

    Parameters
    ----------
    scores : array_like of float
        Calibration scores (``inf`` allowed, NaN rejected). Not modified.
    alpha : float
        Miscoverage level in (0, 1).

    Returns
    -------
    (float, int)
        ``(lambda_hat, k)``; ``lambda_hat`` is ``math.inf`` when ``k > n``.

    Raises
    ------
    BadScoreError
        A score is NaN.
    BadAlphaError
        alpha outside (0, 1).
    """
    a = np.array(scores, dtype=np.float64, copy=True).ravel()
    n = a.size
    lam = ffi.new("double *")
    k = ffi.new("size_t *")
    rc = lib.conseco_quantile(ffi.from_buffer("double[]", a) if n else ffi.NULL, n, float(alpha), lam, k)
    if rc == -1 and n == 0:  # n = 0 with NULL: go through rank for the same answer
        return math.inf, rank(0, alpha)
    if rc:
        raise_status(rc, "quantile")
    return float(lam[0]), int(k[0])


def apply_side(shrinker: Shrinker, pred: ArrayLike, lam: float, side: str = "outer", *,
               spacing: Spacing = None) -> Tuple[np.ndarray, np.ndarray]:
    """The sets of an outer or band calibration at ``lam``: ``(inner, outer)``.

    Mirrors the experimental C function ``conseco_side_apply`` (which
    ``libconseco.so`` does not export) with exported functions only:

    - :class:`Threshold`, ``side="outer"`` (threshold lowering):
      ``inner = Yhat``, ``outer = {s >= min(lam, base)}``; ``-inf`` gives the
      whole image.
    - :class:`Threshold`, ``side="band"``: ``inner = {s >= base + lam}``,
      ``outer = {s >= base - lam}`` (sums in double, ``lam < 0`` reads as 0).
    - :class:`Erosion` (cross, square, disk), ``side="outer"``:
      ``inner = Yhat``, ``outer = Yhat`` dilated ``floor(lam)`` times (disk:
      once, radius ``floor(lam)``), never leaving the image; ball-mm:
      ``outer = {p : d_mm(p, Yhat) <= lam}`` with the ``spacing``; ``"band"``:
      ``inner = apply(shrinker, pred, lam)`` and the same ``outer``. The
      dilation is computed exactly as the complement of the library's
      erosion (``border="foreground"``) of the complement of ``Yhat``.
      ``+inf`` gives an empty inner set and the whole image as outer set.

    Parameters
    ----------
    shrinker : Threshold or Erosion
    pred : numpy.ndarray
        Score map (see :func:`score`).
    lam : float
        Usually ``cal.lambda_hat(alpha)[0]`` of a calibrator of that side.
    side : {"outer", "band"}, default "outer"
    spacing : sequence of float, optional
        Voxel size per array axis (used by ball-mm).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Bool masks of ``pred.shape``: ``inner`` (a subset of) ``outer``.

    Raises
    ------
    UnsupportedError
        :class:`Smooth` and :class:`Custom` (no outer family), and
        ``Erosion(element="ball-mm")`` with a library whose ball-mm outer
        family is not the Euclidean one in mm (libconseco before the
        "ball-mm outer" change).
    InvalidArgError
        Unknown side.
    BadLambdaError
        ``lam`` is NaN.
    """
    if not isinstance(shrinker, Shrinker):
        raise _err(-17, f"shrinker must be a conseco Shrinker, not {type(shrinker).__name__}")
    if side not in ("outer", "band"):
        raise _err(-2, f"side must be 'outer' or 'band', not {side!r} (inner: use apply)")
    lam = float(lam)
    if math.isnan(lam):
        raise _err(-11, "lambda is NaN")
    thr, ero = KINDS[1][0], KINDS[2][0]
    ballmm = isinstance(shrinker, ero) and shrinker.element == "ball-mm"  # type: ignore[attr-defined]
    if not (isinstance(shrinker, thr) or isinstance(shrinker, ero)) or \
            (ballmm and not _ballmm_outer_ok()):
        raise _err(-26, f"{shrinker!r} has no outer family in this library version")
    yhat = apply(shrinker, pred, -math.inf, spacing=spacing)  # at or below lambda_min: Yhat
    shape = yhat.shape
    if isinstance(shrinker, thr):
        base = shrinker.base  # type: ignore[attr-defined]

        def at_least(t: float) -> np.ndarray:  # {s >= t} by the library's own reading of s
            if t == -math.inf:
                return np.ones(shape, np.bool_)
            if t == math.inf:
                return np.zeros(shape, np.bool_)
            return apply(thr(base=t, top=t), pred, t, spacing=spacing)

        if side == "outer":
            return yhat, (yhat.copy() if lam >= base else at_least(lam))
        lam = max(lam, 0.0)
        return at_least(base + lam), at_least(base - lam)
    # erosion params: dilation = complement of the erosion of the complement
    if lam == math.inf:
        outer = np.ones(shape, np.bool_)
    else:
        comp = np.where(yhat, np.uint8(0), np.uint8(255))
        if ballmm:  # real mu: {d_mm(p, Yhat) <= mu} = not {p outside Yhat : d_mm > mu}
            mu = max(lam, 0.0)
        else:
            mu = float(max(math.floor(lam), 0)) if lam != -math.inf else 0.0
        dual = ero(element=shrinker.element, border="foreground", base=0.5)  # type: ignore[attr-defined]
        outer = ~apply(dual, comp, mu, spacing=spacing)
    inner = yhat if side == "outer" else apply(shrinker, pred, lam, spacing=spacing)
    return inner, outer


_BALLMM_OUTER: List[bool] = []


def _ballmm_outer_ok() -> bool:
    """Whether the loaded library's outer family of ball-mm is the Euclidean one in mm.

    An earlier 0.2.0 build measured the outer set of every erosion element but square and disk
    in city-block voxel steps, so ball-mm's outer scores ignored the spacing and the Euclidean
    metric (DESIGN.md 5.2 asks for ``{p : d_mm(p, Yhat) <= mu}``); both report version 0.2.0.
    Probed once on a 3x3 case whose answer is ``sqrt(5)`` mm; ball-mm sides are refused with a
    library that fails it.
    """
    if not _BALLMM_OUTER:
        ok = False
        sh = KINDS[2][0](element="ball-mm")
        pp = ffi.new("conseco_calibrator **")
        if lib.pyc_calibrator_create(sh._c.ptr, 0.0, 1, 0, 0.0, 0.0, pp) == 0:
            cal = ffi.gc(pp[0], lib.conseco_calibrator_free)
            pred = np.zeros((3, 3), np.float64)
            pred[0, 0] = 1.0
            truth = np.zeros((3, 3), np.uint8)
            truth[1, 1] = 1
            out = ffi.new("double *")
            rc = lib.pyc_add(cal, _from_buffer(pred), 3, 3, 1, 24, 72, 4, 2.0, 1.0, 1.0,
                             _from_buffer(truth), 3, 9, out)
            ok = rc == 0 and out[0] == math.sqrt(5.0)
        _BALLMM_OUTER.append(ok)
    return _BALLMM_OUTER[0]


class Calibrator:
    """Split-conformal calibrator: a shrinker, a tau and calibration scores
    (or, with ``guarantee="risk"``, the summed loss curve).

    Parameters
    ----------
    shrinker : Shrinker
        :class:`Threshold`, :class:`Erosion`, :class:`Smooth` or :class:`Custom`.
    tau : float
        Tolerated fraction of accepted false positives, in ``[0, 1]``
        (``side="outer"``: of missed truth, ``FNR = |Y \\ O| / |Y|``).
        Required by the quantile guarantee; must be omitted (None) with
        ``guarantee="risk"``, which has no tau.
    guarantee : {"quantile", "risk"}, default "quantile"
        ``"quantile"``: ``P(AFP <= tau) >= 1 - alpha`` on a new image, from the
        k-th smallest score (the paper). ``"risk"``: conformal risk control,
        ``E[AFP] <= alpha`` (docs/DESIGN.md 5.3): the calibrator keeps the
        exact summed loss curve of its images instead of scores; ``lambda_hat``
        is the smallest candidate lambda with
        ``n/(n+1) * R(lambda) + 1/(n+1) <= alpha`` (``R`` the mean AFP,
        :meth:`risk`), decided exactly by the library. The library supports
        risk for the inner side of shrinkers with a level map (built-ins,
        :class:`Custom` with ``levels``); other sides and black-box customs
        raise :class:`UnsupportedError` (the side is passed through, so a
        library that supports more gives more).
    side : {"inner", "outer", "band"}, default "inner"
        Which set is calibrated (DESIGN.md 5.2, experimental in the C
        library). ``"inner"``: ``I_lambda`` inside ``Yhat`` (the paper).
        ``"outer"``: ``O_mu`` containing ``Yhat`` -- dilation for
        :class:`Erosion` (cross, square, disk; ball-mm:
        ``{p : d_mm(p, Yhat) <= mu}`` with the spacing),
        threshold lowering ``{s >= t}`` for :class:`Threshold` (scores are
        thresholds, see :meth:`lambda_hat`). ``"band"``: one width for both
        (erosion and dilation, or ``{s >= base +- lambda}``), the score is
        ``max(inner score at tau, outer score at tau_outer)``.
        :class:`Smooth` and :class:`Custom` have no outer family
        (:class:`UnsupportedError`; so is ball-mm with a library whose
        ball-mm outer family is not in millimetres, see ``apply_side``).
    tau_outer : float, optional
        Required with ``side="band"`` and the quantile guarantee (the outer
        FNR tolerance, in ``[0, 1]``); not allowed otherwise.
    bottom : float, optional
        ``side="outer"`` only: the lowest threshold of threshold lowering
        (:class:`Threshold`; default 0; finite and at most ``base``, else
        :class:`BadBottomError`). Dilation ignores it (stored as 0).

    Raises
    ------
    InvalidArgError
        Unknown side or guarantee, ``tau_outer`` or ``bottom`` where they do
        not apply, band without ``tau_outer``, a ``tau`` with
        ``guarantee="risk"``.
    BadTauError
        tau outside ``[0, 1]``, or missing with the quantile guarantee.
    BadBottomError, UnsupportedError, BadShrinkerError

    Examples
    --------
    >>> cal = Calibrator(Erosion(element="cross"), tau=0.01)   # doctest: +SKIP
    >>> for pred, truth in pairs:
    ...     cal.add(pred, truth)
    >>> lam, k = cal.lambda_hat(alpha=0.1)          # lam is math.inf when k > n
    >>> inner = apply(cal.shrinker, new_pred, lam)
    >>> risk = Calibrator(Threshold(), guarantee="risk")   # doctest: +SKIP
    >>> risk.add_batch(preds, truths)
    >>> lam, _ = risk.lambda_hat(alpha=0.1)         # E[AFP] <= 0.1; k is 0
    >>> risk.risk(lam)                              # the calibration risk R(lam)

    Notes
    -----
    Scores are kept in the order they were added (``scores``, ``to_bytes``);
    ``lambda_hat`` does not reorder them. A calibrator pickles as its state
    bytes plus its shrinker. One calibrator must not be used from two threads
    at once.

    A risk calibrator (``guarantee="risk"``) stores no scores: ``len`` is
    the number of calibration images, :attr:`scores` is an empty array,
    :meth:`add` and :meth:`add_batch` return each pair's loss at
    ``lambda_min`` (the AFP of ``Yhat``), :meth:`add_score` raises
    :class:`UnsupportedError` (a score carries no curve), :meth:`merge`
    adds curves (exact: the result does not depend on the order of images or
    merges), and its state (format 3) round-trips through :meth:`to_bytes`,
    :meth:`from_bytes` and pickle. :attr:`tau` is None.

    The pure side functions of the C library (``conseco_side_score``,
    ``_apply``, ``_evaluate``) are experimental and not exported from
    ``libconseco.so``: scores of outer and band calibrations come from the
    (exported) calibrator, the sets from :func:`apply_side`, which builds
    them from exported functions. There is no per-image side ``score`` or
    ``evaluate`` in this package.
    """

    def __init__(self, shrinker: Shrinker, tau: Optional[float] = None, *,
                 guarantee: str = "quantile", side: str = "inner",
                 tau_outer: Optional[float] = None, bottom: Optional[float] = None):
        if not isinstance(shrinker, Shrinker):
            raise _err(-17, f"shrinker must be a conseco Shrinker, not {type(shrinker).__name__}")
        if not isinstance(guarantee, str) or guarantee not in _GUARANTEES:
            raise _err(-2, f"unknown guarantee {guarantee!r} (one of {sorted(_GUARANTEES)})")
        risk = guarantee == "risk"
        if risk:
            if tau is not None:
                raise _err(-2, "guarantee='risk' has no tau (it controls E[AFP] <= alpha); "
                               "omit tau")
            if tau_outer is not None:
                raise _err(-2, "guarantee='risk' has no tau_outer")
        else:
            if tau is None:
                raise _err(-10, "the quantile guarantee needs tau (a number in [0, 1]); "
                                "guarantee='risk' has none")
            tau = _tau(tau)
            if not (0.0 <= tau <= 1.0):
                raise _err(-10, f"tau = {tau} is not in [0, 1]")
        if side not in _SIDES:
            raise _err(-2, f"unknown side {side!r} (one of {sorted(_SIDES)})")
        if risk:
            pass  # the side goes to the library as it is: it says what risk supports
        elif side == "band":
            if tau_outer is None:
                raise _err(-2, "side='band' needs tau_outer (the outer FNR tolerance)")
            tau_outer = _tau(tau_outer)
            if not (0.0 <= tau_outer <= 1.0):
                raise _err(-10, f"tau_outer = {tau_outer} is not in [0, 1]")
        elif tau_outer is not None:
            raise _err(-2, "tau_outer only applies to side='band'")
        if bottom is not None and side != "outer":
            raise _err(-2, "bottom only applies to side='outer' (threshold lowering)")
        if side != "inner" and getattr(shrinker, "element", None) == "ball-mm" \
                and isinstance(shrinker, KINDS[2][0]) and not _ballmm_outer_ok():
            raise _err(-26, "side='outer'/'band' with element='ball-mm' is not supported by "
                            "this library version (its outer family ignores the spacing)")
        pp = ffi.new("conseco_calibrator **")
        rc = lib.pyc_calibrator_create(shrinker._c.ptr, 0.0 if tau is None else tau,
                                       _SIDES[side], _GUARANTEES[guarantee],
                                       0.0 if tau_outer is None else float(tau_outer),
                                       0.0 if bottom is None else float(bottom), pp)
        if rc:
            raise_status(rc, "Calibrator")
        self._cal = ffi.gc(pp[0], lib.conseco_calibrator_free)
        self._addr = int(ffi.cast("uintptr_t", self._cal))
        self._shrinker = shrinker
        self._tau = tau
        self._guarantee = guarantee
        self._out = ffi.new("double *")
        # the side settings as the library normalised them (read back from the empty state)
        info = inspect_state(self.to_bytes())
        self._side = info["side"]
        self._tau_outer = info["tau_outer"]
        self._bottom = info["bottom"]

    @property
    def shrinker(self) -> Shrinker:
        """The shrinker (pass it to :func:`apply`)."""
        return self._shrinker

    @property
    def tau(self) -> Optional[float]:
        """The tolerance tau (inner AFP; the outer side's FNR for ``side="outer"``);
        None for ``guarantee="risk"``."""
        return self._tau

    @property
    def guarantee(self) -> str:
        """``"quantile"`` (``P(loss <= tau) >= 1 - alpha``) or ``"risk"`` (``E[loss] <= alpha``)."""
        return self._guarantee

    @property
    def side(self) -> str:
        """Which set is calibrated: ``"inner"``, ``"outer"`` or ``"band"``."""
        return self._side

    @property
    def tau_outer(self) -> float:
        """The band's outer FNR tolerance (0 for the other sides)."""
        return self._tau_outer

    @property
    def bottom(self) -> float:
        """The lowest threshold of outer threshold lowering (0 otherwise)."""
        return self._bottom

    def __len__(self) -> int:
        return int(lib.conseco_calibrator_count(self._cal))

    def __repr__(self) -> str:
        extra = ""
        if self._side == "band":
            extra = f", side='band', tau_outer={self._tau_outer!r}"
        elif self._side == "outer":
            extra = f", side='outer', bottom={self._bottom!r}"
        if self._guarantee == "risk":
            return (f"Calibrator({self._shrinker!r}, guarantee='risk'{extra}) with "
                    f"{len(self)} images")
        return f"Calibrator({self._shrinker!r}, tau={self._tau!r}{extra}) with {len(self)} scores"

    def add(self, pred: ArrayLike, truth: ArrayLike, *, spacing: Spacing = None) -> float:
        """Score one calibration pair and store the score.

        Parameters
        ----------
        pred, truth, spacing
            As in :func:`score`.

        Returns
        -------
        float
            The stored score (``math.inf`` possible). A risk calibrator adds
            the pair's loss curve instead and returns its loss at
            ``lambda_min`` (the AFP of ``Yhat``).
        """
        if spacing is None:
            r = _fast_add(self._addr, pred, truth)
            if type(r) is float:
                return r
            if r is not None:
                _fail(self._shrinker, r, "add")
        p, w, h, d, prs, pss, dt, _k = _geometry(pred, "pred", _DTYPES)
        t, trs, tss, _t = _truth_geometry(truth, pred)
        sx, sy, sz = _NOSPACE if spacing is None else _spacing(spacing, pred.ndim)
        rc = lib.pyc_add(self._cal, p, w, h, d, prs, pss, dt, sx, sy, sz, t, trs, tss, self._out)
        if rc:
            _fail(self._shrinker, rc, "add")
        return self._out[0]

    def add_batch(self, preds: Iterable[ArrayLike], truths: Iterable[ArrayLike], *,
                  threads: int = 0, spacing: Union[Spacing, Sequence[Spacing]] = None
                  ) -> np.ndarray:
        """Score many pairs, on several threads, without holding the GIL.

        All or nothing: on error no score is stored.

        Parameters
        ----------
        preds, truths : iterables of numpy.ndarray
            Pairs as in :func:`score` (shapes may differ between pairs).
        threads : int, default 0
            0: one thread per CPU (``os.cpu_count()``, at most 64); 1: the
            calling thread only; n: up to n threads. The scores never depend
            on it.
        spacing : sequence of float, or a list of them, optional
            One spacing for every pair, or one per pair.

        Returns
        -------
        numpy.ndarray
            The new scores (float64), in input order (risk calibrators: each
            pair's loss at ``lambda_min``, as :meth:`add`).
        """
        preds = list(preds)
        truths = list(truths)
        n = len(preds)
        if len(truths) != n:
            raise _err(-12, f"{n} predictions but {len(truths)} truths")
        if threads < 0:
            raise _err(-2, "threads must be >= 0")
        nthreads = min(os.cpu_count() or 1, 64) if threads == 0 else min(int(threads), 64)
        per_pair = (spacing is not None and len(spacing) == n and n > 0
                    and not isinstance(spacing[0], (int, float, np.floating, np.integer)))
        geom = np.zeros((max(n, 1), 8), np.uint64)
        sp = np.zeros((max(n, 1), 3), np.float64)
        pptr = ffi.new("void *[]", max(n, 1))
        tptr = ffi.new("void *[]", max(n, 1))
        keep: List[Any] = []
        for i in range(n):
            p, w, h, d, prs, pss, dt, kp = _geometry(preds[i], f"preds[{i}]", _DTYPES)
            t, trs, tss, kt = _truth_geometry(truths[i], preds[i])
            s = spacing[i] if per_pair else spacing  # type: ignore[index]
            sp[i] = _NOSPACE if s is None else _spacing(s, preds[i].ndim)
            geom[i] = (w, h, d, prs, pss, trs, tss, dt)
            pptr[i] = p
            tptr[i] = t
            keep.append((p, t, kp, kt))
        scores = np.empty(n, np.float64)
        if n == 0:
            return scores
        rc = lib.pyc_add_batch(self._cal, pptr, tptr, ffi.from_buffer("uint64_t[]", geom), ffi.from_buffer("double[]", sp), n,
                               nthreads, ffi.from_buffer("double[]", scores))
        if rc:
            _fail(self._shrinker, rc, "add_batch")
        return scores

    def add_score(self, score: float) -> None:
        """Store a precomputed score (``inf`` allowed, NaN rejected).

        Parameters
        ----------
        score : float

        Raises
        ------
        BadScoreError
            NaN.
        UnsupportedError
            A risk calibrator (it keeps loss curves, which a score does not carry).
        """
        rc = lib.conseco_calibrator_add_score(self._cal, float(score))
        if rc:
            raise_status(rc, "add_score")

    @property
    def scores(self) -> np.ndarray:
        """The stored scores (float64 copy), in the order they were added.

        A risk calibrator has no scores: an empty array (``len`` counts its images).
        """
        n = len(self)
        out = np.empty(n, np.float64)
        cnt = ffi.new("size_t *")
        rc = lib.conseco_calibrator_scores(self._cal, ffi.from_buffer("double[]", out) if n else ffi.NULL, n, cnt)
        if rc and n:
            raise_status(rc, "scores")
        return out[: int(cnt[0])] if n else out

    def lambda_hat(self, alpha: float) -> Tuple[float, int]:
        """The calibrated lambda for miscoverage ``alpha``.

        Parameters
        ----------
        alpha : float
            In (0, 1): ``P(AFP <= tau) >= 1 - alpha`` on a new image (outer
            side: ``P(FNR <= tau)``; band: both, with ``tau_outer``). Risk
            calibrators: ``E[AFP] <= alpha``.

        Returns
        -------
        (float, int)
            ``(lambda_hat, k)``: the k-th smallest score, or ``math.inf`` when
            ``k > len(self)`` (only the empty mask is guaranteed; see
            :func:`min_calibration_size`). Outer side of a :class:`Threshold`
            (threshold lowering): the scores are thresholds and ``lambda_hat``
            is the k-th LARGEST, ``-math.inf`` when ``k > len(self)`` (the
            whole image). Risk calibrators: ``(lambda_hat, 0)``, the smallest
            candidate lambda (a breakpoint of some calibration image, or
            ``lambda_min``; erosion: an integer) with
            ``n/(n+1) * R(lambda) + 1/(n+1) <= alpha``, decided exactly;
            ``math.inf`` (the empty inner mask) if none, and for ``n = 0``.

        Raises
        ------
        BadAlphaError
            alpha outside (0, 1) or NaN.
        """
        if self._guarantee == "risk":  # the library's rule; it does not touch the curve
            lam = ffi.new("double *")
            k = ffi.new("size_t *")
            rc = lib.conseco_calibrator_lambda_hat(self._cal, float(alpha), lam, k)
            if rc:
                raise_status(rc, "lambda_hat")
            return float(lam[0]), int(k[0])
        if self._side == "inner":
            return quantile(self.scores, alpha)
        # the library's rule for the other sides, on a copy (it reorders the scores)
        tmp = Calibrator(self._shrinker, self._tau, side=self._side,
                         tau_outer=self._tau_outer if self._side == "band" else None,
                         bottom=self._bottom if self._side == "outer" else None)
        tmp.load_bytes(self.to_bytes())
        lam = ffi.new("double *")
        k = ffi.new("size_t *")
        rc = lib.conseco_calibrator_lambda_hat(tmp._cal, float(alpha), lam, k)
        if rc:
            raise_status(rc, "lambda_hat")
        return float(lam[0]), int(k[0])

    def risk(self, lam: float) -> float:
        """Calibration risk ``R(lam)`` of a risk calibrator: the mean AFP of its images at ``lam``.

        Rounded to a double for reports (the decision in :meth:`lambda_hat` is
        exact). A ``lam`` below ``lambda_min`` reads as ``lambda_min``;
        ``math.inf`` (the empty mask) and an empty calibrator give 0.

        Parameters
        ----------
        lam : float

        Returns
        -------
        float
            In ``[0, 1]``.

        Raises
        ------
        UnsupportedError
            A quantile calibrator (it keeps scores, not losses).
        BadLambdaError
            ``lam`` is NaN.
        """
        out = ffi.new("double *")
        rc = lib.conseco_calibrator_risk(self._cal, float(lam), out)
        if rc:
            raise_status(rc, "risk")
        return float(out[0])

    def to_bytes(self) -> bytes:
        """The state (shrinker identity, tau, scores; risk: the summed loss curve) as
        versioned, checksummed bytes.

        Returns
        -------
        bytes
        """
        size = lib.conseco_calibrator_save_size(self._cal)
        buf = bytearray(size)
        written = ffi.new("size_t *")
        rc = lib.conseco_calibrator_save(self._cal, _from_buffer(buf), size, written)
        if rc:
            raise_status(rc, "to_bytes")
        return bytes(buf[: written[0]])

    def load_bytes(self, blob: bytes) -> None:
        """Replace the scores with those of a saved state of the same shrinker and tau
        (and the same side and guarantee).

        Parameters
        ----------
        blob : bytes-like

        Raises
        ------
        IncompatibleError, ForeignError, CorruptError, TruncatedError, VersionError
            The calibrator is unchanged.
        """
        b = bytes(blob)
        rc = lib.conseco_calibrator_load(self._cal, b, len(b))
        if rc:
            raise_status(rc, "load_bytes")

    @classmethod
    def from_bytes(cls, blob: bytes, shrinker: Optional[Shrinker] = None,
                   tau: Optional[float] = None) -> "Calibrator":
        """A calibrator rebuilt from :meth:`to_bytes`.

        Parameters
        ----------
        blob : bytes-like
            Saved state.
        shrinker : Shrinker, optional
            Must match the saved one; for built-in shrinkers it may be omitted
            (read from the state). Required for :class:`Custom`.
        tau : float, optional
            Must match the saved one; read from the state when omitted. Must
            be omitted for a risk state (``guarantee="risk"`` has no tau).

        Returns
        -------
        Calibrator

        Raises
        ------
        IncompatibleError
            The state was made with another shrinker or tau.
        ForeignError, CorruptError, TruncatedError, VersionError
            Not a valid state.
        """
        info = inspect_state(blob)
        guarantee = info["guarantee"]
        if guarantee not in _GUARANTEES:
            raise _err(-26, f"the state holds a guarantee ({guarantee!r}) this package "
                            "does not know")
        if shrinker is None:
            shrinker = info["shrinker"]
            if shrinker is None:
                raise _err(-19, f"the state holds the custom shrinker {info['name']!r}: "
                                "pass the Custom object")
        side = info["side"]
        if guarantee == "risk":
            cal = cls(shrinker, tau, guarantee="risk", side=side,
                      bottom=info["bottom"] if side == "outer" else None)
        else:
            cal = cls(shrinker, info["tau"] if tau is None else tau, side=side,
                      tau_outer=info["tau_outer"] if side == "band" else None,
                      bottom=info["bottom"] if side == "outer" else None)
        cal.load_bytes(blob)
        return cal

    def merge(self, other: "Calibrator") -> "Calibrator":
        """Append the scores of ``other`` (same shrinker and tau). Returns ``self``.

        Risk calibrators add ``other``'s summed loss curve (exact, order-free).

        Parameters
        ----------
        other : Calibrator

        Raises
        ------
        IncompatibleError
            Different shrinker, tau, side or guarantee.
        """
        if not isinstance(other, Calibrator):
            raise TypeError("merge expects a Calibrator")
        rc = lib.conseco_calibrator_merge(self._cal, other._cal)
        if rc:
            raise_status(rc, "merge")
        return self

    def reset(self) -> None:
        """Remove every score, or a risk calibrator's curve (keeps the settings)."""
        lib.conseco_calibrator_reset(self._cal)

    def __reduce__(self) -> Any:
        return (_unpickle, (self.to_bytes(), self._shrinker, self._tau))  # side: in the state


def _unpickle(blob: bytes, shrinker: Shrinker, tau: float) -> Calibrator:
    return Calibrator.from_bytes(blob, shrinker, tau)


def inspect_state(blob: bytes) -> dict:
    """Describe saved state bytes without a calibrator.

    Parameters
    ----------
    blob : bytes-like

    Returns
    -------
    dict
        ``kind`` (0 custom, 1 threshold, 2 erosion, 3 smooth), ``name``,
        ``tau``, ``count``, ``format_version``, ``shrinker`` (a built-in
        Shrinker, or None for a custom one), ``side`` (``"inner"``,
        ``"outer"``, ``"band"``), ``guarantee`` (``"quantile"`` or
        ``"risk"``; a risk state has format 3, ``tau`` 0 and ``count`` = the
        number of calibration images), ``tau_outer`` and ``bottom``.
    """
    b = bytes(blob)
    info = ffi.new("conseco_state_info *")
    info.struct_size = ffi.sizeof("conseco_state_info")
    rc = lib.conseco_state_inspect(b, len(b), info)
    if rc:
        raise_status(rc, "state")
    kind = int(info.kind)
    entry = KINDS.get(kind)
    return {"kind": kind, "name": ffi.string(info.name).decode("ascii", "replace"),
            "tau": float(info.tau), "count": int(info.count),
            "format_version": int(info.format_version),
            "shrinker": entry[1](info) if entry else None,
            "side": _SIDE_NAMES.get(int(info.side), str(int(info.side))),
            "guarantee": _GUARANTEE_NAMES.get(int(info.guarantee), str(int(info.guarantee))),
            "tau_outer": float(info.tau_outer), "bottom": float(info.bottom)}


_SIDES = {"inner": 0, "outer": 1, "band": 2}
_SIDE_NAMES = {v: k for k, v in _SIDES.items()}
_GUARANTEES = {"quantile": 0, "risk": 1}
_GUARANTEE_NAMES = {v: k for k, v in _GUARANTEES.items()}
