#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Calibrate libconseco over a folder of images or volumes with dask.distributed.

Each worker scores its partition of the calibration pairs with its own
conseco.Calibrator and returns the state as bytes; the client merges the
states in partition order (so the scores keep the folder's order) and
computes lambda_hat once. The result is exactly the single-process one
(``--single``): same scores, same k, same lambda_hat. ``--guarantee risk``
(expected-risk control, E[AFP] <= alpha, no tau) merges the workers' summed
loss curves instead, exactly and whatever the partitioning.

Folders: predictions and truths paired by file stem (``17.png`` <-> ``17.npy``
works), natural order of ids (2 before 10). Files are recognised by their
magic bytes: 8/16-bit grayscale PNG (value/255, value/65535) or ``.npy``
(uint8, uint16, float32, float64, bool; 2-D images or 3-D volumes, each file
one calibration unit), and NIfTI volumes (``.nii``, ``.nii.gz``, through
nibabel when it is installed; voxel spacing from the header, scaled data as
raw * scl_slope + scl_inter in double). Other files are ignored.

Examples::

    # a local cluster of 2 worker processes
    python3 examples/python/dask_calibrate.py --pred demo/pred --gt demo/gt --workers 2
    # a real cluster: start `dask scheduler` and `dask worker tcp://HOST:8786` on each
    # machine (each with conseco installed and the folders mounted at the same path)
    python3 examples/python/dask_calibrate.py --pred /data/pred --gt /data/gt \\
        --scheduler tcp://HOST:8786 --shrinker erosion --tau 0.01 --alpha 0.1 --save cal.state
"""
import argparse
import json
import math
import os
import re
import struct
import sys
import zlib

import numpy as np

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NPY_MAGIC = b"\x93NUMPY"


def read_png(path):
    """8/16-bit grayscale PNG to a uint8/uint16 array (PIL if present, else a tiny reader)."""
    try:
        from PIL import Image  # optional
        with Image.open(path) as im:
            if im.mode in ("L", "I;16", "I;16B", "I;16L", "1"):
                a = np.array(im)
                if a.dtype == np.bool_:
                    a = a.astype(np.uint8) * 255
                return a.astype(np.uint16) if a.dtype.kind in "iu" and a.itemsize > 1 else a
            raise ValueError(f"{path}: not a grayscale PNG (mode {im.mode})")
    except ImportError:
        pass
    data = open(path, "rb").read()
    if data[:8] != PNG_MAGIC:
        raise ValueError(f"{path}: not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _c, _f, interlace = hdr
    if ctype != 0 or depth not in (8, 16) or interlace:
        raise ValueError(f"{path}: only non-interlaced 8/16-bit grayscale PNG is supported")
    bpp = depth // 8
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, 1 + w * bpp)
    out = np.zeros((h, w * bpp), np.uint8)
    prev = np.zeros(w * bpp, np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # Sub, Average, Paeth: sequential along the row
            cur = line.copy()
            for x in range(w * bpp):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if f == 1:
                    p = a
                elif f == 3:
                    p = (a + b) >> 1
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (cur[x] + p) & 255
        out[y] = cur
        prev = cur
    return out if bpp == 1 else out.view(">u2").astype(np.uint16)


def _is_nifti(path, head):
    return path.endswith((".nii", ".nii.gz")) and (head[:2] == b"\x1f\x8b" or len(head) >= 4)


def read_nifti(path):
    """(array (z, y, x), spacing (sz, sy, sx)) of a NIfTI volume, via nibabel."""
    import nibabel  # optional dependency of this example
    img = nibabel.load(path)
    raw = np.asarray(img.dataobj.get_unscaled())
    slope, inter = img.dataobj.slope, img.dataobj.inter
    if raw.ndim != 3:
        raise ValueError(f"{path}: expected a 3-D volume, got shape {raw.shape}")
    if not (slope in (0, 1) and inter == 0):  # scaled: raw * slope + inter in double
        raw = raw.astype(np.float64) * float(slope) + float(inter)
    zooms = [float(z) for z in img.header.get_zooms()[:3]]
    return np.ascontiguousarray(raw.T), tuple(reversed(zooms))


def read_any(path, with_spacing=False):
    with open(path, "rb") as f:
        head = f.read(8)
    out, spacing = None, None
    if head.startswith(PNG_MAGIC):
        out = read_png(path)
    elif head.startswith(NPY_MAGIC):
        out = np.load(path, allow_pickle=False)
    elif _is_nifti(path, head):
        out, spacing = read_nifti(path)
    return (out, spacing) if with_spacing else out


def _natural(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def _stems(folder):
    out = {}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            head = f.read(8)
        if head.startswith(PNG_MAGIC) or head.startswith(NPY_MAGIC) or _is_nifti(path, head):
            stem = name[:-7] if name.endswith(".nii.gz") else (
                name.rsplit(".", 1)[0] if "." in name else name)
            if stem in out:
                raise SystemExit(f"two files with the id {stem!r} in {folder}")
            out[stem] = path
    return out


def list_pairs(pred_dir, gt_dir):
    """[(id, pred_path, gt_path)] in natural id order; predictions without a truth are errors."""
    preds, gts = _stems(pred_dir), _stems(gt_dir)
    missing = sorted(set(preds) - set(gts), key=_natural)
    if missing:
        raise SystemExit(f"no ground truth for {', '.join(missing[:5])} in {gt_dir}")
    return [(i, preds[i], gts[i]) for i in sorted(preds, key=_natural)]


def load_pair(pred_path, gt_path, with_spacing=False):
    """(pred, truth) arrays of one pair; with_spacing: (pred, truth, spacing or None)."""
    pred, spacing = read_any(pred_path, True)
    gt = read_any(gt_path)
    if pred is None or gt is None:
        raise ValueError(f"{pred_path} or {gt_path}: unknown format")
    if pred.dtype.kind in "iu" and pred.dtype not in (np.uint8, np.uint16):
        pred = pred.astype(np.float64)  # e.g. int16 NIfTI scores: used as they are
    if pred.shape != gt.shape:
        raise ValueError(f"{pred_path} and {gt_path} differ in shape")
    return (pred, gt != 0, spacing) if with_spacing else (pred, gt != 0)


def make_shrinker(spec):
    import conseco
    if spec["shrinker"] == "threshold":
        return conseco.Threshold(base=spec["base"], top=spec["top"])
    return conseco.Erosion(element=spec["se"], border=spec["border"], base=spec["base"])


def new_calibrator(spec):
    import conseco
    if spec.get("guarantee") == "risk":
        return conseco.Calibrator(make_shrinker(spec), guarantee="risk")
    return conseco.Calibrator(make_shrinker(spec), tau=spec["tau"])


def score_partition(items, spec):
    """Runs on a worker: one calibrator for this partition, returned as state bytes."""
    cal = new_calibrator(spec)
    for _id, p, g in items:
        pred, gt, spacing = load_pair(p, g, with_spacing=True)
        cal.add(pred, gt, spacing=spacing)
    return cal.to_bytes()


def merge_states(states, spec):
    import conseco
    cal = new_calibrator(spec)
    for blob in states:  # partition order = folder order
        cal.merge(conseco.Calibrator.from_bytes(blob, cal.shrinker, cal.tau))
    return cal


def partitions(items, count):
    count = max(1, min(count, len(items)))
    size = -(-len(items) // count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def calibrate(items, spec, client=None, nparts=1):
    """The merged calibrator: on the cluster when a client is given, else in this process."""
    parts = partitions(items, nparts) if items else []
    if client is None:
        states = [score_partition(part, spec) for part in parts]
    else:
        futures = client.map(score_partition, parts, spec=spec, pure=False)
        states = client.gather(futures)
    return merge_states(states, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pred", required=True, help="folder of score maps")
    ap.add_argument("--gt", required=True, help="folder of ground-truth masks")
    ap.add_argument("--shrinker", choices=["threshold", "erosion"], default="erosion")
    ap.add_argument("--se", choices=["cross", "square", "disk"], default="cross")
    ap.add_argument("--border", choices=["foreground", "background"], default="foreground")
    ap.add_argument("--base", type=float, default=0.5)
    ap.add_argument("--top", type=float, default=1.0)
    ap.add_argument("--tau", type=float, default=0.01, help="quantile guarantee only")
    ap.add_argument("--guarantee", choices=["quantile", "risk"], default="quantile",
                    help="risk: E[AFP] <= alpha (no tau; the JSON has no scores, and R(lambda))")
    ap.add_argument("--alpha", type=float, default=0.1)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running scheduler (tcp://host:8786)")
    where.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    where.add_argument("--single", action="store_true", help="no Dask: score in this process")
    ap.add_argument("--partitions", type=int, default=0, help="default: 4 per worker")
    ap.add_argument("--save", help="write the merged state here (temporary name, then rename)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    spec = {k: getattr(args, k)
            for k in ("shrinker", "se", "border", "base", "top", "tau", "guarantee")}
    items = list_pairs(args.pred, args.gt)

    if args.single:
        cal = calibrate(items, spec)
    else:
        from dask.distributed import Client, LocalCluster
        if args.scheduler:
            client = Client(args.scheduler)
            cluster = None
        else:
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            nworkers = max(1, len(client.scheduler_info()["workers"]))
            cal = calibrate(items, spec, client, args.partitions or 4 * nworkers)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    lam, k = cal.lambda_hat(args.alpha)
    if args.save:
        tmp = args.save + ".tmp"
        with open(tmp, "wb") as f:
            f.write(cal.to_bytes())
        os.replace(tmp, args.save)
    scores = cal.scores
    def num(x):
        return "inf" if math.isinf(x) else x
    if args.guarantee == "risk":
        if args.json:
            print(json.dumps({"shrinker": args.shrinker, "guarantee": "risk",
                              "alpha": args.alpha, "n": len(cal), "k": k, "lambda": num(lam),
                              "risk": cal.risk(lam)}))
        else:
            print(f"n = {len(cal)}, lambda_hat = {lam}, R(lambda_hat) = {cal.risk(lam)}")
    elif args.json:
        print(json.dumps({"shrinker": args.shrinker, "tau": args.tau, "alpha": args.alpha,
                          "n": len(cal), "k": k, "lambda": num(lam),
                          "scores": [{"id": i, "score": num(float(s))}
                                     for (i, _p, _g), s in zip(items, scores)]}))
    else:
        print(f"n = {len(cal)}, k = {k}, lambda_hat = {lam}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
