# SPDX-License-Identifier: Apache-2.0
"""The C fast paths of :func:`conseco.score` and ``Calibrator.add`` as Python callables.

``pyc_fast_functions()`` (in the cffi module) builds a METH_FASTCALL function
that reads numpy arrays through the buffer protocol and calls conseco_score
with the GIL released: no cffi argument conversion, no Python-side pointer
extraction. cffi hands its address over as ``void *``; ctypes turns the
address back into the object (the C side gave us a new reference, which we
adopt: one leaked tuple per process, on purpose).
"""
import ctypes

from ._runtime import ffi, lib


def _load():
    addr = int(ffi.cast("uintptr_t", lib.pyc_fast_functions()))
    if not addr:
        return None
    return ctypes.cast(addr, ctypes.py_object).value  # borrows; the C reference stays


fast_score, fast_add = _load()
