# SPDX-License-Identifier: Apache-2.0
"""Shrinker classes and the one place that maps them to C ``conseco_shrinker`` values.

Each class builds its C form once, in ``_prepare`` (params struct, vtable and
user pointer, kept alive by the object), so calls pass a prepared pointer.
Adding a built-in kind of the C library (smooth, ball-mm, outer sides ...) is:
its params struct and functions in ``_build_cffi.CDEF``, one subclass here with
``_kind`` and ``_prepare``/``_from_state``, and one entry in ``KINDS``.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from ._errors import ConsecoError
from ._runtime import check, ffi, lib

_ELEMENTS = {"cross": 1, "square": 2, "disk": 3, "ball-mm": 4}
_SMOOTH_ELEMENTS = {"cross": 1, "square": 2, "disk": 3}
_BORDERS = {"foreground": 1, "background": 2}


class _Prepared:
    """The C side of a shrinker: a ``conseco_shrinker *`` plus what it points to."""

    __slots__ = ("ptr", "keep", "local", "addr")

    def __init__(self, ptr: Any, keep: Any):
        self.ptr = ptr
        self.addr = int(ffi.cast("uintptr_t", ptr))
        self.keep = keep
        self.local = threading.local()  # per-thread scratch and output cells


class Shrinker:
    """Base class of nested shrinkers (a family of inner sets ``I_lambda``).

    Shrinkers are immutable values: compare equal when their parameters are
    equal, and can be pickled. Use :class:`Threshold`, :class:`Erosion`,
    :class:`Smooth` or :class:`Custom`.
    """

    _kind: int = -1
    __slots__ = ("_prep", "_addr")

    def _prepare(self) -> _Prepared:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def _c(self) -> _Prepared:
        p = self._prep
        if p is None:
            p = self._prep = self._prepare()
            self._addr = p.addr
        return p

    def _key(self) -> Tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._key() == self._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + self._key())

    def __getstate__(self) -> Dict[str, Any]:
        return {"args": self._key()}

    @property
    def lambda_min(self) -> float:
        """The smallest lambda of the family (``I_lambda_min = Yhat``)."""
        return float(self._c.ptr.vtable.lambda_min)

    @property
    def lambda_max(self) -> float:
        """The largest lambda of the family (may be ``math.inf``)."""
        return float(self._c.ptr.vtable.lambda_max)


def _builtin(vtable: Any, params: Any) -> _Prepared:
    sh = ffi.new("conseco_shrinker *")
    sh.vtable = vtable
    sh.user = params
    check(lib.conseco_shrinker_validate(sh), "invalid shrinker parameters")
    return _Prepared(sh, params)


class Threshold(Shrinker):
    """Threshold shrinker (paper Eq. 1).

    ``Yhat = {s >= base}`` and ``I_lambda = {s >= lambda}`` for lambda in
    ``[base, top]``. 8-bit maps are read as value/255, 16-bit as value/65535,
    float maps as they are, bool maps as 0/1.

    Parameters
    ----------
    base : float, default 0.5
        Threshold that makes the prediction ``Yhat``.
    top : float, default 1.0
        Largest lambda; finite, ``base <= top`` (logits: ``base=0, top=max logit``).

    Raises
    ------
    BadShrinkerError
        If base or top is not finite or ``base > top``.
    """

    _kind = 1
    __slots__ = ("base", "top")

    def __init__(self, base: float = 0.5, top: float = 1.0):
        self.base = float(base)
        self.top = float(top)
        self._prep = None
        self._c  # validate now

    def _prepare(self) -> _Prepared:
        p = ffi.new("conseco_threshold_params *")
        lib.conseco_threshold_params_default(p)
        p.base = self.base
        p.top = self.top
        return _builtin(lib.conseco_threshold_vtable(), p)

    def _key(self) -> Tuple:
        return (self.base, self.top)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(*state["args"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Threshold(base={self.base!r}, top={self.top!r})"

    # the shared vtable carries the default range; this family's is [base, top]
    @property
    def lambda_min(self) -> float:
        """``base`` (``I_base = Yhat``)."""
        return self.base

    @property
    def lambda_max(self) -> float:
        """``top``."""
        return self.top


class Erosion(Shrinker):
    """Erosion shrinker (paper Eq. 2).

    ``I_lambda`` is ``Yhat = {s >= base}`` eroded lambda = 0, 1, 2, ... times
    by the cross (4-connectivity, 6 in 3-D) or the square (8, 26 in 3-D), or
    once by the Euclidean disk (ball) of radius lambda; or, for
    ``"ball-mm"``, ``{p in Yhat : d_mm(p) > lambda}`` with lambda real >= 0 and
    ``d_mm(p)`` the Euclidean distance in millimetres (with the ``spacing``
    given to ``score``/``apply``/``add``; 1 mm per voxel when not given) from
    p's centre to the nearest voxel centre outside ``Yhat``.

    Parameters
    ----------
    element : {"cross", "square", "disk", "ball-mm"}, default "cross"
        Structuring element. ``"ball-mm"`` makes the family real-valued
        (lambda in millimetres; scores are distances, ``inf`` possible).
    border : {"foreground", "background"}, default "foreground"
        What lies outside the image: ``"foreground"`` (the border does not
        erode; scikit-image, OpenCV) or ``"background"`` (scipy.ndimage).
    base : float, default 0.5
        Threshold that makes ``Yhat`` from the score map.

    Raises
    ------
    BadShrinkerError
        For an unknown element or border, or a non-finite base.
    BadSpacingError
        ``"ball-mm"`` with a spacing outside ``[2**-256, 2**256]`` mm (raised
        by the call that sees the image).
    """

    _kind = 2
    __slots__ = ("element", "border", "base")

    def __init__(self, element: str = "cross", border: str = "foreground", base: float = 0.5):
        if element not in _ELEMENTS:
            raise _bad_shrinker(f"unknown element {element!r} (one of {sorted(_ELEMENTS)})")
        if border not in _BORDERS:
            raise _bad_shrinker(f"unknown border {border!r} (one of {sorted(_BORDERS)})")
        self.element = element
        self.border = border
        self.base = float(base)
        self._prep = None
        self._c

    def _prepare(self) -> _Prepared:
        p = ffi.new("conseco_erosion_params *")
        lib.conseco_erosion_params_default(p)
        p.element = _ELEMENTS[self.element]
        p.border = _BORDERS[self.border]
        p.base = self.base
        return _builtin(lib.conseco_erosion_vtable(), p)

    def _key(self) -> Tuple:
        return (self.element, self.border, self.base)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(*state["args"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Erosion(element={self.element!r}, border={self.border!r}, base={self.base!r})"


_FILTERS = {"gauss": 1, "min": 2}
_UNITS = {"px": 1, "mm": 2}


class Smooth(Shrinker):
    """Smooth shrinker (kind 3, beyond the paper; docs/DESIGN.md "Smooth shrinker").

    ``Yhat = {s >= base}`` from the raw scores; the levels are the score map
    blurred by a separable Gaussian (``filter="gauss"``: ``sigma`` pixels, or
    millimetres with ``units="mm"`` and the image's spacing; kernel cut at
    4 sigma, edge pixels replicated) or its grey erosion by ``element`` of
    ``radius`` pixels (``filter="min"``); ``I_lambda = Yhat & {L >= lambda}``.

    Parameters
    ----------
    sigma : float, default 1.0
        Gaussian width, in ``units``; at most 16 pixels on a blurred axis.
    filter : {"gauss", "min"}, default "gauss"
    element : {"cross", "square", "disk"}, default "cross"
        Element of the min filter.
    radius : int, default 1
        Radius of the min filter, 1..32 pixels.
    units : {"px", "mm"}, default "px"
        Units of sigma.
    base : float, default 0.5
        Threshold that makes ``Yhat`` from the score map.

    Raises
    ------
    BadShrinkerError
        For an unknown name, sigma not in (0, 16] pixels, radius outside 1..32,
        or a non-finite base (every parameter is checked, whatever the filter).

    Notes
    -----
    The library gives this kind no outer family: ``Calibrator(...,
    side="outer" | "band")`` raises :class:`UnsupportedError`.
    """

    _kind = 3
    __slots__ = ("sigma", "filter", "element", "radius", "units", "base")

    def __init__(self, sigma: float = 1.0, filter: str = "gauss", element: str = "cross",
                 radius: int = 1, units: str = "px", base: float = 0.5):
        if filter not in _FILTERS:
            raise _bad_shrinker(f"unknown filter {filter!r} (one of {sorted(_FILTERS)})")
        if element not in _SMOOTH_ELEMENTS:
            raise _bad_shrinker(f"unknown element {element!r} (one of {sorted(_SMOOTH_ELEMENTS)})")
        if units not in _UNITS:
            raise _bad_shrinker(f"unknown units {units!r} (one of {sorted(_UNITS)})")
        if isinstance(radius, bool) or int(radius) != radius or not 0 <= int(radius) < 2**32:
            raise _bad_shrinker(f"radius must be an integer in 1..32, not {radius!r}")
        self.sigma = float(sigma)
        self.filter = filter
        self.element = element
        self.radius = int(radius)
        self.units = units
        self.base = float(base)
        self._prep = None
        self._c  # validate now

    def _prepare(self) -> _Prepared:
        p = ffi.new("conseco_smooth_params *")
        lib.conseco_smooth_params_default(p)
        p.sigma = self.sigma
        p.filter = _FILTERS[self.filter]
        p.element = _SMOOTH_ELEMENTS[self.element]
        p.radius = self.radius
        p.units = _UNITS[self.units]
        p.base = self.base
        return _builtin(lib.conseco_smooth_vtable(), p)

    def _key(self) -> Tuple:
        return (self.sigma, self.filter, self.element, self.radius, self.units, self.base)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(*state["args"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return (f"Smooth(sigma={self.sigma!r}, filter={self.filter!r}, element={self.element!r}, "
                f"radius={self.radius!r}, units={self.units!r}, base={self.base!r})")


def _bad_shrinker(msg: str) -> ConsecoError:
    from ._errors import BY_STATUS
    return BY_STATUS[-17]("CONSECO_E_BAD_SHRINKER: " + msg)


_DOMAINS = {"real": 1, "integer": 2}


class Custom(Shrinker):
    """A shrinker defined by Python callables.

    Give ``levels`` (fast path) or ``apply`` (black box; on the real domain
    also ``breakpoints``). Each callable receives the prediction as a
    read-only numpy view of the caller's array (raw values: uint8 maps are
    0..255), 2-D ``(h, w)`` or 3-D ``(d, h, w)``.

    Parameters
    ----------
    levels : callable, optional
        ``levels(pred) -> array`` of float levels, same shape as ``pred``:
        pixel p is in ``I_lambda`` iff ``level[p] >= lambda``; pixels outside
        ``Yhat`` get a level below ``lambda_min`` (``-inf`` is fine).
    apply : callable, optional
        ``apply(pred, lam) -> bool array`` of ``pred``'s shape: ``I_lam``.
    breakpoints : callable, optional
        ``breakpoints(pred) -> 1-D array`` of the candidate lambdas (real
        domain with ``apply`` only); at most ``pred.size + 2`` values.
    domain : {"real", "integer"}, default "real"
        How lambda ranges over ``[lambda_min, lambda_max]``.
    lambda_min, lambda_max : float
        The range of lambda (defaults 0 and ``inf``).
    name : str, default "python"
        Stored in saved state; 1..31 printable ASCII characters, no space.

    Notes
    -----
    An exception raised inside a callable is re-raised by the call that ran
    it (score, apply, add, add_batch ...). ``add_batch`` with threads calls
    the callables from several threads (each holds the GIL while it runs).
    Exceptions are kept on the shrinker object until that call returns: do
    not share one Custom between Python threads that call into conseco at
    the same time (make one per thread), or a failure may be reported by the
    other thread's call.
    """

    _kind = 0
    __slots__ = ("levels", "apply", "breakpoints", "domain", "lambda_min_", "lambda_max_",
                 "name", "_errors", "_lock", "__weakref__")

    def __init__(self, levels: Optional[Callable[[np.ndarray], Any]] = None,
                 apply: Optional[Callable[[np.ndarray, float], Any]] = None,
                 breakpoints: Optional[Callable[[np.ndarray], Any]] = None, *,
                 domain: str = "real", lambda_min: float = 0.0, lambda_max: float = math.inf,
                 name: str = "python"):
        if levels is None and apply is None:
            raise _bad_shrinker("Custom needs levels or apply")
        if apply is not None and levels is None and domain == "real" and breakpoints is None:
            raise _bad_shrinker("Custom with apply on the real domain needs breakpoints")
        if domain not in _DOMAINS:
            raise _bad_shrinker(f"unknown domain {domain!r} (one of {sorted(_DOMAINS)})")
        for f in (levels, apply, breakpoints):
            if f is not None and not callable(f):
                raise TypeError(f"{f!r} is not callable")
        self.levels = levels
        self.apply = apply
        self.breakpoints = breakpoints
        self.domain = domain
        self.lambda_min_ = float(lambda_min)
        self.lambda_max_ = float(lambda_max)
        self.name = str(name)
        self._errors: list = []
        self._lock = threading.Lock()
        self._prep = None
        self._c

    def _prepare(self) -> _Prepared:
        vt = ffi.new("conseco_shrinker_vtable *")
        name = ffi.new("char[]", self.name.encode("ascii", "replace"))
        from ._callbacks import vtable_fill
        vtable_fill(vt, self)
        vt.name = name
        vt.domain = _DOMAINS[self.domain]
        vt.lambda_min = self.lambda_min_
        vt.lambda_max = self.lambda_max_
        handle = ffi.new_handle(self)
        sh = ffi.new("conseco_shrinker *")
        sh.vtable = vt
        sh.user = handle
        # the handle refers to self and self keeps the handle: a cycle the GC collects
        check(lib.conseco_shrinker_validate(sh), "invalid custom shrinker")
        return _Prepared(sh, (vt, name, handle))

    def _key(self) -> Tuple:
        return (id(self),)

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)

    def __getstate__(self) -> Dict[str, Any]:
        return {"args": (self.levels, self.apply, self.breakpoints),
                "kw": dict(domain=self.domain, lambda_min=self.lambda_min_,
                           lambda_max=self.lambda_max_, name=self.name)}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(*state["args"], **state["kw"])  # type: ignore[misc]

    @property
    def lambda_min(self) -> float:
        return self.lambda_min_

    @property
    def lambda_max(self) -> float:
        return self.lambda_max_

    def _take_error(self) -> Optional[BaseException]:
        with self._lock:
            if not self._errors:
                return None
            e = self._errors[0]
            self._errors.clear()
            return e

    def __repr__(self) -> str:
        return f"Custom(name={self.name!r}, domain={self.domain!r})"


def _threshold_from_state(info: Any) -> Shrinker:
    return Threshold(base=info.threshold.base, top=info.threshold.top)


def _erosion_from_state(info: Any) -> Shrinker:
    el = {v: k for k, v in _ELEMENTS.items()}[info.erosion.element]
    bo = {v: k for k, v in _BORDERS.items()}[info.erosion.border]
    return Erosion(element=el, border=bo, base=info.erosion.base)


def _smooth_from_state(info: Any) -> Shrinker:
    p = info.smooth
    name = lambda table, v: {b: a for a, b in table.items()}[v]  # noqa: E731
    return Smooth(sigma=p.sigma, filter=name(_FILTERS, p.filter), element=name(_SMOOTH_ELEMENTS, p.element),
                  radius=p.radius, units=name(_UNITS, p.units), base=p.base)


#: kind number (conseco_shrinker_kind) -> (class, builder from a conseco_state_info)
KINDS: Dict[int, Tuple[type, Callable[[Any], Shrinker]]] = {
    1: (Threshold, _threshold_from_state),
    2: (Erosion, _erosion_from_state),
    3: (Smooth, _smooth_from_state),
}
