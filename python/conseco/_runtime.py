# SPDX-License-Identifier: Apache-2.0
"""The loaded library (ffi, lib) and status checking."""
from __future__ import annotations

from ._errors import error_for
from ._loader import load

ffi, lib, library_path = load()


def check(rc: int, what: str = "") -> None:
    """Raise the ConsecoError subclass of status ``rc`` unless it is 0."""
    if rc != 0:
        raise_status(rc, what)


def raise_status(rc: int, what: str = "") -> None:
    name = ffi.string(lib.conseco_status_name(rc)).decode()
    text = ffi.string(lib.conseco_strerror(rc)).decode()
    msg = f"{name}: {text}" + (f" ({what})" if what else "")
    raise error_for(rc, msg, name)
