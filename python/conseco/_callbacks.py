# SPDX-License-Identifier: Apache-2.0
"""C callbacks of :class:`conseco.Custom` (cffi ``extern "Python"``).

Each callback turns the C image view into a read-only numpy view, calls the
user's function, and copies its answer out. Any exception is caught here,
stored on the shrinker, and reported to the library as a nonzero status
(CONSECO_E_CALLBACK); the Python call that ran the library then re-raises
the stored exception. Nothing propagates through C frames.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._runtime import ffi, lib

_NP = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 3: np.dtype(np.float32),
       4: np.dtype(np.float64), 5: np.dtype(np.bool_)}


def _view(im: Any) -> np.ndarray:
    dt = _NP[im.dtype]
    w, h, d = im.width, im.height, im.depth
    size = (d - 1) * im.slice_stride + (h - 1) * im.row_stride + w * dt.itemsize
    buf = ffi.buffer(im.data, size)
    if d > 1:
        a = np.ndarray((d, h, w), dt, buf, 0, (im.slice_stride, im.row_stride, dt.itemsize))
    else:
        a = np.ndarray((h, w), dt, buf, 0, (im.row_stride, dt.itemsize))
    a.flags.writeable = False
    return a


def _store(user: Any, e: BaseException) -> int:
    obj = ffi.from_handle(user)
    with obj._lock:
        obj._errors.append(e)
    return -1


def _onerror(exc_type: Any, exc_value: Any, tb: Any) -> None:
    return None  # unreachable in practice: the bodies catch everything


@ffi.def_extern(onerror=_onerror, error=-1)
def pyc_cb_levels(user: Any, im: Any, out: Any, count: int) -> int:
    try:
        obj = ffi.from_handle(user)
        pred = _view(im)
        res = np.asarray(obj.levels(pred), dtype=np.float64)
        if res.shape != pred.shape:
            raise ValueError(f"levels returned shape {res.shape}, expected {pred.shape}")
        dst = np.frombuffer(ffi.buffer(out, count * 8), dtype=np.float64).reshape(pred.shape)
        dst[...] = res
        return 0
    except BaseException as e:  # noqa: BLE001 - re-raised by the caller
        return _store(user, e)


@ffi.def_extern(onerror=_onerror, error=-1)
def pyc_cb_apply(user: Any, im: Any, lam: float, inner: Any, count: int) -> int:
    try:
        obj = ffi.from_handle(user)
        pred = _view(im)
        res = np.asarray(obj.apply(pred, float(lam)))
        if res.shape != pred.shape:
            raise ValueError(f"apply returned shape {res.shape}, expected {pred.shape}")
        dst = np.frombuffer(ffi.buffer(inner, count), dtype=np.uint8).reshape(pred.shape)
        np.not_equal(res, 0, out=dst.view(np.bool_))
        return 0
    except BaseException as e:  # noqa: BLE001
        return _store(user, e)


@ffi.def_extern(onerror=_onerror, error=-1)
def pyc_cb_breakpoints(user: Any, im: Any, out: Any, capacity: int, count: Any) -> int:
    try:
        obj = ffi.from_handle(user)
        if obj.breakpoints is None:
            raise ValueError("Custom shrinker: breakpoints is needed with apply on the real domain")
        pred = _view(im)
        res = np.asarray(obj.breakpoints(pred), dtype=np.float64).ravel()
        if res.size > capacity:
            raise ValueError(f"breakpoints returned {res.size} values, at most {capacity}")
        np.frombuffer(ffi.buffer(out, capacity * 8), dtype=np.float64)[:res.size] = res
        count[0] = res.size
        return 0
    except BaseException as e:  # noqa: BLE001
        return _store(user, e)


def vtable_fill(vt: Any, obj: Any) -> None:
    """Sets the version fields and callback pointers of a Custom's vtable."""
    vt.struct_size = ffi.sizeof("conseco_shrinker_vtable")
    vt.version = 1
    vt.reserved = 0
    vt.levels = lib.pyc_cb_levels if obj.levels is not None else ffi.NULL
    vt.apply = lib.pyc_cb_apply if obj.apply is not None else ffi.NULL
    vt.breakpoints = (lib.pyc_cb_breakpoints
                      if obj.apply is not None and obj.domain == "real" else ffi.NULL)
    vt.destroy = ffi.NULL
