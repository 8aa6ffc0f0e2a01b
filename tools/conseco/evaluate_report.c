/* SPDX-License-Identifier: Apache-2.0 */
/* Table 1 as text (3 decimals, mean ± sd) and as the JSON object other programs parse. */
#include "evaluate_report.h"

#include "json_out.h"

static void stat_json(FILE *f, const char *name, const cli_stat *s)
{
    fprintf(f, "\"%s\": {\"mean\": ", name);
    cli_json_number(f, s->mean);
    fputs(", \"sd\": ", f);
    cli_json_number(f, s->sd);
    fputc('}', f);
}

/* Ratio, or null when no split tested the volume. */
static void mean_json(FILE *f, double sum, uint64_t count)
{
    if (count == 0) fputs("null", f);
    else cli_json_number(f, sum / (double)count);
}

/* "volumes": per volume, its |Yhat| and per (tau, method) its score and how it fared in the
 * splits that tested it: ev = fraction valid (AFP <= tau), mean cr and atp. */
static void print_volumes_json(FILE *f, const cli_eval_result *r, const cli_eval_config *cfg)
{
    size_t v, i;
    fputs(", \"volumes\": [", f);
    for (v = 0; v < r->n; v++) {
        fputs(v ? ", {\"id\": " : "{\"id\": ", f);
        cli_json_string(f, cfg->ids[v]);
        fprintf(f, ", \"predicted\": %llu, \"rows\": [", (unsigned long long)r->predicted[v]);
        for (i = 0; i < r->row_count; i++) {
            const cli_eval_volume_row *vr = &r->volume_rows[v * r->row_count + i];
            fputs(i ? ", {\"tau\": " : "{\"tau\": ", f);
            cli_json_number(f, r->rows[i].tau);
            fprintf(f, ", \"method\": \"%s\", \"score\": ", cli_method_name(r->rows[i].method));
            if (vr->score != vr->score) fputs("null", f);
            else cli_json_number(f, vr->score);
            fprintf(f, ", \"tested\": %llu, \"ev\": ", (unsigned long long)vr->tested);
            mean_json(f, (double)vr->valid, vr->tested);
            fputs(", \"cr\": ", f);
            mean_json(f, vr->cr_sum, vr->tested);
            fputs(", \"atp\": ", f);
            mean_json(f, vr->atp_sum, vr->tested);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputc(']', f);
}

void cli_eval_print_json(FILE *f, const cli_eval_result *r, const cli_eval_config *cfg)
{
    size_t i;
    fputs("{\"alpha\": ", f);
    cli_json_number(f, cfg->alpha);
    fprintf(f, ", \"splits\": %llu, \"n_cal\": %lu, \"n_test\": %lu, \"rows\": [",
            (unsigned long long)cfg->splits, (unsigned long)r->n_cal, (unsigned long)r->n_test);
    for (i = 0; i < r->row_count; i++) {
        const cli_eval_row *row = &r->rows[i];
        fputs(i ? ", {\"tau\": " : "{\"tau\": ", f);
        cli_json_number(f, row->tau);
        fprintf(f, ", \"method\": \"%s\", ", cli_method_name(row->method));
        stat_json(f, "ev", &row->ev);
        fputs(", ", f);
        stat_json(f, "cr", &row->cr);
        fputs(", ", f);
        stat_json(f, "atp", &row->atp);
        fputc('}', f);
    }
    fputc(']', f);
    if (cfg->ids != NULL) print_volumes_json(f, r, cfg);
    fputs("}\n", f);
}

void cli_eval_print_table(FILE *f, const cli_eval_result *r, const cli_eval_config *cfg)
{
    static const char *const label[] = {"Baseline", "Threshold", "Erosion", "Smooth"};
    const unsigned methods = cfg->methods ? cfg->methods : CLI_METHODS_DEFAULT;
    char alpha[40];
    size_t i;
    const cli_shrinker_opts *o = cfg->shrinkers;
    cli_format_double(cfg->alpha, alpha, sizeof alpha);
    fprintf(f, "%lu images, %llu random splits (seed %llu): %lu calibrate, %lu test; "
               "alpha = %s\n",
            (unsigned long)r->n, (unsigned long long)cfg->splits,
            (unsigned long long)cfg->seed, (unsigned long)r->n_cal, (unsigned long)r->n_test,
            alpha);
    fprintf(f, "Yhat = {score >= %g}; erosion: %s, border %s", o->threshold.base,
            cli_element_name(o->erosion.element), cli_border_name(o->erosion.border));
    if (methods & (1u << CLI_METHOD_SMOOTH)) {
        char d[80];
        fprintf(f, "; smooth: %s", cli_smooth_describe(&o->smooth, d, sizeof d));
    }
    fputs("\n\n", f);
    fprintf(f, "%-12s %-10s  %-15s  %-15s  %-15s\n", "tau", "Method", "EV", "CR", "ATP");
    for (i = 0; i < r->row_count; i++) {
        const cli_eval_row *row = &r->rows[i];
        char tau[40] = "";
        if (i == 0 || r->rows[i - 1].tau != row->tau) /* first row of each tau */
            cli_format_double(row->tau, tau, sizeof tau);
        fprintf(f, "%-12s %-10s  %.3f \u00b1 %.3f    %.3f \u00b1 %.3f    %.3f \u00b1 %.3f\n", tau,
                label[row->method], row->ev.mean, row->ev.sd, row->cr.mean, row->cr.sd,
                row->atp.mean, row->atp.sd);
    }
    if (cfg->ids == NULL) return;
    fprintf(f, "\nPer volume: its score, then over the splits that tested it the fraction valid "
               "(EV), mean CR and ATP\n");
    fprintf(f, "%-16s %-12s %-10s %-22s %6s  %-6s %-6s %s\n", "id", "tau", "Method", "score",
            "tested", "EV", "CR", "ATP");
    for (i = 0; i < r->n * r->row_count; i++) {
        size_t v = i / r->row_count, k = i % r->row_count;
        const cli_eval_volume_row *vr = &r->volume_rows[i];
        char tau[40] = "", score[40] = "-";
        if (r->rows[k].method == CLI_METHOD_BASELINE) cli_format_double(r->rows[k].tau, tau, sizeof tau);
        if (vr->score == vr->score) cli_format_double(vr->score, score, sizeof score);
        fprintf(f, "%-16s %-12s %-10s %-22s %6llu  ", k == 0 ? cfg->ids[v] : "", tau,
                label[r->rows[k].method], score, (unsigned long long)vr->tested);
        if (vr->tested == 0) fputs("-      -      -\n", f);
        else
            fprintf(f, "%-6.3f %-6.3f %.3f\n", (double)vr->valid / (double)vr->tested,
                    vr->cr_sum / (double)vr->tested, vr->atp_sum / (double)vr->tested);
    }
}
