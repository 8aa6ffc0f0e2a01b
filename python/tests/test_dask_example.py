# SPDX-License-Identifier: Apache-2.0
"""examples/python/dask_calibrate.py on a 2-worker LocalCluster equals a single-process run."""
import json
import math
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

import conseco

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "examples", "python", "dask_calibrate.py")
sys.path.insert(0, os.path.dirname(SCRIPT))


def write_png(path, a):
    """Minimal grayscale PNG writer (8 or 16 bit), filters None/Sub/Up/Average/Paeth by row."""
    h, w = a.shape
    depth = 8 if a.dtype == np.uint8 else 16
    rows = a.astype(">u2").view(np.uint8).reshape(h, -1) if depth == 16 else a
    bpp = depth // 8
    raw = bytearray()
    prev = np.zeros(rows.shape[1], np.int32)
    for y in range(h):
        f = y % 5
        cur = rows[y].astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        if f == 0:
            pred = np.zeros_like(cur)
        elif f == 1:
            pred = left
        elif f == 2:
            pred = prev
        elif f == 3:
            pred = (left + prev) >> 1
        else:
            pa, pb, pc = np.abs(prev - upleft), np.abs(left - upleft), np.abs(left + prev - 2 * upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        raw.append(f)
        raw += ((cur - pred) & 255).astype(np.uint8).tobytes()
        prev = cur

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    rng = np.random.default_rng(7)
    base = tmp_path_factory.mktemp("cal")
    (base / "pred").mkdir()
    (base / "gt").mkdir()
    y, x = np.mgrid[0:40, 0:48]
    for i in range(23):
        cx, cy, r = rng.uniform(12, 36), rng.uniform(10, 30), rng.uniform(5, 12)
        d = np.hypot(x - cx, y - cy) / r
        s = np.clip(1 / (1 + np.exp(6 * (d - 1))) + rng.normal(0, 0.05, d.shape), 0, 1)
        gt = d < rng.uniform(0.6, 1.0)
        if i % 3 == 0:
            write_png(base / "pred" / f"{i}.png", (s * 255).astype(np.uint8))
            write_png(base / "gt" / f"{i}.png", gt.astype(np.uint8) * 255)
        else:
            np.save(base / "pred" / f"{i}.npy", s.astype(np.float32))
            np.save(base / "gt" / f"{i}.npy", gt)
    (base / "pred" / "README").write_text("ignored")
    return base


def run(folder, *extra):
    out = subprocess.run([sys.executable, SCRIPT, "--pred", str(folder / "pred"), "--gt",
                          str(folder / "gt"), "--json", *extra], check=True, capture_output=True,
                         text=True, timeout=240, env=dict(os.environ))
    return json.loads(out.stdout)


def check_risk(folder, dist, single):
    """Merged curves equal one calibrator over every pair, whatever the partitioning."""
    import dask_calibrate as dc
    assert dist == single
    cal = conseco.Calibrator(conseco.Threshold(), guarantee="risk")
    for _i, p, g in dc.list_pairs(str(folder / "pred"), str(folder / "gt")):
        cal.add(*dc.load_pair(p, g))
    lam, k = cal.lambda_hat(0.3)
    assert single == {"shrinker": "threshold", "guarantee": "risk", "alpha": 0.3, "n": 23,
                      "k": 0, "lambda": "inf" if lam == math.inf else lam,
                      "risk": cal.risk(lam)}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # tornado inside distributed
def test_local_cluster_equals_single_process(folder):
    from dask.distributed import LocalCluster
    for args in (["--shrinker", "erosion", "--tau", "0.01"],
                 ["--shrinker", "threshold", "--tau", "0.05", "--alpha", "0.2"]):
        single = run(folder, "--single", *args)
        if args[1] == "erosion":  # the script's own LocalCluster
            dist = run(folder, "--workers", "2", "--partitions", "5", *args)
        else:  # a running scheduler, reached by address as on a real cluster
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                assert cluster.scheduler_address.startswith("tcp://")
                dist = run(folder, "--scheduler", cluster.scheduler_address, *args)
                risk = ["--shrinker", "threshold", "--guarantee", "risk", "--alpha", "0.3"]
                risk_dist = run(folder, "--scheduler", cluster.scheduler_address, *risk)
            check_risk(folder, risk_dist, run(folder, "--single", *risk))
        assert dist == single
        assert single["n"] == 23
        assert [s["id"] for s in single["scores"]] == [str(i) for i in range(23)]
        # and the same as scoring here, pair by pair
        import dask_calibrate as dc
        spec = {"shrinker": args[1], "se": "cross", "border": "foreground", "base": 0.5,
                "top": 1.0, "tau": float(args[3])}
        sh = dc.make_shrinker(spec)
        want = [conseco.score(sh, *dc.load_pair(p, g), spec["tau"])
                for _i, p, g in dc.list_pairs(str(folder / "pred"), str(folder / "gt"))]
        assert [s["score"] for s in single["scores"]] == want


def test_tiny_png_reader_without_pil(folder, monkeypatch):
    import dask_calibrate as dc
    with_pil = dc.read_png(str(folder / "pred" / "0.png"))
    monkeypatch.setitem(sys.modules, "PIL", None)
    assert np.array_equal(dc.read_png(str(folder / "pred" / "0.png")), with_pil)
    a16 = (np.random.default_rng(1).random((9, 11)) * 65535).astype(np.uint16)
    write_png(folder / "x16.png", a16)
    assert np.array_equal(dc.read_png(str(folder / "x16.png")), a16)


def test_table1_equals_the_tool(folder):
    """examples/python/table1.py gives `conseco evaluate`'s numbers (needs the build's tool)."""
    build = os.environ.get("CONSECO_BUILD_DIR")
    tool = os.path.join(build, "tools", "conseco", "conseco") if build else ""
    if not os.path.isfile(tool):
        pytest.skip("CONSECO_BUILD_DIR with tools/conseco/conseco not given")
    # the tool reads PNG through libpng and .npy itself; give it the same folder
    common = ["--pred", str(folder / "pred"), "--gt", str(folder / "gt"), "--tau", "0.1,0.01",
              "--alpha", "0.2", "--splits", "7", "--json"]
    ours = json.loads(subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python",
                                                                   "table1.py"), *common],
                                     check=True, capture_output=True, text=True).stdout)
    theirs = json.loads(subprocess.run([tool, "evaluate", *common], check=True,
                                       capture_output=True, text=True).stdout)
    assert (ours["n_cal"], ours["n_test"]) == (theirs["n_cal"], theirs["n_test"])
    assert len(ours["rows"]) == len(theirs["rows"]) == 6
    for a, b in zip(ours["rows"], theirs["rows"]):
        assert (a["tau"], a["method"]) == (b["tau"], b["method"])
        for m in ("ev", "cr", "atp"):
            for s in ("mean", "sd"):
                assert a[m][s] == pytest.approx(b[m][s], abs=1e-12)


def test_nifti_volumes(tmp_path):
    nib = pytest.importorskip("nibabel")
    rng = np.random.default_rng(5)
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    vols = []
    for i in range(4):
        s = rng.random((7, 8, 6)).astype(np.float32)  # (x, y, z) as NIfTI stores it
        g = (s > 0.6).astype(np.uint8)
        aff = np.diag([0.8, 0.8, 2.5, 1.0])
        nib.save(nib.Nifti1Image(s, aff), str(tmp_path / "pred" / f"v{i}.nii.gz"))
        nib.save(nib.Nifti1Image(g, aff), str(tmp_path / "gt" / f"v{i}.nii"))
        vols.append((np.ascontiguousarray(s.T), np.ascontiguousarray(g.T) != 0))
    res = run(tmp_path, "--single", "--shrinker", "erosion", "--se", "square", "--tau", "0.05")
    assert [r["id"] for r in res["scores"]] == ["v0", "v1", "v2", "v3"]
    want = [conseco.score(conseco.Erosion(element="square"), p, g, 0.05) for p, g in vols]
    assert [r["score"] for r in res["scores"]] == want
    import dask_calibrate as dc
    _p, _g, spacing = dc.load_pair(str(tmp_path / "pred" / "v0.nii.gz"),
                                   str(tmp_path / "gt" / "v0.nii"), with_spacing=True)
    f32 = float(np.float32(0.8))  # pixdim is float32, widened to double (DESIGN 5.1)
    assert spacing == (2.5, f32, f32) and _p.shape == (6, 8, 7)
