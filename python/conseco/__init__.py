# SPDX-License-Identifier: Apache-2.0
"""conseco: conformal confidence masks for binary segmentation (libconseco binding).

Given a model's score map, :func:`apply` returns the part of the prediction
that, with probability at least ``1 - alpha``, holds at most a fraction
``tau`` of false-positive pixels; ``lambda_hat`` is learnt by a
:class:`Calibrator` from labelled calibration pairs.

>>> import conseco
>>> cal = conseco.Calibrator(conseco.Erosion(element="cross"), tau=0.01)   # doctest: +SKIP
>>> for pred, truth in pairs:
...     cal.add(pred, truth)
>>> lam, k = cal.lambda_hat(alpha=0.1)
>>> inner, uncertain = conseco.apply(cal.shrinker, new_pred, lam, uncertain=True)

The library is ``libconseco.so`` (see ``conseco.library_path``).
"""
from ._errors import *  # noqa: F401,F403
from ._errors import ConsecoError
from ._runtime import ffi as _ffi
from ._runtime import lib as _lib
from ._runtime import library_path
from ._shrinkers import Custom, Erosion, Shrinker, Smooth, Threshold
from . import _callbacks  # noqa: F401  (registers the C callbacks)
from ._api import (Calibrator, ImageMetrics, SetMetrics, apply, apply_side, evaluate,
                   inspect_state, metrics,
                   min_calibration_size, quantile, rank, score, set_metrics)
from . import _errors as _e

__version__ = "0.2.0"
#: version of the loaded library, "MAJOR.MINOR.PATCH"
library_version: str = _ffi.string(_lib.conseco_version_string()).decode()

__all__ = ["Calibrator", "Shrinker", "Threshold", "Erosion", "Smooth", "Custom", "score",
           "apply", "apply_side",
           "evaluate", "metrics", "set_metrics", "rank", "quantile", "min_calibration_size",
           "inspect_state", "ImageMetrics", "SetMetrics", "ConsecoError", "library_path",
           "library_version"] + [n for n in _e.__all__ if n != "ConsecoError"]
