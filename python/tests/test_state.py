# SPDX-License-Identifier: Apache-2.0
"""State bytes: round trips, merge, pickle, and refused bytes."""
import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import conseco

SHRINKERS = [conseco.Threshold(), conseco.Threshold(base=0.25, top=0.75), conseco.Erosion(),
             conseco.Erosion(element="disk", border="background", base=0.4)]


@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, math.inf]) | st.floats(0, 100), max_size=50),
       st.sampled_from(SHRINKERS), st.sampled_from([0.0, 0.01, 0.1]))
def test_round_trip(scores, sh, tau):
    cal = conseco.Calibrator(sh, tau)
    for s in scores:
        cal.add_score(s)
    blob = cal.to_bytes()
    assert isinstance(blob, bytes)
    for c2 in (conseco.Calibrator.from_bytes(blob, sh, tau), conseco.Calibrator.from_bytes(blob),
               pickle.loads(pickle.dumps(cal))):
        assert c2.scores.tolist() == cal.scores.tolist()
        assert c2.shrinker == sh and c2.tau == tau
        assert c2.to_bytes() == blob
    info = conseco.inspect_state(blob)
    assert info["count"] == len(scores) and info["shrinker"] == sh and info["tau"] == tau


def test_merge_and_len():
    a = conseco.Calibrator(conseco.Erosion(), 0.01)
    b = conseco.Calibrator(conseco.Erosion(), 0.01)
    for s in (1, 2, 3):
        a.add_score(s)
    for s in (4, 5):
        b.add_score(s)
    assert a.merge(b) is a
    assert len(a) == 5 and a.scores.tolist() == [1, 2, 3, 4, 5]
    c2 = conseco.Calibrator.from_bytes(b.to_bytes(), conseco.Erosion(), tau=0.01)
    a.merge(c2)
    assert len(a) == 7


def test_incompatible():
    a = conseco.Calibrator(conseco.Erosion(), 0.01)
    with pytest.raises(conseco.IncompatibleError) as e:
        a.merge(conseco.Calibrator(conseco.Erosion(), 0.1))
    assert e.value.status == -19 and e.value.name == "CONSECO_E_INCOMPATIBLE"
    with pytest.raises(conseco.IncompatibleError):
        a.merge(conseco.Calibrator(conseco.Threshold(), 0.01))
    with pytest.raises(conseco.IncompatibleError):
        conseco.Calibrator.from_bytes(a.to_bytes(), conseco.Erosion(element="square"), 0.01)
    with pytest.raises(conseco.IncompatibleError):
        conseco.Calibrator.from_bytes(a.to_bytes(), conseco.Erosion(), 0.02)


def test_bad_bytes_leave_calibrator_unchanged():
    a = conseco.Calibrator(conseco.Threshold(), 0.01)
    for s in (0.5, 0.7):
        a.add_score(s)
    good = a.to_bytes()
    target = conseco.Calibrator(conseco.Threshold(), 0.01)
    target.add_score(0.9)
    with pytest.raises(conseco.ForeignError):
        target.load_bytes(b"not a state at all, clearly not")
    with pytest.raises((conseco.TruncatedError, conseco.ForeignError)):
        target.load_bytes(good[:10])
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    with pytest.raises(conseco.CorruptError):
        target.load_bytes(bytes(bad))
    assert target.scores.tolist() == [0.9]
    target.load_bytes(good)
    assert target.scores.tolist() == [0.5, 0.7]


def test_reset_and_empty():
    a = conseco.Calibrator(conseco.Erosion(), 0.01)
    assert len(a) == 0 and a.scores.size == 0
    assert a.lambda_hat(0.1) == (math.inf, 1)
    a.add_score(1.0)
    a.reset()
    assert len(a) == 0
    assert conseco.Calibrator.from_bytes(a.to_bytes()).scores.size == 0
