/* SPDX-License-Identifier: Apache-2.0 */
/* Flag tables and strict value parsing (no silent defaults on typos). */
#include "args.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_args_parse(const char *command, int argc, char **argv, int first, cli_flag *flags,
                   size_t count)
{
    unsigned char seen[64];
    int i;
    if (count > sizeof seen)
        return cli_fail(CLI_EXIT_INTERNAL, "%s: too many options in the table", command);
    memset(seen, 0, sizeof seen);
    for (i = first; i < argc; i++) {
        const char *arg = argv[i], *eq, *value = NULL;
        size_t name_len, j;
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            return cli_fail(CLI_EXIT_USAGE, "%s: unexpected argument '%s' (see --help)",
                            command, arg);
        arg += 2;
        eq = strchr(arg, '=');
        name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        for (j = 0; j < count; j++)
            if (strlen(flags[j].name) == name_len && strncmp(flags[j].name, arg, name_len) == 0)
                break;
        if (j == count)
            return cli_fail(CLI_EXIT_USAGE, "%s: unknown option '--%.*s' (see --help)", command,
                            (int)name_len, arg);
        if (seen[j])
            return cli_fail(CLI_EXIT_USAGE, "%s: option '--%s' given twice", command,
                            flags[j].name);
        seen[j] = 1;
        if (flags[j].takes_value) {
            if (eq) value = eq + 1;
            else if (i + 1 < argc) value = argv[++i];
            else
                return cli_fail(CLI_EXIT_USAGE, "%s: option '--%s' needs a value", command,
                                flags[j].name);
            *flags[j].value = value;
        } else if (eq) {
            return cli_fail(CLI_EXIT_USAGE, "%s: option '--%s' takes no value", command,
                            flags[j].name);
        }
        if (flags[j].present) *flags[j].present = 1;
    }
    return CLI_EXIT_OK;
}

int cli_parse_double(const char *flag, const char *text, double *out)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || v != v)
        return cli_fail(CLI_EXIT_USAGE, "--%s: '%s' is not a number", flag, text);
    *out = v;
    return CLI_EXIT_OK;
}

int cli_parse_uint(const char *flag, const char *text, unsigned long long max,
                   unsigned long long *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return cli_fail(CLI_EXIT_USAGE, "--%s: '%s' is not a non-negative integer", flag, text);
    v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > max)
        return cli_fail(CLI_EXIT_USAGE, "--%s: '%s' is not an integer in 0..%llu", flag, text,
                        max);
    *out = v;
    return CLI_EXIT_OK;
}

int cli_parse_double_list(const char *flag, const char *text, double *out, size_t max,
                          size_t *count)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        char part[64];
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int rc;
        if (n == max) return cli_fail(CLI_EXIT_USAGE, "--%s: at most %lu values", flag,
                                      (unsigned long)max);
        if (len == 0 || len >= sizeof part)
            return cli_fail(CLI_EXIT_USAGE, "--%s: bad list '%s'", flag, text);
        memcpy(part, p, len);
        part[len] = '\0';
        if ((rc = cli_parse_double(flag, part, &out[n])) != CLI_EXIT_OK) return rc;
        n++;
        if (!comma) break;
        p = comma + 1;
    }
    *count = n;
    return CLI_EXIT_OK;
}

int cli_parse_choice(const char *flag, const char *text, const char *const *names, size_t n,
                     size_t *index)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(text, names[i]) == 0) {
            *index = i;
            return CLI_EXIT_OK;
        }
    fprintf(stderr, "conseco: --%s: '%s' is not one of:", flag, text);
    for (i = 0; i < n; i++) fprintf(stderr, " %s", names[i]);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}
