#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nibabel (Debian's python3-nibabel) reads the masks `conseco apply` writes for NIfTI inputs with
the same affine (qform and sform, codes, zooms, units) as the input, so they open aligned over it
in 3D Slicer or ITK-SNAP. Exits 77 (skipped) without nibabel.

usage: run_cli_nifti_affine.py TOOL WORKDIR
"""
import os
import shutil
import subprocess
import sys

try:
    import nibabel as nib
    import numpy as np
except ImportError:
    # Debian's python3-nibabel belongs to the system interpreter; CMake may have found another
    # (a pyenv or venv python3): try the system one once before skipping.
    if (os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) !=
            os.path.realpath("/usr/bin/python3") and not os.environ.get("CONSECO_AFFINE_REEXEC")):
        os.environ["CONSECO_AFFINE_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("nibabel or numpy missing: skipped")
    sys.exit(77)

TOOL, WORK = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def rotation(ax, ay, az):
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    pred, gt, out, unc = (os.path.join(WORK, x) for x in ("pred", "gt", "out", "unc"))
    for d in (pred, gt):
        os.makedirs(d)
    rng = np.random.default_rng(3)
    cases = []
    for i, (cls, ext, flip, dtype, byteorder) in enumerate([
            (nib.Nifti1Image, ".nii.gz", False, np.uint8, "<"),
            (nib.Nifti1Image, ".nii", True, np.int16, ">"),    # qfac -1, big-endian
            (nib.Nifti2Image, ".nii.gz", True, np.float32, "<"),
            (nib.Nifti2Image, ".nii", False, np.float64, ">")]):
        shape = (11, 9, 6)
        zooms = np.array([0.7 + 0.1 * i, 0.83, 2.5 + i])
        aff = np.eye(4)
        aff[:3, :3] = rotation(0.1 * i, -0.2, 0.3 + i) * zooms
        if flip:
            aff[:3, 2] *= -1
        aff[:3, 3] = [-100.5 + i, 20.25, 33.0]
        votes = rng.integers(0, 34, size=shape)
        data = votes.astype(dtype)
        img = cls(data, aff)
        img.set_qform(aff, code=1)
        sform = aff.copy()
        sform[:3, 3] += [1.0, 2.0, 3.0]  # a different sform, code 2 (aligned)
        img.set_sform(sform, code=2)
        img.header.set_xyzt_units("mm", "sec")
        img.header["descrip"] = b"affine test %d" % i
        if dtype in (np.uint8, np.int16):
            img.header.set_slope_inter(1.0 / 33.0, 0.0)
        else:
            img.set_data_dtype(dtype)
            data = (votes / 33.0).astype(dtype)
            img = cls(data, aff, img.header)
        if byteorder == ">":
            img = cls(data, aff, img.header.as_byteswapped(">"))
        img.header.set_qform(aff, code=1)
        img.header.set_sform(sform, code=2)
        name = "c%d" % i
        nib.save(img, os.path.join(pred, name + ext))
        nib.save(cls((votes >= 10).astype(np.uint8), aff, img.header), os.path.join(gt, name + ext))
        cases.append((name, ext))
    r = subprocess.run([TOOL, "apply", "--shrinker", "threshold", "--lambda", "0.6", "--pred", pred,
                        "--out", out, "--uncertain", unc, "--quiet"], capture_output=True, text=True)
    check(r.returncode == 0, "apply failed: %s" % r.stderr)
    if r.returncode:
        return 1
    for name, ext in cases:
        a = nib.load(os.path.join(pred, name + ext))
        for folder in (out, unc):
            b = nib.load(os.path.join(folder, name + ".nii.gz"))
            what = "%s/%s" % (os.path.basename(folder), name)
            check(type(b) is type(a), what + ": same NIfTI version")
            check(np.array_equal(a.affine, b.affine), what + ": affine\n%s\n%s" % (a.affine, b.affine))
            qa, qca = a.header.get_qform(coded=True)
            qb, qcb = b.header.get_qform(coded=True)
            sa, sca = a.header.get_sform(coded=True)
            sb, scb = b.header.get_sform(coded=True)
            check(qca == qcb and sca == scb, what + ": qform/sform codes")
            check(np.array_equal(qa, qb) and np.array_equal(sa, sb), what + ": qform/sform")
            check(a.header["pixdim"][0] == b.header["pixdim"][0], what + ": qfac")
            check(a.header.get_zooms() == b.header.get_zooms(), what + ": zooms")
            check(a.header.get_xyzt_units() == b.header.get_xyzt_units(), what + ": units")
            check(a.header["descrip"] == b.header["descrip"], what + ": description")
            check(b.get_data_dtype() == np.uint8 and b.header.get_slope_inter() == (None, None),
                  what + ": uint8, unscaled")
            check(b.shape == a.shape, what + ": shape")
        s = a.get_fdata()
        inner = np.asarray(nib.load(os.path.join(out, name + ".nii.gz")).dataobj)
        check(np.array_equal(inner, (s >= 0.6).astype(np.uint8)), name + ": inner mask values")
        uncertain = np.asarray(nib.load(os.path.join(unc, name + ".nii.gz")).dataobj)
        check(np.array_equal(uncertain, ((s >= 0.5) & (s < 0.6)).astype(np.uint8)),
              name + ": uncertain region values")
    # calibrate reads the nibabel-made files (both versions, both byte orders)
    r = subprocess.run([TOOL, "calibrate", "--shrinker", "erosion", "--tau", "0.1", "--alpha", "0.2",
                        "--pred", pred, "--gt", gt, "--quiet"], capture_output=True, text=True)
    check(r.returncode == 0, "calibrate on nibabel files: %s" % r.stderr)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
