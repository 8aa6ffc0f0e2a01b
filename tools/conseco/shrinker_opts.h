/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in shrinkers as the command line names them: --shrinker, --se, --border, --base. */
#ifndef CONSECO_CLI_SHRINKER_OPTS_H
#define CONSECO_CLI_SHRINKER_OPTS_H

#define CONSECO_STATIC_LINKING_ONLY /* conseco_side */
#include <conseco.h>

typedef struct cli_shrinker_opts {
    int kind; /* CONSECO_KIND_THRESHOLD, CONSECO_KIND_EROSION or CONSECO_KIND_SMOOTH */
    conseco_threshold_params threshold;
    conseco_erosion_params erosion;
    conseco_smooth_params smooth;
} cli_shrinker_opts;

/* Defaults for both shrinkers (base 0.5, cross, foreground), kind = threshold. */
void cli_shrinker_defaults(cli_shrinker_opts *o);

/* Applies --se/--border/--base/--top (each may be NULL) to both parameter sets: any finite
 * base <= top (top is the threshold's upper end; logits: --base 0 --top <largest logit>). */
int cli_shrinker_tune(cli_shrinker_opts *o, const char *se, const char *border,
                      const char *base, const char *top);

/* --shrinker NAME plus the tuning flags; --se/--border are refused with threshold, --top with
 * erosion. */
int cli_shrinker_parse(const char *name, const char *se, const char *border, const char *base,
                       const char *top, cli_shrinker_opts *o);

/* The smooth shrinker's flags (each may be NULL): --sigma S (pixels; "S" or "Smm" for
 * millimetres with the image's spacing), --filter gauss|min, --radius R (min filter; --se
 * picks its element). With only_smooth set, any of them is refused unless o->kind is smooth. */
int cli_smooth_tune(cli_shrinker_opts *o, int only_smooth, const char *sigma, const char *filter,
                    const char *radius);

/* "sigma 1 px", "min filter, disk radius 2", ... for summaries. */
const char *cli_smooth_describe(const conseco_smooth_params *p, char *buf, size_t size);

/* The family's smallest lambda (I = Yhat): the threshold's base, erosion 0. */
double cli_shrinker_lambda_min(const cli_shrinker_opts *o, int kind);

/* --lambda L: usage error below the family's lambda_min. */
int cli_check_lambda(const cli_shrinker_opts *o, int kind, double lambda);

/* A shrinker view of o (o must outlive it). kind selects which. */
conseco_shrinker cli_shrinker_of(cli_shrinker_opts *o, int kind);

/* --side inner|outer|band (NULL: inner) into a conseco_side. */
int cli_side_parse(const char *text, uint32_t *side);

/* The --shrinker name for a side: outer takes dilation (the erosion params,
 * rewritten to "erosion" here; --border refused) or threshold; inner and band
 * take threshold or erosion. */
int cli_side_shrinker(uint32_t side, const char **name, const char *border);

const char *cli_kind_name(int kind);
const char *cli_element_name(uint32_t element);
const char *cli_border_name(uint32_t border);

#endif /* CONSECO_CLI_SHRINKER_OPTS_H */
