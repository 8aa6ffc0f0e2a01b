/* SPDX-License-Identifier: Apache-2.0 */
/* Printing evaluation results: the Table 1 text layout and the JSON contract. */
#ifndef CONSECO_CLI_EVALUATE_REPORT_H
#define CONSECO_CLI_EVALUATE_REPORT_H

#include "evaluate_core.h"

#include <stdio.h>

void cli_eval_print_json(FILE *f, const cli_eval_result *r, const cli_eval_config *cfg);
void cli_eval_print_table(FILE *f, const cli_eval_result *r, const cli_eval_config *cfg);

#endif
