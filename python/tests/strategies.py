# SPDX-License-Identifier: Apache-2.0
"""Hypothesis strategies: small maps with many ties, empty masks and saturated values."""
import numpy as np
from hypothesis import strategies as st

DTYPES = ["uint8", "uint16", "float32", "float64", "bool"]


@st.composite
def pairs(draw, max_side=9, allow_3d=True, dtypes=DTYPES):
    nd = draw(st.sampled_from([2, 3] if allow_3d else [2]))
    shape = tuple(draw(st.integers(1, max_side if nd == 2 else 4)) for _ in range(nd))
    dtype = draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    style = draw(st.sampled_from(["ties", "uniform", "full", "empty"]))
    if dtype == "uint8":
        levels = np.array([0, 64, 127, 128, 200, 255], np.uint8)
    elif dtype == "uint16":
        levels = np.array([0, 32767, 32768, 50000, 65535], np.uint16)
    elif dtype == "bool":
        levels = np.array([False, True])
    else:
        levels = np.array([0.0, 0.25, 0.5, 0.5000001, 0.75, 1.0, 1.5], dtype)
    if style == "ties":
        pred = rng.choice(levels, size=shape)
    elif style == "full":
        pred = np.full(shape, levels[-1])
    elif style == "empty":
        pred = np.full(shape, levels[0])
    else:
        if dtype in ("float32", "float64"):
            pred = rng.random(shape).astype(dtype)
        else:
            pred = rng.choice(levels, size=shape)
    pred = pred.astype(dtype)
    truth = rng.random(shape) < draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    if draw(st.booleans()):
        truth = truth.astype(np.uint8) * np.uint8(draw(st.sampled_from([1, 255])))
    return pred, truth


taus = st.sampled_from([0.0, 0.001, 0.01, 0.1, 0.2, 0.25, 0.5, 1.0])
alphas = st.sampled_from([0.05, 0.1, 0.18, 0.2, 0.5, 0.7, 0.9])
