/* SPDX-License-Identifier: Apache-2.0 */
/* Reads the infnet-ct folder: see real_maps.h. */
#define _POSIX_C_SOURCE 200809L
#include "real_maps.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#ifdef CONSECO_BENCH_HAVE_PNG
#include <png.h>

int real_maps_supported(void) { return 1; }

/* An 8-bit grey image, or NULL. */
static uint8_t *read_gray(const char *path, size_t *w, size_t *h)
{
    png_image im;
    uint8_t *buf;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) return NULL;
    im.format = PNG_FORMAT_GRAY;
    buf = bench_alloc(PNG_IMAGE_SIZE(im));
    if (!png_image_finish_read(&im, NULL, buf, 0, NULL)) {
        free(buf);
        png_image_free(&im);
        return NULL;
    }
    *w = im.width;
    *h = im.height;
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t real_maps_load(const char *dir, bench_pair **pairs)
{
    char path[4096];
    char *names[1024];
    size_t n = 0, got = 0, i;
    DIR *d;
    struct dirent *e;
    *pairs = NULL;
    snprintf(path, sizeof path, "%s/pred", dir);
    d = opendir(path);
    if (d == NULL) return 0;
    while ((e = readdir(d)) != NULL && n < 1024) {
        const size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".png") == 0) {
            names[n] = bench_alloc(len + 1);
            memcpy(names[n], e->d_name, len + 1);
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    *pairs = bench_alloc(n * sizeof **pairs);
    for (i = 0; i < n; i++) {
        size_t pw = 0, ph = 0, tw = 0, th = 0, k;
        uint8_t *pred, *truth;
        snprintf(path, sizeof path, "%s/pred/%s", dir, names[i]);
        pred = read_gray(path, &pw, &ph);
        snprintf(path, sizeof path, "%s/gt/%s", dir, names[i]);
        truth = read_gray(path, &tw, &th);
        free(names[i]);
        if (pred == NULL || truth == NULL || pw != tw || ph != th) {
            fprintf(stderr, "conseco_bench: skipping unreadable pair %s\n", path);
            free(pred);
            free(truth);
            continue;
        }
        for (k = 0; k < pw * ph; k++) truth[k] = truth[k] != 0;
        (*pairs)[got].pred = conseco_image_2d(pred, pw, ph, pw, CONSECO_DTYPE_U8);
        (*pairs)[got].truth = conseco_mask_2d(truth, pw, ph, pw);
        got++;
    }
    return got;
}

#else

int real_maps_supported(void) { return 0; }

size_t real_maps_load(const char *dir, bench_pair **pairs)
{
    (void)dir;
    *pairs = NULL;
    return 0;
}

#endif
