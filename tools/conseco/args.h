/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line flags: "--name value", "--name=value" and boolean "--name".
 * Each command declares a table; unknown flags, missing values and stray
 * arguments are usage errors.
 */
#ifndef CONSECO_CLI_ARGS_H
#define CONSECO_CLI_ARGS_H

#include <stddef.h>

typedef struct cli_flag {
    const char *name;    /* without the leading "--" */
    int takes_value;     /* 1: needs a value; 0: boolean switch */
    const char **value;  /* receives the value (an option given twice is an error) */
    int *present;        /* set to 1 when given (may be NULL for valued flags) */
} cli_flag;

/* Parses argv[first..argc); at most 64 flags. A repeated option is a usage error naming it.
 * @return CLI_EXIT_OK or CLI_EXIT_USAGE (message printed). */
int cli_args_parse(const char *command, int argc, char **argv, int first, cli_flag *flags,
                   size_t count);

/* Value parsers; usage error naming the flag on bad input. */
int cli_parse_double(const char *flag, const char *text, double *out);
int cli_parse_uint(const char *flag, const char *text, unsigned long long max,
                   unsigned long long *out);
/* Comma-separated doubles: "0.1,0.01". At most `max` values. */
int cli_parse_double_list(const char *flag, const char *text, double *out, size_t max,
                          size_t *count);
/* Index of `text` in names[0..n), usage error listing the choices otherwise. */
int cli_parse_choice(const char *flag, const char *text, const char *const *names, size_t n,
                     size_t *index);

#endif /* CONSECO_CLI_ARGS_H */
