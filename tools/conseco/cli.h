/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared declarations of the `conseco` command-line tool: exit codes and the
 * one-line error reporter. All file I/O of the project lives in tools/, never
 * in lib/.
 */
#ifndef CONSECO_CLI_H
#define CONSECO_CLI_H

#include <stddef.h>

/* Exit codes (documented in the README; other programs rely on them). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_INTERNAL = 1, /* out of memory or a bug */
    CLI_EXIT_USAGE = 2,    /* bad command line */
    CLI_EXIT_IO = 3,       /* a file or directory cannot be read or written */
    CLI_EXIT_DATA = 4,     /* bad input data: malformed, colour, size mismatch, missing mask */
    CLI_EXIT_LIBRARY = 5   /* libconseco returned an unexpected error */
};

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* The reporters below return an exit code that is never CLI_EXIT_OK. Callers
 * chain steps with `if (rc == CLI_EXIT_OK) ...`; cli_failed() states the
 * guarantee inline, where a static analyser that sees one file at a time can
 * use it (otherwise it assumes a failure may read as success). */
static inline int cli_failed(int code) { return code != CLI_EXIT_OK ? code : CLI_EXIT_INTERNAL; }

/* Prints "conseco: <message>" as one line on stderr and returns `code`. */
int cli_fail_report(int code, const char *fmt, ...) CLI_PRINTF(2, 3);
#define cli_fail(...) cli_failed(cli_fail_report(__VA_ARGS__))

/* Worker threads: while a buffer is set for the calling thread, cli_fail_report writes the
 * message there (the latest one, truncated to fit) instead of stderr, so that the caller can
 * print only the error the sequential run would have printed. NULL restores stderr. */
void cli_fail_capture(char *buf, size_t size);

/* Reports a libconseco status about `what` (a file or a step); returns CLI_EXIT_DATA for
 * statuses caused by the input data, CLI_EXIT_INTERNAL for CONSECO_E_NO_MEMORY,
 * CLI_EXIT_LIBRARY otherwise. */
int cli_fail_status_report(int status, const char *what);
#define cli_fail_status(status, what) cli_failed(cli_fail_status_report((status), (what)))

/* Out-of-memory report; returns CLI_EXIT_INTERNAL. */
#define cli_fail_nomem() cli_fail(CLI_EXIT_INTERNAL, "out of memory")

#endif /* CONSECO_CLI_H */
