#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The paper's Table 1 protocol through the conseco package.

For each tau and each of S random splits of the folder's images, the first
floor(n * cal_fraction) images of the permutation calibrate (lambda_hat at
alpha), the others are tested: EV (fraction of test images with AFP <= tau),
CR and ATP at lambda_hat. Rows: Baseline (Yhat itself), Threshold and Erosion
(cross, foreground border unless told otherwise); mean and population sd over
the splits. Scores are computed once per image, tau and shrinker.

Splits: ``--rng splitmix`` (default) is the conseco tool's permutation
(splitmix64 seeded with seed + s, Fisher-Yates), so the numbers equal
``conseco evaluate``'s; ``--rng numpy`` uses ``numpy.random.default_rng(seed + s)
.permutation(n)``.

usage: python3 examples/python/table1.py --pred DIR --gt DIR [--tau 0.1,0.01,0.001]
       [--alpha 0.1] [--splits 100] [--seed 0] [--cal-fraction 0.5] [--rng splitmix|numpy] [--json]
"""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conseco  # noqa: E402
from dask_calibrate import list_pairs, load_pair  # noqa: E402

M64 = (1 << 64) - 1


def splitmix_permutation(seed, split, n):
    state = (seed + split) & M64

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    perm = list(range(n))
    for i in range(n, 1, -1):
        threshold = ((1 << 64) - i) % i
        r = nxt()
        while r < threshold:
            r = nxt()
        j = r % i
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    return perm


def main(argv=None):
    ap = argparse.ArgumentParser(description="Table 1 protocol through the conseco package")
    ap.add_argument("--pred", required=True)
    ap.add_argument("--gt", required=True)
    ap.add_argument("--tau", default="0.1,0.01,0.001")
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--splits", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cal-fraction", type=float, default=0.5)
    ap.add_argument("--se", choices=["cross", "square", "disk"], default="cross")
    ap.add_argument("--border", choices=["foreground", "background"], default="foreground")
    ap.add_argument("--rng", choices=["splitmix", "numpy"], default="splitmix")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    taus = [float(t) for t in args.tau.split(",")]
    data = [load_pair(p, g) for _i, p, g in list_pairs(args.pred, args.gt)]
    n = len(data)
    n_cal = int(math.floor(n * args.cal_fraction))
    if not (1 <= n_cal < n):
        raise SystemExit(f"{n} images cannot be split with cal-fraction {args.cal_fraction}")
    if n_cal < conseco.min_calibration_size(args.alpha):
        print(f"table1: warning: {n_cal} calibration images < "
              f"{conseco.min_calibration_size(args.alpha)}: lambda_hat is inf", file=sys.stderr)
    shrinkers = {"threshold": conseco.Threshold(),
                 "erosion": conseco.Erosion(element=args.se, border=args.border)}
    perms = [np.random.default_rng(args.seed + s).permutation(n).tolist() if args.rng == "numpy"
             else splitmix_permutation(args.seed, s, n) for s in range(args.splits)]
    rows = []
    for tau in taus:
        base_m = [conseco.evaluate(shrinkers["threshold"], p, g, -math.inf, tau) for p, g in data]
        per_method = {"baseline": [], "threshold": [], "erosion": []}
        scores = {k: np.array([conseco.score(sh, p, g, tau) for p, g in data])
                  for k, sh in shrinkers.items()}
        cache = {}
        for perm in perms:
            cal, test = perm[:n_cal], perm[n_cal:]
            per_method["baseline"].append(conseco.set_metrics([base_m[i] for i in test]))
            for name, sh in shrinkers.items():
                lam, _k = conseco.quantile(scores[name][cal], args.alpha)
                items = []
                for i in test:
                    key = (name, i, lam)
                    if key not in cache:
                        cache[key] = conseco.evaluate(sh, data[i][0], data[i][1], lam, tau)
                    items.append(cache[key])
                per_method[name].append(conseco.set_metrics(items))
        for method, sets in per_method.items():
            arr = np.array([[s.ev, s.cr, s.atp] for s in sets])
            rows.append({"tau": tau, "method": method,
                         "ev": {"mean": arr[:, 0].mean(), "sd": arr[:, 0].std()},
                         "cr": {"mean": arr[:, 1].mean(), "sd": arr[:, 1].std()},
                         "atp": {"mean": arr[:, 2].mean(), "sd": arr[:, 2].std()}})
    if args.json:
        print(json.dumps({"alpha": args.alpha, "splits": args.splits, "n_cal": n_cal,
                          "n_test": n - n_cal, "rows": rows}))
        return 0
    print(f"alpha = {args.alpha}, {args.splits} splits, {n_cal} calibration / {n - n_cal} test")
    print(f"{'tau':>7} {'method':<10} {'EV':>15} {'CR':>15} {'ATP':>15}")
    for r in rows:
        cells = " ".join(f"{r[m]['mean']:.3f} ± {r[m]['sd']:.3f}".rjust(15)
                         for m in ("ev", "cr", "atp"))
        print(f"{r['tau']:>7} {r['method']:<10} {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
