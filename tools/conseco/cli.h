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

/* Prints "conseco: <message>" as one line on stderr and returns `code`. */
int cli_fail(int code, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Reports a libconseco status about `what` (a file or a step); returns CLI_EXIT_DATA for
 * statuses caused by the input data, CLI_EXIT_LIBRARY otherwise. */
int cli_fail_status(int status, const char *what);

/* Out-of-memory report; returns CLI_EXIT_INTERNAL. */
int cli_fail_nomem(void);

#endif /* CONSECO_CLI_H */
