/* SPDX-License-Identifier: Apache-2.0 */
/* Mapping between flag spellings and the library's shrinker parameters. */
#include "shrinker_opts.h"

#include "args.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {"threshold", "erosion", "smooth"};
static const char *const filter_names[] = {"gauss", "min"};
static const char *const element_names[] = {"cross", "square", "disk", "ball-mm"};
static const char *const border_names[] = {"foreground", "background"};

void cli_shrinker_defaults(cli_shrinker_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = CONSECO_KIND_THRESHOLD;
    conseco_threshold_params_default(&o->threshold);
    conseco_erosion_params_default(&o->erosion);
    conseco_smooth_params_default(&o->smooth);
}

static int parse_finite(const char *flag, const char *text, double *v)
{
    int rc = cli_parse_double(flag, text, v);
    if (rc != CLI_EXIT_OK) return rc;
    if (!(*v >= -1.7976931348623157e308 && *v <= 1.7976931348623157e308))
        return cli_fail(CLI_EXIT_USAGE, "--%s: must be finite", flag);
    return CLI_EXIT_OK;
}

int cli_shrinker_tune(cli_shrinker_opts *o, const char *se, const char *border,
                      const char *base, const char *top)
{
    double b = o->threshold.base, t = o->threshold.top;
    size_t i;
    int rc;
    if (se != NULL) {
        if ((rc = cli_parse_choice("se", se, element_names, 4, &i)) != CLI_EXIT_OK) return rc;
        o->erosion.element = (uint32_t)(CONSECO_ELEMENT_CROSS + (int)i);
        /* the min filter's element; ball-mm is erosion's only (cli_smooth_tune refuses it
         * with --filter min), so `--se ball-mm --methods erosion,smooth` keeps the default */
        if (o->erosion.element != CONSECO_ELEMENT_BALL_MM) o->smooth.element = o->erosion.element;
    }
    if (border != NULL) {
        if ((rc = cli_parse_choice("border", border, border_names, 2, &i)) != CLI_EXIT_OK)
            return rc;
        o->erosion.border = (uint32_t)(CONSECO_BORDER_FOREGROUND + (int)i);
    }
    if (base != NULL && (rc = parse_finite("base", base, &b)) != CLI_EXIT_OK) return rc;
    if (top != NULL && (rc = parse_finite("top", top, &t)) != CLI_EXIT_OK) return rc;
    if (b > t) {
        char bt[40], tt[40];
        snprintf(bt, sizeof bt, "%.17g", b);
        snprintf(tt, sizeof tt, "%.17g", t);
        return cli_fail(CLI_EXIT_USAGE, "--base %s is above --top %s: need base <= top%s", bt,
                        tt, top == NULL ? " (the default top is 1; for logits or other score "
                                          "ranges give --top)" : "");
    }
    o->threshold.base = b;
    o->threshold.top = t;
    o->erosion.base = b;
    o->smooth.base = b;
    return CLI_EXIT_OK;
}

int cli_shrinker_parse(const char *name, const char *se, const char *border, const char *base,
                       const char *top, cli_shrinker_opts *o)
{
    size_t i;
    int rc;
    cli_shrinker_defaults(o);
    if (name == NULL) return cli_fail(CLI_EXIT_USAGE, "--shrinker is required");
    if ((rc = cli_parse_choice("shrinker", name, kind_names, 3, &i)) != CLI_EXIT_OK) return rc;
    o->kind = i == 0 ? CONSECO_KIND_THRESHOLD : i == 1 ? CONSECO_KIND_EROSION : CONSECO_KIND_SMOOTH;
    if (o->kind == CONSECO_KIND_THRESHOLD && (se != NULL || border != NULL))
        return cli_fail(CLI_EXIT_USAGE, "--se and --border only apply to --shrinker erosion");
    if (o->kind == CONSECO_KIND_SMOOTH && border != NULL)
        return cli_fail(CLI_EXIT_USAGE, "--border only applies to --shrinker erosion");
    if (o->kind != CONSECO_KIND_THRESHOLD && top != NULL)
        return cli_fail(CLI_EXIT_USAGE, "--top only applies to --shrinker threshold");
    return cli_shrinker_tune(o, se, border, base, top);
}

int cli_smooth_tune(cli_shrinker_opts *o, int only_smooth, const char *sigma, const char *filter,
                    const char *radius)
{
    conseco_smooth_params p = o->smooth;
    conseco_shrinker sh;
    size_t i;
    int rc;
    if (sigma == NULL && filter == NULL && radius == NULL) return CLI_EXIT_OK;
    if (only_smooth && o->kind != CONSECO_KIND_SMOOTH)
        return cli_fail(CLI_EXIT_USAGE, "--sigma, --filter and --radius only apply to "
                        "--shrinker smooth");
    if (sigma != NULL) {
        char num[64];
        size_t len = strlen(sigma);
        p.units = CONSECO_UNITS_PIXELS;
        if (len >= 2 && strcmp(sigma + len - 2, "mm") == 0) {
            p.units = CONSECO_UNITS_MM;
            len -= 2;
        } else if (len >= 2 && strcmp(sigma + len - 2, "px") == 0) {
            len -= 2;
        }
        if (len == 0 || len >= sizeof num)
            return cli_fail(CLI_EXIT_USAGE, "--sigma: expected a number of pixels, or of "
                            "millimetres with the suffix mm (e.g. 1 or 1.5mm)");
        memcpy(num, sigma, len);
        num[len] = '\0';
        if ((rc = parse_finite("sigma", num, &p.sigma)) != CLI_EXIT_OK) return rc;
        if (!(p.sigma > 0.0) ||
            (p.units == CONSECO_UNITS_PIXELS && p.sigma > CONSECO_SMOOTH_SIGMA_MAX))
            return cli_fail(CLI_EXIT_USAGE, "--sigma must be > 0 (at most %g pixels)",
                            CONSECO_SMOOTH_SIGMA_MAX);
    }
    if (filter != NULL) {
        if ((rc = cli_parse_choice("filter", filter, filter_names, 2, &i)) != CLI_EXIT_OK)
            return rc;
        p.filter = i == 0 ? CONSECO_SMOOTH_GAUSS : CONSECO_SMOOTH_MIN;
    }
    if (radius != NULL) {
        unsigned long long r;
        if ((rc = cli_parse_uint("radius", radius, CONSECO_SMOOTH_RADIUS_MAX, &r)) != CLI_EXIT_OK)
            return rc;
        if (r == 0) return cli_fail(CLI_EXIT_USAGE, "--radius must be at least 1");
        p.radius = (uint32_t)r;
    }
    if (p.filter == CONSECO_SMOOTH_MIN && sigma != NULL)
        return cli_fail(CLI_EXIT_USAGE, "--sigma only applies to --filter gauss");
    if (p.filter == CONSECO_SMOOTH_GAUSS && radius != NULL)
        return cli_fail(CLI_EXIT_USAGE, "--radius only applies to --filter min");
    if (p.filter == CONSECO_SMOOTH_MIN && o->erosion.element == CONSECO_ELEMENT_BALL_MM)
        return cli_fail(CLI_EXIT_USAGE, "--filter min takes --se cross, square or disk "
                        "(ball-mm is an erosion element only)");
    sh = conseco_shrinker_smooth(&p);
    if ((rc = conseco_shrinker_validate(&sh)) != CONSECO_OK) return cli_fail_status(rc, "smooth");
    o->smooth = p;
    return CLI_EXIT_OK;
}

const char *cli_smooth_describe(const conseco_smooth_params *p, char *buf, size_t size)
{
    if (p->filter == CONSECO_SMOOTH_MIN)
        snprintf(buf, size, "min filter, %s radius %u", cli_element_name(p->element),
                 (unsigned)p->radius);
    else
        snprintf(buf, size, "gauss sigma %g %s", p->sigma,
                 p->units == CONSECO_UNITS_MM ? "mm" : "px");
    return buf;
}

conseco_shrinker cli_shrinker_of(cli_shrinker_opts *o, int kind)
{
    if (kind == CONSECO_KIND_SMOOTH) return conseco_shrinker_smooth(&o->smooth);
    return kind == CONSECO_KIND_EROSION ? conseco_shrinker_erosion(&o->erosion)
                                        : conseco_shrinker_threshold(&o->threshold);
}

double cli_shrinker_lambda_min(const cli_shrinker_opts *o, int kind)
{
    if (kind == CONSECO_KIND_SMOOTH) return conseco_smooth_vtable()->lambda_min;
    return kind == CONSECO_KIND_EROSION ? 0.0 : o->threshold.base;
}

int cli_check_lambda(const cli_shrinker_opts *o, int kind, double lambda)
{
    double lo = cli_shrinker_lambda_min(o, kind);
    if (!(lambda >= lo)) {
        char lt[40], lm[40];
        snprintf(lt, sizeof lt, "%.17g", lambda);
        snprintf(lm, sizeof lm, "%.17g", lo);
        return cli_fail(CLI_EXIT_USAGE, "--lambda %s is below the %s shrinker's smallest lambda "
                        "%s (%s)", lt, cli_kind_name(kind), lm,
                        kind == CONSECO_KIND_EROSION   ? "no erosion"
                        : kind == CONSECO_KIND_SMOOTH ? "the lowest double"
                                                      : "the --base threshold");
    }
    return CLI_EXIT_OK;
}

const char *cli_kind_name(int kind)
{
    if (kind == CONSECO_KIND_SMOOTH) return "smooth";
    return kind == CONSECO_KIND_EROSION ? "erosion" : "threshold";
}

const char *cli_element_name(uint32_t element)
{
    return element >= 1 && element <= 4 ? element_names[element - 1] : "?";
}

const char *cli_border_name(uint32_t border)
{
    return border >= 1 && border <= 2 ? border_names[border - 1] : "?";
}

int cli_side_parse(const char *text, uint32_t *side)
{
    static const char *const names[] = {"inner", "outer", "band"};
    size_t i;
    int rc;
    *side = CONSECO_SIDE_INNER;
    if (text == NULL) return CLI_EXIT_OK;
    if ((rc = cli_parse_choice("side", text, names, 3, &i)) != CLI_EXIT_OK) return rc;
    *side = (uint32_t)i; /* CONSECO_SIDE_INNER, _OUTER, _BAND in this order */
    return CLI_EXIT_OK;
}

int cli_side_shrinker(uint32_t side, const char **name, const char *border)
{
    if (*name == NULL) return CLI_EXIT_OK; /* cli_shrinker_parse says it is required */
    if (side != CONSECO_SIDE_INNER && strcmp(*name, "threshold") != 0 &&
        strcmp(*name, "erosion") != 0 && strcmp(*name, "dilation") != 0)
        return cli_fail(CLI_EXIT_USAGE, "--shrinker %s has no outer family: --side %s takes "
                        "%s", *name, side == CONSECO_SIDE_OUTER ? "outer" : "band",
                        side == CONSECO_SIDE_OUTER ? "dilation or threshold"
                                                   : "erosion or threshold");
    if (side == CONSECO_SIDE_OUTER) {
        if (strcmp(*name, "erosion") == 0)
            return cli_fail(CLI_EXIT_USAGE, "--side outer: use --shrinker dilation or threshold");
        if (strcmp(*name, "dilation") == 0) {
            if (border != NULL)
                return cli_fail(CLI_EXIT_USAGE,
                                "--border does not apply to dilation (it never leaves the image)");
            *name = "erosion"; /* the erosion params: dilation by the same element */
        }
        return CLI_EXIT_OK;
    }
    if (strcmp(*name, "dilation") == 0)
        return cli_fail(CLI_EXIT_USAGE, "--shrinker dilation goes with --side outer (a band "
                                        "uses --shrinker erosion)");
    return CLI_EXIT_OK;
}
