#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Seed inputs of fuzz_shrink's 0.2 modes (byte 5 bits 5-7, fuzz_shrink_02.c):
every variant of every mode on small 2-D and 3-D blobs, each element type, a
few large 2-D images where the mode allows them. Deterministic; writes
tests/fuzz/corpus/shrink/v02-<mode>-<n>. Run from anywhere:

    python3 tests/fuzz/make_shrink02_corpus.py
"""
import math
import os
import random
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "shrink")

# dtype byte (low 7 bits) -> bytes the harness reads per pixel (floats: one byte, value (b - 16) / 223)
DTYPES = {0: 1, 1: 2, 2: 1, 3: 1, 4: 1}  # u8, u16, f32, f64, mask8


def blob(rng, w, h, d, dt, noise):
    """Pixel bytes and truth bytes of a blob with ties and noise."""
    cx, cy, cz = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, d)
    rad = 1.0 + rng.uniform(0, max(w, h) / 1.5)
    pix, tru = [], []
    for z in range(d):
        for y in range(h):
            for x in range(w):
                r = math.sqrt((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2)
                v = 1.0 - r / rad + rng.uniform(-noise, noise)
                v = min(max(v, 0.0), 1.0)
                if rng.random() < 0.2:
                    v = round(v * 4) / 4  # ties
                b = int(v * 255)
                if dt == 1:
                    pix += [rng.randrange(256), b]  # little-endian u16, value ~ b / 255
                elif dt == 4:
                    pix.append(255 if v >= 0.5 else 0)
                else:
                    pix.append(b if dt == 0 else int(16 + v * 223))
                t = 1.0 - r / (rad * rng.uniform(0.6, 1.4)) > 0.0
                if rng.random() < 0.08:
                    t = not t
                tru.append(1 if t else 0)
    return pix, tru


def case(rng, ext, sel, prm, large=False):
    dt = rng.choice(list(DTYPES))
    three = not large and rng.random() < 0.35
    d = rng.randint(2, 3) if three else 1
    side = 6 if three else 12
    if large:
        bw, bh = rng.randint(3, 8), rng.randint(3, 8)
        wb, hb = bw - 1 + 16 * rng.randint(0, 9), bh - 1 + 16 * rng.randint(0, 9)
        db = 0x80 | (rng.randint(0, 7) << 2)
    else:
        w, h = rng.randint(2, side), rng.randint(2, side)
        wb, hb = w - 1, h - 1
        db = d - 1
    pads = (ext << 5) | rng.randrange(32)
    tau_b = rng.choice([0, 25, 50, 100, 150, 254, 255, rng.randrange(256)])
    base_b = rng.choice([128, 128, 128, 100, 160, 32])
    top_b = rng.choice([128, 64, 255])
    head = [sel, dt, wb, hb, db, pads, rng.randrange(3), tau_b, base_b, top_b] + prm
    if large:
        pix, tru = blob(rng, bw, bh, 1, dt, 0.2)
        body = [rng.randrange(4)] + pix + tru
    else:
        pix, tru = blob(rng, w, h, d, dt, 0.25)
        body = pix + tru
    lam = [rng.randrange(256) for _ in range(rng.randint(0, 12))]
    return bytes(head + body + lam)


def main():
    rng = random.Random(20261203)
    out = []
    for ext in range(1, 8):
        for sel in range(32):
            if ext == 2 and sel % 8:
                continue  # ball-mm: bit 3 (border) only
            for _ in range(2 if ext in (1, 3, 4) else 1):
                prm = [rng.randrange(256) for _ in range(4)]
                if ext == 1 and rng.random() < 0.5:
                    prm[1] = rng.randrange(64)  # small sigma
                out.append((ext, case(rng, ext, sel, prm)))
    # bad inputs in every mode: an unknown dtype, and raw float32 bytes with a NaN or an inf
    for ext in range(1, 8):
        for sel in (0, 1, 2, 3, 5, 9):
            prm = [rng.randrange(256) for _ in range(4)]
            good = bytearray(case(rng, ext, sel, prm))
            good[1] = 122 + rng.randrange(6)  # an invalid dtype
            out.append((ext, bytes(good)))
            w, h = rng.randint(1, 4), rng.randint(1, 4)
            head = [sel, 0x80 | 2, w - 1, h - 1, 0, ext << 5, 0, 50, 128, 128] + prm
            pix = []
            for i in range(w * h):
                v = struct.pack("<f", rng.random())
                if i == w * h - 1:
                    v = struct.pack("<f", float("nan") if sel & 1 else float("inf"))
                pix += list(v)
            out.append((ext, bytes(head + pix + [1] * (w * h))))
    # large 2-D images where the references stay fast
    for i in range(24):
        ext = [1, 3, 4][i % 3]
        # variants whose references stay fast there (fz02_large_ok)
        sel = rng.choice({1: [0, 1, 8, 9], 3: [0, 1, 4, 5, 6, 7, 10, 11], 4: [4, 5, 10, 11]}[ext])
        prm = [rng.randrange(256) for _ in range(4)]
        if ext == 1:
            prm[0] |= 1
        out.append((ext, case(rng, ext, sel, prm, large=True)))
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.startswith("v02-"):
            os.remove(os.path.join(OUT, old))
    counts = {}
    for ext, data in out:
        counts[ext] = counts.get(ext, 0) + 1
        with open(os.path.join(OUT, "v02-%d-%03d" % (ext, counts[ext])), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(out), OUT))


if __name__ == "__main__":
    main()
