/* SPDX-License-Identifier: Apache-2.0 */
/* A throttled, self-erasing progress line for long runs on a terminal. */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_begin(cli_progress *p, const char *label, size_t total, int quiet)
{
    p->label = label;
    p->total = total;
    p->enabled = !quiet && isatty(fileno(stderr));
    p->shown = 0;
    p->start = p->enabled ? now_seconds() : 0.0;
    p->last = p->start;
}

void cli_progress_step(cli_progress *p, size_t done)
{
    double t;
    if (!p->enabled) return;
    t = now_seconds();
    if (t - p->start < 1.0 || t - p->last < 0.1) return; /* short runs stay silent */
    p->last = t;
    p->shown = 1;
    fprintf(stderr, "\r%s %lu/%lu", p->label, (unsigned long)done, (unsigned long)p->total);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->shown) fputs("\r\033[K", stderr);
    p->shown = 0;
}
