# SPDX-License-Identifier: Apache-2.0
"""add_batch (and score) release the GIL: Python threads keep running meanwhile."""
import threading
import time

import numpy as np

import conseco


def test_add_batch_releases_the_gil():
    rng = np.random.default_rng(0)
    preds = [rng.random((400, 400)).astype(np.float32) for _ in range(4)] * 15
    truths = [p > 0.7 for p in preds]
    cal = conseco.Calibrator(conseco.Erosion(element="square"), 0.01)
    started = threading.Event()
    done = threading.Event()
    progress = []

    def work():
        started.set()
        cal.add_batch(preds, truths, threads=1)  # one C call of about 0.1-1 s
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    while not done.is_set():
        progress.append(1)  # runs only while the other thread is inside C without the GIL
        time.sleep(0)
    t.join()
    assert len(cal) == 60
    assert len(progress) > 10
