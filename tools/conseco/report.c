/* SPDX-License-Identifier: Apache-2.0 */
/* One-line error messages on stderr, and the mapping of library statuses to exit codes. */
#include "cli.h"

#include <conseco.h>
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char *capture_buf;
static _Thread_local size_t capture_size;

void cli_fail_capture(char *buf, size_t size)
{
    capture_buf = size > 0 ? buf : NULL;
    capture_size = size;
    if (capture_buf != NULL) capture_buf[0] = '\0';
}

int cli_fail_report(int code, const char *fmt, ...)
{
    va_list ap;
    if (capture_buf != NULL) {
        va_start(ap, fmt);
        vsnprintf(capture_buf, capture_size, fmt, ap);
        va_end(ap);
        return code;
    }
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
