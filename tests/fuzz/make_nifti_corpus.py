#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of fuzz_nifti (tests/fuzz/corpus/nifti): tiny hand-made NIfTI files,
valid and broken (header fields, truncated or corrupt gzip, overflowing sizes, slope 0/NaN/inf).
Deterministic: re-running it rewrites the same bytes. usage: make_nifti_corpus.py [OUTDIR]"""
import gzip
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "cli"))
import nifti_util as nu  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "nifti")
os.makedirs(out, exist_ok=True)
dims = (3, 2, 2)
n = 12
votes = [0, 5, 17, 33, 20, 1, 33, 33, 16, 17, 0, 9]
sp = (0.75, 0.8125, 2.5)


def blob(header, dt, values, endian="<", pad=b"\0\0\0\0"):
    return header + pad + struct.pack(endian + nu.DT[dt][0] * len(values), *values)


def gz(b):
    return gzip.compress(b, 6, mtime=0)


def put(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


h = nu.header1(dims, 2, sp, slope=1.0 / 33.0)
good = blob(h, 2, votes)
put("n1-u8-slope", good)
put("n1-u8-slope-gz", gz(good))
put("n1-i16-be", blob(nu.header1(dims, 4, sp, endian=">", slope=0.5, inter=-1.0), 4,
                      [v - 10 for v in votes], ">"))
put("n1-f32", blob(nu.header1(dims, 16, sp), 16, [v / 33.0 for v in votes]))
put("n1-f32-nan", blob(nu.header1(dims, 16, sp), 16, [float("nan")] + [0.5] * (n - 1)))
put("n1-f64-slope0", blob(nu.header1(dims, 64, sp, slope=0.0, inter=3.0), 64, [v / 33.0 for v in votes]))
put("n1-u64", blob(nu.header1(dims, 1280, sp, slope=1e-19), 1280, [2**64 - 1 - v for v in votes]))
put("n1-i8-2d", blob(nu.header1((4, 3), 256, (1.0, 1.0)), 256, [v - 20 for v in votes]))
put("n2-f32-gz", gz(blob(nu.header2(dims, 16, sp), 16, [v / 33.0 for v in votes])))
put("n2-u16-be", blob(nu.header2(dims, 512, sp, endian=">", slope=1.0 / 33.0), 512, votes, ">"))
put("n1-slope-nan", blob(nu.header1(dims, 2, sp, slope=float("nan")), 2, votes))
put("n1-slope-inf", blob(nu.header1(dims, 2, sp, slope=float("inf")), 2, votes))
put("n1-inter-nan", blob(nu.header1(dims, 2, sp, slope=1.0, inter=float("nan")), 2, votes))
put("n1-truncated", good[:352 + 5])
put("n1-truncated-gz", gz(good)[:40])
bad = bytearray(gz(good))
bad[-6] ^= 0x55
put("n1-bad-crc-gz", bytes(bad))
put("n1-header-only", h)
put("n1-dims-overflow", blob(nu.header1((32767, 32767, 32767), 64, sp), 2, votes))
put("n2-dims-overflow", blob(nu.header2((2**40, 2**40, 3), 2, sp), 2, votes))
put("n1-dim-negative", blob(nu.header1((3, -2, 2), 2, sp), 2, votes))
put("n1-4d", blob(nu.header1((3, 2, 1, 2), 2, sp), 2, votes))
put("n1-complex", blob(nu.header1(dims, 32, sp), 32, [0.0] * (2 * n)))
put("n1-rgb", blob(nu.header1(dims, 2, sp)[:70] + struct.pack("<hh", 128, 24) +
                   nu.header1(dims, 2, sp)[74:], 2, votes * 3))
put("n1-voxoffset-huge", blob(nu.header1(dims, 2, sp, vox_offset=1e12), 2, votes))
put("n1-voxoffset-frac", blob(nu.header1(dims, 2, sp, vox_offset=352.5), 2, votes))
put("n1-voxoffset-low", blob(nu.header1(dims, 2, sp, vox_offset=100.0), 2, votes))
put("n1-pixdim-negative", blob(nu.header1(dims, 2, (0.75, -1.0, 2.5)), 2, votes))
put("n1-pixdim-nan", blob(nu.header1(dims, 2, (0.75, float("nan"), 2.5)), 2, votes))
put("n1-pixdim-zero", blob(nu.header1(dims, 2, (0.0, 0.0, 0.0)), 2, votes))
put("n1-magic-ni1", blob(nu.header1(dims, 2, sp, magic=b"ni1\0"), 2, votes))
put("analyze", blob(nu.header1(dims, 2, sp, magic=b"\0\0\0\0"), 2, votes))
put("n2-no-magic", b"\x1c\x02\x00\x00" + b"\0" * 536)
put("tiny", b"\x5c\x01")
put("empty", b"")
put("gzip-not-nifti", gz(b"hello, world\n" * 30))
