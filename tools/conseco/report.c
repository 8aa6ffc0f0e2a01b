/* SPDX-License-Identifier: Apache-2.0 */
/* One-line error messages on stderr, and the mapping of library statuses to exit codes. */
#include "cli.h"

#include <conseco.h>
#include <stdarg.h>
#include <stdio.h>

int cli_fail_report(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("conseco: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_fail_status_report(int status, const char *what)
{
    int code;
    switch (status) {
    /* The data itself is at fault: the user can fix the file. */
    case CONSECO_E_NONFINITE:
    case CONSECO_E_SIZE_MISMATCH:
    case CONSECO_E_BAD_SIZE:
    case CONSECO_E_TOO_LARGE:
    case CONSECO_E_FOREIGN:
    case CONSECO_E_VERSION:
    case CONSECO_E_TRUNCATED:
    case CONSECO_E_CORRUPT:
    case CONSECO_E_INCOMPATIBLE:
    case CONSECO_E_BAD_SCORE:
    case CONSECO_E_BAD_SPACING:
        code = CLI_EXIT_DATA;
        break;
    case CONSECO_E_NO_MEMORY:
        code = CLI_EXIT_INTERNAL;
        break;
    default:
        code = CLI_EXIT_LIBRARY;
        break;
    }
    return cli_fail_report(code, "%s: %s (%s)", what, conseco_strerror(status),
                           conseco_status_name(status));
}
