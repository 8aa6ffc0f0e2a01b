/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Progress on stderr: shown only after the run has taken a second, only when
 * stderr is a terminal, and never with --quiet. Output (stdout) is untouched.
 */
#ifndef CONSECO_CLI_PROGRESS_H
#define CONSECO_CLI_PROGRESS_H

#include <stddef.h>

typedef struct cli_progress {
    const char *label;
    size_t total;
    int enabled;   /* TTY and not quiet */
    int shown;     /* something was printed (must be cleared at the end) */
    double start;  /* seconds */
    double last;   /* last print */
} cli_progress;

void cli_progress_begin(cli_progress *p, const char *label, size_t total, int quiet);
void cli_progress_step(cli_progress *p, size_t done);
void cli_progress_end(cli_progress *p);

#endif /* CONSECO_CLI_PROGRESS_H */
