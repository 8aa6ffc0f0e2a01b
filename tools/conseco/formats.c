/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The format table. Adding a format = one new file (format_<name>.c defining a cli_format) plus
 * one row below; nothing else in the tool names a format.
 *
 * For example NIfTI: format_nifti.c with extensions {".nii.gz", ".nii"} (longest first, so
 * "ct.nii.gz" has the id "ct"), a sniff for the header size 348/540 or a gzip stream that
 * inflates to one, by_path = 1 (it streams the file through zlib itself), a read filling depth,
 * spacing (pixdim) and geometry (a copy of the header), and write_mask_like writing a uint8
 * volume with that header to out->tmp_path.
 */
#include "formats.h"

#include <stdio.h>
#include <string.h>

const cli_format *const cli_formats[] = {
    &cli_format_png,
    &cli_format_npy,
    &cli_format_nifti,
};
const size_t cli_format_count = sizeof cli_formats / sizeof cli_formats[0];

void cli_map_pack_strides(cli_map *m)
{
    m->stride[0] = 1;
    m->stride[1] = m->width;
    m->stride[2] = m->width * m->height;
}

static int ends_with_ci(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix), i;
    if (a <= b) return 0; /* a bare ".png" has no id */
    for (i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return 0;
    }
    return 1;
}

size_t cli_format_extension_len(const cli_format *format, const char *name)
{
    const char *const *e;
    for (e = format->extensions; *e != NULL; e++)
        if (ends_with_ci(name, *e)) return strlen(*e);
    return 0;
}

const cli_format *cli_format_by_extension(const char *name, size_t *ext_len)
{
    size_t i, best_len = 0;
    const cli_format *best = NULL;
    for (i = 0; i < cli_format_count; i++) {
        size_t len = cli_format_extension_len(cli_formats[i], name);
        if (len > best_len) {
            best = cli_formats[i];
            best_len = len;
        }
    }
    if (ext_len != NULL) *ext_len = best_len;
    return best;
}

const cli_format *cli_format_sniff(const unsigned char *head, size_t n, const char *name)
{
    size_t i;
    const cli_format *first = NULL;
    for (i = 0; i < cli_format_count; i++) {
        if (!cli_formats[i]->sniff(head, n)) continue;
        if (name != NULL && cli_format_extension_len(cli_formats[i], name) > 0)
            return cli_formats[i];
        if (first == NULL) first = cli_formats[i];
    }
    return first;
}

int cli_format_output_name(const cli_format *format, const char *id, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s%s", id, format->extensions[0]);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

void cli_format_list_extensions(char *buf, size_t size)
{
    size_t i, used = 0, total = 0, k = 0;
    const char *const *e;
    for (i = 0; i < cli_format_count; i++)
        for (e = cli_formats[i]->extensions; *e != NULL; e++) total++;
    if (size == 0) return;
    buf[0] = '\0';
    for (i = 0; i < cli_format_count; i++)
        for (e = cli_formats[i]->extensions; *e != NULL; e++, k++) {
            const char *sep = k == 0 ? "" : k + 1 == total ? " or " : ", ";
            int n = snprintf(buf + used, size - used, "%s%s", sep, *e);
            if (n < 0 || (size_t)n >= size - used) return;
            used += (size_t)n;
        }
}
