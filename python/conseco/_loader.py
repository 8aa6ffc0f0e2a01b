# SPDX-License-Identifier: Apache-2.0
"""Finds and loads libconseco, checks its version, then imports the cffi extension.

Search order: ``$CONSECO_LIBRARY`` (a file), a ``libconseco.so*`` next to this
package, then the system's library path (``ctypes.util.find_library`` and the
SONAME). The library is loaded with ``RTLD_GLOBAL`` so that the extension
module, which is compiled against ``conseco.h`` but not linked with the
library, resolves its symbols against exactly this copy.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from typing import Any, Tuple

#: The library version this package was written for (conseco_version_number()).
#: The minor version must match (0.x releases are not binary compatible);
#: a newer patch release is accepted.
EXPECTED_VERSION = 200

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates() -> list:
    env = os.environ.get("CONSECO_LIBRARY")
    if env:
        return [env]  # explicit choice: no fallback that could hide a mistake
    out = sorted(glob.glob(os.path.join(_HERE, "libconseco.so*")))
    found = ctypes.util.find_library("conseco")
    if found:
        out.append(found)
    out += ["libconseco.so.0.2", "libconseco.so"]
    return out


def load() -> Tuple[Any, Any, str]:
    """Return ``(ffi, lib, path)``; raises ImportError with the reason."""
    errors = []
    handle = None
    path = ""
    for cand in _candidates():
        try:
            handle = ctypes.CDLL(cand, mode=ctypes.RTLD_GLOBAL)
            path = cand
            break
        except OSError as e:
            errors.append(f"{cand}: {e}")
    if handle is None:
        raise ImportError("conseco: cannot load libconseco (set CONSECO_LIBRARY to the path of "
                          "libconseco.so); tried:\n  " + "\n  ".join(errors))
    handle.conseco_version_number.restype = ctypes.c_uint
    have = int(handle.conseco_version_number())
    if have // 100 != EXPECTED_VERSION // 100 or have < EXPECTED_VERSION:
        raise ImportError(
            f"conseco: {path} is libconseco {have // 10000}.{have // 100 % 100}.{have % 100}, "
            f"this package needs {EXPECTED_VERSION // 10000}.{EXPECTED_VERSION // 100 % 100}.x "
            f"(>= {EXPECTED_VERSION // 10000}.{EXPECTED_VERSION // 100 % 100}."
            f"{EXPECTED_VERSION % 100})")
    try:
        from . import _conseco_cffi  # type: ignore[attr-defined]
    except ImportError as e:
        raise ImportError(
            "conseco: the compiled module conseco._conseco_cffi is missing or does not load "
            f"({e}). Install with pip (see README) or build it in the tree with "
            "`python3 python/conseco/_build_cffi.py`.") from e
    return _conseco_cffi.ffi, _conseco_cffi.lib, path
