#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of the `conseco` command-line tool.

Data is generated at test time by cli_testdata (PNG 8/16/1-bit via libpng,
.npy float32/float64/uint8/bool, 3-D stacks); expected numbers come from
cli_testdata's reference modes, which call libconseco's public functions
directly. Every command, its JSON contract and every error case is checked.

usage: run_cli_tests.py TOOL HELPER WORKDIR
"""
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

TOOL, HELPER, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
FAILURES = []
CHECKS = 0

EXIT_USAGE, EXIT_IO, EXIT_DATA = 2, 3, 4


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def run(*args, expect=0):
    r = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True)
    check(r.returncode == expect,
          "exit %d (wanted %d): conseco %s\nstderr: %s" % (r.returncode, expect, " ".join(map(str, args)), r.stderr))
    return r


def helper(*args):
    r = subprocess.run([HELPER] + [str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        FAILURES.append("helper %s: %s" % (" ".join(map(str, args)), r.stderr))
        print("FAIL: helper", args, r.stderr, flush=True)
    return r


def fails_cleanly(r, code, *names):
    """Error runs: one line on stderr naming the culprit (after any warnings), nothing on stdout."""
    lines = [l for l in r.stderr.splitlines() if not l.startswith("conseco: warning: ")]
    check(len(lines) == 1 and lines[0].startswith("conseco: "),
          "one-line error wanted, got %r" % r.stderr)
    check(r.stdout == "", "no stdout on error, got %r" % r.stdout[:200])
    for n in names:
        check(n in r.stderr, "error should name %r: %r" % (n, r.stderr))


def ordered(text):
    return json.loads(text, object_pairs_hook=lambda kv: kv)


def keys(pairs):
    return [k for k, _ in pairs]


def shortest_numbers(text):
    """Every JSON number must be the shortest of %.15g/%.16g/%.17g that round-trips."""
    for tok in re.findall(r'(?<=[:\[ ])-?\d[\d.eE+-]*', text):
        x = float(tok)
        best = next(f % x for f in ("%.15g", "%.16g", "%.17g") if float(f % x) == x)
        if tok != best:
            return tok
    return None


# ----------------------------------------------------------------- data sets
KINDS = {"png8": 13, "png16": 12, "npyf32": 11, "npyf64": 13, "npyu8": 12, "stack": 9}
SEED = 5


def make(kind):
    d = os.path.join(WORK, kind)
    helper("make", kind, d, KINDS[kind], SEED)
    return d


def check_calibrate(kind, d, shrinker, se, border, tau, alpha, base="0.5"):
    args = ["calibrate", "--shrinker", shrinker, "--tau", tau, "--alpha", alpha,
            "--pred", d + "/pred", "--gt", d + "/gt", "--json"]
    if base != "0.5":
        args += ["--base", base]
    if shrinker == "erosion":
        args += ["--se", se, "--border", border]
    r = run(*args)
    if r.returncode:
        return None
    check(r.stderr == "", "calibrate: nothing on stderr when not a TTY: %r" % r.stderr)
    pairs = ordered(r.stdout)
    check(keys(pairs) == ["side", "guarantee", "shrinker", "se", "border", "tau", "tau_outer",
                          "alpha", "n", "k", "lambda", "scores"],
          "calibrate JSON field order: %s" % keys(pairs))
    bad = shortest_numbers(r.stdout)
    check(bad is None, "calibrate JSON number %r is not the shortest round-trip form" % bad)
    got = json.loads(r.stdout)
    ref = json.loads(helper("ref-calibrate", kind, KINDS[kind], SEED, shrinker, se, border, base,
                            tau, alpha).stdout)
    what = "%s %s/%s/%s tau %s alpha %s" % (kind, shrinker, se, border, tau, alpha)
    check(got["shrinker"] == shrinker, what + ": shrinker")
    if shrinker == "erosion":
        check(got["se"] == se and got["border"] == border, what + ": se/border")
    else:
        check(got["se"] is None and got["border"] is None, what + ": se/border null")
    check(got["tau"] == float(tau) and got["alpha"] == float(alpha), what + ": tau/alpha")
    check(got["n"] == ref["n"] and got["k"] == ref["k"], what + ": n/k %s %s" % (got["k"], ref["k"]))
    check(got["lambda"] == ref["lambda"], what + ": lambda %r vs %r" % (got["lambda"], ref["lambda"]))
    check(got["scores"] == ref["scores"], what + ": scores differ\n%s\n%s" % (got["scores"], ref["scores"]))
    check(got["side"] == "inner" and got["guarantee"] == "quantile" and got["tau_outer"] is None,
          what + ": side/guarantee/tau_outer")
    return got


def risk_literal(kind, shrinker, se, border, alpha, base="0.5"):
    """The risk lambda_hat from the definition: every candidate, every image's AFP
    (from the library's evaluate_image), summed exactly with fractions."""
    from fractions import Fraction
    ref = json.loads(helper("ref-risk-afp", kind, KINDS[kind], SEED, shrinker, se, border,
                            base).stdout)
    n = len(ref["afp"])
    bound = Fraction(alpha) * (n + 1)
    for j, lam in enumerate(ref["candidates"]):
        total = sum(Fraction(row[j]) for row in ref["afp"])
        if total + 1 <= bound:
            return lam, total / n
    return "inf", Fraction(0)


def risk_tests():
    """calibrate / evaluate --guarantee risk: JSON contract, the literal lambda, apply from state."""
    for kind in ("png8", "npyf32", "stack"):
        d = os.path.join(WORK, kind)
        for shrinker, se, border, alpha in (("threshold", "-", "-", "0.2"), ("threshold", "-", "-", "0.5"),
                                            ("erosion", "cross", "foreground", "0.3"),
                                            ("erosion", "square", "background", "0.5")):
            args = ["calibrate", "--guarantee", "risk", "--shrinker", shrinker, "--alpha", alpha,
                    "--pred", d + "/pred", "--gt", d + "/gt", "--json"]
            if shrinker == "erosion":
                args += ["--se", se, "--border", border]
            r = run(*args)
            if r.returncode:
                continue
            what = "risk %s %s/%s/%s alpha %s" % (kind, shrinker, se, border, alpha)
            pairs = ordered(r.stdout)
            check(keys(pairs) == ["side", "guarantee", "shrinker", "se", "border", "tau", "tau_outer",
                                  "alpha", "n", "k", "lambda", "scores", "risk"], what + ": field order")
            got = json.loads(r.stdout)
            check(got["tau"] is None and got["k"] is None and got["scores"] is None
                  and got["tau_outer"] is None, what + ": nulls")
            check(got["side"] == "inner" and got["guarantee"] == "risk", what + ": side/guarantee")
            lam, risk = risk_literal(kind, shrinker, se, border, alpha)
            check(got["lambda"] == lam, what + ": lambda %r vs literal %r" % (got["lambda"], lam))
            check(abs(got["risk"] - float(risk)) <= 1e-12, what + ": risk %r vs %r" % (got["risk"], float(risk)))
        # save, then apply from the state = apply at the printed lambda
        state = os.path.join(WORK, kind + "-risk.state")
        r = run("calibrate", "--guarantee", "risk", "--shrinker", "threshold", "--alpha", "0.3",
                "--pred", d + "/pred", "--gt", d + "/gt", "--save", state, "--json")
        if r.returncode == 0:
            lam = json.loads(r.stdout)["lambda"]
            out = os.path.join(WORK, kind + "-risk-inner")
            run("apply", "--state", state, "--alpha", "0.3", "--pred", d + "/pred", "--out", out, "--quiet")
            helper("check-apply", kind, KINDS[kind], SEED, "threshold", "-", "-", "0.5", lam, out)
    d = os.path.join(WORK, "png8")
    # --tau has no meaning for the risk guarantee
    for cmd in (["calibrate", "--shrinker", "threshold"], ["evaluate"]):
        r = run(*(cmd + ["--guarantee", "risk", "--tau", "0.1", "--alpha", "0.2", "--pred", d + "/pred",
                         "--gt", d + "/gt"]), expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, "--tau")
    r = run("calibrate", "--guarantee", "expected", "--shrinker", "threshold", "--alpha", "0.2",
            "--pred", d + "/pred", "--gt", d + "/gt", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "guarantee")
    # evaluate: the Table 1 protocol reports the mean loss
    r = run("evaluate", "--guarantee", "risk", "--alpha", "0.3", "--pred", d + "/pred", "--gt", d + "/gt",
            "--splits", "5", "--json")
    if r.returncode == 0:
        got = json.loads(r.stdout)
        check(got["guarantee"] == "risk" and [row["method"] for row in got["rows"]]
              == ["baseline", "threshold", "erosion"], "evaluate risk rows")
        check(all(set(row) == {"method", "loss", "cr", "atp"} for row in got["rows"]), "evaluate risk fields")
        check(got["rows"][0]["cr"]["mean"] == 1, "baseline keeps Yhat")
    r = run("evaluate", "--guarantee", "risk", "--alpha", "0.3", "--pred", d + "/pred", "--gt", d + "/gt",
            "--splits", "5")
    check("Loss (AFP)" in r.stdout, "evaluate risk table header")


def risk_fnr_literal(kind, shrinker, se, bottom, alpha, base="0.5"):
    """The outer risk lambda_hat from the definition: every candidate, every image's FNR
    (from the library's side_evaluate), summed exactly; dilation: the smallest mu that
    passes (inf if none); lowering: the LARGEST threshold that passes (-inf if none)."""
    from fractions import Fraction
    ref = json.loads(helper("ref-risk-fnr", kind, KINDS[kind], SEED,
                            "erosion" if shrinker == "dilation" else "threshold", se, bottom,
                            base).stdout)
    n = len(ref["fnr"])
    bound = Fraction(alpha) * (n + 1)
    order = range(len(ref["candidates"]))
    if shrinker == "threshold":
        order = reversed(order)
    for j in order:
        total = sum(Fraction(row[j]) for row in ref["fnr"])
        if total + 1 <= bound:
            return ref["candidates"][j], total / n
    return ("inf" if shrinker == "dilation" else "-inf"), Fraction(0)


def risk_outer_tests():
    """calibrate --guarantee risk --side outer: the literal lambda, JSON, apply from state."""
    for kind in ("png8", "npyf32"):
        d = os.path.join(WORK, kind)
        # thresholds strictly inside [bottom, base], at base, -inf; dilation at 0 and +inf
        for shrinker, se, bottom, alpha in (("dilation", "cross", "0", "0.15"), ("dilation", "disk", "0", "0.12"),
                                            ("dilation", "square", "0", "0.3"),
                                            ("threshold", "-", "0", "0.1"), ("threshold", "-", "0", "0.12"),
                                            ("threshold", "-", "0.3", "0.1"), ("threshold", "-", "0.3", "0.5")):
            args = ["calibrate", "--guarantee", "risk", "--side", "outer", "--shrinker", shrinker,
                    "--alpha", alpha, "--pred", d + "/pred", "--gt", d + "/gt", "--json"]
            if shrinker == "dilation":
                args += ["--se", se]
            else:
                args += ["--bottom", bottom]
            r = run(*args)
            if r.returncode:
                continue
            what = "outer risk %s %s/%s/%s alpha %s" % (kind, shrinker, se, bottom, alpha)
            pairs = ordered(r.stdout)
            check(keys(pairs) == ["side", "guarantee", "shrinker", "se", "border", "tau", "tau_outer",
                                  "alpha", "n", "k", "lambda", "scores", "risk"], what + ": field order")
            got = json.loads(r.stdout)
            check(got["side"] == "outer" and got["guarantee"] == "risk" and got["shrinker"] == shrinker,
                  what + ": side/guarantee/shrinker")
            lam, risk = risk_fnr_literal(kind, shrinker, se if se != "-" else "cross", bottom, alpha)
            check(got["lambda"] == lam, what + ": lambda %r vs literal %r" % (got["lambda"], lam))
            check(abs(got["risk"] - float(risk)) <= 1e-12, what + ": risk %r vs %r" % (got["risk"], float(risk)))
        state = os.path.join(WORK, kind + "-risk-outer.state")
        r = run("calibrate", "--guarantee", "risk", "--side", "outer", "--shrinker", "dilation", "--alpha",
                "0.3", "--pred", d + "/pred", "--gt", d + "/gt", "--save", state, "--json")
        if r.returncode == 0:
            out = os.path.join(WORK, kind + "-risk-outer")
            a = run("apply", "--state", state, "--alpha", "0.3", "--pred", d + "/pred", "--outer", out,
                    "--quiet")
            check(a.returncode == 0 and len(os.listdir(out)) == KINDS[kind] if kind != "stack" else True,
                  "apply --state (outer risk) writes the outer sets")
    d = os.path.join(WORK, "png8")
    r = run("calibrate", "--guarantee", "risk", "--side", "band", "--shrinker", "threshold", "--tau-outer",
            "0.1", "--alpha", "0.2", "--pred", d + "/pred", "--gt", d + "/gt", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "band")
    r = run("evaluate", "--guarantee", "risk", "--side", "band", "--alpha", "0.2", "--pred", d + "/pred",
            "--gt", d + "/gt", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "band")
    # evaluate: the outer side's protocol (mean test FNR, outer size)
    r = run("evaluate", "--guarantee", "risk", "--side", "outer", "--alpha", "0.3", "--pred", d + "/pred",
            "--gt", d + "/gt", "--splits", "5", "--json")
    if r.returncode == 0:
        pairs = ordered(r.stdout)
        check(keys(pairs) == ["guarantee", "side", "alpha", "splits", "n_cal", "n_test", "rows"],
              "evaluate outer risk keys")
        got = json.loads(r.stdout)
        check(got["side"] == "outer" and [row["method"] for row in got["rows"]]
              == ["baseline", "threshold", "dilation"], "evaluate outer risk rows")
        check(all(list(row) == ["method", "loss", "outer_size"] for row in got["rows"]),
              "evaluate outer risk fields")
        check(got["rows"][0]["outer_size"]["mean"] == 1, "baseline: the outer set is Yhat")
        check(all(0 <= row["loss"]["mean"] <= 1 for row in got["rows"]), "FNR in [0, 1]")
    t = run("evaluate", "--guarantee", "risk", "--side", "outer", "--alpha", "0.3", "--pred", d + "/pred",
            "--gt", d + "/gt", "--splits", "5")
    check("Loss (FNR)" in t.stdout and "Dilation" in t.stdout, "evaluate outer risk table")


def check_evaluate(kind, d, taus, alpha, splits, seed, frac, se="cross", border="foreground"):
    r = run("evaluate", "--tau", taus, "--alpha", alpha, "--pred", d + "/pred", "--gt", d + "/gt",
            "--splits", splits, "--seed", seed, "--cal-fraction", frac, "--se", se, "--border", border,
            "--json")
    if r.returncode:
        return
    pairs = ordered(r.stdout)
    check(keys(pairs) == ["alpha", "splits", "n_cal", "n_test", "rows", "volumes"], "evaluate JSON keys")
    check(keys(pairs[4][1][0]) == ["tau", "method", "ev", "cr", "atp"], "evaluate row keys")
    check(keys(pairs[4][1][0][2][1]) == ["mean", "sd"], "evaluate stat keys")
    bad = shortest_numbers(r.stdout)
    check(bad is None, "evaluate JSON number %r is not the shortest round-trip form" % bad)
    got = json.loads(r.stdout)
    ref = json.loads(helper("ref-evaluate", kind, KINDS[kind], SEED, taus, alpha, splits, seed, frac,
                            se, border, "0.5").stdout)
    what = "evaluate %s taus %s" % (kind, taus)
    check(got["alpha"] == float(alpha) and got["splits"] == int(splits), what + ": header")
    check(got["n_cal"] == ref["n_cal"] and got["n_test"] == ref["n_test"], what + ": split sizes")
    check(len(got["rows"]) == len(ref["rows"]) == 3 * len(taus.split(",")), what + ": row count")
    for g, e in zip(got["rows"], ref["rows"]):
        check(g["tau"] == e["tau"] and g["method"] == e["method"], what + ": row order")
        for m in ("ev", "cr", "atp"):
            check(g[m] == e[m], "%s: %s %s %s: %r vs reference %r" % (what, g["tau"], g["method"], m, g[m], e[m]))
    # the text table carries the same numbers
    t = run("evaluate", "--tau", taus, "--alpha", alpha, "--pred", d + "/pred", "--gt", d + "/gt",
            "--splits", splits, "--seed", seed, "--cal-fraction", frac, "--se", se, "--border", border)
    for row in got["rows"]:
        cell = "%.3f \u00b1 %.3f" % (row["ev"]["mean"], row["ev"]["sd"])
        check(cell in t.stdout, "evaluate table shows %r" % cell)
    check("Baseline" in t.stdout and "Threshold" in t.stdout and "Erosion" in t.stdout, "table labels")


def png_header(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
    return w, h, depth, ctype


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else None


def data_set_tests():
    for kind in KINDS:
        d = make(kind)
        n = KINDS[kind]
        # thresholds and erosions; alpha 0.05 with n <= 13 gives k > n: lambda = inf
        check_calibrate(kind, d, "threshold", "-", "-", "0.1", "0.1")
        check_calibrate(kind, d, "threshold", "-", "-", "0", "0.2", base="0.3")
        check_calibrate(kind, d, "erosion", "cross", "foreground", "0.1", "0.1")
        got = check_calibrate(kind, d, "erosion", "square", "background", "0.01", "0.05")
        if got is not None:
            check(got["k"] > got["n"] and got["lambda"] == "inf", kind + ": k > n gives lambda inf")
        if kind == "png8":
            for se in ("cross", "square", "disk", "ball-mm"):
                for border in ("foreground", "background"):
                    check_calibrate(kind, d, "erosion", se, border, "0.05", "0.3")
            ids = [s["id"] for s in check_calibrate(kind, d, "threshold", "-", "-", "0.2", "0.1")["scores"]]
            check(ids == [str(i) for i in range(1, n + 1)], "natural id order: %s" % ids)
        check_evaluate(kind, d, "0.1,0.01,0", "0.2", "7", "3", "0.5")
        # alpha 0.9: k = 1, lambda_hat is the smallest calibration score
        check_evaluate(kind, d, "0.05", "0.9", "9", "1", "0.5")
        if kind == "png8":
            check_evaluate(kind, d, "0.2", "0.3", "5", "11", "0.6", se="disk", border="background")
            check_evaluate(kind, d, "0.1", "0.2", "3", "5", "0.5", se="ball-mm", border="foreground")

        # apply from a saved state, then from an explicit lambda, with uncertain regions
        state = os.path.join(WORK, kind + ".state")
        cal = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2",
                  "--pred", d + "/pred", "--gt", d + "/gt", "--save", state, "--json")
        if cal.returncode:
            continue
        lam = json.loads(cal.stdout)["lambda"]
        check(os.path.isfile(state) and not [f for f in os.listdir(WORK) if ".tmp-" in f],
              "state written atomically")
        out = os.path.join(WORK, kind + "-inner")
        run("apply", "--state", state, "--alpha", "0.2", "--pred", d + "/pred", "--out", out, "--quiet")
        helper("check-apply", kind, n, SEED, "threshold", "-", "-", "0.5", lam, out)
        out2, unc = os.path.join(WORK, kind + "-inner2"), os.path.join(WORK, kind + "-unc2")
        run("apply", "--shrinker", "erosion", "--se", "square", "--lambda", "1", "--pred", d + "/pred",
            "--out", out2, "--uncertain", unc, "--quiet")
        helper("check-apply", kind, n, SEED, "erosion", "square", "foreground", "0.5", "1", out2, unc)
        out3 = os.path.join(WORK, kind + "-inner3")
        run("apply", "--shrinker", "threshold", "--lambda", "inf", "--pred", d + "/pred", "--out", out3,
            "--quiet")
        helper("check-apply", kind, n, SEED, "threshold", "-", "-", "0.5", "inf", out3)
        check(len(listing(out3)) == n, "one mask per prediction")
        if kind != "stack":
            ov = os.path.join(WORK, kind + "-overlay")
            r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred",
                    "--out", os.path.join(WORK, kind + "-inner4"), "--overlay", ov, "--image", d + "/image",
                    "--gt", d + "/gt")
            check("wrote %d inner masks" % n in r.stdout, "apply summary line")
            files = listing(ov) or []
            check(len(files) == n, "one overlay per prediction")
            for f in files:
                check(png_header(os.path.join(ov, f))[2:] == (8, 2), "overlay is 8-bit RGB: " + f)
            ov2 = os.path.join(WORK, kind + "-overlay-gray")
            run("apply", "--shrinker", "erosion", "--lambda", "0", "--pred", d + "/pred", "--out",
                os.path.join(WORK, kind + "-inner5"), "--overlay", ov2, "--quiet")
            check(len(listing(ov2) or []) == n, "overlays without picture")


def check_sides(kind, d, side, shrinker, se, tau, tau_outer, bottom, alpha):
    """calibrate --side outer|band against the library's side scores (cli_testdata ref-sides)."""
    args = ["calibrate", "--side", side, "--shrinker", shrinker, "--tau", tau, "--alpha", alpha,
            "--pred", d + "/pred", "--gt", d + "/gt", "--json"]
    if se != "-":
        args += ["--se", se]
    if side == "band":
        args += ["--tau-outer", tau_outer]
    if bottom != "-":
        args += ["--bottom", bottom]
    r = run(*args)
    if r.returncode:
        return None
    pairs = ordered(r.stdout)
    check(keys(pairs) == ["side", "guarantee", "shrinker", "se", "border", "tau", "tau_outer",
                          "alpha", "n", "k", "lambda", "scores"], "sides JSON field order")
    got = json.loads(r.stdout)
    lib_shrinker = "erosion" if shrinker == "dilation" else shrinker
    ref = json.loads(helper("ref-sides", kind, KINDS[kind], SEED, lib_shrinker,
                            se if se != "-" else "cross", "0.5", side, tau, tau_outer,
                            bottom if bottom != "-" else "0", alpha).stdout)
    what = "%s %s %s/%s tau %s/%s alpha %s" % (kind, side, shrinker, se, tau, tau_outer, alpha)
    check(got["side"] == side and got["guarantee"] == "quantile", what + ": side/guarantee")
    check(got["shrinker"] == shrinker, what + ": shrinker")
    check(got["tau_outer"] == (float(tau_outer) if side == "band" else None), what + ": tau_outer")
    if shrinker == "erosion":
        check(got["se"] == se and got["border"] == "foreground", what + ": se/border")
    elif shrinker == "dilation":
        check(got["se"] == se and got["border"] is None, what + ": se, no border")
    else:
        check(got["se"] is None and got["border"] is None, what + ": se/border null")
    check(got["n"] == ref["n"] and got["k"] == ref["k"], what + ": n/k")
    check(got["lambda"] == ref["lambda"], what + ": lambda %r vs %r" % (got["lambda"], ref["lambda"]))
    check(got["scores"] == ref["scores"], what + ": scores differ\n%s\n%s" % (got["scores"], ref["scores"]))
    return got


def sides_tests():
    d = WORK + "/png8"
    for se in ("cross", "square", "disk"):
        check_sides("png8", d, "outer", "dilation", se, "0.1", "-", "-", "0.2")
    got = check_sides("png8", d, "outer", "threshold", "-", "0.05", "-", "-", "0.2")
    if got is not None:
        check(all(s["score"] == "-inf" or s["score"] <= 0.5 for s in got["scores"]),
              "lowering scores are thresholds at or below base")
    got = check_sides("png8", d, "outer", "threshold", "-", "0", "-", "0.3", "0.2")
    if got is not None:
        check(any(s["score"] == "-inf" for s in got["scores"]), "bottom 0.3, tau 0: some -inf")
    got = check_sides("png8", d, "outer", "threshold", "-", "0.1", "-", "-", "0.05")
    if got is not None:
        check(got["k"] > got["n"] and got["lambda"] == "-inf", "lowering, k > n: lambda -inf")
    check_sides("png8", d, "band", "erosion", "cross", "0.1", "0.05", "-", "0.2")
    check_sides("npyf32", WORK + "/npyf32", "band", "threshold", "-", "0.05", "0.1", "-", "0.3")
    check_sides("png16", WORK + "/png16", "outer", "threshold", "-", "0.1", "-", "0.1", "0.3")
    # apply: outer sets and bands from saved states and from --side/--lambda
    n = KINDS["png8"]
    for side, shr, se, extra in (("outer", "dilation", "square", []), ("outer", "threshold", "-", []),
                                 ("band", "erosion", "cross", ["--tau-outer", "0.1"]),
                                 ("band", "threshold", "-", ["--tau-outer", "0.1"])):
        state = os.path.join(WORK, "sides-%s-%s.state" % (side, shr))
        args = ["calibrate", "--side", side, "--shrinker", shr, "--tau", "0.1", "--alpha", "0.3",
                "--pred", d + "/pred", "--gt", d + "/gt", "--save", state, "--json"] + extra
        if se != "-":
            args += ["--se", se]
        cal = run(*args)
        if cal.returncode:
            continue
        lam = json.loads(cal.stdout)["lambda"]
        tag = "%s-%s" % (side, shr)
        outer, band = WORK + "/o-" + tag, WORK + "/b-" + tag
        run("apply", "--state", state, "--alpha", "0.3", "--pred", d + "/pred", "--outer", outer,
            "--uncertain", band, "--quiet")
        helper("check-side-apply", "png8", n, SEED, "erosion" if shr == "dilation" else shr,
               se if se != "-" else "cross", "foreground", "0.5", side, str(lam), outer, band)
        check(len(listing(outer) or []) == n, tag + ": one outer set per prediction")
    outer, band = WORK + "/o-lam", WORK + "/b-lam"
    run("apply", "--side", "outer", "--shrinker", "threshold", "--lambda", "-inf", "--pred",
        d + "/pred", "--outer", outer, "--uncertain", band, "--quiet")
    helper("check-side-apply", "png8", n, SEED, "threshold", "cross", "foreground", "0.5", "outer",
           "-inf", outer, band)
    r = run("apply", "--side", "band", "--shrinker", "erosion", "--lambda", "-1", "--pred",
            d + "/pred", "--outer", WORK + "/z", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--lambda")
    r = run("apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d + "/pred", "--outer",
            WORK + "/z", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--outer")
    # evaluate --side: the protocol's JSON layout, and EV from the calibrated sets
    for side, extra in (("outer", []), ("band", ["--tau-outer", "0.1"]), ("outer", ["--bottom", "0.2"])):
        r = run("evaluate", "--side", side, "--tau", "0.1,0.01", "--alpha", "0.3", "--splits", "5",
                "--pred", d + "/pred", "--gt", d + "/gt", "--json", "--quiet", *extra)
        if r.returncode:
            continue
        pairs = ordered(r.stdout)
        check(keys(pairs) == ["side", "guarantee", "alpha", "tau_outer", "splits", "n_cal", "n_test",
                              "rows"], "evaluate --side JSON keys: %s" % keys(pairs))
        got = json.loads(r.stdout)
        want_keys = ["tau", "method", "ev", "outer_size", "fnr"] + (["cr"] if side == "band" else [])
        check(len(got["rows"]) == 4 and all(list(row.keys()) == want_keys for row in got["rows"]),
              "evaluate --side rows")
        check([row["method"] for row in got["rows"]] ==
              ["threshold", "dilation" if side == "outer" else "erosion"] * 2, "evaluate --side methods")
        for row in got["rows"]:
            check(0.0 <= row["ev"]["mean"] <= 1.0 and row["outer_size"]["mean"] >= 1.0 and
                  0.0 <= row["fnr"]["mean"] <= 1.0, "evaluate --side values in range: %s" % row)
        t = run("evaluate", "--side", side, "--tau", "0.1", "--alpha", "0.3", "--splits", "5",
                "--pred", d + "/pred", "--gt", d + "/gt", "--quiet", *extra)
        check("FNR" in t.stdout and "Size" in t.stdout, "evaluate --side table")
    for extra, names in ((["--side", "band"], ("--tau-outer",)),
                         (["--side", "outer", "--tau-outer", "0.1"], ("--tau-outer",)),
                         (["--side", "band", "--tau-outer", "0.1", "--bottom", "0"], ("--bottom",))):
        r = run("evaluate", "--tau", "0.1", "--alpha", "0.3", "--pred", d + "/pred", "--gt", d + "/gt",
                *extra, expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, *names)
    p, g = d + "/pred", d + "/gt"
    base = ["calibrate", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g]
    for extra, names in (
            (["--side", "outer", "--shrinker", "erosion"], ("dilation",)),
            (["--side", "inner", "--shrinker", "dilation"], ("dilation", "outer")),
            (["--side", "band", "--shrinker", "erosion"], ("--tau-outer",)),
            (["--side", "outer", "--shrinker", "dilation", "--tau-outer", "0.1"], ("--tau-outer",)),
            (["--side", "band", "--shrinker", "threshold", "--tau-outer", "2"], ("--tau-outer",)),
            (["--side", "outer", "--shrinker", "threshold", "--bottom", "0.7"], ("--bottom",)),
            (["--side", "outer", "--shrinker", "dilation", "--bottom", "0.1"], ("--bottom",)),
            (["--side", "outer", "--shrinker", "dilation", "--border", "background"], ("--border",)),
            (["--side", "sideways", "--shrinker", "threshold"], ("--side",)),
            (["--side", "band", "--shrinker", "smooth", "--tau-outer", "0.1"], ("smooth", "outer family")),
            (["--shrinker", "threshold", "--guarantee", "median"], ("--guarantee",))):
        r = run(*(base + extra), expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, *names)


# ----------------------------------------------------------------- errors
def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def npy(descr, shape, payload, fortran="False", version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    pre = 10 if version == 1 else 12
    header += " " * ((64 - (pre + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + payload


def bad_case(name, files_pred, files_gt=None, base="png8"):
    """A copy of a small good data set with some files replaced."""
    d = os.path.join(WORK, "bad-" + name)
    helper("make", base, d, 4, 9)
    for fname, data in files_pred.items():
        p = os.path.join(d, "pred", fname)
        if data is None:
            os.remove(p)
        elif isinstance(data, tuple):
            helper(data[0], p, data[1], data[2])
        else:
            write(p, data)
    for fname, data in (files_gt or {}).items():
        p = os.path.join(d, "gt", fname)
        if data is None:
            os.remove(p)
        elif isinstance(data, tuple):
            helper(data[0], p, data[1], data[2])
        else:
            write(p, data)
    return d


def all_commands_fail(d, code, *names):
    p, g = d + "/pred", d + "/gt"
    r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p,
            "--gt", g, "--json", expect=code)
    fails_cleanly(r, code, *names)
    r = run("evaluate", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g, expect=code)
    fails_cleanly(r, code, *names)


def error_tests():
    good = os.path.join(WORK, "png8")
    p, g = good + "/pred", good + "/gt"
    # usage errors
    for args in (["frobnicate"], ["calibrate", "--tau", "0.1"],
                 ["calibrate", "--shrinker", "threshold", "--tau", "abc", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "threshold", "--tau", "1.5", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "1", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "threshold", "--se", "disk", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "dilation", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "erosion", "--se", "hexagon", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g, "--bogus"],
                 ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g, "extra"],
                 ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt"],
                 ["calibrate", "--json=yes", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["apply", "--pred", p, "--out", WORK + "/x"],
                 ["apply", "--shrinker", "threshold", "--pred", p, "--out", WORK + "/x"],
                 ["apply", "--state", WORK + "/png8.state", "--pred", p, "--out", WORK + "/x"],
                 ["apply", "--state", WORK + "/png8.state", "--alpha", "0.1", "--lambda", "1", "--pred", p, "--out", WORK + "/x"],
                 ["apply", "--shrinker", "threshold", "--lambda", "nan", "--pred", p, "--out", WORK + "/x"],
                 ["apply", "--shrinker", "threshold", "--lambda", "0.5", "--pred", p, "--out", WORK + "/x", "--gt", g],
                 ["evaluate", "--tau", "0.1,", "--alpha", "0.1", "--pred", p, "--gt", g],
                 ["evaluate", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g, "--splits", "0"],
                 ["evaluate", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g, "--splits", "-3"],
                 ["evaluate", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g, "--cal-fraction", "1"],
                 ["demo", "--bogus"]):
        r = run(*args, expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE)
    check(not os.path.exists(WORK + "/x"), "usage errors write nothing")
    before = listing(p)
    for extra in (["--out", p], ["--out", WORK + "/x", "--uncertain", p], ["--out", WORK + "/x", "--overlay", g, "--gt", g]):
        r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", p, *extra, expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, "input folder")
    check(listing(p) == before and not os.path.exists(WORK + "/x"), "apply never writes into an input folder")
    r = run(expect=EXIT_USAGE)
    check("usage" in r.stderr, "no command prints usage on stderr")

    # help and version
    for cmd in ("calibrate", "apply", "evaluate", "demo"):
        r = run(cmd, "--help")
        check(r.stdout.startswith("usage: conseco " + cmd), cmd + " --help")
    check(run("--help").stdout.startswith("usage: conseco"), "--help")
    check(re.match(r"conseco \d+\.\d+\.\d+", run("--version").stdout) is not None, "--version")

    # I/O errors
    all_commands_fail(os.path.join(WORK, "does-not-exist"), EXIT_IO, "does-not-exist")
    d = bad_case("dangling", {})
    os.symlink(os.path.join(d, "nowhere.png"), os.path.join(d, "pred", "7.png"))
    os.symlink(os.path.join(d, "nowhere.png"), os.path.join(d, "gt", "7.png"))
    all_commands_fail(d, EXIT_IO, "7.png")
    r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g,
            "--save", WORK + "/no-such-dir/s.state", expect=EXIT_IO)
    fails_cleanly(r, EXIT_IO, "s.state")
    blocker = os.path.join(WORK, "a-file")
    write(blocker, b"x")
    r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", p, "--out", blocker, expect=EXIT_IO)
    fails_cleanly(r, EXIT_IO, "a-file")

    # bad data
    d = bad_case("mismatch", {"2.png": ("gray8", 9, 9)})
    all_commands_fail(d, EXIT_DATA, "2.png", "9x9")
    d = bad_case("missing", {}, {"3.png": None})
    all_commands_fail(d, EXIT_DATA, "3.png", "no mask")
    d = bad_case("colour", {"1.png": ("rgb", 14, 11)})
    all_commands_fail(d, EXIT_DATA, "1.png", "colour")
    d = bad_case("colourmask", {}, {"1.png": ("rgb", 14, 11)})
    all_commands_fail(d, EXIT_DATA, "1.png", "colour")
    with open(os.path.join(good, "pred", "4.png"), "rb") as f:
        png = f.read()
    d = bad_case("truncated", {"4.png": png[: len(png) // 2]})
    all_commands_fail(d, EXIT_DATA, "4.png")
    corrupt = bytearray(png)
    corrupt[40] ^= 0xFF
    d = bad_case("crc", {"4.png": bytes(corrupt)})
    all_commands_fail(d, EXIT_DATA, "4.png")
    d = bad_case("notpng", {"4.png": b"hello, I am not a picture"})
    all_commands_fail(d, EXIT_DATA, "4.png")
    f32 = struct.pack("<%df" % (17 * 19), *([0.7] * (17 * 19)))
    for name, data in (("npy-magic", b"\x93NUMPZ" + b"\x01\x00" + b"\x00" * 80),
                       ("npy-fortran", npy("<f4", "(17, 19)", f32, fortran="True")),
                       ("npy-bigendian", npy(">f4", "(17, 19)", f32)),
                       ("npy-short", npy("<f4", "(17, 19)", f32[:-4])),
                       ("npy-long", npy("<f4", "(17, 19)", f32 + b"\x00" * 4)),
                       ("npy-dtype", npy("<i8", "(17, 19)", b"\x00" * 8 * 17 * 19)),
                       ("npy-4d", npy("<f4", "(1, 1, 17, 19)", f32)),
                       ("npy-header", b"\x93NUMPY\x01\x00\xff\x00{'descr'")):
        d = bad_case(name, {"2.npy": data, "2.png": None})
        all_commands_fail(d, EXIT_DATA, "2.npy")
    nan = struct.pack("<%df" % (17 * 19), *([float("nan")] + [0.7] * (17 * 19 - 1)))
    d = bad_case("nan", {"2.npy": npy("<f4", "(17, 19)", nan), "2.png": None})
    all_commands_fail(d, EXIT_DATA, "2.npy")
    d = bad_case("floatmask", {}, {"2.npy": npy("<f4", "(17, 19)", f32), "2.png": None})
    all_commands_fail(d, EXIT_DATA, "2.npy", "mask")
    d = bad_case("duplicate", {"2.npy": npy("<f4", "(17, 19)", f32)})
    all_commands_fail(d, EXIT_DATA, "appears twice")
    d = os.path.join(WORK, "bad-empty")
    os.makedirs(d + "/pred", exist_ok=True)
    os.makedirs(d + "/gt", exist_ok=True)
    all_commands_fail(d, EXIT_DATA, "no .png, .npy, .nii.gz or .nii")
    d = bad_case("one", {"2.png": None, "3.png": None, "4.png": None})
    r = run("evaluate", "--tau", "0.1", "--alpha", "0.1", "--pred", d + "/pred", "--gt", d + "/gt",
            expect=EXIT_DATA)
    fails_cleanly(r, EXIT_DATA, "calibration and one test")
    # saved state: corrupt and foreign bytes
    with open(os.path.join(WORK, "png8.state"), "rb") as f:
        st = bytearray(f.read())
    st[-1] ^= 1
    write(WORK + "/corrupt.state", bytes(st))
    write(WORK + "/foreign.state", b"definitely not a state" * 3)
    for s in ("corrupt.state", "foreign.state"):
        r = run("apply", "--state", WORK + "/" + s, "--alpha", "0.1", "--pred", p, "--out", WORK + "/y",
                expect=EXIT_DATA)
        fails_cleanly(r, EXIT_DATA, s)
        check(not os.path.exists(WORK + "/y"), "no output after a bad state")
    r = run("apply", "--state", WORK + "/missing.state", "--alpha", "0.1", "--pred", p, "--out", WORK + "/y",
            expect=EXIT_IO)
    fails_cleanly(r, EXIT_IO, "missing.state")

    # apply is all-or-nothing: a bad file late in the folder leaves no partial output
    d = bad_case("partial", {"4.png": ("rgb", 14, 11)})
    out = os.path.join(WORK, "partial-out")
    r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred", "--out", out,
            "--uncertain", out + "-unc", "--overlay", out + "-ov", expect=EXIT_DATA)
    fails_cleanly(r, EXIT_DATA, "4.png")
    check(not os.path.exists(out) and not os.path.exists(out + "-unc") and not os.path.exists(out + "-ov"),
          "failed apply removes the directories it created")
    os.makedirs(out)
    write(out + "/keep.txt", b"mine")
    r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred", "--out", out,
            expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, out, "not empty", "--force")
    run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred", "--out", out,
        "--force", expect=EXIT_DATA)
    check(listing(out) == ["keep.txt"], "failed apply leaves an existing folder as it was: %s" % listing(out))
    check(not [f for f in os.listdir(WORK) if f.startswith(".partial-out")],
          "failed --force apply leaves no sibling folder: %s" % os.listdir(WORK))
    # overlay picture of the wrong size, and a missing picture
    d = bad_case("picture", {})
    helper("rgb", os.path.join(d, "image", "3.png"), 5, 5)
    r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred", "--out", d + "/o",
            "--overlay", d + "/ov", "--image", d + "/image", expect=EXIT_DATA)
    fails_cleanly(r, EXIT_DATA, "3.png")
    os.remove(os.path.join(d, "image", "3.png"))
    r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred", "--out", d + "/o",
            "--overlay", d + "/ov", "--image", d + "/image", expect=EXIT_DATA)
    fails_cleanly(r, EXIT_DATA, "3")
    check(not os.path.exists(d + "/o"), "no output after an overlay error")


# ----------------------------------------------------------------- 0.2: formats, outputs, flags
def f32_npy(h, w, values):
    return npy("<f4", "(%d, %d)" % (h, w), struct.pack("<%df" % (h * w), *values))


def format_tests():
    """Formats are recognised by their magic bytes; the extension only strips the id."""
    src = os.path.join(WORK, "png8")
    d = os.path.join(WORK, "sniff")
    shutil.copytree(src + "/pred", d + "/pred")
    shutil.copytree(src + "/gt", d + "/gt")
    os.rename(d + "/pred/3.png", d + "/pred/3.npy")  # a PNG with the wrong extension
    write(d + "/pred/README.txt", b"not an input")
    write(d + "/pred/notes", b"no extension, no magic")
    a = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", src + "/pred",
            "--gt", src + "/gt", "--json")
    b = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", d + "/pred",
            "--gt", d + "/gt", "--json")
    check(a.stdout == b.stdout and a.stdout != "", "a PNG named .npy is read as PNG by its magic")
    out = os.path.join(WORK, "sniff-out")
    run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", d + "/pred", "--out", out, "--quiet")
    check("3.png" in (listing(out) or []), "the output takes the extension of the sniffed format: %s" % listing(out))
    # .npy inputs give .npy masks
    out = os.path.join(WORK, "npy-out")
    run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", WORK + "/npyf32/pred", "--out", out,
        "--quiet")
    files = listing(out) or []
    check(files and all(f.endswith(".npy") for f in files), ".npy inputs give .npy masks: %s" % files)


def output_tests():
    p, g = WORK + "/png8/pred", WORK + "/png8/gt"
    lam = ["apply", "--shrinker", "threshold", "--lambda", "0.7", "--pred", p]
    x, y = WORK + "/o-x", WORK + "/o-y"
    for extra, names in ((["--out", x, "--uncertain", x], ["o-x", "--uncertain", "--out"]),
                         (["--out", x, "--overlay", x], ["o-x", "--overlay", "--out"]),
                         (["--out", y, "--uncertain", x, "--overlay", x], ["o-x", "--overlay", "--uncertain"]),
                         (["--out", WORK + "/png8"], ["png8", "contains the input folder"]),
                         (["--out", WORK + "/./o-x/", "--uncertain", x], ["--uncertain", "--out"])):
        r = run(*(lam + extra), expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, *names)
    check(not os.path.exists(x) and not os.path.exists(y), "refused outputs write nothing")
    # --save never replaces an input file
    with open(p + "/2.png", "rb") as f:
        before = f.read()
    r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g,
            "--save", p + "/2.png", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "2.png", "input file")
    with open(p + "/2.png", "rb") as f:
        check(f.read() == before, "--save over an input leaves it alone")
    # a non-empty output folder: refused, or replaced as a whole with --force
    out = WORK + "/o-force"
    os.makedirs(out + "/sub")
    write(out + "/old.txt", b"old")
    r = run(*(lam + ["--out", out]), expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "o-force", "--force")
    run(*(lam + ["--out", out, "--force", "--quiet"]))
    got = listing(out) or []
    check("old.txt" not in got and "sub" not in got and len(got) == KINDS["png8"],
          "--force replaces the folder as a whole: %s" % got)
    check(not [f for f in os.listdir(WORK) if f.startswith(".o-force")], "--force leaves no sibling folder")
    # an empty existing folder is fine without --force
    os.makedirs(WORK + "/o-empty")
    run(*(lam + ["--out", WORK + "/o-empty", "--quiet"]))
    check(len(listing(WORK + "/o-empty")) == KINDS["png8"], "empty output folder is used")
    r = run("apply", "--help")
    check("--force" in r.stdout and "replaced" in r.stdout, "apply --help says what --force does")


def signal_tests():
    """SIGINT/SIGTERM during apply: everything staged and every folder made is removed."""
    import signal
    import time
    d = os.path.join(WORK, "big")
    os.makedirs(d)
    h = w = 1536
    row = struct.pack("<%df" % w, *[(i % 97) / 96.0 for i in range(w)])
    data = npy("<f4", "(%d, %d)" % (h, w), row * h)
    for i in range(16):
        write(os.path.join(d, "%d.npy" % i), data)
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        out, unc = os.path.join(WORK, "sig-out"), os.path.join(WORK, "sig-unc")
        proc = subprocess.Popen([TOOL, "apply", "--shrinker", "erosion", "--lambda", "1", "--pred", d,
                                 "--out", out, "--uncertain", unc, "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0, sent = time.time(), False
        while proc.poll() is None and time.time() - t0 < 60:
            staged = [f for f in (listing(out) or []) if ".tmp-" in f]
            if staged:
                proc.send_signal(sig)
                sent = True
                break
            time.sleep(0.005)
        proc.communicate()
        check(sent, "signal test: caught apply while it was staging (inputs too small for this machine?)")
        if sent:
            check(proc.returncode == code, "apply exits %d on signal %d, got %s" % (code, sig, proc.returncode))
            check(not os.path.exists(out) and not os.path.exists(unc),
                  "signal: the folders the run created are gone: %s %s" % (listing(out), listing(unc)))
            check(not [f for f in os.listdir(WORK) if ".tmp-" in f], "signal: no litter next to them")
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(unc, ignore_errors=True)
    # an existing (empty) output folder stays, empty
    out = os.path.join(WORK, "sig-keep")
    os.makedirs(out)
    proc = subprocess.Popen([TOOL, "apply", "--shrinker", "threshold", "--lambda", "0.5", "--pred", d,
                             "--out", out, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0, sent = time.time(), False
    while proc.poll() is None and time.time() - t0 < 60:
        if [f for f in os.listdir(out) if ".tmp-" in f]:
            proc.send_signal(signal.SIGINT)
            sent = True
            break
        time.sleep(0.005)
    proc.communicate()
    if sent:
        check(proc.returncode == 130 and os.listdir(out) == [], "signal: an existing folder is left empty: %s"
              % os.listdir(out))
    shutil.rmtree(d)


def flag_tests():
    p, g = WORK + "/png8/pred", WORK + "/png8/gt"
    base = ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.1", "--pred", p, "--gt", g]
    # a repeated option is refused, naming it
    r = run(*(base + ["--tau", "0.2"]), expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--tau", "twice")
    r = run("apply", "--shrinker", "threshold", "--lambda", "0.7", "--lambda=0.8", "--pred", p, "--out",
            WORK + "/z", expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--lambda", "twice")
    # --lambda below the family's lambda_min
    for shr, lam in (("threshold", "-3"), ("threshold", "0.4"), ("erosion", "-1"), ("threshold", "-inf")):
        r = run("apply", "--shrinker", shr, "--lambda", lam, "--pred", p, "--out", WORK + "/z", expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, "--lambda", "below")
    run("apply", "--shrinker", "threshold", "--base", "0.3", "--lambda", "0.4", "--pred", p, "--out",
        WORK + "/z-ok", "--quiet")
    check(not os.path.exists(WORK + "/z"), "refused lambdas write nothing")
    # logits: any finite base <= top
    d = os.path.join(WORK, "logits")
    n, h, w = 8, 12, 10
    for i in range(n):
        vals = [((x * 7 + y * 3 + i * 5) % 33) / 2.0 - 8.0 for y in range(h) for x in range(w)]
        write(os.path.join(d, "pred", "%d.npy" % i), f32_npy(h, w, vals))
        mask = bytes(1 if v > 3.0 else 0 for v in vals)
        write(os.path.join(d, "gt", "%d.npy" % i), npy("|b1", "(%d, %d)" % (h, w), mask))
    lg = ["calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.2", "--pred", d + "/pred",
          "--gt", d + "/gt", "--json"]
    r = run(*(lg + ["--base", "0", "--top", "8.5"]))
    if r.returncode == 0:
        scores = [s["score"] for s in json.loads(r.stdout)["scores"]]
        check(all(s != "inf" for s in scores), "logits with --top: every score finite: %s" % scores)
        check(min(scores) > 1.0, "logit scores above 1 are reachable: %s" % scores)
    r = run(*(lg + ["--base", "0"]))
    if r.returncode == 0:
        scores = [s["score"] for s in json.loads(r.stdout)["scores"]]
        check(all(s == "inf" for s in scores), "without --top the default top 1 caps lambda: %s" % scores)
    r = run(*(lg + ["--base", "-2.5", "--top", "-3"]), expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--base", "--top")
    r = run(*(lg + ["--base", "2"]), expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--top")
    r = run(*(lg + ["--top", "inf"]), expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--top", "finite")
    r = run("calibrate", "--shrinker", "erosion", "--top", "3", "--tau", "0.1", "--alpha", "0.1", "--pred", p,
            "--gt", g, expect=EXIT_USAGE)
    fails_cleanly(r, EXIT_USAGE, "--top")
    for cmd in ("calibrate", "apply", "evaluate"):
        check("logit" in run(cmd, "--help").stdout, cmd + " --help says how to use logits")
    # a mask without a prediction: warning, or exit 4 with --strict
    d = bad_case("orphan", {"2.png": None})
    r = run("calibrate", "--shrinker", "threshold", "--tau", "0.1", "--alpha", "0.5", "--pred", d + "/pred",
            "--gt", d + "/gt", "--json")
    check("warning" in r.stderr and "2.png" in r.stderr and "no prediction" in r.stderr,
          "orphan mask warning: %r" % r.stderr)
    for cmd in (["calibrate", "--shrinker", "threshold"], ["evaluate"]):
        r = run(*(cmd + ["--tau", "0.1", "--alpha", "0.5", "--pred", d + "/pred", "--gt", d + "/gt", "--strict"]),
                expect=EXIT_DATA)
        fails_cleanly(r, EXIT_DATA, "2.png", "no prediction")
    # evaluate with too few calibration images for alpha warns why lambda_hat is inf
    r = run("evaluate", "--tau", "0.1", "--alpha", "0.05", "--pred", p, "--gt", g, "--json")
    check("warning" in r.stderr and "+inf" in r.stderr and "needs at least 19" in r.stderr,
          "evaluate warns about too few calibration images: %r" % r.stderr)
    r = run("evaluate", "--tau", "0.1", "--alpha", "0.5", "--pred", p, "--gt", g, "--json")
    check(r.stderr == "", "no warning with enough calibration images: %r" % r.stderr)


def smooth_tests():
    """--shrinker smooth (gauss and min filter), its JSON, states, evaluate --methods."""
    p, g = WORK + "/png8/pred", WORK + "/png8/gt"
    cal = ["calibrate", "--tau", "0.05", "--alpha", "0.2", "--pred", p, "--gt", g, "--json"]
    for variant, flags, ref_name, se in (("gauss", [], "smooth", "cross"),
                                         ("min", ["--filter", "min", "--se", "disk", "--radius", "1"],
                                          "smooth-min", "disk")):
        r = run(*(cal[:1] + ["--shrinker", "smooth"] + flags + cal[1:]))
        if r.returncode:
            continue
        pairs = ordered(r.stdout)
        check(keys(pairs) == ["side", "guarantee", "shrinker", "se", "border", "filter", "sigma",
                              "sigma_units", "radius", "tau", "tau_outer", "alpha", "n", "k", "lambda",
                              "scores"],
              "smooth calibrate JSON field order: %s" % keys(pairs))
        check(shortest_numbers(r.stdout) is None, "smooth JSON numbers are shortest round-trip")
        got = json.loads(r.stdout)
        ref = json.loads(helper("ref-calibrate", "png8", KINDS["png8"], SEED, ref_name, se, "foreground",
                                "0.5", "0.05", "0.2").stdout)
        check(got["shrinker"] == "smooth" and got["filter"] == variant, "smooth %s: names" % variant)
        check(got["se"] == (None if variant == "gauss" else "disk"), "smooth %s: se" % variant)
        check(got["border"] is None and got["sigma_units"] == "px", "smooth %s: border/units" % variant)
        check(got["scores"] == ref["scores"] and got["lambda"] == ref["lambda"] and got["k"] == ref["k"],
              "smooth %s: scores/lambda equal the library's\n%s\n%s" % (variant, got, ref))
    # millimetres parse; a saved state drives apply
    r = run("calibrate", "--shrinker", "smooth", "--sigma", "1.5mm", *cal[1:])
    if r.returncode == 0:
        got = json.loads(r.stdout)
        check(got["sigma"] == 1.5 and got["sigma_units"] == "mm", "--sigma 1.5mm: %s" % got["sigma"])
    st = WORK + "/smooth.state"
    run("calibrate", "--shrinker", "smooth", "--sigma", "0.75", "--tau", "0.1", "--alpha", "0.2", "--pred", p,
        "--gt", g, "--save", st, "--quiet")
    r = run("apply", "--state", st, "--alpha", "0.2", "--pred", p, "--out", WORK + "/smooth-inner", "--quiet")
    check(os.path.isdir(WORK + "/smooth-inner") and len(os.listdir(WORK + "/smooth-inner")) > 0,
          "apply from a smooth state writes masks")
    run("apply", "--shrinker", "smooth", "--lambda", "0.6", "--pred", p, "--out", WORK + "/smooth-inner2",
        "--quiet")
    run("apply", "--shrinker", "smooth", "--lambda", "-1e300", "--pred", p, "--out", WORK + "/smooth-inner3",
        "--quiet")
    # evaluate --methods: any subset, rows in the fixed order
    ev = ["evaluate", "--tau", "0.1,0.01", "--alpha", "0.2", "--pred", p, "--gt", g, "--splits", "3", "--json"]
    r = run(*(ev + ["--methods", "smooth,baseline"]))
    if r.returncode == 0:
        rows = json.loads(r.stdout)["rows"]
        check([x["method"] for x in rows] == ["baseline", "smooth"] * 2, "methods order: %s" % rows)
    r = run(*ev)
    if r.returncode == 0:
        rows = json.loads(r.stdout)["rows"]
        check([x["method"] for x in rows] == ["baseline", "threshold", "erosion"] * 2, "default methods")
    r = run(*(ev + ["--methods", "baseline,threshold,erosion,smooth"]))
    r2 = run(*(ev + ["--methods", "threshold"]))
    if r.returncode == 0 and r2.returncode == 0:
        rows, rows2 = json.loads(r.stdout)["rows"], json.loads(r2.stdout)["rows"]
        check([x["method"] for x in rows] == ["baseline", "threshold", "erosion", "smooth"] * 2, "four methods")
        check([x for x in rows if x["method"] == "threshold"] == rows2, "a subset gives the same rows")
    # --se ball-mm is erosion's; the Gaussian smooth rows ignore it (it once made them fail)
    r = run(*(ev + ["--methods", "erosion,smooth", "--se", "ball-mm"]))
    r2 = run(*(ev + ["--methods", "smooth"]))
    if r.returncode == 0 and r2.returncode == 0:
        rows, rows2 = json.loads(r.stdout)["rows"], json.loads(r2.stdout)["rows"]
        check([x for x in rows if x["method"] == "smooth"] == rows2,
              "--se ball-mm leaves the smooth rows alone: %s %s" % (rows, rows2))
    t = run(*(ev[:-1] + ["--methods", "threshold,smooth", "--filter", "min", "--radius", "2"]))
    check("Smooth" in t.stdout and "min filter" in t.stdout and "Erosion" not in t.stdout,
          "evaluate table names smooth: %r" % t.stdout)
    # bad flags: usage errors naming the flag
    for args, name in ((["calibrate", "--shrinker", "smooth", "--sigma", "0"] + cal[1:], "--sigma"),
                       (["calibrate", "--shrinker", "smooth", "--sigma", "nan"] + cal[1:], "--sigma"),
                       (["calibrate", "--shrinker", "smooth", "--sigma", "17"] + cal[1:], "--sigma"),
                       (["calibrate", "--shrinker", "smooth", "--sigma", "mm"] + cal[1:], "--sigma"),
                       (["calibrate", "--shrinker", "threshold", "--sigma", "1"] + cal[1:], "--sigma"),
                       (["calibrate", "--shrinker", "smooth", "--filter", "max"] + cal[1:], "--filter"),
                       (["calibrate", "--shrinker", "smooth", "--filter", "min", "--radius", "0"] + cal[1:],
                        "--radius"),
                       (["calibrate", "--shrinker", "smooth", "--filter", "min", "--radius", "33"] + cal[1:],
                        "--radius"),
                       (["calibrate", "--shrinker", "smooth", "--radius", "2"] + cal[1:], "--radius"),
                       (["calibrate", "--shrinker", "smooth", "--filter", "min", "--se", "ball-mm"] + cal[1:],
                        "--filter"),
                       (["calibrate", "--shrinker", "smooth", "--border", "background"] + cal[1:], "--border"),
                       (["calibrate", "--shrinker", "smooth", "--top", "2"] + cal[1:], "--top"),
                       (ev + ["--methods", "smooth,bogus"], "--methods"),
                       (["apply", "--state", st, "--alpha", "0.2", "--sigma", "2", "--pred", p, "--out",
                         WORK + "/zz"], "--state")):
        r = run(*args, expect=EXIT_USAGE)
        fails_cleanly(r, EXIT_USAGE, name)
    r = run("demo")
    check("Smooth" in r.stdout, "demo shows smooth")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    data_set_tests()
    risk_tests()
    risk_outer_tests()
    sides_tests()
    error_tests()
    format_tests()
    output_tests()
    flag_tests()
    smooth_tests()
    signal_tests()
    print("%d checks, %d failures" % (CHECKS, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
