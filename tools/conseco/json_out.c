/* SPDX-License-Identifier: Apache-2.0 */
/* Exact, shortest-round-trip numbers and escaped strings for the JSON output contract. */
#include "json_out.h"

#include <stdlib.h>
#include <string.h>

void cli_format_double(double x, char *buf, size_t size)
{
    static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
    size_t i;
    if (x != x) {
        snprintf(buf, size, "nan");
        return;
    }
    if (x > 1.7976931348623157e308 || x < -1.7976931348623157e308) {
        snprintf(buf, size, x > 0 ? "inf" : "-inf");
        return;
    }
    for (i = 0; i < 3; i++) {
        snprintf(buf, size, formats[i], x);
        if (strtod(buf, NULL) == x) return;
    }
}

void cli_json_number(FILE *f, double x)
{
    char buf[40];
    cli_format_double(x, buf, sizeof buf);
    if (x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308)
        fprintf(f, "\"%s\"", buf);
    else
        fputs(buf, f);
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}
