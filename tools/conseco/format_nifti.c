/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NIfTI rows of the format table: `.nii` and `.nii.gz`, NIfTI-1 and NIfTI-2, any byte order.
 *
 * Reading: zlib's gz reader (it reads plain files too) fetches the first bytes; libnifti
 * (Debian's libnifti2-dev) byte-swaps and checks the header (nifti_swap_as_nifti1/2,
 * nifti_hdr1/2_looks_good, datatype sizes); the voxels are then read by zlib straight into
 * the one buffer that becomes the map (no staging copy). We do not use nifti_image_load: it
 * silently replaces NaN and infinite floats by 0, and it only opens names ending in .nii/.nii.gz.
 *
 * Scores (DESIGN.md 5.1): raw * scl_slope + scl_inter in double precision, the header's
 * (float32, in NIfTI-1) slope and intercept widened to double, two roundings as nibabel's
 * get_fdata; scl_slope = 0 means no scaling; a NaN or infinite slope, or a non-finite
 * intercept with a slope, is a data error. Unscaled float32/float64 volumes are used in place;
 * unscaled 8/16-bit integers become float32 (exact), wider integers and scaled data double.
 * Masks: nonzero (after scaling) = inside. Spacing: pixdim[1..3], widened to double
 * (0 = not given; negative or non-finite: a data error).
 *
 * Writing: a 0/1 uint8 volume with the input's header verbatim (dim, pixdim and qfac, qform and
 * sform codes and parameters, srow, units, description); only datatype, bitpix, scaling (none),
 * cal_min/cal_max, vox_offset and the intent (cleared: a mask is not the input's statistic)
 * change, and extensions are dropped. Written gzip-compressed to the staged temporary file,
 * then read back and compared byte for byte before the staging renames it.
 */
#define _POSIX_C_SOURCE 200809L /* dup */
#include "formats.h"

#include "cli.h"

#include <conseco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const nifti_extensions[] = {".nii.gz", ".nii", NULL};

static int32_t le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static int32_t be32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
                     (uint32_t)p[0] << 24);
}

/* 1 if the (uncompressed) first n bytes look like a single-file NIfTI-1 or NIfTI-2 header; when
 * n is too short to see the magic string, the header size alone decides. */
static int raw_is_nifti(const unsigned char *h, size_t n)
{
    static const unsigned char magic2[8] = {'n', '+', '2', 0, '\r', '\n', 0x1a, '\n'};
    int32_t a, b;
    if (n < 4) return 0;
    a = le32(h);
    b = be32(h);
    if (a == 348 || b == 348) return n < 348 || memcmp(h + 344, "n+1", 4) == 0;
    if (a == 540 || b == 540) return n < 12 || memcmp(h + 4, magic2, 8) == 0;
    return 0;
}

#ifdef CONSECO_CLI_NIFTI

#include <nifti2_io.h>
#include <zlib.h>

typedef struct nifti_geom {
    int version; /* 1 or 2 */
    nifti_1_header h1; /* native byte order */
    nifti_2_header h2;
} nifti_geom;

typedef char nifti1_size_check[sizeof(nifti_1_header) == 348 ? 1 : -1];
typedef char nifti2_size_check[sizeof(nifti_2_header) == 540 ? 1 : -1];

void cli_nifti_init(void)
{
    nifti_set_debug_level(0); /* our own messages name the file; libnifti would print too */
}

/* gzip: inflate what the head holds and look at that. */
static int nifti_sniff(const unsigned char *head, size_t n)
{
    unsigned char out[348];
    z_stream z;
    size_t got;
    int r;
    if (n < 2) return 0;
    if (!(head[0] == 0x1f && head[1] == 0x8b)) return raw_is_nifti(head, n);
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return 1; /* cannot tell: the name decides */
    z.next_in = (Bytef *)(uintptr_t)head;
    z.avail_in = (uInt)(n > 65536 ? 65536 : n);
    z.next_out = out;
    z.avail_out = (uInt)sizeof out;
    r = inflate(&z, Z_SYNC_FLUSH);
    got = sizeof out - z.avail_out;
    inflateEnd(&z);
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) return 0; /* not a valid stream */
    if (got < 4) return 1;
    return raw_is_nifti(out, got);
}

/* gzread of any size (it takes an unsigned int). Returns the bytes read, or -1 on error. */
static long long gz_read_all(gzFile g, unsigned char *dst, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done > ((size_t)1 << 30) ? ((size_t)1 << 30) : n - done;
        int got = gzread(g, dst + done, (unsigned)chunk);
        if (got < 0) return -1;
        if (got == 0) break;
        done += (size_t)got;
    }
    return (long long)done;
}

static int gz_fail(gzFile g, const char *path, const char *what)
{
    int errnum = 0;
    const char *msg = gzerror(g, &errnum);
    size_t plen = strlen(path);
    if (msg != NULL && strncmp(msg, path, plen) == 0 && msg[plen] == ':') /* zlib names it too */
        msg += plen + (msg[plen + 1] == ' ' ? 2 : 1);
    return cli_fail(CLI_EXIT_DATA, "%s: %s: %s", path, what,
                    errnum == Z_ERRNO ? "read error" : msg != NULL && *msg ? msg : "corrupt data");
}

/* What the reader needs from either header version, in native numbers. */
typedef struct nifti_info {
    int64_t dim[8];
    int datatype;
    int64_t vox_offset;
    double slope, inter;
    double pixdim[4];
} nifti_info;

static int header_info(const char *path, const nifti_geom *g, nifti_info *in)
{
    int i;
    if (g->version == 1) {
        const nifti_1_header *h = &g->h1;
        double off = (double)h->vox_offset;
        for (i = 0; i < 8; i++) in->dim[i] = h->dim[i];
        in->datatype = h->datatype;
        if (!(off >= 352.0 && off <= 1e15) || off != (double)(int64_t)off)
            return cli_fail(CLI_EXIT_DATA, "%s: bad vox_offset %g (NIfTI-1 data starts at 352 "
                            "or later, at a whole byte)", path, off);
        in->vox_offset = (int64_t)off;
        in->slope = (double)h->scl_slope;
        in->inter = (double)h->scl_inter;
        for (i = 0; i < 4; i++) in->pixdim[i] = (double)h->pixdim[i];
    } else {
        const nifti_2_header *h = &g->h2;
        for (i = 0; i < 8; i++) in->dim[i] = h->dim[i];
        in->datatype = h->datatype;
        if (h->vox_offset < 544)
            return cli_fail(CLI_EXIT_DATA, "%s: bad vox_offset %lld (NIfTI-2 data starts at "
                            "544 or later)", path, (long long)h->vox_offset);
        in->vox_offset = h->vox_offset;
        in->slope = h->scl_slope;
        in->inter = h->scl_inter;
        for (i = 0; i < 4; i++) in->pixdim[i] = h->pixdim[i];
    }
    return CLI_EXIT_OK;
}

/* Reads and checks the header from the open stream; *swap = the file's byte order differs. */
static int read_header(gzFile gz, const char *path, nifti_geom *g, int *swap)
{
    unsigned char buf[540];
    long long got;
    int32_t a, b;
    memset(buf, 0, sizeof buf);
    memset(g, 0, sizeof *g);
    got = gz_read_all(gz, buf, sizeof buf);
    if (got < 0) return gz_fail(gz, path, "cannot read the header");
    if (got < 4) return cli_fail(CLI_EXIT_DATA, "%s: not a NIfTI file (too short)", path);
    a = le32(buf);
    b = be32(buf);
    if (a == 348 || b == 348) g->version = 1;
    else if (a == 540 || b == 540) g->version = 2;
    else
        return cli_fail(CLI_EXIT_DATA, "%s: not a NIfTI-1 or NIfTI-2 file (header size %ld)",
                        path, (long)a);
    if (got < (g->version == 1 ? 348 : 540))
        return cli_fail(CLI_EXIT_DATA, "%s: truncated NIfTI header", path);
    {
        int32_t native;
        memcpy(&native, buf, 4);
        *swap = native != (g->version == 1 ? 348 : 540);
    }
    if (g->version == 1) {
        memcpy(&g->h1, buf, sizeof g->h1);
        if (*swap) nifti_swap_as_nifti1(&g->h1);
        if (memcmp(g->h1.magic, "n+1", 4) != 0)
            return cli_fail(CLI_EXIT_DATA, "%s: not a single-file NIfTI-1 (.nii) header "
                            "(magic \"%.3s\"; .hdr/.img pairs and ANALYZE are not read)", path,
                            memchr(g->h1.magic, 0, 4) ? g->h1.magic : "?");
        if (!nifti_hdr1_looks_good(&g->h1))
            return cli_fail(CLI_EXIT_DATA, "%s: inconsistent NIfTI-1 header", path);
    } else {
        static const char magic2[8] = {'n', '+', '2', 0, '\r', '\n', 0x1a, '\n'};
        memcpy(&g->h2, buf, sizeof g->h2);
        if (*swap) nifti_swap_as_nifti2(&g->h2);
        if (memcmp(g->h2.magic, magic2, 8) != 0)
            return cli_fail(CLI_EXIT_DATA, "%s: not a single-file NIfTI-2 (.nii) header", path);
        if (!nifti_hdr2_looks_good(&g->h2))
            return cli_fail(CLI_EXIT_DATA, "%s: inconsistent NIfTI-2 header", path);
    }
    return CLI_EXIT_OK;
}

static int supported_datatype(int dt)
{
    switch (dt) {
    case DT_UINT8: case DT_INT8: case DT_INT16: case DT_UINT16: case DT_INT32: case DT_UINT32:
    case DT_INT64: case DT_UINT64: case DT_FLOAT32: case DT_FLOAT64: return 1;
    default: return 0;
    }
}

/* The loops below are written per type so that the compiler vectorises them. T and OUT_T are
 * types (they cannot be parenthesised). */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define CONVERT_LOOP(T, OUT_T, EXPR)                                                          \
    do {                                                                                      \
        const T *src = (const T *)(const void *)raw;                                          \
        OUT_T *dst = (OUT_T *)(void *)out;                                                    \
        for (i = 0; i < n; i++) {                                                             \
            double v = (double)src[i];                                                        \
            EXPR;                                                                             \
        }                                                                                     \
    } while (0)

#define PER_TYPE(OUT_T, EXPR)                                                                 \
    switch (dt) {                                                                             \
    case DT_UINT8: CONVERT_LOOP(uint8_t, OUT_T, EXPR); break;                                 \
    case DT_INT8: CONVERT_LOOP(int8_t, OUT_T, EXPR); break;                                   \
    case DT_INT16: CONVERT_LOOP(int16_t, OUT_T, EXPR); break;                                 \
    case DT_UINT16: CONVERT_LOOP(uint16_t, OUT_T, EXPR); break;                               \
    case DT_INT32: CONVERT_LOOP(int32_t, OUT_T, EXPR); break;                                 \
    case DT_UINT32: CONVERT_LOOP(uint32_t, OUT_T, EXPR); break;                               \
    case DT_INT64: CONVERT_LOOP(int64_t, OUT_T, EXPR); break;                                 \
    case DT_UINT64: CONVERT_LOOP(uint64_t, OUT_T, EXPR); break;                               \
    case DT_FLOAT32: CONVERT_LOOP(float, OUT_T, EXPR); break;                                 \
    default: CONVERT_LOOP(double, OUT_T, EXPR); break;                                        \
    }
/* NOLINTEND(bugprone-macro-parentheses) */

/* Scaled values in double: (raw * slope) then + inter, two roundings, as nibabel does. */
static void convert_scaled(const unsigned char *raw, int dt, size_t n, double slope, double inter,
                           double *out)
{
    size_t i;
    PER_TYPE(double, { double t = v * slope; dst[i] = t + inter; })
}

static void convert_f64(const unsigned char *raw, int dt, size_t n, double *out)
{
    size_t i;
    PER_TYPE(double, dst[i] = v)
}

static void convert_f32(const unsigned char *raw, int dt, size_t n, float *out)
{
    size_t i;
    PER_TYPE(float, dst[i] = (float)v) /* only for types that float32 holds exactly */
}

static void convert_mask(const unsigned char *raw, int dt, size_t n, int scaled, double slope,
                         double inter, unsigned char *out)
{
    size_t i;
    if (scaled) {
        PER_TYPE(unsigned char, { double t = v * slope; t = t + inter; dst[i] = t != 0.0; })
    } else {
        PER_TYPE(unsigned char, dst[i] = v != 0.0)
    }
}

/* Voxels are inflated and converted this many bytes at a time (fits the L2 cache). */
#define CHUNK_BYTES ((size_t)1 << 18)
enum { PLAN_IN_PLACE, PLAN_MASK, PLAN_F32, PLAN_F64, PLAN_SCALED };

static int nifti_read(const cli_file_bytes *file, long slice, int role, cli_map *out)
{
    const char *path = file->path;
    nifti_geom *g;
    nifti_info in;
    gzFile gz;
    int swap = 0, rc, nbyper = 0, swapsize = 0, d, scaled, plan;
    size_t nvox = 1, bytes;
    unsigned char *raw = NULL;
    long long got;
    memset(out, 0, sizeof *out);
    memset(&in, 0, sizeof in);
    if (slice >= 0) return cli_fail(CLI_EXIT_DATA, "%s: a NIfTI file holds one volume", path);
    if (role == CLI_READ_RGB)
        return cli_fail(CLI_EXIT_DATA, "%s: overlay pictures must be PNG", path);
    g = (nifti_geom *)malloc(sizeof *g);
    if (g == NULL) return cli_fail_nomem();
    gz = gzopen(path, "rb");
    if (gz == NULL) {
        free(g);
        return cli_fail(CLI_EXIT_IO, "%s: cannot open", path);
    }
    (void)gzbuffer(gz, 1u << 18);
    rc = read_header(gz, path, g, &swap);
    if (rc == CLI_EXIT_OK) rc = header_info(path, g, &in);
    if (rc == CLI_EXIT_OK && (in.dim[0] < 1 || in.dim[0] > 7))
        rc = cli_fail(CLI_EXIT_DATA, "%s: bad dim[0] = %lld", path, (long long)in.dim[0]);
    for (d = 1; rc == CLI_EXIT_OK && d <= in.dim[0]; d++) {
        if (in.dim[d] < 1)
            rc = cli_fail(CLI_EXIT_DATA, "%s: bad dim[%d] = %lld", path, d, (long long)in.dim[d]);
        else if (d > 3 && in.dim[d] != 1)
            rc = cli_fail(CLI_EXIT_DATA, "%s: dim[%d] = %lld: only 2-D and 3-D volumes are read "
                          "(one time point)", path, d, (long long)in.dim[d]);
        else if ((uint64_t)in.dim[d] > CLI_MAX_PIXELS / nvox)
            rc = cli_fail(CLI_EXIT_DATA, "%s: volume too large", path);
        else nvox *= (size_t)in.dim[d];
    }
    if (rc == CLI_EXIT_OK && !supported_datatype(in.datatype))
        rc = cli_fail(CLI_EXIT_DATA, "%s: NIfTI datatype %s (%d) is not read; integer and "
                      "float32/float64 volumes are", path, nifti_datatype_string(in.datatype),
                      in.datatype);
    if (rc == CLI_EXIT_OK) {
        nifti_datatype_sizes(in.datatype, &nbyper, &swapsize);
        if (in.slope != in.slope || in.slope - in.slope != 0.0)
            rc = cli_fail(CLI_EXIT_DATA, "%s: scl_slope is %g (0 means no scaling)", path,
                          in.slope);
        else if (in.slope != 0.0 && in.inter - in.inter != 0.0)
            rc = cli_fail(CLI_EXIT_DATA, "%s: scl_inter is %g", path, in.inter);
    }
    for (d = 1; rc == CLI_EXIT_OK && d <= 3 && d <= in.dim[0]; d++)
        if (!(in.pixdim[d] >= 0.0 && in.pixdim[d] <= 1.7976931348623157e308))
            rc = cli_fail(CLI_EXIT_DATA, "%s: bad voxel size pixdim[%d] = %g", path, d,
                          in.pixdim[d]);
    if (rc == CLI_EXIT_OK && gzseek(gz, (z_off_t)in.vox_offset, SEEK_SET) != (z_off_t)in.vox_offset)
        rc = cli_fail(CLI_EXIT_DATA, "%s: truncated before the voxel data (vox_offset %lld)",
                      path, (long long)in.vox_offset);
    bytes = nvox * (size_t)nbyper;
    if (rc == CLI_EXIT_OK) { /* a header may promise more than the file can hold: say so before
                                allocating (deflate expands at most 1032:1) */
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            unsigned long long have = (unsigned long long)sb.st_size;
            unsigned long long most = gzdirect(gz) ? have : have * 1032ull + 4096ull;
            if ((unsigned long long)in.vox_offset + bytes > most)
                rc = cli_fail(CLI_EXIT_DATA, "%s: truncated: the header promises %lu bytes of "
                              "voxel data from byte %lld, the file is %llu bytes%s", path,
                              (unsigned long)bytes, (long long)in.vox_offset, have,
                              gzdirect(gz) ? "" : " compressed");
        }
    }
    /* What the map holds: the voxels themselves (read straight into it), or a conversion,
     * made chunk by chunk as the voxels are inflated (the raw volume is never all in memory) */
    scaled = in.slope != 0.0 && !(in.slope == 1.0 && in.inter == 0.0);
    plan = PLAN_IN_PLACE;
    if (rc != CLI_EXIT_OK) {
        /* nothing to plan: the header was refused */
    } else if (role == CLI_READ_MASK) {
        out->dtype = CONSECO_DTYPE_MASK8;
        out->elem = 1;
        plan = in.datatype == DT_UINT8 && !scaled ? PLAN_IN_PLACE : PLAN_MASK;
    } else if (!scaled && (in.datatype == DT_FLOAT32 || in.datatype == DT_FLOAT64)) {
        out->dtype = in.datatype == DT_FLOAT32 ? CONSECO_DTYPE_F32 : CONSECO_DTYPE_F64;
        out->elem = (size_t)nbyper;
        plan = PLAN_IN_PLACE;
    } else if (!scaled && nbyper <= 2) {
        out->dtype = CONSECO_DTYPE_F32;
        out->elem = 4;
        plan = PLAN_F32;
    } else {
        out->dtype = CONSECO_DTYPE_F64;
        out->elem = 8;
        plan = scaled ? PLAN_SCALED : PLAN_F64;
    }
    if (rc == CLI_EXIT_OK) {
        out->data = (unsigned char *)malloc(nvox ? nvox * out->elem : 1);
        if (plan != PLAN_IN_PLACE) raw = (unsigned char *)malloc(CHUNK_BYTES);
        if (out->data == NULL || (plan != PLAN_IN_PLACE && raw == NULL)) rc = cli_fail_nomem();
    }
    if (rc == CLI_EXIT_OK) {
        size_t done = 0, per = plan == PLAN_IN_PLACE ? nvox : CHUNK_BYTES / (size_t)nbyper;
        while (rc == CLI_EXIT_OK && done < nvox) {
            size_t k = nvox - done < per ? nvox - done : per;
            unsigned char *dst = plan == PLAN_IN_PLACE ? out->data : raw;
            got = gz_read_all(gz, dst, k * (size_t)nbyper);
            if (got < 0) rc = gz_fail(gz, path, "cannot read the voxels");
            else if ((size_t)got != k * (size_t)nbyper)
                rc = cli_fail(CLI_EXIT_DATA, "%s: truncated: %llu of %lu bytes of voxel data",
                              path, (unsigned long long)(done * (size_t)nbyper + (size_t)got),
                              (unsigned long)bytes);
            if (rc != CLI_EXIT_OK) break;
            if (swap && swapsize > 1) nifti_swap_Nbytes((int64_t)k, swapsize, dst);
            switch (plan) {
            case PLAN_MASK:
                convert_mask(raw, in.datatype, k, scaled, in.slope, in.inter, out->data + done);
                break;
            case PLAN_F32:
                convert_f32(raw, in.datatype, k, (float *)(void *)out->data + done);
                break;
            case PLAN_F64:
                convert_f64(raw, in.datatype, k, (double *)(void *)out->data + done);
                break;
            case PLAN_SCALED:
                convert_scaled(raw, in.datatype, k, in.slope, in.inter,
                               (double *)(void *)out->data + done);
                break;
            default: break;
            }
            done += k;
        }
    }
    if (rc == CLI_EXIT_OK) { /* reach the end of a gzip stream, so that its CRC is checked */
        unsigned char extra[64];
        while ((got = gz_read_all(gz, extra, sizeof extra)) > 0) {}
        if (got < 0) rc = gz_fail(gz, path, "corrupt after the voxels");
    }
    if (gzclose(gz) != Z_OK && rc == CLI_EXIT_OK)
        rc = cli_fail(CLI_EXIT_DATA, "%s: corrupt compressed data", path);
    free(raw);
    if (rc != CLI_EXIT_OK) {
        free(out->data);
        free(g);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->width = (size_t)in.dim[1];
    out->height = in.dim[0] >= 2 ? (size_t)in.dim[2] : 1;
    out->depth = in.dim[0] >= 3 ? (size_t)in.dim[3] : 1;
    for (d = 0; d < 3; d++) out->spacing[d] = d < in.dim[0] ? in.pixdim[d + 1] : 0.0;
    cli_map_pack_strides(out);
    out->format = &cli_format_nifti;
    out->geometry = g;
    out->geometry_size = sizeof *g;
    return CLI_EXIT_OK;
}

/* The mask's header: the input's, with only what a 0/1 uint8 volume must change. */
static size_t mask_header(const nifti_geom *g, unsigned char *buf)
{
    if (g->version == 1) {
        nifti_1_header h = g->h1;
        h.datatype = DT_UINT8;
        h.bitpix = 8;
        h.scl_slope = 0.0f;
        h.scl_inter = 0.0f;
        h.cal_min = 0.0f;
        h.cal_max = 1.0f;
        h.vox_offset = 352.0f;
        h.intent_code = 0;
        h.intent_p1 = h.intent_p2 = h.intent_p3 = 0.0f;
        memset(h.intent_name, 0, sizeof h.intent_name);
        h.glmax = 1;
        h.glmin = 0;
        memcpy(buf, &h, 348);
        memset(buf + 348, 0, 4); /* no extensions */
        return 352;
    } else {
        static const char magic2[8] = {'n', '+', '2', 0, '\r', '\n', 0x1a, '\n'};
        nifti_2_header h = g->h2;
        memcpy(h.magic, magic2, 8);
        h.datatype = DT_UINT8;
        h.bitpix = 8;
        h.scl_slope = 0.0;
        h.scl_inter = 0.0;
        h.cal_min = 0.0;
        h.cal_max = 1.0;
        h.vox_offset = 544;
        h.intent_code = 0;
        h.intent_p1 = h.intent_p2 = h.intent_p3 = 0.0;
        memset(h.intent_name, 0, sizeof h.intent_name);
        memcpy(buf, &h, 540);
        memset(buf + 540, 0, 4);
        return 544;
    }
}

static int gz_write_all(gzFile g, const unsigned char *p, size_t n)
{
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        if (gzwrite(g, p, chunk) != (int)chunk) return -1;
        p += chunk;
        n -= chunk;
    }
    return 0;
}

/* Reads tmp_path back and compares it with what was meant to be written. */
static int verify_written(const char *tmp_path, const unsigned char *hdr, size_t hdr_len,
                          const uint8_t *mask, size_t n, int binary)
{
    unsigned char buf[1 << 16];
    gzFile g = gzopen(tmp_path, "rb");
    size_t done = 0;
    long long got;
    int ok = 1;
    if (g == NULL) return -1;
    (void)gzbuffer(g, 1u << 18);
    got = gz_read_all(g, buf, hdr_len);
    ok = got == (long long)hdr_len && memcmp(buf, hdr, hdr_len) == 0;
    while (ok && done < n) {
        size_t chunk = n - done > sizeof buf ? sizeof buf : n - done, i;
        got = gz_read_all(g, buf, chunk);
        ok = got == (long long)chunk;
        for (i = 0; ok && i < chunk; i++)
            ok = buf[i] == (binary ? (mask[done + i] ? 1 : 0) : mask[done + i]);
        done += chunk;
    }
    if (ok) ok = gz_read_all(g, buf, 1) == 0; /* and nothing after (CRC checked at the end) */
    if (gzclose(g) != Z_OK) ok = 0;
    return ok ? 0 : -1;
}

/* Writes hdr and n voxel bytes (0/1 when binary, else verbatim) gzip-compressed to the staged
 * file, then reads it back and compares. */
static int write_checked(const cli_out_file *out, const unsigned char *hdr, size_t hdr_len,
                         const uint8_t *mask, size_t n, int binary)
{
    unsigned char chunk[1 << 16];
    size_t done = 0;
    gzFile gz;
    int fd, bad = 0;
    if (fflush(out->f) != 0) return cli_fail(CLI_EXIT_IO, "%s: write error", out->final_path);
    fd = dup(fileno(out->f));
    if (fd < 0) return cli_fail(CLI_EXIT_IO, "%s: cannot write", out->final_path);
    gz = gzdopen(fd, "wb1");
    if (gz == NULL) {
        close(fd);
        return cli_fail_nomem();
    }
    (void)gzbuffer(gz, 1u << 18);
    bad = gz_write_all(gz, hdr, hdr_len) != 0;
    while (!bad && done < n) { /* 0/1 bytes, whatever nonzero value the caller used */
        size_t k = n - done > sizeof chunk ? sizeof chunk : n - done, i;
        for (i = 0; i < k; i++) chunk[i] = binary ? (mask[done + i] ? 1 : 0) : mask[done + i];
        bad = gz_write_all(gz, chunk, k) != 0;
        done += k;
    }
    if (gzclose(gz) != Z_OK) bad = 1; /* closes fd */
    if (bad) return cli_fail(CLI_EXIT_IO, "%s: write error", out->final_path);
    if (verify_written(out->tmp_path, hdr, hdr_len, mask, n, binary) != 0)
        return cli_fail(CLI_EXIT_IO, "%s: the written file does not read back as written",
                        out->final_path);
    return CLI_EXIT_OK;
}

static int nifti_write_mask_like(const cli_map *like, const uint8_t *mask, const cli_out_file *out)
{
    const nifti_geom *g = (const nifti_geom *)like->geometry;
    unsigned char hdr[544];
    if (g == NULL || like->geometry_size != sizeof *g)
        return cli_fail(CLI_EXIT_INTERNAL, "%s: no NIfTI header to copy", out->final_path);
    return write_checked(out, hdr, mask_header(g, hdr),
                         mask, like->width * like->height * like->depth, 1);
}

int cli_nifti_write_u8(const cli_out_file *out, size_t width, size_t height, size_t depth,
                       const double spacing[3], float slope, const uint8_t *voxels)
{
    nifti_1_header h;
    unsigned char hdr[352];
    if (width > 32767 || height > 32767 || depth > 32767)
        return cli_fail(CLI_EXIT_DATA, "%s: too large for NIfTI-1", out->final_path);
    memset(&h, 0, sizeof h);
    h.sizeof_hdr = 348;
    h.dim[0] = 3;
    h.dim[1] = (short)width;
    h.dim[2] = (short)height;
    h.dim[3] = (short)depth;
    h.dim[4] = h.dim[5] = h.dim[6] = h.dim[7] = 1;
    h.datatype = DT_UINT8;
    h.bitpix = 8;
    h.pixdim[0] = 1.0f;
    h.pixdim[1] = (float)spacing[0];
    h.pixdim[2] = (float)spacing[1];
    h.pixdim[3] = (float)spacing[2];
    h.pixdim[4] = h.pixdim[5] = h.pixdim[6] = h.pixdim[7] = 1.0f;
    h.vox_offset = 352.0f;
    h.scl_slope = slope;
    h.xyzt_units = NIFTI_UNITS_MM;
    h.qform_code = NIFTI_XFORM_SCANNER_ANAT;
    h.sform_code = NIFTI_XFORM_SCANNER_ANAT;
    h.srow_x[0] = h.pixdim[1];
    h.srow_y[1] = h.pixdim[2];
    h.srow_z[2] = h.pixdim[3];
    memcpy(h.magic, "n+1", 4);
    memcpy(hdr, &h, 348);
    memset(hdr + 348, 0, 4);
    return write_checked(out, hdr, sizeof hdr, voxels, width * height * depth, 0);
}

#else /* built without NIfTI support */

static int nifti_sniff(const unsigned char *head, size_t n) { return raw_is_nifti(head, n); }

void cli_nifti_init(void) {}

static int no_nifti(const char *path)
{
    return cli_fail(CLI_EXIT_DATA, "%s: this conseco was built without NIfTI support "
                    "(build it with libnifti2-dev and zlib, CMake option CONSECO_WITH_NIFTI)",
                    path);
}

/* Voxels are inflated and converted this many bytes at a time (fits the L2 cache). */
#define CHUNK_BYTES ((size_t)1 << 18)
enum { PLAN_IN_PLACE, PLAN_MASK, PLAN_F32, PLAN_F64, PLAN_SCALED };

static int nifti_read(const cli_file_bytes *file, long slice, int role, cli_map *out)
{
    (void)slice;
    (void)role;
    memset(out, 0, sizeof *out);
    return no_nifti(file->path);
}

static int nifti_write_mask_like(const cli_map *like, const uint8_t *mask, const cli_out_file *out)
{
    (void)like;
    (void)mask;
    return no_nifti(out->final_path);
}

int cli_nifti_write_u8(const cli_out_file *out, size_t width, size_t height, size_t depth,
                       const double spacing[3], float slope, const uint8_t *voxels)
{
    (void)width;
    (void)height;
    (void)depth;
    (void)spacing;
    (void)slope;
    (void)voxels;
    return no_nifti(out->final_path);
}

#endif

const cli_format cli_format_nifti = {
    "nifti", 1, nifti_extensions, nifti_sniff, NULL, nifti_read, nifti_write_mask_like,
};
