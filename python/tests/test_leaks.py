# SPDX-License-Identifier: Apache-2.0
"""No reference or memory leak over 10,000 calls."""
import gc
import sys
import tracemalloc

import numpy as np

import conseco


def _run(n, pred, truth, sh, cal):
    for i in range(n):
        conseco.score(sh, pred, truth, 0.1)
        conseco.score(sh, pred[:, 1:], truth[:, 1:], 0.1)  # strided path
        conseco.apply(sh, pred, 1.0, uncertain=True)
        if i % 10 == 0:
            cal.add(pred, truth)
            try:
                conseco.score(sh, pred, truth[:2], 0.1)
            except conseco.SizeMismatchError:
                pass


def test_no_leaks_over_10000_calls():
    rng = np.random.default_rng(0)
    pred = rng.random((16, 16)).astype(np.float32)
    truth = pred > 0.6
    sh = conseco.Erosion()
    cal = conseco.Calibrator(sh, 0.1)
    _run(200, pred, truth, sh, cal)
    gc.collect()
    refs = (sys.getrefcount(pred), sys.getrefcount(truth), sys.getrefcount(sh))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    _run(10000, pred, truth, sh, cal)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert (sys.getrefcount(pred), sys.getrefcount(truth), sys.getrefcount(sh)) == refs
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 64 * 1024, grown


def test_custom_callbacks_do_not_leak():
    pred = np.random.default_rng(1).random((8, 8))
    truth = pred > 0.6

    def levels(p):
        return np.where(p >= 0.5, p, -np.inf)

    def bad(p):
        raise ValueError("no")

    good = conseco.Custom(levels=levels, lambda_min=0.5, lambda_max=1.0)
    failing = conseco.Custom(levels=bad)
    for _ in range(100):
        conseco.score(good, pred, truth, 0.1)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(2000):
        conseco.score(good, pred, truth, 0.1)
        try:
            conseco.score(failing, pred, truth, 0.1)
        except ValueError:
            pass
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 64 * 1024, grown


def test_risk_calibrators_do_not_leak():
    rng = np.random.default_rng(2)
    pred = (rng.random((12, 12)) * 255).astype(np.uint8)
    truth = rng.random((12, 12)) < 0.5
    sh = conseco.Threshold()

    def once():
        a = conseco.Calibrator(sh, guarantee="risk")
        a.add(pred, truth)
        a.add_batch([pred, pred], [truth, truth], threads=1)
        b = conseco.Calibrator.from_bytes(a.to_bytes())
        a.merge(b)
        a.lambda_hat(0.3)
        a.risk(0.6)
        try:
            a.add_score(0.5)
        except conseco.UnsupportedError:
            pass

    for _ in range(50):
        once()
    gc.collect()
    refs = (sys.getrefcount(pred), sys.getrefcount(truth), sys.getrefcount(sh))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(1000):
        once()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert (sys.getrefcount(pred), sys.getrefcount(truth), sys.getrefcount(sh)) == refs
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 64 * 1024, grown
