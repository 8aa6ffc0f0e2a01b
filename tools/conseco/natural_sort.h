/* SPDX-License-Identifier: Apache-2.0 */
/* Natural order of ids: digit runs compare as numbers, so "2" < "10" and "img2" < "img10". */
#ifndef CONSECO_CLI_NATURAL_SORT_H
#define CONSECO_CLI_NATURAL_SORT_H

/* <0, 0, >0 like strcmp; equal only for identical strings ("07" and "7" differ). */
int cli_natural_compare(const char *a, const char *b);

#endif
