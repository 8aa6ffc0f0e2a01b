#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of the `conseco` tool on volumes: NIfTI in and out (hand-made NIfTI-1 and
NIfTI-2 files, .nii and .nii.gz, both byte orders, every integer and float datatype, scaling),
3-D .npy read as one volume (--volume, --spacing), per-volume reports and metrics, and the
errors (shape or spacing mismatch, bad headers, truncated data). Expected numbers come from the
literal references in nifti_util.py (one erosion at a time, every threshold breakpoint).

usage: run_cli_volumes.py TOOL WORKDIR
"""
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nifti_util as nu  # noqa: E402

TOOL, WORK = sys.argv[1], sys.argv[2]
FAILURES = []
CHECKS = 0
EXIT_USAGE, EXIT_IO, EXIT_DATA = 2, 3, 4
NX, NY, NZ = 9, 7, 5
N = NX * NY * NZ


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def run(*args, expect=0):
    r = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True)
    check(r.returncode == expect, "exit %d (wanted %d): conseco %s\nstderr: %s"
          % (r.returncode, expect, " ".join(map(str, args)), r.stderr))
    return r


def fails_cleanly(r, *names):
    lines = [l for l in r.stderr.splitlines() if not l.startswith("conseco: warning: ")]
    check(len(lines) == 1 and lines[0].startswith("conseco: "), "one-line error wanted, got %r" % r.stderr)
    for n in names:
        check(n in r.stderr, "error should name %r: %r" % (n, r.stderr))


def num(x):
    return math.inf if x == "inf" else float(x)


# ------------------------------------------------------------------ data
def make_volume(rng, fp_blob):
    """votes 0..33 and truth, x fastest: an organ box with soft edges and maybe a spurious blob."""
    cx, cy, cz = rng.uniform(3, 5), rng.uniform(2.5, 4), rng.uniform(1.5, 2.5)
    votes, truth = [], []
    for z in range(NZ):
        for y in range(NY):
            for x in range(NX):
                d = ((x - cx) / 3.2) ** 2 + ((y - cy) / 2.4) ** 2 + ((z - cz) / 1.6) ** 2
                t = 1 if d <= 1.0 else 0
                v = max(0, min(33, int(round(33 * (1.25 - d))) + rng.randint(-6, 6)))
                if fp_blob and abs(x - 7) + abs(y - 5) + abs(z - 3) <= 1:
                    v = 33
                votes.append(v)
                truth.append(t)
    return votes, truth


SLOPE = nu.f32(1.0 / 33.0)


def data_set(d, rng, count=6):
    """count volume pairs, one per storage flavour; returns [(id, scores as doubles, truth)]."""
    os.makedirs(d + "/pred")
    os.makedirs(d + "/gt")
    sp = (0.75, 0.8125, 2.5)
    out = []
    for i in range(count):
        votes, truth = make_volume(rng, i % 2 == 0)
        vid = "v%d" % i
        kind = i % 6
        p = d + "/pred/" + vid
        if kind == 0:  # the pancreas layout: uint8 counts, float32 slope 1/33
            nu.write_nifti(p + ".nii.gz", (NX, NY, NZ), 2, votes, sp, slope=1.0 / 33.0)
            s = [v * SLOPE for v in votes]
        elif kind == 1:  # int16, big-endian, .nii, slope and intercept
            raw = [v * 2 - 10 for v in votes]
            nu.write_nifti(p + ".nii", (NX, NY, NZ), 4, raw, sp, endian=">",
                           slope=1.0 / 66.0, inter=10.0 / 66.0)
            sl, it = nu.f32(1.0 / 66.0), nu.f32(10.0 / 66.0)
            s = [r * sl + it for r in raw]
        elif kind == 2:  # NIfTI-2, float32, unscaled
            vals = [nu.f32(v / 33.0) for v in votes]
            nu.write_nifti(p + ".nii.gz", (NX, NY, NZ), 16, vals, sp, version=2)
            s = vals
        elif kind == 3:  # float64, slope 0 (no scaling) with a junk intercept
            vals = [v / 33.0 for v in votes]
            nu.write_nifti(p + ".nii", (NX, NY, NZ), 64, vals, sp, slope=0.0, inter=7.0)
            s = vals
        elif kind == 4:  # uint16, NIfTI-2 big-endian, double slope
            nu.write_nifti(p + ".nii", (NX, NY, NZ), 512, votes, sp, version=2, endian=">",
                           slope=1.0 / 33.0)
            s = [v * (1.0 / 33.0) for v in votes]
        else:  # int8 with slope 1 (identity) and int32 truth
            nu.write_nifti(p + ".nii.gz", (NX, NY, NZ), 256, [v - 0 for v in votes], sp, slope=1.0)
            s = [float(v) / 1.0 for v in votes]
            s = [v for v in s]
        if kind == 5:
            nu.write_nifti(d + "/gt/" + vid + ".nii.gz", (NX, NY, NZ), 8, [t * 7 for t in truth], sp)
        elif kind == 3:  # float truth, scaled: nonzero after scaling
            nu.write_nifti(d + "/gt/" + vid + ".nii", (NX, NY, NZ), 16, [float(t) for t in truth], sp,
                           slope=2.0)
        else:
            nu.write_nifti(d + "/gt/" + vid + ".nii.gz", (NX, NY, NZ), 2, truth, sp)
        out.append((vid, s, truth))
    return out


def ref_scores(vols, shrinker, tau, foreground=True, base=0.5, top=1.0):
    res = []
    for vid, s, t in vols:
        if shrinker == "threshold":
            res.append(nu.threshold_score(s, t, tau, base, top))
        else:
            res.append(nu.erosion_cross_score(s, t, tau, NX, NY, NZ, base, foreground))
    return res


def calibrate_json(pred, gt, shrinker, tau, alpha, extra=()):
    args = ["calibrate", "--shrinker", shrinker, "--tau", tau, "--alpha", alpha, "--pred", pred,
            "--gt", gt, "--json"] + list(extra)
    r = run(*args)
    return json.loads(r.stdout) if r.returncode == 0 else None


def check_scores(got, vols, want, what):
    if got is None:
        return
    check([e["id"] for e in got["scores"]] == [v[0] for v in vols], what + ": ids")
    g = [num(e["score"]) for e in got["scores"]]
    check(g == want, what + ": scores\n got %s\nwant %s" % (g, want))


# ------------------------------------------------------------------ tests
def nifti_tests():
    rng = random.Random(11)
    d = os.path.join(WORK, "set")
    vols = data_set(d, rng, 12)
    # the extreme scores of kind 5 (raw counts) are >1: base 0.5/top 1 still well defined
    for tau, alpha in (("0.1", "0.1"), ("0.05", "0.2"), ("0", "0.3")):
        got = calibrate_json(d + "/pred", d + "/gt", "threshold", tau, alpha)
        want = ref_scores(vols, "threshold", float(tau))
        check_scores(got, vols, want, "threshold tau %s" % tau)
        if got:
            k, lam = nu.lambda_hat(want, alpha)
            check(got["k"] == k and num(got["lambda"]) == lam, "threshold k/lambda_hat")
        for border in ("foreground", "background"):
            got = calibrate_json(d + "/pred", d + "/gt", "erosion", tau, alpha,
                                 ["--se", "cross", "--border", border])
            want = ref_scores(vols, "erosion", float(tau), border == "foreground")
            check_scores(got, vols, want, "erosion cross %s tau %s" % (border, tau))
            if got:
                k, lam = nu.lambda_hat(want, alpha)
                check(got["k"] == k and num(got["lambda"]) == lam, "erosion k/lambda_hat")

    # apply: <id>.nii.gz masks with the input's header, only the voxel type and scaling changed
    out, unc = os.path.join(WORK, "out"), os.path.join(WORK, "unc")
    r = run("apply", "--shrinker", "erosion", "--se", "cross", "--lambda", "1", "--pred",
            d + "/pred", "--out", out, "--uncertain", unc)
    if r.returncode == 0:
        check(sorted(os.listdir(out)) == sorted(v[0] + ".nii.gz" for v in vols),
              "apply writes <id>.nii.gz: %s" % sorted(os.listdir(out)))
        for vid, s, t in vols:
            src = [f for f in os.listdir(d + "/pred") if f.startswith(vid + ".")][0]
            hin = nu.read_input_header(d + "/pred/" + src)
            hout, data = nu.read_nifti1_gz(out + "/" + vid + ".nii.gz")
            check(nu.header_diff(hin, hout) == [], "%s: header fields changed: %s"
                  % (vid, nu.header_diff(hin, hout)))
            inner = nu.erosion_cross_levels(s, NX, NY, NZ, 1)
            yhat = [1 if v >= 0.5 else 0 for v in s]
            check(list(data) == inner, vid + ": inner mask")
            _, udata = nu.read_nifti1_gz(unc + "/" + vid + ".nii.gz")
            check(list(udata) == [a - b for a, b in zip(yhat, inner)], vid + ": uncertain region")
    # the same through a saved state, and --force over the old folder
    state = os.path.join(WORK, "vol.state")
    run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred",
        d + "/pred", "--gt", d + "/gt", "--save", state, "--quiet")
    run("apply", "--state", state, "--alpha", "0.2", "--pred", d + "/pred", "--out", out,
        "--force", "--quiet")
    want = ref_scores(vols, "threshold", 0.1)
    k, lam = nu.lambda_hat(want, "0.2")
    for vid, s, t in vols:
        _, data = nu.read_nifti1_gz(out + "/" + vid + ".nii.gz")
        check(list(data) == [1 if v >= lam else 0 for v in s], vid + ": threshold inner mask")
    check(not [f for f in os.listdir(out) if ".tmp-" in f], "no temporaries left")


def error_tests():
    sp = (0.75, 0.8125, 2.5)
    ones = [1] * N

    def pair(name, pred_files, gt_files):
        d = os.path.join(WORK, "bad-" + name)
        os.makedirs(d + "/pred")
        os.makedirs(d + "/gt")
        for fn, kw in pred_files:
            nu.write_nifti(d + "/pred/" + fn, **kw)
        for fn, kw in gt_files:
            nu.write_nifti(d + "/gt/" + fn, **kw)
        return d

    good = dict(dims=(NX, NY, NZ), dt=2, values=[20] * N, pixdim=sp, slope=1.0 / 33.0)
    gt = dict(dims=(NX, NY, NZ), dt=2, values=ones, pixdim=sp)

    def calib(d, *names):
        r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred",
                d + "/pred", "--gt", d + "/gt", expect=EXIT_DATA)
        fails_cleanly(r, *names)

    d = pair("shape", [("a.nii.gz", good)], [("a.nii.gz", dict(gt, dims=(NX, NY, NZ - 1),
                                                               values=[1] * (NX * NY * (NZ - 1))))])
    calib(d, "pred/a.nii.gz", "gt/a.nii.gz", "9x7x5", "9x7x4")
    d = pair("spacing", [("a.nii.gz", good)], [("a.nii.gz", dict(gt, pixdim=(0.75, 0.8125, 2.5003)))])
    calib(d, "pred/a.nii.gz", "gt/a.nii.gz", "voxel size")
    d = pair("spacing-ok", [("a.nii.gz", good)], [("a.nii.gz", dict(gt, pixdim=(0.75, 0.8125, 2.50002)))])
    run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred",
        d + "/pred", "--gt", d + "/gt", "--quiet")
    d = pair("nan-slope", [("a.nii", dict(good, slope=float("nan")))], [("a.nii", gt)])
    calib(d, "a.nii", "scl_slope")
    d = pair("inf-slope", [("a.nii", dict(good, slope=float("inf")))], [("a.nii", gt)])
    calib(d, "a.nii", "scl_slope")
    d = pair("4d", [("a.nii", dict(good, dims=(NX, NY, NZ, 2), values=[1] * (2 * N)))], [("a.nii", gt)])
    calib(d, "a.nii", "dim[4]")
    d = pair("complex", [("a.nii", dict(good, dt=32, values=[0] * (2 * N)))], [("a.nii", gt)])
    calib(d, "a.nii")
    d = pair("truncated", [("a.nii.gz", dict(good, truncate=352 + N // 2))], [("a.nii.gz", gt)])
    calib(d, "a.nii.gz", "truncated")
    d = pair("pair-magic", [("a.nii", dict(good, magic=b"ni1\0"))], [("a.nii", gt)])
    calib(d, "a.nii")
    d = pair("dup", [("a.nii", good), ("a.nii.gz", good)], [("a.nii", gt)])
    calib(d, "twice")
    # a damaged gzip stream (the CRC at the end): found, not silently used
    d = pair("crc", [("a.nii.gz", good)], [("a.nii.gz", gt)])
    blob = bytearray(open(d + "/pred/a.nii.gz", "rb").read())
    blob[-6] ^= 0xff
    open(d + "/pred/a.nii.gz", "wb").write(bytes(blob))
    calib(d, "a.nii.gz")
    # a gzip file that is not NIfTI and has no NIfTI name is not an input
    d = pair("notnifti", [("a.nii.gz", good)], [("a.nii.gz", gt)])
    import gzip
    with gzip.open(d + "/pred/notes.txt.gz", "wb") as f:
        f.write(b"hello " * 100)
    run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred",
        d + "/pred", "--gt", d + "/gt", "--quiet")


def evaluate_tests():
    """evaluate reports per volume: the volume's score (= calibrate's), and over the splits that
    tested it EV/CR/ATP, which add up to the table's means."""
    d = os.path.join(WORK, "set")
    S = 7
    r = run("evaluate", "--tau", "0.1,0.05", "--alpha", "0.2", "--pred", d + "/pred", "--gt",
            d + "/gt", "--splits", S, "--seed", 3, "--json", "--quiet")
    if r.returncode:
        return
    got = json.loads(r.stdout)
    vols = got["volumes"]
    check(len(vols) == 12 and vols[0]["id"] == "v0", "evaluate: one entry per volume")
    for ti, tau in enumerate(("0.1", "0.05")):
        for mi, method in enumerate(("baseline", "threshold", "erosion")):
            row = got["rows"][ti * 3 + mi]
            check(row["method"] == method, "row order")
            tested = sum(v["rows"][ti * 3 + mi]["tested"] for v in vols)
            check(tested == S * got["n_test"], "every split tests n_test volumes")
            valid = sum(v["rows"][ti * 3 + mi]["ev"] * v["rows"][ti * 3 + mi]["tested"]
                        for v in vols if v["rows"][ti * 3 + mi]["tested"])
            check(abs(valid / tested - row["ev"]["mean"]) < 1e-12,
                  "per-volume EV adds up to the table's (%s %s)" % (tau, method))
            cr = sum(v["rows"][ti * 3 + mi]["cr"] * v["rows"][ti * 3 + mi]["tested"]
                     for v in vols if v["rows"][ti * 3 + mi]["tested"])
            check(abs(cr / tested - row["cr"]["mean"]) < 1e-12, "per-volume CR adds up")
            if method == "baseline":
                check(all(v["rows"][ti * 3]["score"] is None for v in vols), "baseline: no score")
                continue
            cal = calibrate_json(d + "/pred", d + "/gt", method, tau, "0.2")
            if cal:
                check([num(e["score"]) for e in cal["scores"]] ==
                      [num(v["rows"][ti * 3 + mi]["score"]) for v in vols],
                      "evaluate's per-volume scores are calibrate's (%s %s)" % (tau, method))
    t = run("evaluate", "--tau", "0.1", "--alpha", "0.2", "--pred", d + "/pred", "--gt", d + "/gt",
            "--splits", S, "--quiet")
    check("Per volume" in t.stdout and "\nv11 " in t.stdout, "the text table lists volumes")


def metrics_tests():
    """apply --gt --metrics FILE.csv|.json: per-volume AFP, CR, ATP and valid at lambda_hat."""
    d = os.path.join(WORK, "set")
    vols = {}
    rng = random.Random(11)  # the same volumes as nifti_tests made
    for vid, s, t in data_set(os.path.join(WORK, "set-again"), rng, 12):
        vols[vid] = (s, t)
    for ext in ("csv", "json"):
        mfile = os.path.join(WORK, "metrics." + ext)
        out = os.path.join(WORK, "mout-" + ext)
        r = run("apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d + "/pred", "--out",
                out, "--gt", d + "/gt", "--metrics", mfile, "--tau", "0.1", "--quiet")
        if r.returncode:
            continue
        if ext == "csv":
            lines = open(mfile).read().splitlines()
            check(lines[0] == "id,predicted,inner,inner_fp,inner_tp,afp,cr,atp,valid", "csv header")
            rows = {l.split(",")[0]: l.split(",")[1:] for l in lines[1:]}
        else:
            got = json.load(open(mfile))
            rows = {v["id"]: [v["predicted"], v["inner"], v["inner_fp"], v["inner_tp"], v["afp"],
                              v["cr"], v["atp"], 1 if v["valid"] else 0] for v in got["volumes"]}
            check(got["lambda"] == 1 and got["tau"] == 0.1, "metrics json: lambda and tau")
            evs = [rows[k][7] for k in rows]
            check(abs(got["ev"] - sum(evs) / len(evs)) < 1e-15, "metrics json: ev")
        check(sorted(rows) == sorted(vols), "metrics: one row per volume (%s)" % ext)
        for vid, (s, t) in vols.items():
            if vid not in rows:
                continue
            inner = nu.erosion_cross_levels(s, NX, NY, NZ, 1)
            pred = sum(1 for v in s if v >= 0.5)
            fp = sum(1 for i, m in enumerate(inner) if m and not t[i])
            tp = sum(1 for i, m in enumerate(inner) if m and t[i])
            afp = fp / pred if pred else 0.0
            want = [pred, tp + fp, fp, tp, afp, (tp + fp) / pred if pred else 1.0,
                    tp / pred if pred else 1.0, 1 if afp <= 0.1 else 0]
            check([float(x) for x in rows[vid]] == [float(x) for x in want],
                  "metrics %s %s: %s vs %s" % (ext, vid, rows[vid], want))
    # from a state: tau is the state's
    state = os.path.join(WORK, "vol.state")
    r = run("apply", "--state", state, "--alpha", "0.2", "--pred", d + "/pred", "--out",
            os.path.join(WORK, "mout-state"), "--gt", d + "/gt", "--metrics",
            os.path.join(WORK, "m2.json"), "--quiet")
    if r.returncode == 0:
        check(json.load(open(os.path.join(WORK, "m2.json")))["tau"] == 0.1, "state's tau")
    for args, what in ((["--metrics", "m.txt", "--gt", d + "/gt", "--tau", "0.1"], ".csv or .json"),
                       (["--metrics", "m.csv", "--tau", "0.1"], "--gt"),
                       (["--metrics", "m.csv", "--gt", d + "/gt"], "--tau"),
                       (["--tau", "0.1"], "--metrics")):
        r = run("apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d + "/pred", "--out",
                os.path.join(WORK, "never"), *args, expect=EXIT_USAGE)
        fails_cleanly(r, what)


def demo_tests():
    """demo --3d: the table in memory equals `evaluate` on the NIfTI files it wrote (so the
    files carry exactly the evaluated scores), and the mid-slice overlays exist."""
    out = os.path.join(WORK, "demo3d")
    r = run("demo", "--3d", "--out", out, "--quiet")
    if r.returncode:
        return
    check(len(os.listdir(out + "/pred")) == 30 and len(os.listdir(out + "/gt")) == 30,
          "demo --3d writes 30 volume pairs")
    ov = sorted(os.listdir(out + "/overlays"))
    check(len(ov) == 18 and all(f.endswith(".png") for f in ov), "18 overlays: %s" % ov)
    check(sum("-erosion-ball-mm-" in f for f in ov) == 6, "6 ball-mm overlays: %s" % ov)
    for plane in ("axial", "coronal", "sagittal"):
        check(any(plane in f for f in ov), "an overlay of the %s mid-slice" % plane)
    e = run("evaluate", "--tau", "0.1,0.01", "--alpha", "0.1", "--pred", out + "/pred", "--gt",
            out + "/gt", "--splits", "10", "--seed", "0", "--quiet")
    first, _, second = r.stdout.partition("ball in millimetres")
    rows = [l for l in first.splitlines() if "\u00b1" in l]
    check(len(rows) == 6 and all(l in e.stdout for l in rows),
          "demo --3d table == evaluate on its files:\n%s\n%s" % (r.stdout, e.stdout))
    e = run("evaluate", "--tau", "0.1,0.01", "--alpha", "0.1", "--pred", out + "/pred", "--gt",
            out + "/gt", "--splits", "10", "--seed", "0", "--quiet", "--se", "ball-mm",
            "--methods", "erosion,smooth")
    rows = [l for l in second.splitlines() if "\u00b1" in l]
    check(len(rows) == 4 and all(l in e.stdout for l in rows),
          "demo --3d ball-mm/smooth table == evaluate on its files:\n%s\n%s" % (r.stdout, e.stdout))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else None


def overlay_tests():
    """apply --overlay on volumes: the three mid-slices, the slice axis stretched to the voxel
    size (9x7x5 voxels of 0.75 x 0.8125 x 2.5 mm, drawn 8x)."""
    d = os.path.join(WORK, "set")
    ov = os.path.join(WORK, "ov3d")
    r = run("apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d + "/pred", "--out",
            os.path.join(WORK, "ov3d-out"), "--overlay", ov, "--gt", d + "/gt", "--quiet")
    if r.returncode:
        return
    names = sorted(os.listdir(ov))
    check(len(names) == 36 and "v0-axial.png" in names and "v11-sagittal.png" in names,
          "three overlays per volume: %s" % names[:6])
    check(png_size(ov + "/v0-axial.png") == (72, 56), "axial: x by y, %s" % (png_size(ov + "/v0-axial.png"),))
    check(png_size(ov + "/v0-coronal.png") == (72, 136), "coronal: z stretched 2.5/0.75")
    check(png_size(ov + "/v0-sagittal.png") == (56, 120), "sagittal: z stretched 2.5/0.8125")
    r = run("apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d + "/pred", "--out",
            os.path.join(WORK, "ov3d-out2"), "--overlay", os.path.join(WORK, "ov3d-2"), "--image",
            d + "/gt", expect=EXIT_DATA)
    fails_cleanly(r, "--image")


def thread_tests():
    """calibrate --threads N: the same JSON for every N; with several bad pairs the error is the
    one of the first bad pair (what one thread stops at), on one line."""
    d = os.path.join(WORK, "set")
    outs = []
    for t in ("1", "2", "3", "16"):
        r = run("calibrate", "--shrinker", "erosion", "--tau", "0.05", "--alpha", "0.2", "--pred",
                d + "/pred", "--gt", d + "/gt", "--json", "--threads", t)
        outs.append(r.stdout)
    check(len(set(outs)) == 1 and outs[0], "--threads 1/2/3/16 give the same JSON")
    # risk: pairs decoded on N threads, curves added one at a time (order-free exact sums)
    for side, shrinker in (("inner", "erosion"), ("outer", "dilation"), ("outer", "threshold")):
        outs, states = [], []
        for t in ("1", "2", "3", "16"):
            st = os.path.join(WORK, "risk-threads-%s-%s-%s.state" % (side, shrinker, t))
            r = run("calibrate", "--guarantee", "risk", "--side", side, "--shrinker", shrinker,
                    "--alpha", "0.2", "--pred", d + "/pred", "--gt", d + "/gt", "--threads", t,
                    "--save", st)
            outs.append(r.stdout)
            states.append(open(st, "rb").read() if r.returncode == 0 else b"")
        check(len(set(outs)) == 1 and outs[0],
              "risk %s %s: --threads 1/2/3/16 give the same summary" % (side, shrinker))
        check(len(set(states)) == 1 and states[0],
              "risk %s %s: --threads 1/2/3/16 save the same bytes" % (side, shrinker))
    bad = os.path.join(WORK, "bad-threads")
    os.makedirs(bad + "/pred")
    os.makedirs(bad + "/gt")
    sp = (0.75, 0.8125, 2.5)
    for i in range(8):
        kw = dict(dims=(NX, NY, NZ), dt=2, values=[20] * N, pixdim=sp, slope=1.0 / 33.0)
        if i in (3, 5, 6):
            kw["slope"] = float("nan")
        nu.write_nifti(bad + "/pred/b%d.nii.gz" % i, **kw)
        nu.write_nifti(bad + "/gt/b%d.nii.gz" % i, dims=(NX, NY, NZ), dt=2, values=[1] * N, pixdim=sp)
    for rep in range(6):
        r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred",
                bad + "/pred", "--gt", bad + "/gt", "--threads", "2" if rep % 2 else "4",
                expect=EXIT_DATA)
        fails_cleanly(r, "b3.nii.gz", "scl_slope")
    for rep in range(4):
        r = run("calibrate", "--guarantee", "risk", "--shrinker", "threshold", "--alpha", "0.2",
                "--pred", bad + "/pred", "--gt", bad + "/gt", "--threads", "2" if rep % 2 else "4",
                expect=EXIT_DATA)
        fails_cleanly(r, "b3.nii.gz", "scl_slope")
    for v in ("0", "x", "65"):
        r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred",
                d + "/pred", "--gt", d + "/gt", "--threads", v, expect=EXIT_USAGE)
        fails_cleanly(r, "--threads")


def write_npy(path, descr, shape, values):
    letter = {"<f8": "d", "|u1": "B", "|b1": "B"}[descr]
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(x) for x in shape) + ("," if len(shape) == 1 else ""))
    pad = 64 - (10 + len(hdr) + 1) % 64
    hdr = hdr + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        f.write(struct.pack("<" + letter * len(values), *values))


def volume_npy_tests():
    """--volume: a 3-D .npy (z, y, x) is one volume with the same score as its NIfTI twin."""
    rng = random.Random(5)
    d = os.path.join(WORK, "npyvol")
    vols = data_set(os.path.join(WORK, "npytwin"), rng, 6)
    os.makedirs(d + "/pred")
    os.makedirs(d + "/gt")
    for vid, s, t in vols:  # x fastest = C order of a (z, y, x) array
        write_npy(d + "/pred/" + vid + ".npy", "<f8", (NZ, NY, NX), s)
        write_npy(d + "/gt/" + vid + ".npy", "|b1", (NZ, NY, NX), t)
    for shrinker in ("threshold", "erosion"):
        got = calibrate_json(d + "/pred", d + "/gt", shrinker, "0.1", "0.2", ["--volume"])
        check_scores(got, vols, ref_scores(vols, shrinker, 0.1), "--volume " + shrinker)
        twin = calibrate_json(WORK + "/npytwin/pred", WORK + "/npytwin/gt", shrinker, "0.1", "0.2")
        check(got is not None and twin is not None and got["scores"] == twin["scores"],
              "--volume .npy scores equal the NIfTI scores (%s)" % shrinker)
    # without --volume the same files are stacks of 2-D slices: 6 * NZ images, ids 0..NZ-1 per
    # file collide across files, so one stacked file per folder
    one = os.path.join(WORK, "npystack")
    os.makedirs(one + "/pred")
    os.makedirs(one + "/gt")
    shutil.copy(d + "/pred/v0.npy", one + "/pred/v0.npy")
    shutil.copy(d + "/gt/v0.npy", one + "/gt/v0.npy")
    got = calibrate_json(one + "/pred", one + "/gt", "threshold", "0.1", "0.2")
    check(got is not None and got["n"] == NZ, "a 3-D .npy without --volume is a stack of %d" % NZ)
    got = calibrate_json(one + "/pred", one + "/gt", "threshold", "0.1", "0.2", ["--volume"])
    check(got is not None and got["n"] == 1 and got["scores"][0]["id"] == "v0",
          "with --volume it is one volume named v0")
    # --spacing: the voxel size of .npy inputs, checked against a NIfTI mask's pixdim
    mixed = os.path.join(WORK, "mixed")
    os.makedirs(mixed + "/pred")
    shutil.copy(d + "/pred/v0.npy", mixed + "/pred/v0.npy")
    gtdir = WORK + "/npytwin/gt"
    gtname = [f for f in os.listdir(gtdir) if f.startswith("v0.")][0]
    os.makedirs(mixed + "/gt")
    shutil.copy(gtdir + "/" + gtname, mixed + "/gt/" + gtname)
    args = ["calibrate", "--shrinker", "erosion", "--tau", "0.1", "--alpha", "0.2", "--pred",
            mixed + "/pred", "--gt", mixed + "/gt", "--volume", "--quiet"]
    run(*(args + ["--spacing", "0.75,0.8125,2.5"]))
    run(*args)  # no --spacing: the .npy carries none, nothing to compare
    r = run(*(args + ["--spacing", "1,1,1"]), expect=EXIT_DATA)
    fails_cleanly(r, "v0.npy", gtname, "voxel size")
    for bad in ("1,1", "1,0,1", "1,-2,1", "1,nan,1", "a,b,c", "1,1,1,1"):
        r = run(*(args + ["--spacing", bad]), expect=EXIT_USAGE)
        fails_cleanly(r, "--spacing")
    # apply --volume writes one (z, y, x) bool .npy per volume
    out = os.path.join(WORK, "npyout")
    run("apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d + "/pred", "--out", out,
        "--volume", "--quiet")
    for vid, s, t in vols:
        blob = open(out + "/" + vid + ".npy", "rb").read()
        check(b"'shape': (%d, %d, %d)" % (NZ, NY, NX) in blob[:128], vid + ": (z, y, x) mask")
        check(list(blob[-N:]) == nu.erosion_cross_levels(s, NX, NY, NZ, 1), vid + ": --volume mask")


def risk_tests():
    """--guarantee risk on NIfTI volumes: evaluate's baseline loss is a mean of the volumes' AFP
    (streaming: stream_tests), calibrate's risk at lambda is the literal mean AFP of the volumes."""
    d = os.path.join(WORK, "risk-set")
    vols = data_set(d, random.Random(11), 12)
    afps = []
    for vid, s, t in vols:
        yhat = [i for i, v in enumerate(s) if v >= 0.5]
        afps.append(sum(1 for i in yhat if not t[i]) / len(yhat) if yhat else 0.0)
    r = run("evaluate", "--guarantee", "risk", "--alpha", "0.3", "--pred", d + "/pred", "--gt",
            d + "/gt", "--splits", 5, "--seed", 3, "--json", "--quiet")
    if r.returncode == 0:
        got = json.loads(r.stdout)
        check([row["method"] for row in got["rows"]] == ["baseline", "threshold", "erosion"],
              "evaluate --guarantee risk on volumes: the three rows")
        check(got["n_cal"] + got["n_test"] == 12, "evaluate --guarantee risk: every volume used")
        base = got["rows"][0]["loss"]["mean"]
        check(min(afps) - 1e-12 <= base <= max(afps) + 1e-12 and base > 0,
              "evaluate --guarantee risk: the baseline loss is a mean of the volumes' AFP")
    r = run("calibrate", "--guarantee", "risk", "--shrinker", "threshold", "--alpha", "0.3",
            "--pred", d + "/pred", "--gt", d + "/gt", "--json", "--quiet")
    if r.returncode == 0:
        got = json.loads(r.stdout)
        lam = num(got["lambda"])
        risk = 0.0
        for vid, s, t in vols:
            yhat = [i for i, v in enumerate(s) if v >= 0.5]
            kept = [i for i in yhat if s[i] >= lam]
            risk += sum(1 for i in kept if not t[i]) / len(yhat) if yhat else 0.0
        check(got["n"] == 12 and abs(got["risk"] - risk / 12) < 1e-12,
              "calibrate --guarantee risk on volumes: risk %r, literal %r" % (got["risk"], risk / 12))


STREAM_CASES = (
    ("--side", "outer", "--tau", "0.1,0.02", "--alpha", "0.2"),
    ("--side", "outer", "--tau", "0.2", "--alpha", "0.3", "--se", "ball-mm", "--bottom", "0.2"),
    ("--side", "band", "--tau", "0.1,0.05", "--tau-outer", "0.1", "--alpha", "0.2"),
    ("--side", "band", "--tau", "0.2", "--tau-outer", "0.05", "--alpha", "0.3", "--se", "square",
     "--border", "background"),
    ("--guarantee", "risk", "--alpha", "0.3"),
    ("--guarantee", "risk", "--alpha", "0.2", "--se", "ball-mm"),
    ("--guarantee", "risk", "--alpha", "0.05"),
    ("--guarantee", "risk", "--side", "outer", "--alpha", "0.2"),
    ("--guarantee", "risk", "--side", "outer", "--alpha", "0.1", "--se", "ball-mm", "--bottom",
     "0.1"),
)


def run_env(env_extra, *args, expect=0):
    env = dict(os.environ)
    env.update(env_extra)
    r = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True, env=env)
    check(r.returncode == expect, "exit %d (wanted %d): %s conseco %s\nstderr: %s"
          % (r.returncode, expect, env_extra, " ".join(map(str, args)), r.stderr))
    return r


def stream_tests():
    """evaluate --side outer|band and --guarantee risk stream volumes (pass 1: scores or loss
    curves, pass 2: the metrics at the lambdas each test volume needs, one decoded pair at a
    time): the output equals the held path's (CONSECO_EVALUATE_HOLD=1: every pair decoded once
    and kept) and that of the same data as (z, y, x) .npy read with --volume; a bad volume is an
    error naming it."""
    d = os.path.join(WORK, "stream-set")
    vols = data_set(d, random.Random(17), 12)
    npy = os.path.join(WORK, "stream-npy")
    os.makedirs(npy + "/pred")
    os.makedirs(npy + "/gt")
    for vid, s, t in vols:
        write_npy(npy + "/pred/" + vid + ".npy", "<f8", (NZ, NY, NX), s)
        write_npy(npy + "/gt/" + vid + ".npy", "|b1", (NZ, NY, NX), t)
    hold = {"CONSECO_EVALUATE_HOLD": "1"}
    for case in STREAM_CASES:
        common = list(case) + ["--splits", 6, "--seed", 2, "--quiet"]
        nii = common + ["--pred", d + "/pred", "--gt", d + "/gt"]
        vol = common + ["--pred", npy + "/pred", "--gt", npy + "/gt", "--volume", "--spacing",
                        "0.75,0.8125,2.5"]
        what = " ".join(case)
        for fmt in ([], ["--json"]):
            outs = [run("evaluate", *(nii + fmt)).stdout,
                    run_env(hold, "evaluate", *(nii + fmt)).stdout,
                    run("evaluate", *(vol + fmt)).stdout,
                    run_env(hold, "evaluate", *(vol + fmt)).stdout]
            check(outs[0] and all(o == outs[0] for o in outs),
                  "evaluate %s %s: streamed NIfTI, held NIfTI, streamed and held --volume .npy "
                  "give the same output:\n%s" % (what, fmt, "\n".join(outs)))
        if outs[0]:
            got = json.loads(outs[0])
            check(got["n_cal"] + got["n_test"] == 12 and len(got["rows"]) >= 2,
                  "evaluate %s: every volume used, the rows" % what)
    # a volume whose voxel data does not inflate (found when it is decoded, not when the folder
    # is scanned) is an error naming it, streamed or held
    bad = os.path.join(WORK, "stream-bad")
    shutil.copytree(d, bad)
    name = "v6.nii.gz"
    size = os.path.getsize(bad + "/pred/" + name)
    with open(bad + "/pred/" + name, "r+b") as f:
        f.truncate(size * 2 // 3)
    for case in (STREAM_CASES[0], STREAM_CASES[2], STREAM_CASES[4], STREAM_CASES[7]):
        for env in ({}, hold):
            r = run_env(env, "evaluate", *(list(case) + ["--pred", bad + "/pred", "--gt",
                                                       bad + "/gt", "--quiet"]),
                        expect=EXIT_DATA)
            fails_cleanly(r, name)


# A child's ru_maxrss counts the memory of the process that forked it (until exec): the tool is
# forked from this small interpreter, not from the test (tens of MB of data lists), and only
# that child's rusage (os.wait4) is read.
RSS_HELPER = """import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), ru.ru_maxrss)
"""


def peak_rss_kib(args, env_extra=None):
    """The peak resident set of one run of the tool (KiB)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    r = subprocess.run([sys.executable, "-S", "-c", RSS_HELPER, TOOL] + [str(a) for a in args],
                       capture_output=True, text=True, env=env)
    words = r.stdout.split()
    ok = r.returncode == 0 and len(words) == 2 and words[0] == "0"
    check(ok, "peak memory of conseco %s: %r %r" % (" ".join(map(str, args)), r.stdout, r.stderr))
    return int(words[1]) if ok else 0


def memory_tests():
    """Streaming keeps evaluate's peak memory near one decoded pair: on 10 volumes of 96 x 96 x
    40 voxels (scores 8 bytes, mask 1 byte per voxel: V = 3.2 MiB a pair) the peak of
    --side outer/band and --guarantee risk exceeds that of the same run on 2 of the volumes by
    less than 2 V, while holding them (CONSECO_EVALUATE_HOLD=1) costs at least 5 V more (so the
    measure sees the volumes). Linux only (ru_maxrss in KiB); bounds only, no timing."""
    if not sys.platform.startswith("linux") or not hasattr(os, "wait4"):
        print("memory_tests: skipped (not Linux)")
        return
    with open(TOOL, "rb") as f:
        image = f.read()
    if not image.startswith(b"\x7fELF") or any(s in image for s in (b"__asan_init",
                                                                     b"__tsan_init",
                                                                     b"__msan_init")):
        # a wrapper script (valgrind) or a sanitizer build (ASan's quarantine keeps freed
        # volumes resident): their memory is not the tool's
        print("memory_tests: skipped (the tool is a wrapper or a sanitizer build)")
        return
    mx, my, mz, count = 96, 96, 40, 10
    vkib = mx * my * mz * 9 // 1024
    sp = (0.8, 0.8, 2.0)
    big, two = os.path.join(WORK, "mem-10"), os.path.join(WORK, "mem-2")
    for d in (big, two):
        os.makedirs(d + "/pred")
        os.makedirs(d + "/gt")
    for i in range(2):  # two volumes made, copied to the others (memory does not mind)
        cx, cy, cz = 40 + 2 * i, 50 - i, 18 + i % 4
        votes, truth = bytearray(mx * my * mz), bytearray(mx * my * mz)
        at = 0
        for z in range(mz):
            dz = ((z - cz) / 12.0) ** 2
            for y in range(my):
                dyz = dz + ((y - cy) / 30.0) ** 2
                for x in range(mx):
                    q = dyz + ((x - cx) / 30.0) ** 2
                    votes[at] = max(0, min(33, int(33 * (1.3 - q)) + (x * 7 + y * 3 + z) % 9 - 4))
                    truth[at] = q <= 0.9 + 0.05 * (i % 3)
                    at += 1
        nu.write_nifti(two + "/pred/m%d.nii.gz" % i, (mx, my, mz), 2, votes, sp, slope=1.0 / 33.0)
        nu.write_nifti(two + "/gt/m%d.nii.gz" % i, (mx, my, mz), 2, truth, sp)
    for i in range(count):
        for sub in ("pred", "gt"):
            shutil.copy("%s/%s/m%d.nii.gz" % (two, sub, i % 2), "%s/%s/m%d.nii.gz" % (big, sub, i))
    cases = (("--side", "outer", "--tau", "0.1", "--alpha", "0.2"),
             ("--side", "band", "--tau", "0.1", "--tau-outer", "0.1", "--alpha", "0.2"),
             ("--guarantee", "risk", "--alpha", "0.2"),
             ("--guarantee", "risk", "--side", "outer", "--alpha", "0.2"))
    for case in cases:
        args = ["evaluate"] + list(case) + ["--splits", 3, "--quiet", "--json"]
        small = peak_rss_kib(args + ["--pred", two + "/pred", "--gt", two + "/gt"])
        streamed = peak_rss_kib(args + ["--pred", big + "/pred", "--gt", big + "/gt"])
        held = peak_rss_kib(args + ["--pred", big + "/pred", "--gt", big + "/gt"],
                            {"CONSECO_EVALUATE_HOLD": "1"})
        print("memory %s: 2 volumes %d KiB, 10 streamed %d KiB, 10 held %d KiB (V = %d KiB)"
              % (" ".join(case), small, streamed, held, vkib))
        check(streamed < small + 2 * vkib,
              "evaluate %s streams: peak %d KiB on 10 volumes, %d KiB on 2 (V = %d KiB)"
              % (" ".join(case), streamed, small, vkib))
        check(held >= streamed + 5 * vkib,
              "evaluate %s: holding 10 volumes (%d KiB) costs more than streaming (%d KiB): the "
              "measure sees memory" % (" ".join(case), held, streamed))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    nifti_tests()
    error_tests()
    volume_npy_tests()
    evaluate_tests()
    risk_tests()
    stream_tests()
    memory_tests()
    metrics_tests()
    demo_tests()
    thread_tests()
    overlay_tests()
    print("%d checks, %d failures" % (CHECKS, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
