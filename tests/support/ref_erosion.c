/* SPDX-License-Identifier: Apache-2.0 */
/* Literal erosion, one step (cross, square) or one radius (disk) at a time. */
#include "ref_erosion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conseco.h"

/* Is the neighbour of (x,y,z) at offset (dx,dy,dz) inside the (current) mask?
 * Outside the image it is inside for the foreground policy, outside for the
 * background policy. */
static int neighbour_in(const uint8_t *m, size_t w, size_t h, size_t d, int border, size_t x,
                        size_t y, size_t z, long dx, long dy, long dz)
{
    const long qx = (long)x + dx, qy = (long)y + dy, qz = (long)z + dz;
    if (qx < 0 || qy < 0 || qz < 0 || qx >= (long)w || qy >= (long)h || qz >= (long)d)
        return border == CONSECO_BORDER_FOREGROUND;
    return m[(size_t)qx + w * ((size_t)qy + h * (size_t)qz)] != 0;
}

/* One erosion by the unit cross (4/6 neighbours) or square (8/26). */
static void erode_once(const uint8_t *src, uint8_t *dst, size_t w, size_t h, size_t d,
                       int element, int border)
{
    const long zr = d > 1 ? 1 : 0;
    size_t x, y, z;
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                const size_t i = x + w * (y + h * z);
                int keep = src[i] != 0;
                long dx, dy, dz;
                for (dz = -zr; dz <= zr && keep; dz++)
                    for (dy = -1; dy <= 1 && keep; dy++)
                        for (dx = -1; dx <= 1 && keep; dx++) {
                            const long nz = (dx != 0) + (dy != 0) + (dz != 0);
                            if (nz == 0) continue;
                            if (element == CONSECO_ELEMENT_CROSS && nz != 1) continue;
                            if (!neighbour_in(src, w, h, d, border, x, y, z, dx, dy, dz))
                                keep = 0;
                        }
                dst[i] = (uint8_t)keep;
            }
}

/* Largest k >= 0 with k * k <= v (v >= 0). */
static long isqrt_long(long v)
{
    long k = (long)sqrt((double)v);
    while (k > 0 && k * k > v) k--;
    while ((k + 1) * (k + 1) <= v) k++;
    return k;
}

/* I_r of the disk from I_{r-1}: a pixel of I_{r-1} already has no
 * background within radius r-1, so only the ring (r-1)^2 < |o|^2 <= r^2 of
 * the disk (ball) of radius r remains to be looked at. */
static void erode_disk_ring(const uint8_t *prev, const uint8_t *yhat, uint8_t *dst, size_t w,
                            size_t h, size_t d, int border, long r)
{
    const long zr = d > 1 ? r : 0;
    const long inner2 = (r - 1) * (r - 1), outer2 = r * r;
    size_t x, y, z;
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                const size_t i = x + w * (y + h * z);
                int keep = prev[i] != 0;
                long dx, dy, dz;
                for (dz = -zr; dz <= zr && keep; dz++)
                    for (dy = -r; dy <= r && keep; dy++) {
                        const long rest = dz * dz + dy * dy;
                        long lo, hi;
                        if (rest > outer2) continue;
                        hi = isqrt_long(outer2 - rest);             /* dx^2 <= r^2 - rest */
                        lo = inner2 - rest < 0 ? 0 : isqrt_long(inner2 - rest) + 1; /* > */
                        for (dx = lo; dx <= hi && keep; dx++) {
                            /* erosion of Yhat (not of I_{r-1}) by the disk */
                            if (!neighbour_in(yhat, w, h, d, border, x, y, z, dx, dy, dz) ||
                                !neighbour_in(yhat, w, h, d, border, x, y, z, -dx, dy, dz))
                                keep = 0;
                        }
                    }
                dst[i] = (uint8_t)keep;
            }
}

/* One step of the family: cross/square erode the current set once, the disk
 * goes from radius r-1 to radius r. */
static void next_step(const uint8_t *yhat, const uint8_t *cur, uint8_t *next, size_t w,
                      size_t h, size_t d, int element, int border, long r)
{
    if (element == CONSECO_ELEMENT_DISK) erode_disk_ring(cur, yhat, next, w, h, d, border, r);
    else erode_once(cur, next, w, h, d, element, border);
}

void ref_erosion_inner(const uint8_t *yhat, size_t w, size_t h, size_t d, int element,
                       int border, unsigned long lambda, uint8_t *out)
{
    const size_t n = w * h * d;
    uint8_t *tmp = malloc(n);
    unsigned long step;
    size_t i;
    for (i = 0; i < n; i++) out[i] = yhat[i] != 0;
    for (step = 1; step <= lambda; step++) {
        int any = 0, changed = 0;
        next_step(yhat, out, tmp, w, h, d, element, border, (long)step);
        for (i = 0; i < n; i++) changed |= tmp[i] != out[i];
        memcpy(out, tmp, n);
        for (i = 0; i < n && !any; i++) any = out[i] != 0;
        if (!any) break; /* empty stays empty */
        /* one more unit erosion that changes nothing never will */
        if (!changed && element != CONSECO_ELEMENT_DISK) break;
    }
    free(tmp);
}

double ref_erosion_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                         size_t d, int element, int border, double tau)
{
    const size_t n = w * h * d;
    uint8_t *cur = malloc(n), *next = malloc(n);
    size_t predicted = 0, i;
    double result = 0.0;
    long step;
    for (i = 0; i < n; i++) {
        cur[i] = yhat[i] != 0;
        predicted += cur[i];
    }
    if (predicted == 0) goto done; /* empty prediction: 0 */
    for (step = 0;; step++) {
        size_t kept = 0, fp = 0;
        int changed = 0;
        for (i = 0; i < n; i++) {
            kept += cur[i];
            fp += cur[i] && !truth[i];
        }
        if ((double)fp / (double)predicted <= tau || kept == 0) {
            result = (double)step;
            break;
        }
        next_step(yhat, cur, next, w, h, d, element, border, step + 1);
        for (i = 0; i < n; i++) changed |= next[i] != cur[i];
        if (!changed) {
            result = INFINITY; /* the mask can never become empty */
            break;
        }
        memcpy(cur, next, n);
    }
done:
    free(cur);
    free(next);
    return result;
}
