# SPDX-License-Identifier: Apache-2.0
"""ConsecoError and one subclass per status code of conseco.h."""
from __future__ import annotations

from typing import Dict, Optional, Type


class ConsecoError(Exception):
    """A libconseco call failed (or the package refused the input first).

    Attributes
    ----------
    status : int
        The negative status code of ``conseco.h`` (``conseco_status``).
    name : str
        Its enumerator name, e.g. ``"CONSECO_E_BAD_ALPHA"``.
    """

    status: int = 0
    name: str = "CONSECO_E_UNKNOWN"

    def __init__(self, message: str, status: Optional[int] = None, name: Optional[str] = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        if name is not None:
            self.name = name


# name -> (status, base classes): the extra bases let `except ValueError` work too.
_TABLE = [
    ("NullError", -1, "CONSECO_E_NULL", (ValueError,)),
    ("InvalidArgError", -2, "CONSECO_E_INVALID_ARG", (ValueError,)),
    ("BadSizeError", -3, "CONSECO_E_BAD_SIZE", (ValueError,)),
    ("BadStrideError", -4, "CONSECO_E_BAD_STRIDE", (ValueError,)),
    ("MisalignedError", -5, "CONSECO_E_MISALIGNED", (ValueError,)),
    ("OverflowSizeError", -6, "CONSECO_E_OVERFLOW", (ValueError,)),
    ("BadDtypeError", -7, "CONSECO_E_BAD_DTYPE", (TypeError,)),
    ("NonFiniteError", -8, "CONSECO_E_NONFINITE", (ValueError,)),
    ("BadAlphaError", -9, "CONSECO_E_BAD_ALPHA", (ValueError,)),
    ("BadTauError", -10, "CONSECO_E_BAD_TAU", (ValueError,)),
    ("BadLambdaError", -11, "CONSECO_E_BAD_LAMBDA", (ValueError,)),
    ("SizeMismatchError", -12, "CONSECO_E_SIZE_MISMATCH", (ValueError,)),
    ("ScratchTooSmallError", -13, "CONSECO_E_SCRATCH_TOO_SMALL", ()),
    ("BufferTooSmallError", -14, "CONSECO_E_BUFFER_TOO_SMALL", ()),
    ("NoMemoryError", -15, "CONSECO_E_NO_MEMORY", (MemoryError,)),
    ("CallbackError", -16, "CONSECO_E_CALLBACK", ()),
    ("BadShrinkerError", -17, "CONSECO_E_BAD_SHRINKER", (ValueError,)),
    ("NotNestedError", -18, "CONSECO_E_NOT_NESTED", ()),
    ("IncompatibleError", -19, "CONSECO_E_INCOMPATIBLE", (ValueError,)),
    ("ForeignError", -20, "CONSECO_E_FOREIGN", (ValueError,)),
    ("VersionError", -21, "CONSECO_E_VERSION", (ValueError,)),
    ("TruncatedError", -22, "CONSECO_E_TRUNCATED", (ValueError,)),
    ("CorruptError", -23, "CONSECO_E_CORRUPT", (ValueError,)),
    ("BadScoreError", -24, "CONSECO_E_BAD_SCORE", (ValueError,)),
    ("FullError", -25, "CONSECO_E_FULL", ()),
    ("UnsupportedError", -26, "CONSECO_E_UNSUPPORTED", ()),
    ("TooLargeError", -27, "CONSECO_E_TOO_LARGE", (ValueError,)),
    ("BadSpacingError", -28, "CONSECO_E_BAD_SPACING", (ValueError,)),
    ("BadBottomError", -29, "CONSECO_E_BAD_BOTTOM", (ValueError,)),
]

BY_STATUS: Dict[int, Type[ConsecoError]] = {}
__all__ = ["ConsecoError"]
for _cls, _st, _nm, _bases in _TABLE:
    _c = type(_cls, (ConsecoError,) + _bases,
              {"status": _st, "name": _nm, "__module__": "conseco",
               "__doc__": f"Status {_st} ({_nm})."})
    globals()[_cls] = _c
    BY_STATUS[_st] = _c
    __all__.append(_cls)


def error_for(status: int, message: str, name: str = "CONSECO_E_UNKNOWN") -> ConsecoError:
    """The exception instance for a status.

    Codes this package does not know yet (added by a newer library) give a
    plain ConsecoError carrying the library's status and name.
    """
    cls = BY_STATUS.get(status)
    if cls is None:
        return ConsecoError(message, status, name)
    return cls(message)
