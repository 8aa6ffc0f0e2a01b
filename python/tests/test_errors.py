# SPDX-License-Identifier: Apache-2.0
"""Bad input gives the documented exception, before any output is written."""
import numpy as np
import pytest

import conseco

P = np.random.default_rng(0).random((8, 9))
T = P > 0.6


@pytest.mark.parametrize("call, exc, status", [
    (lambda: conseco.score(conseco.Threshold(), P.astype(np.int32), T, 0.1), conseco.BadDtypeError, -7),
    (lambda: conseco.score(conseco.Threshold(), P.astype(">f8"), T, 0.1), conseco.BadDtypeError, -7),
    (lambda: conseco.score(conseco.Threshold(), P.tolist(), T, 0.1), conseco.BadDtypeError, -7),
    (lambda: conseco.score(conseco.Threshold(), P, T[:, :4], 0.1), conseco.SizeMismatchError, -12),
    (lambda: conseco.score(conseco.Threshold(), P, T.astype(np.float64), 0.1), conseco.BadDtypeError, -7),
    (lambda: conseco.score(conseco.Threshold(), P.ravel(), T.ravel(), 0.1), conseco.BadSizeError, -3),
    (lambda: conseco.score(conseco.Threshold(), P[:0], T[:0], 0.1), conseco.BadSizeError, -3),
    (lambda: conseco.score(conseco.Threshold(), P, T, 1.5), conseco.BadTauError, -10),
    (lambda: conseco.score(conseco.Threshold(), P, T, "0.1"), conseco.BadTauError, -10),
    (lambda: conseco.Calibrator(conseco.Threshold(), None), conseco.BadTauError, -10),
    (lambda: conseco.score(conseco.Threshold(), P, T, float("nan")), conseco.BadTauError, -10),
    (lambda: conseco.score(conseco.Threshold(), np.where(P > 0.5, np.nan, P), T, 0.1),
     conseco.NonFiniteError, -8),
    (lambda: conseco.score(conseco.Threshold(), P[::-1], T[::-1], 0.1), conseco.BadStrideError, -4),
    (lambda: conseco.score(conseco.Threshold(), P[:, ::2], T[:, ::2], 0.1), conseco.BadStrideError, -4),
    (lambda: conseco.apply(conseco.Threshold(), P, float("nan")), conseco.BadLambdaError, -11),
    (lambda: conseco.rank(10, 1.0), conseco.BadAlphaError, -9),
    (lambda: conseco.quantile([1.0, float("nan")], 0.1), conseco.BadScoreError, -24),
    (lambda: conseco.Calibrator(conseco.Threshold(), 2.0), conseco.BadTauError, -10),
    (lambda: conseco.Calibrator("erosion", 0.1), conseco.BadShrinkerError, -17),
    (lambda: conseco.Threshold(base=0.9, top=0.1), conseco.BadShrinkerError, -17),
    (lambda: conseco.Threshold(base=float("inf")), conseco.BadShrinkerError, -17),
    (lambda: conseco.Erosion(element="hexagon"), conseco.BadShrinkerError, -17),
    (lambda: conseco.Calibrator.from_bytes(b"garbage" * 10), conseco.ForeignError, -20),
])
def test_bad_input(call, exc, status):
    with pytest.raises(exc) as e:
        call()
    assert isinstance(e.value, conseco.ConsecoError)
    assert e.value.status == status
    assert e.value.name.startswith("CONSECO_E_")
    assert e.value.name in str(e.value)


def test_errors_are_also_builtin_kinds():
    assert issubclass(conseco.BadTauError, ValueError)
    assert issubclass(conseco.BadDtypeError, TypeError)


def test_add_batch_all_or_nothing():
    cal = conseco.Calibrator(conseco.Erosion(), 0.1)
    cal.add(P, T)
    bad = np.where(P > 0.5, np.inf, P)
    with pytest.raises(conseco.NonFiniteError):
        cal.add_batch([P, P, bad, P], [T] * 4)
    assert len(cal) == 1
    with pytest.raises(conseco.SizeMismatchError):
        cal.add_batch([P, P], [T])
    assert len(cal) == 1


def test_failed_add_stores_nothing():
    cal = conseco.Calibrator(conseco.Threshold(), 0.1)
    with pytest.raises(conseco.NonFiniteError):
        cal.add(np.full((3, 3), np.nan), np.zeros((3, 3), bool))
    assert len(cal) == 0


def test_help_is_useful():
    doc = conseco.Calibrator.__doc__
    assert "tau" in doc and "Parameters" in doc
    for name in conseco.__all__:
        obj = getattr(conseco, name)
        if callable(obj):
            assert obj.__doc__, name


def test_unknown_status_keeps_the_library_name():
    from conseco._runtime import raise_status
    with pytest.raises(conseco.ConsecoError) as e:
        raise_status(-1000)
    assert e.value.status == -1000 and e.value.name == "CONSECO_E_UNKNOWN"
    with pytest.raises(conseco.BadAlphaError) as e:
        raise_status(-9, "x")
    assert e.value.name == "CONSECO_E_BAD_ALPHA" and "(x)" in str(e.value)
