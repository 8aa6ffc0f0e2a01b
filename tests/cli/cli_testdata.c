/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper for the `conseco` end-to-end tests (run by run_cli_tests.py).
 * It generates small deterministic data sets in every input format the tool
 * reads, and computes the expected results straight from libconseco's
 * public functions on the same pixels held in memory:
 *
 *   cli_testdata make KIND DIR N SEED         write DIR/pred, DIR/gt, DIR/image
 *   cli_testdata gray8|gray16|rgb|gray1 FILE W H   write one PNG of that type
 *   cli_testdata ref-calibrate KIND N SEED SHRINKER SE BORDER BASE TAU ALPHA
 *   cli_testdata ref-evaluate KIND N SEED TAUS ALPHA SPLITS SPLITSEED FRAC SE BORDER BASE
 *   cli_testdata check-apply KIND N SEED SHRINKER SE BORDER BASE LAMBDA OUT [UNCERTAIN]
 *   cli_testdata ref-risk-fnr KIND N SEED erosion|threshold SE BOTTOM BASE
 *     (the outer side's risk candidates and each image's FNR there, JSON)
 *   cli_testdata ref-risk-afp KIND N SEED SHRINKER SE BORDER BASE
 *     (every candidate lambda of the risk guarantee and each image's AFP there,
 *     from conseco_evaluate_image; run_cli_tests.py sums them exactly)
 *     (masks in the input's format: <id>.png 0/255 for PNG kinds, <id>.npy bool otherwise)
 *
 * KIND: png8, png16, npyf32, npyf64, npyu8, stack. The reference paths use
 * the slow, obvious library calls (conseco_score per image, conseco_quantile,
 * conseco_evaluate_image per test image and split, conseco_apply), so they
 * check the tool's fast evaluation tables and its file handling. PNGs are
 * written and read with libpng directly, .npy by hand: none of the tool's code.
 * The only shared piece is the documented split permutation (split_rng.c).
 */
#define CONSECO_STATIC_LINKING_ONLY /* sides (experimental; the static library) */
#include <conseco.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "split_rng.h"

/* ------------------------------------------------------------ data model */
typedef struct img {
    size_t w, h;
    int dtype;          /* conseco dtype of the score map as the tool will read it */
    unsigned char *px;  /* score pixels, packed */
    uint8_t *truth;     /* 0/1 */
} img;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static int kind_dtype(const char *kind)
{
    if (!strcmp(kind, "png8") || !strcmp(kind, "npyu8")) return CONSECO_DTYPE_U8;
    if (!strcmp(kind, "png16")) return CONSECO_DTYPE_U16;
    if (!strcmp(kind, "npyf64")) return CONSECO_DTYPE_F64;
    if (!strcmp(kind, "npyf32") || !strcmp(kind, "stack")) return CONSECO_DTYPE_F32;
    fprintf(stderr, "unknown kind %s\n", kind);
    exit(2);
}

static size_t elem_size(int dtype)
{
    return dtype == CONSECO_DTYPE_U8 ? 1 : dtype == CONSECO_DTYPE_U16 ? 2
                                       : dtype == CONSECO_DTYPE_F32 ? 4 : 8;
}

/*
 * Image i: a truth ellipse and a score map that over-segments it with noise
 * and ties. Special images: 0 predicts nothing, 1 predicts the truth exactly,
 * 2 predicts the whole image (erosion with the foreground border never empties it).
 */
static void make_image(const char *kind, size_t i, uint64_t seed, img *im)
{
    const int stack = !strcmp(kind, "stack");
    size_t x, y;
    double cx, cy, rx, ry, grow;
    rng_state = seed * 1000003u + i;
    im->w = stack ? 18 : 14 + (i % 3) * 5;
    im->h = stack ? 15 : 11 + (i % 2) * 6;
    im->dtype = kind_dtype(kind);
    im->px = (unsigned char *)malloc(im->w * im->h * elem_size(im->dtype));
    im->truth = (uint8_t *)malloc(im->w * im->h);
    cx = unif() * (double)im->w;
    cy = unif() * (double)im->h;
    rx = 2.0 + unif() * (double)im->w / 3.0;
    ry = 2.0 + unif() * (double)im->h / 3.0;
    grow = 1.0 + unif() * 0.8;
    for (y = 0; y < im->h; y++)
        for (x = 0; x < im->w; x++) {
            size_t p = y * im->w + x;
            double dx = ((double)x - cx) / rx, dy = ((double)y - cy) / ry;
            double d = dx * dx + dy * dy, s;
            im->truth[p] = d <= 1.0;
            s = 1.0 - d / (2.0 * grow) + (unif() - 0.5) * 0.3; /* Yhat ~ grown truth */
            if (i == 0) s = 0.4 * unif();
            if (i == 1) s = im->truth[p] ? 0.6 + 0.4 * unif() : 0.4 * unif();
            if (i == 2) s = 0.5 + 0.5 * unif();
            if (s < 0.0) s = 0.0;
            if (s > 1.0 && im->dtype != CONSECO_DTYPE_F32 && im->dtype != CONSECO_DTYPE_F64)
                s = 1.0;
            switch (im->dtype) {
            case CONSECO_DTYPE_U8: im->px[p] = (unsigned char)(s * 255.0 + 0.5); break;
            case CONSECO_DTYPE_U16: {
                /* coarse steps so that ties happen in 16 bits too */
                uint16_t v = (uint16_t)((unsigned)(s * 40.0 + 0.5) * 1638u);
                memcpy(im->px + 2 * p, &v, 2);
                break;
            }
            case CONSECO_DTYPE_F32: {
                float v = (float)((double)(int)(s * 64.0) / 64.0 + (i % 4 == 3 ? 0.3 : 0.0));
                memcpy(im->px + 4 * p, &v, 4);
                break;
            }
            default: {
                double v = (double)(int)(s * 100.0) / 100.0;
                memcpy(im->px + 8 * p, &v, 8);
                break;
            }
            }
        }
}

static void free_image(img *im)
{
    free(im->px);
    free(im->truth);
}

static conseco_image view(const img *im)
{
    return conseco_image_2d(im->px, im->w, im->h, im->w * elem_size(im->dtype), im->dtype);
}

/* ---------------------------------------------------------------- writers */
static void die(const char *what, const char *path)
{
    fprintf(stderr, "cli_testdata: %s %s\n", what, path);
    exit(1);
}

/* channels 1 or 3; bits 1, 8 or 16; rows given as uint16 for 16 bits (host order). */
static void write_png(const char *path, const void *pixels, size_t w, size_t h, int channels,
                      int bits)
{
    FILE *f = fopen(path, "wb");
    png_structp png;
    png_infop info;
    size_t y;
    unsigned char *row = (unsigned char *)malloc(w * 3 * 2 + 8);
    if (!f || !row) die("cannot write", path);
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) die("libpng failed on", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, bits,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (y = 0; y < h; y++) {
        size_t x;
        if (bits == 16) {
            const uint16_t *src = (const uint16_t *)pixels + y * w;
            for (x = 0; x < w; x++) {
                row[2 * x] = (unsigned char)(src[x] >> 8); /* PNG is big-endian */
                row[2 * x + 1] = (unsigned char)(src[x] & 0xff);
            }
        } else if (bits == 1) {
            const unsigned char *src = (const unsigned char *)pixels + y * w;
            memset(row, 0, (w + 7) / 8);
            for (x = 0; x < w; x++)
                if (src[x]) row[x / 8] |= (unsigned char)(0x80u >> (x % 8));
        } else {
            memcpy(row, (const unsigned char *)pixels + y * w * (size_t)channels,
                   w * (size_t)channels);
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(row);
}

/* A .npy v1.0 file; shape (n, h, w) when n > 0, else (h, w). */
static void write_npy(const char *path, const char *descr, size_t n, size_t h, size_t w,
                      const void *data, size_t bytes)
{
    char header[256];
    int len;
    size_t total;
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write", path);
    if (n > 0)
        len = snprintf(header, sizeof header,
                       "{'descr': '%s', 'fortran_order': False, 'shape': (%lu, %lu, %lu), }",
                       descr, (unsigned long)n, (unsigned long)h, (unsigned long)w);
    else
        len = snprintf(header, sizeof header,
                       "{'descr': '%s', 'fortran_order': False, 'shape': (%lu, %lu), }", descr,
                       (unsigned long)h, (unsigned long)w);
    total = 10 + (size_t)len + 1;
    while (total % 64) header[len++] = ' ', total++;
    header[len++] = '\n';
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(len & 0xff, f);
    fputc(len >> 8, f);
    fwrite(header, 1, (size_t)len, f);
    fwrite(data, 1, bytes, f);
    fclose(f);
}

static char *join(const char *a, const char *b)
{
    char *p = (char *)malloc(strlen(a) + strlen(b) + 2);
    sprintf(p, "%s/%s", a, b);
    return p;
}

/* Ids are 1..N for files (natural order differs from plain order past 9), 0..N-1 in stacks. */
static void id_of(const char *kind, size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "%lu", (unsigned long)(strcmp(kind, "stack") ? i + 1 : i));
}

static void make(const char *kind, const char *dir, size_t n, uint64_t seed)
{
    char *pd = join(dir, "pred"), *gd = join(dir, "gt"), *id = join(dir, "image");
    size_t i;
    mkdir(dir, 0777);
    mkdir(pd, 0777);
    mkdir(gd, 0777);
    mkdir(id, 0777);
    if (!strcmp(kind, "stack")) {
        img first;
        size_t bytes, pix;
        unsigned char *all = NULL, *allt = NULL;
        char *pp = join(pd, "volume.npy"), *gp = join(gd, "volume.npy");
        make_image(kind, 0, seed, &first);
        pix = first.w * first.h;
        bytes = pix * 4;
        all = (unsigned char *)malloc(n * bytes);
        allt = (unsigned char *)malloc(n * pix);
        for (i = 0; i < n; i++) {
            img im;
            make_image(kind, i, seed, &im);
            memcpy(all + i * bytes, im.px, bytes);
            memcpy(allt + i * pix, im.truth, pix);
            free_image(&im);
        }
        write_npy(pp, "<f4", n, first.h, first.w, all, n * bytes);
        write_npy(gp, "|b1", n, first.h, first.w, allt, n * pix);
        free_image(&first);
        free(all);
        free(allt);
        free(pp);
        free(gp);
    } else {
        for (i = 0; i < n; i++) {
            img im;
            char name[64], sid[32];
            char *pp, *gp, *ip;
            size_t p, pix;
            unsigned char *tmp;
            make_image(kind, i, seed, &im);
            pix = im.w * im.h;
            id_of(kind, i, sid, sizeof sid);
            tmp = (unsigned char *)malloc(pix * 3 * 2);
            snprintf(name, sizeof name, "%s.%s", sid, strncmp(kind, "png", 3) ? "npy" : "png");
            pp = join(pd, name);
            if (!strcmp(kind, "npyu8")) snprintf(name, sizeof name, "%s.png", sid); /* PNG masks */
            gp = join(gd, name);
            snprintf(name, sizeof name, "%s.png", sid);
            ip = join(id, name);
            if (!strcmp(kind, "png8")) {
                write_png(pp, im.px, im.w, im.h, 1, 8);
                for (p = 0; p < pix; p++) tmp[p] = im.truth[p] ? 255 : 0;
                if (i % 2) write_png(gp, tmp, im.w, im.h, 1, 8);
                else write_png(gp, im.truth, im.w, im.h, 1, 1); /* 1-bit masks too */
            } else if (!strcmp(kind, "png16")) {
                uint16_t *t16 = (uint16_t *)tmp;
                write_png(pp, im.px, im.w, im.h, 1, 16);
                for (p = 0; p < pix; p++) t16[p] = im.truth[p] ? (uint16_t)(1 + p % 65535) : 0;
                write_png(gp, t16, im.w, im.h, 1, 16);
            } else if (!strcmp(kind, "npyf32")) {
                write_npy(pp, "<f4", 0, im.h, im.w, im.px, pix * 4);
                write_npy(gp, "|b1", 0, im.h, im.w, im.truth, pix);
            } else if (!strcmp(kind, "npyf64")) {
                write_npy(pp, "<f8", 0, im.h, im.w, im.px, pix * 8);
                for (p = 0; p < pix; p++) tmp[p] = im.truth[p] ? (unsigned char)(1 + p % 200) : 0;
                write_npy(gp, "|u1", 0, im.h, im.w, tmp, pix);
            } else { /* npyu8 */
                write_npy(pp, "|u1", 0, im.h, im.w, im.px, pix);
                for (p = 0; p < pix; p++) tmp[p] = im.truth[p] ? 255 : 0;
                write_png(gp, tmp, im.w, im.h, 1, 8);
            }
            for (p = 0; p < pix; p++) { /* a colour picture for overlays */
                tmp[3 * p] = (unsigned char)(p * 7);
                tmp[3 * p + 1] = (unsigned char)(p * 13);
                tmp[3 * p + 2] = (unsigned char)(p * 29);
            }
            write_png(ip, tmp, im.w, im.h, 3, 8);
            free(tmp);
            free(pp);
            free(gp);
            free(ip);
            free_image(&im);
        }
    }
    free(pd);
    free(gd);
    free(id);
}

/* ------------------------------------------------------------- references */
typedef struct params {
    conseco_threshold_params th;
    conseco_erosion_params er;
    conseco_smooth_params sm; /* shrinker "smooth" (sigma 1) or "smooth-min" (SE, radius 1) */
} params;

static uint32_t element_of(const char *s)
{
    return !strcmp(s, "square") ? CONSECO_ELEMENT_SQUARE
           : !strcmp(s, "disk")    ? CONSECO_ELEMENT_DISK
           : !strcmp(s, "ball-mm") ? CONSECO_ELEMENT_BALL_MM
                                   : CONSECO_ELEMENT_CROSS;
}

static void set_params(params *p, const char *se, const char *border, const char *base)
{
    conseco_threshold_params_default(&p->th);
    conseco_erosion_params_default(&p->er);
    p->er.element = element_of(se);
    p->er.border = !strcmp(border, "background") ? CONSECO_BORDER_BACKGROUND
                                                 : CONSECO_BORDER_FOREGROUND;
    p->th.base = p->er.base = atof(base);
    conseco_smooth_params_default(&p->sm);
    p->sm.base = p->th.base;
    p->sm.element = p->er.element;
}

static conseco_shrinker shrinker_of(params *p, const char *name)
{
    if (!strcmp(name, "smooth-min")) p->sm.filter = CONSECO_SMOOTH_MIN;
    if (!strncmp(name, "smooth", 6)) return conseco_shrinker_smooth(&p->sm);
    return !strcmp(name, "erosion") ? conseco_shrinker_erosion(&p->er)
                                    : conseco_shrinker_threshold(&p->th);
}

static void check(int st, const char *what)
{
    if (st != CONSECO_OK) {
        fprintf(stderr, "cli_testdata: %s: %s\n", what, conseco_status_name(st));
        exit(1);
    }
}

static void print_num(double x)
{
    if (x > 1.7976931348623157e308) printf("\"inf\"");
    else printf("%.17g", x);
}

static double score_of(conseco_shrinker *sh, const img *im, double tau)
{
    conseco_image v = view(im);
    conseco_mask m = conseco_mask_2d(im->truth, im->w, im->h, im->w);
    size_t need = conseco_scratch_size(sh, im->w, im->h, 1);
    void *scratch = malloc(need ? need : 1);
    double s;
    check(conseco_score(sh, &v, &m, tau, scratch, need, &s), "conseco_score");
    free(scratch);
    return s;
}

static void ref_calibrate(char **a)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), i, k;
    uint64_t seed = strtoull(a[2], NULL, 10);
    double tau = atof(a[7]), alpha = atof(a[8]), lambda;
    double *scores = (double *)malloc(n * sizeof *scores), *copy = (double *)malloc(n * 8);
    params p;
    conseco_shrinker sh;
    set_params(&p, a[4], a[5], a[6]);
    sh = shrinker_of(&p, a[3]);
    printf("{\"scores\": [");
    for (i = 0; i < n; i++) {
        img im;
        char sid[32];
        make_image(kind, i, seed, &im);
        scores[i] = copy[i] = score_of(&sh, &im, tau);
        id_of(kind, i, sid, sizeof sid);
        printf("%s{\"id\": \"%s\", \"score\": ", i ? ", " : "", sid);
        print_num(scores[i]);
        printf("}");
        free_image(&im);
    }
    check(conseco_quantile(copy, n, alpha, &lambda, &k), "conseco_quantile");
    printf("], \"n\": %lu, \"k\": %lu, \"lambda\": ", (unsigned long)n, (unsigned long)k);
    print_num(lambda);
    printf("}\n");
    free(scores);
    free(copy);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Candidates: threshold, the union of every image's breakpoints (the
 * vtable's breakpoints callback); erosion, 0 .. the largest w + h + 1. */
static void ref_risk_afp(char **a)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), i, j, m = 0, cap = 0;
    uint64_t seed = strtoull(a[2], NULL, 10);
    double *cand = NULL;
    params p;
    conseco_shrinker sh;
    img *ims = (img *)calloc(n, sizeof *ims);
    set_params(&p, a[4], a[5], a[6]);
    sh = shrinker_of(&p, a[3]);
    for (i = 0; i < n; i++) make_image(kind, i, seed, &ims[i]);
    for (i = 0; i < n; i++) {
        conseco_image v = view(&ims[i]);
        const size_t room = ims[i].w * ims[i].h + 2;
        size_t got = 0;
        cand = (double *)realloc(cand, (cap + room) * sizeof *cand);
        cap += room;
        if (!strcmp(a[3], "erosion")) {
            for (j = 0; j <= ims[i].w + ims[i].h + 1; j++) cand[m + got++] = (double)j;
        } else {
            check(sh.vtable->breakpoints(sh.user, &v, cand + m, room, &got) == 0 ? CONSECO_OK
                                                                                  : CONSECO_E_CALLBACK,
                  "breakpoints");
        }
        m += got;
    }
    qsort(cand, m, sizeof *cand, cmp_double);
    printf("{\"candidates\": [");
    for (j = 0, i = 0; j < m; j++) {
        if (j && cand[j] == cand[j - 1]) continue;
        cand[i++] = cand[j];
    }
    m = i;
    for (j = 0; j < m; j++) {
        printf(j ? ", " : "");
        print_num(cand[j]);
    }
    printf("], \"afp\": [");
    for (i = 0; i < n; i++) {
        conseco_image v = view(&ims[i]);
        conseco_mask mk = conseco_mask_2d(ims[i].truth, ims[i].w, ims[i].h, ims[i].w);
        size_t need = conseco_scratch_size(&sh, ims[i].w, ims[i].h, 1);
        void *scratch = malloc(need ? need : 1);
        printf(i ? ", [" : "[");
        for (j = 0; j < m; j++) {
            conseco_image_metrics met;
            check(conseco_evaluate_image(&sh, &v, &mk, cand[j], 0.0, scratch, need, &met),
                  "conseco_evaluate_image");
            printf(j ? ", %.17g" : "%.17g", met.afp);
        }
        printf("]");
        free(scratch);
        free_image(&ims[i]);
    }
    printf("]}\n");
    free(ims);
    free(cand);
}

/* Outer sides (FNR): the candidates of the family and each image's FNR there
 * from conseco_side_evaluate. Dilation ("erosion" params): 0 .. the largest
 * w + h + 1; lowering ("threshold"): {bottom} U {s_p in [bottom, base]} U
 * {base}, read as the breakpoints of a threshold shrinker from bottom to base. */
static void ref_risk_fnr(char **a)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), i, j, m = 0, cap = 0;
    uint64_t seed = strtoull(a[2], NULL, 10);
    const double bottom = atof(a[5]);
    double *cand = NULL;
    params p;
    conseco_threshold_params span;
    conseco_shrinker sh, spansh;
    conseco_side_params sp;
    img *ims = (img *)calloc(n, sizeof *ims);
    set_params(&p, a[4], "foreground", a[6]);
    sh = shrinker_of(&p, a[3]);
    conseco_threshold_params_default(&span);
    span.base = bottom;
    span.top = p.th.base;
    spansh = conseco_shrinker_threshold(&span);
    conseco_side_params_default(&sp);
    sp.side = CONSECO_SIDE_OUTER;
    sp.bottom = strcmp(a[3], "threshold") ? 0.0 : bottom;
    for (i = 0; i < n; i++) make_image(kind, i, seed, &ims[i]);
    for (i = 0; i < n; i++) {
        conseco_image v = view(&ims[i]);
        const size_t room = ims[i].w * ims[i].h + 2;
        size_t got = 0;
        cand = (double *)realloc(cand, (cap + room) * sizeof *cand);
        cap += room;
        if (!strcmp(a[3], "erosion")) {
            for (j = 0; j <= ims[i].w + ims[i].h + 1; j++) cand[m + got++] = (double)j;
        } else {
            check(spansh.vtable->breakpoints(spansh.user, &v, cand + m, room, &got) == 0
                      ? CONSECO_OK
                      : CONSECO_E_CALLBACK,
                  "breakpoints");
        }
        m += got;
    }
    qsort(cand, m, sizeof *cand, cmp_double);
    printf("{\"candidates\": [");
    for (j = 0, i = 0; j < m; j++) {
        if (j && cand[j] == cand[j - 1]) continue;
        cand[i++] = cand[j];
    }
    m = i;
    for (j = 0; j < m; j++) {
        printf(j ? ", " : "");
        print_num(cand[j]);
    }
    printf("], \"fnr\": [");
    for (i = 0; i < n; i++) {
        conseco_image v = view(&ims[i]);
        conseco_mask mk = conseco_mask_2d(ims[i].truth, ims[i].w, ims[i].h, ims[i].w);
        size_t need = conseco_side_scratch_size(&sh, &sp, ims[i].w, ims[i].h, 1);
        void *scratch = malloc(need ? need : 1);
        printf(i ? ", [" : "[");
        for (j = 0; j < m; j++) {
            conseco_side_metrics met;
            check(conseco_side_evaluate(&sh, &sp, &v, &mk, cand[j], 0.0, scratch, need, &met),
                  "conseco_side_evaluate");
            printf(j ? ", %.17g" : "%.17g", met.fnr);
        }
        printf("]");
        free(scratch);
    }
    printf("]}\n");
    for (i = 0; i < n; i++) free_image(&ims[i]);
    free(ims);
    free(cand);
}

/* ref-sides KIND N SEED SHRINKER SE BASE SIDE TAU TAU_OUTER BOTTOM ALPHA: the side scores
 * from conseco_side_score, k from conseco_rank, lambda the k-th smallest (the k-th
 * largest for outer threshold lowering) of a full sort. */
static void ref_sides(char **a)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), i, k;
    uint64_t seed = strtoull(a[2], NULL, 10);
    const int lowering = !strcmp(a[6], "outer") && !strcmp(a[3], "threshold");
    double tau = atof(a[7]), alpha = atof(a[10]), lambda;
    double *scores = (double *)malloc(n * sizeof *scores);
    conseco_side_params sp;
    params p;
    conseco_shrinker sh;
    set_params(&p, a[4], "foreground", a[5]);
    sh = shrinker_of(&p, a[3]);
    conseco_side_params_default(&sp);
    sp.side = !strcmp(a[6], "outer") ? CONSECO_SIDE_OUTER : CONSECO_SIDE_BAND;
    sp.tau_outer = sp.side == CONSECO_SIDE_BAND ? atof(a[8]) : 0.0;
    sp.bottom = lowering ? atof(a[9]) : 0.0;
    printf("{\"scores\": [");
    for (i = 0; i < n; i++) {
        img im;
        char sid[32];
        conseco_image v;
        conseco_mask m;
        size_t need;
        void *scratch;
        make_image(kind, i, seed, &im);
        v = view(&im);
        m = conseco_mask_2d(im.truth, im.w, im.h, im.w);
        need = conseco_side_scratch_size(&sh, &sp, im.w, im.h, 1);
        scratch = malloc(need ? need : 1);
        check(conseco_side_score(&sh, &sp, &v, &m, tau, scratch, need, &scores[i]),
              "conseco_side_score");
        free(scratch);
        id_of(kind, i, sid, sizeof sid);
        printf("%s{\"id\": \"%s\", \"score\": ", i ? ", " : "", sid);
        if (scores[i] < -1.7976931348623157e308) printf("\"-inf\"");
        else print_num(scores[i]);
        printf("}");
        free_image(&im);
    }
    check(conseco_rank(n, alpha, &k), "conseco_rank");
    qsort(scores, n, sizeof *scores, cmp_double);
    if (k > n) lambda = lowering ? -INFINITY : INFINITY;
    else lambda = lowering ? scores[n - k] : scores[k - 1];
    printf("], \"n\": %lu, \"k\": %lu, \"lambda\": ", (unsigned long)n, (unsigned long)k);
    if (lambda < -1.7976931348623157e308) printf("\"-inf\"");
    else print_num(lambda);
    printf("}\n");
    free(scores);
}

static void stat_print(const char *name, const double *v, size_t s)
{
    double mean = 0.0, sq = 0.0;
    size_t i;
    for (i = 0; i < s; i++) mean += v[i];
    mean /= (double)s;
    for (i = 0; i < s; i++) sq += (v[i] - mean) * (v[i] - mean);
    printf("\"%s\": {\"mean\": %.17g, \"sd\": %.17g}", name, mean, sqrt(sq / (double)s));
}

/* The protocol the slow way: conseco_evaluate_image on every test image of every split. */
static void ref_evaluate(char **a)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), t_count = 0, i, s, t, m;
    uint64_t seed = strtoull(a[2], NULL, 10), split_seed = strtoull(a[6], NULL, 10);
    double taus[16], alpha = atof(a[4]), frac = atof(a[7]);
    size_t splits = (size_t)atol(a[5]), n_cal, n_test;
    char *list = a[3], *tok;
    img *ims = (img *)malloc(n * sizeof *ims);
    size_t *perm = (size_t *)malloc(n * sizeof *perm);
    params p;
    conseco_shrinker sh[2];
    double *series, *scores[2][16];
    conseco_image_metrics *items;
    set_params(&p, a[8], a[9], a[10]);
    sh[0] = conseco_shrinker_threshold(&p.th);
    sh[1] = conseco_shrinker_erosion(&p.er);
    for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) taus[t_count++] = atof(tok);
    n_cal = (size_t)((double)n * frac);
    n_test = n - n_cal;
    items = (conseco_image_metrics *)malloc(n * sizeof *items);
    series = (double *)malloc(t_count * 3 * 3 * splits * sizeof *series);
    for (i = 0; i < n; i++) make_image(kind, i, seed, &ims[i]);
    for (m = 0; m < 2; m++)
        for (t = 0; t < t_count; t++) {
            scores[m][t] = (double *)malloc(n * sizeof(double));
            for (i = 0; i < n; i++) scores[m][t][i] = score_of(&sh[m], &ims[i], taus[t]);
        }
    for (s = 0; s < splits; s++) {
        cli_split_permutation(split_seed, s, perm, n);
        for (t = 0; t < t_count; t++)
            for (m = 0; m < 3; m++) {
                conseco_set_metrics set;
                double lambda;
                size_t k, j;
                conseco_shrinker *use = &sh[m == 2 ? 1 : 0];
                if (m == 0) {
                    lambda = p.th.base; /* Baseline: I = Yhat */
                } else {
                    double *cal = (double *)malloc(n_cal * sizeof(double));
                    for (j = 0; j < n_cal; j++) cal[j] = scores[m - 1][t][perm[j]];
                    check(conseco_quantile(cal, n_cal, alpha, &lambda, &k), "quantile");
                    free(cal);
                }
                for (j = 0; j < n_test; j++) {
                    const img *im = &ims[perm[n_cal + j]];
                    conseco_image v = view(im);
                    conseco_mask mk = conseco_mask_2d(im->truth, im->w, im->h, im->w);
                    size_t need = conseco_scratch_size(use, im->w, im->h, 1);
                    void *scratch = malloc(need ? need : 1);
                    check(conseco_evaluate_image(use, &v, &mk, lambda, taus[t], scratch, need,
                                                 &items[j]),
                          "evaluate_image");
                    free(scratch);
                }
                check(conseco_set_metrics_compute(items, n_test, &set), "set_metrics");
                series[((t * 3 + m) * 3 + 0) * splits + s] = set.ev;
                series[((t * 3 + m) * 3 + 1) * splits + s] = set.cr;
                series[((t * 3 + m) * 3 + 2) * splits + s] = set.atp;
            }
    }
    printf("{\"n_cal\": %lu, \"n_test\": %lu, \"rows\": [", (unsigned long)n_cal,
           (unsigned long)n_test);
    for (t = 0; t < t_count; t++)
        for (m = 0; m < 3; m++) {
            size_t row = t * 3 + m;
            printf("%s{\"tau\": %.17g, \"method\": \"%s\", ", row ? ", " : "", taus[t],
                   m == 0 ? "baseline" : m == 1 ? "threshold" : "erosion");
            stat_print("ev", series + (row * 3 + 0) * splits, splits);
            printf(", ");
            stat_print("cr", series + (row * 3 + 1) * splits, splits);
            printf(", ");
            stat_print("atp", series + (row * 3 + 2) * splits, splits);
            printf("}");
        }
    printf("]}\n");
    for (m = 0; m < 2; m++)
        for (t = 0; t < t_count; t++) free(scores[m][t]);
    for (i = 0; i < n; i++) free_image(&ims[i]);
    free(ims);
    free(perm);
    free(items);
    free(series);
}

/* Reads an 8-bit gray PNG with libpng; returns malloc'ed pixels. */
static unsigned char *read_gray8(const char *path, size_t *w, size_t *h)
{
    png_image pi;
    unsigned char *buf;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path)) die("cannot read", path);
    if (pi.format != PNG_FORMAT_GRAY) die("not 8-bit gray:", path);
    buf = (unsigned char *)malloc(PNG_IMAGE_SIZE(pi));
    if (!png_image_finish_read(&pi, NULL, buf, 0, NULL)) die("cannot decode", path);
    *w = pi.width;
    *h = pi.height;
    return buf;
}

/* Reads a bool .npy mask of shape (h, w) as the tool writes it (version 1.0, '|b1', C order,
 * 64-byte aligned data); returns malloc'ed 0/255 pixels so callers compare like PNG masks. */
static unsigned char *read_npy_mask(const char *path, size_t *w, size_t *h)
{
    FILE *f = fopen(path, "rb");
    unsigned char pre[10], *px;
    char header[512], want[128];
    size_t hl, q;
    unsigned long hh = 0, ww = 0;
    if (f == NULL) die("cannot read", path);
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY\x01\x00", 8) != 0)
        die("not a version 1.0 .npy:", path);
    hl = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (hl >= sizeof header || fread(header, 1, hl, f) != hl) die("bad .npy header:", path);
    header[hl] = '\0';
    if ((10 + hl) % 64 != 0 || header[hl - 1] != '\n') die("unaligned .npy header:", path);
    if (sscanf(header, "{'descr': '|b1', 'fortran_order': False, 'shape': (%lu, %lu), }", &hh,
               &ww) != 2)
        die("not a 2-D bool .npy:", path);
    snprintf(want, sizeof want, "{'descr': '|b1', 'fortran_order': False, 'shape': (%lu, %lu), }",
             hh, ww);
    if (strncmp(header, want, strlen(want)) != 0) die("unexpected .npy header:", path);
    px = (unsigned char *)malloc(hh * ww + 1);
    if (fread(px, 1, hh * ww, f) != hh * ww || fgetc(f) != EOF) die("bad .npy size:", path);
    fclose(f);
    for (q = 0; q < hh * ww; q++) {
        if (px[q] > 1) die("bool .npy holds a value other than 0/1:", path);
        px[q] = px[q] ? 255 : 0;
    }
    *w = ww;
    *h = hh;
    return px;
}

/* Masks are written in the input's format: PNG kinds give <id>.png, the .npy kinds <id>.npy. */
static unsigned char *read_mask_like(const char *kind, const char *path, size_t *w, size_t *h)
{
    return strncmp(kind, "png", 3) == 0 ? read_gray8(path, w, h) : read_npy_mask(path, w, h);
}

static int check_apply(char **a, int argc)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), i;
    uint64_t seed = strtoull(a[2], NULL, 10);
    double lambda = strtod(a[7], NULL);
    const char *out = a[8], *unc = argc > 9 ? a[9] : NULL;
    params p;
    conseco_shrinker sh;
    int bad = 0;
    set_params(&p, a[4], a[5], a[6]);
    sh = shrinker_of(&p, a[3]);
    for (i = 0; i < n; i++) {
        img im;
        char name[64], sid[32];
        size_t w, h, q, need;
        unsigned char *got, *got_u = NULL;
        uint8_t *inner, *un;
        void *scratch;
        conseco_image v;
        conseco_mask_out mi, mu;
        char *path, *upath = NULL;
        make_image(kind, i, seed, &im);
        id_of(kind, i, sid, sizeof sid);
        snprintf(name, sizeof name, "%s.%s", sid, strncmp(kind, "png", 3) == 0 ? "png" : "npy");
        path = join(out, name);
        got = read_mask_like(kind, path, &w, &h);
        if (unc) {
            size_t w2, h2;
            upath = join(unc, name);
            got_u = read_mask_like(kind, upath, &w2, &h2);
            if (w2 != im.w || h2 != im.h) die("wrong size:", upath);
        }
        if (w != im.w || h != im.h) die("wrong size:", path);
        v = view(&im);
        inner = (uint8_t *)malloc(w * h);
        un = (uint8_t *)malloc(w * h);
        need = conseco_scratch_size(&sh, w, h, 1);
        scratch = malloc(need ? need : 1);
        mi = conseco_mask_out_2d(inner, w, h, w);
        mu = conseco_mask_out_2d(un, w, h, w);
        check(conseco_apply(&sh, &v, lambda, scratch, need, &mi, &mu), "conseco_apply");
        for (q = 0; q < w * h; q++) {
            if (got[q] != (inner[q] ? 255 : 0)) bad = 1;
            if (got_u && got_u[q] != (un[q] ? 255 : 0)) bad = 1;
        }
        if (bad) {
            fprintf(stderr, "cli_testdata: %s differs from conseco_apply\n", path);
            return 1;
        }
        free(scratch);
        free(inner);
        free(un);
        free(got);
        free(got_u);
        free(path);
        free(upath);
        free_image(&im);
    }
    return 0;
}

/* check-side-apply KIND N SEED SHRINKER SE BORDER BASE SIDE LAMBDA OUTER_DIR BAND_DIR:
 * the outer sets and bands the tool wrote equal conseco_side_apply's. */
static int check_side_apply(char **a)
{
    const char *kind = a[0];
    size_t n = (size_t)atol(a[1]), i;
    uint64_t seed = strtoull(a[2], NULL, 10);
    double lambda = strtod(a[8], NULL);
    params p;
    conseco_shrinker sh;
    conseco_side_params sp;
    set_params(&p, a[4], a[5], a[6]);
    sh = shrinker_of(&p, a[3]);
    conseco_side_params_default(&sp);
    sp.side = !strcmp(a[7], "outer") ? CONSECO_SIDE_OUTER : CONSECO_SIDE_BAND;
    for (i = 0; i < n; i++) {
        img im;
        char name[64], sid[32];
        size_t w, h, w2, h2, q, need;
        unsigned char *got_o, *got_b;
        uint8_t *outer, *band;
        void *scratch;
        conseco_image v;
        conseco_mask_out mo, mb;
        char *opath, *bpath;
        make_image(kind, i, seed, &im);
        id_of(kind, i, sid, sizeof sid);
        snprintf(name, sizeof name, "%s.%s", sid, strncmp(kind, "png", 3) == 0 ? "png" : "npy");
        opath = join(a[9], name);
        bpath = join(a[10], name);
        got_o = read_mask_like(kind, opath, &w, &h);
        got_b = read_mask_like(kind, bpath, &w2, &h2);
        if (w != im.w || h != im.h || w2 != w || h2 != h) die("wrong size:", opath);
        v = view(&im);
        outer = (uint8_t *)malloc(w * h);
        band = (uint8_t *)malloc(w * h);
        need = conseco_side_scratch_size(&sh, &sp, w, h, 1);
        scratch = malloc(need ? need : 1);
        mo = conseco_mask_out_2d(outer, w, h, w);
        mb = conseco_mask_out_2d(band, w, h, w);
        check(conseco_side_apply(&sh, &sp, &v, lambda, scratch, need, NULL, &mo, &mb),
              "conseco_side_apply");
        for (q = 0; q < w * h; q++)
            if (got_o[q] != (outer[q] ? 255 : 0) || got_b[q] != (band[q] ? 255 : 0)) {
                fprintf(stderr, "cli_testdata: %s differs from conseco_side_apply\n", opath);
                return 1;
            }
        free(scratch);
        free(outer);
        free(band);
        free(got_o);
        free(got_b);
        free(opath);
        free(bpath);
        free_image(&im);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 6 && !strcmp(argv[1], "make")) {
        make(argv[2], argv[3], (size_t)atol(argv[4]), strtoull(argv[5], NULL, 10));
        return 0;
    }
    if (argc == 5 && (!strcmp(argv[1], "gray8") || !strcmp(argv[1], "gray16") ||
                      !strcmp(argv[1], "rgb") || !strcmp(argv[1], "gray1"))) {
        size_t w = (size_t)atol(argv[3]), h = (size_t)atol(argv[4]), q;
        uint16_t *px = (uint16_t *)malloc(w * h * 3 * 2);
        for (q = 0; q < w * h * 3; q++) px[q] = (uint16_t)(q * 37u);
        if (!strcmp(argv[1], "gray16")) write_png(argv[2], px, w, h, 1, 16);
        else if (!strcmp(argv[1], "rgb")) write_png(argv[2], px, w, h, 3, 8);
        else if (!strcmp(argv[1], "gray1")) write_png(argv[2], px, w, h, 1, 1);
        else write_png(argv[2], px, w, h, 1, 8);
        free(px);
        return 0;
    }
    if (argc == 11 && !strcmp(argv[1], "ref-calibrate")) {
        ref_calibrate(argv + 2);
        return 0;
    }
    if (argc == 13 && !strcmp(argv[1], "ref-sides")) {
        ref_sides(argv + 2);
        return 0;
    }
    if (argc == 13 && !strcmp(argv[1], "ref-evaluate")) {
        ref_evaluate(argv + 2);
        return 0;
    }
    if (argc == 9 && !strcmp(argv[1], "ref-risk-afp")) {
        ref_risk_afp(argv + 2);
        return 0;
    }
    if (argc == 9 && !strcmp(argv[1], "ref-risk-fnr")) {
        ref_risk_fnr(argv + 2);
        return 0;
    }
    if (argc == 13 && !strcmp(argv[1], "check-side-apply")) return check_side_apply(argv + 2);
    if ((argc == 11 || argc == 12) && !strcmp(argv[1], "check-apply"))
        return check_apply(argv + 2, argc - 2);
    fprintf(stderr, "usage: see the comment at the top of cli_testdata.c\n");
    return 2;
}
