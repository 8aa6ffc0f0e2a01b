# SPDX-License-Identifier: Apache-2.0
"""Hand-made NIfTI-1/NIfTI-2 files (no nibabel) and literal references for the volume tests.

Volumes are flat lists in x-fastest order (index = x + nx * (y + ny * z)).
"""
import gzip
import math
import struct
from fractions import Fraction

# datatype code -> (struct letter, bytes)
DT = {2: ("B", 1), 256: ("b", 1), 4: ("h", 2), 512: ("H", 2), 8: ("i", 4), 768: ("I", 4),
      1024: ("q", 8), 1280: ("Q", 8), 16: ("f", 4), 64: ("d", 8), 32: ("f", 4)}


def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def header1(dims, dt, pixdim, slope=0.0, inter=0.0, endian="<", magic=b"n+1\0", vox_offset=352.0,
            qfac=1.0, qform=1, sform=1, quat=(0.0, 0.0, 0.0), qoff=(0.0, 0.0, 0.0), srow=None,
            descrip=b"hand-made", intent=0, units=2):
    e = endian
    h = bytearray(348)
    struct.pack_into(e + "i", h, 0, 348)
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into(e + "8h", h, 40, *dim)
    struct.pack_into(e + "3f", h, 56, 0.5 if intent else 0.0, 0.0, 0.0)
    struct.pack_into(e + "h", h, 68, intent)
    struct.pack_into(e + "hh", h, 70, dt, 8 * DT.get(dt, ("B", 1))[1])
    pd = [qfac] + list(pixdim) + [1.0] * (7 - len(pixdim))
    struct.pack_into(e + "8f", h, 76, *pd)
    struct.pack_into(e + "3f", h, 108, vox_offset, slope, inter)
    struct.pack_into(e + "b", h, 123, units)
    struct.pack_into(e + "2f", h, 124, 33.0, 0.0)  # cal_max, cal_min
    h[148:148 + len(descrip)] = descrip
    struct.pack_into(e + "2h", h, 252, qform, sform)
    struct.pack_into(e + "6f", h, 256, *(list(quat) + list(qoff)))
    if srow is None:
        srow = [[pixdim[0], 0, 0, 0], [0, pixdim[1], 0, 0], [0, 0, pixdim[2] if len(pixdim) > 2 else 1, 0]]
    struct.pack_into(e + "12f", h, 280, *(srow[0] + srow[1] + srow[2]))
    h[344:348] = magic
    return bytes(h)


def header2(dims, dt, pixdim, slope=0.0, inter=0.0, endian="<", vox_offset=544):
    e = endian
    h = bytearray(540)
    struct.pack_into(e + "i", h, 0, 540)
    h[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into(e + "hh", h, 12, dt, 8 * DT[dt][1])
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into(e + "8q", h, 16, *dim)
    pd = [1.0] + list(pixdim) + [1.0] * (7 - len(pixdim))
    struct.pack_into(e + "8d", h, 104, *pd)
    struct.pack_into(e + "q", h, 168, vox_offset)
    struct.pack_into(e + "2d", h, 176, slope, inter)
    h[240:249] = b"nifti-two"
    struct.pack_into(e + "2i", h, 344, 1, 1)
    srow = [[pixdim[0], 0, 0, 0], [0, pixdim[1], 0, 0], [0, 0, pixdim[2], 0]]
    struct.pack_into(e + "12d", h, 400, *(srow[0] + srow[1] + srow[2]))
    struct.pack_into(e + "i", h, 500, 2)
    return bytes(h)


def write_nifti(path, dims, dt, values, pixdim=(1.0, 1.0, 1.0), version=1, endian="<",
                header=None, pad=b"\0\0\0\0", truncate=None, **kw):
    """Writes values (x fastest) with the given header; gzip when path ends with .gz."""
    if header is None:
        header = (header1 if version == 1 else header2)(dims, dt, pixdim, endian=endian, **kw)
    letter, _ = DT[dt]
    data = struct.pack(endian + letter * len(values), *values)
    blob = header + pad + data
    if truncate is not None:
        blob = blob[:truncate]
    if path.endswith(".gz"):
        blob = gzip.compress(blob, 6)
    with open(path, "wb") as f:
        f.write(blob)
    return header


def read_nifti1_gz(path):
    """(header bytes, voxel bytes) of a NIfTI-1 .nii.gz the tool wrote."""
    with gzip.open(path, "rb") as f:
        blob = f.read()
    size = struct.unpack("<i", blob[:4])[0]
    if size not in (348, 540):
        size = struct.unpack(">i", blob[:4])[0]
    off = 352 if size == 348 else 544
    return blob[:size], blob[off:]


# ---------------------------------------------------------------- literal references
def rank_k(n, alpha):
    """ceil((n + 1)(1 - alpha)) with alpha the decimal as written."""
    return math.ceil((n + 1) * (1 - Fraction(alpha)))


def threshold_score(s, truth, tau, base=0.5, top=1.0):
    yhat = [i for i, v in enumerate(s) if v >= base]
    if not yhat:
        return base
    fp = [s[i] for i in yhat if not truth[i]]
    cands = sorted(set([base] + [s[i] for i in yhat if s[i] <= top] + [top]))
    for lam in cands:
        kept = sum(1 for v in fp if v >= lam)
        if kept / len(yhat) <= tau:
            return lam
    return math.inf


def erode_cross(mask, nx, ny, nz, foreground=True):
    out = [0] * len(mask)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                i = x + nx * (y + ny * z)
                if not mask[i]:
                    continue
                keep = True
                for dx, dy, dz in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
                    a, b, c = x + dx, y + dy, z + dz
                    if 0 <= a < nx and 0 <= b < ny and 0 <= c < nz:
                        if not mask[a + nx * (b + ny * c)]:
                            keep = False
                    elif not foreground:
                        keep = False
                out[i] = 1 if keep else 0
    return out


def erosion_cross_score(s, truth, tau, nx, ny, nz, base=0.5, foreground=True):
    """Smallest number of cross erosions with F <= tau (one at a time), as in DESIGN 1."""
    yhat = [1 if v >= base else 0 for v in s]
    n = sum(yhat)
    if n == 0:
        return 0.0
    cur, lam = yhat, 0
    while True:
        kept = sum(1 for i, m in enumerate(cur) if m and not truth[i])
        if kept / n <= tau:
            return float(lam)
        if sum(cur) == 0:
            return float(lam)
        nxt = erode_cross(cur, nx, ny, nz, foreground)
        if nxt == cur:
            return math.inf
        cur, lam = nxt, lam + 1


def erosion_cross_levels(s, nx, ny, nz, lam, base=0.5, foreground=True):
    """Inner mask after lam cross erosions (lam an integer or inf)."""
    cur = [1 if v >= base else 0 for v in s]
    if lam == math.inf:
        return [0] * len(s)
    for _ in range(int(lam)):
        cur = erode_cross(cur, nx, ny, nz, foreground)
    return cur


def lambda_hat(scores, alpha):
    k = rank_k(len(scores), alpha)
    return k, (sorted(scores)[k - 1] if k <= len(scores) else math.inf)


# (name, offset, struct format) of every header field
FIELDS1 = [("sizeof_hdr", 0, "i"), ("data_type", 4, "10s"), ("db_name", 14, "18s"),
           ("extents", 32, "i"), ("session_error", 36, "h"), ("regular", 38, "b"),
           ("dim_info", 39, "b"), ("dim", 40, "8h"), ("intent_p", 56, "3f"),
           ("intent_code", 68, "h"), ("datatype", 70, "h"), ("bitpix", 72, "h"),
           ("slice_start", 74, "h"), ("pixdim", 76, "8f"), ("vox_offset", 108, "f"),
           ("scl_slope", 112, "f"), ("scl_inter", 116, "f"), ("slice_end", 120, "h"),
           ("slice_code", 122, "b"), ("xyzt_units", 123, "b"), ("cal_max", 124, "f"),
           ("cal_min", 128, "f"), ("slice_duration", 132, "f"), ("toffset", 136, "f"),
           ("glmax", 140, "i"), ("glmin", 144, "i"), ("descrip", 148, "80s"),
           ("aux_file", 228, "24s"), ("qform_code", 252, "h"), ("sform_code", 254, "h"),
           ("quatern", 256, "3f"), ("qoffset", 268, "3f"), ("srow", 280, "12f"),
           ("intent_name", 328, "16s"), ("magic", 344, "4s")]
FIELDS2 = [("sizeof_hdr", 0, "i"), ("magic", 4, "8s"), ("datatype", 12, "h"), ("bitpix", 14, "h"),
           ("dim", 16, "8q"), ("intent_p", 80, "3d"), ("pixdim", 104, "8d"),
           ("vox_offset", 168, "q"), ("scl_slope", 176, "d"), ("scl_inter", 184, "d"),
           ("cal_max", 192, "d"), ("cal_min", 200, "d"), ("slice_duration", 208, "d"),
           ("toffset", 216, "d"), ("slice_start", 224, "q"), ("slice_end", 232, "q"),
           ("descrip", 240, "80s"), ("aux_file", 320, "24s"), ("qform_code", 344, "i"),
           ("sform_code", 348, "i"), ("quatern", 352, "3d"), ("qoffset", 376, "3d"),
           ("srow", 400, "12d"), ("slice_code", 496, "i"), ("xyzt_units", 500, "i"),
           ("intent_code", 504, "i"), ("intent_name", 508, "16s"), ("dim_info", 524, "b"),
           ("unused_str", 525, "15s")]
# what a mask may change
CHANGED = {"datatype", "bitpix", "vox_offset", "scl_slope", "scl_inter", "cal_max", "cal_min",
           "intent_p", "intent_code", "intent_name", "glmax", "glmin"}


def parse_header(h):
    """{field: values} of a NIfTI-1/2 header in either byte order."""
    e = "<" if struct.unpack("<i", h[:4])[0] in (348, 540) else ">"
    size = struct.unpack(e + "i", h[:4])[0]
    table = FIELDS1 if size == 348 else FIELDS2
    return {name: struct.unpack_from(e + fmt, h, off) for name, off, fmt in table}


def read_input_header(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        blob = f.read(540)
    size = struct.unpack("<i", blob[:4])[0]
    if size not in (348, 540):
        size = struct.unpack(">i", blob[:4])[0]
    return blob[:size]


def header_diff(hin, hout):
    """Fields that differ between an input header and a mask's, beyond what a mask changes."""
    a, b = parse_header(hin), parse_header(hout)
    bad = [k for k in a if k not in CHANGED and a[k] != b.get(k)]
    if b["datatype"] != (2,) or b["bitpix"] != (8,) or b["scl_slope"] != (0.0,) or b["scl_inter"] != (0.0,):
        bad.append("mask type/scaling %s %s %s %s" % (b["datatype"], b["bitpix"], b["scl_slope"], b["scl_inter"]))
    return bad
