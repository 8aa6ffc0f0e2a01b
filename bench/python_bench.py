#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Overhead of the Python binding: conseco.score() from Python against the same
conseco_score() calls made from a C loop, on the same inputs, in the same run.

The C loop (``pyc_time_score`` in the package's cffi module) builds its views
and scratch once and calls conseco_score ``reps`` times; the Python loop calls
``conseco.score(shrinker, pred, truth, tau)`` as a user would. Both use this
thread's CPU time. Rounds alternate C and Python; each round's time is the
mean per call over every input and repetition. The ratio is python / C of
the fastest round of each (on a loaded machine other processes only ever add
time, so the minimum is the stable statistic); the ratio of the medians is
printed too. Targets: < 1.05 at 352x352, < 1.20 at 64x64.

usage: PYTHONPATH=python CONSECO_LIBRARY=build/libconseco.so python3 bench/python_bench.py [--quick] [--json]
"""
import json
import statistics
import sys
import time

import numpy as np

import conseco
from conseco._runtime import ffi, lib


def maps(size, count, seed):
    """Smooth float32 score maps with one or two blobs, and truths that miss part of them."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    out = []
    for _ in range(count):
        s = np.zeros((size, size))
        t = np.zeros((size, size), bool)
        for _b in range(rng.integers(1, 3)):
            cx, cy = rng.uniform(0.25, 0.75, 2) * size
            r = rng.uniform(0.1, 0.25) * size
            d = np.hypot(x - cx, y - cy) / r
            s = np.maximum(s, 1.0 / (1.0 + np.exp(8.0 * (d - 1.0))))
            t |= d < rng.uniform(0.7, 0.95)
        s += rng.normal(0, 0.02, s.shape)
        out.append((np.clip(s, 0, 1).astype(np.float32), t))
    return out


def run(size, shrinker, pairs, reps, rounds, tau=0.01):
    ptr = shrinker._c.ptr
    cell = ffi.new("double *")
    c_times, py_times = [], []
    score = conseco.score
    for _ in range(rounds):
        tc = 0.0
        for p, t in pairs:
            secs = lib.pyc_time_score(ptr, ffi.from_buffer(p), size, size, 1, 3,
                                      ffi.from_buffer(t), tau, reps, cell)
            if secs < 0:
                raise SystemExit("C loop failed")
            tc += secs
        c_times.append(tc / (reps * len(pairs)))
        t0 = time.thread_time()
        for p, t in pairs:
            for _r in range(reps):
                score(shrinker, p, t, tau)
        py_times.append((time.thread_time() - t0) / (reps * len(pairs)))
    # same answers
    for p, t in pairs:
        lib.pyc_time_score(ptr, ffi.from_buffer(p), size, size, 1, 3, ffi.from_buffer(t), tau, 1,
                           cell)
        if cell[0] != score(shrinker, p, t, tau):
            raise SystemExit("mismatch between the C loop and conseco.score")
    return (min(c_times), min(py_times), statistics.median(c_times),
            statistics.median(py_times))


def main():
    quick = "--quick" in sys.argv
    rows = []
    for size, count, reps in ((64, 20, 500), (352, 10, 20)):
        pairs = maps(size, count, seed=size)
        for name, sh in (("threshold", conseco.Threshold()), ("erosion", conseco.Erosion())):
            c, py, cmed, pymed = run(size, sh, pairs, reps // (5 if quick else 1),
                                     5 if quick else 21)
            target = 1.05 if size == 352 else 1.20
            rows.append({"task": f"{name}_score", "size": f"{size}x{size}", "inputs": count,
                         "c_us": c * 1e6, "python_us": py * 1e6, "ratio": py / c,
                         "overhead_us": (py - c) * 1e6, "median_ratio": pymed / cmed,
                         "target": target, "met": py / c < target})
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=1))
        return
    print(f"conseco {conseco.__version__} over {conseco.library_path} "
          f"(library {conseco.library_version})")
    print("| task | size | inputs | C (us) | Python (us) | ratio | overhead (us) | ratio of medians"
          " | target | met |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['task']} | {r['size']} | {r['inputs']} | {r['c_us']:.2f} | "
              f"{r['python_us']:.2f} | {r['ratio']:.3f} | {r['overhead_us']:.2f} | "
              f"{r['median_ratio']:.3f} | "
              f"< {r['target']:.2f} | {'yes' if r['met'] else 'NO'} |")


if __name__ == "__main__":
    main()
