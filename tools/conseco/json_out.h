/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON output. Numbers round-trip doubles exactly in the shortest form among
 * %.15g, %.16g and %.17g; +inf is written as the string "inf" (JSON has no
 * infinity), -inf as "-inf" and NaN as "nan".
 */
#ifndef CONSECO_CLI_JSON_OUT_H
#define CONSECO_CLI_JSON_OUT_H

#include <stdio.h>

/* Writes the shortest of %.15g/%.16g/%.17g that reads back as x into buf (>= 32 bytes). */
void cli_format_double(double x, char *buf, size_t size);

void cli_json_number(FILE *f, double x);
void cli_json_string(FILE *f, const char *s);

#endif /* CONSECO_CLI_JSON_OUT_H */
