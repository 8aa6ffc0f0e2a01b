/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding files into score maps, masks and pictures through the format table. */
#include "loader.h"

#include "cli.h"
#include "file_io.h"
#include "inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_loader_init(cli_loader *l) { memset(l, 0, sizeof *l); }

void cli_loader_free(cli_loader *l)
{
    free(l->path);
    cli_file_view_close(&l->file);
    cli_loader_init(l);
}

void cli_map_free(cli_map *m)
{
    if (m == NULL) return;
    free(m->data);
    free(m->geometry);
    memset(m, 0, sizeof *m);
}

static int fetch(cli_loader *l, const char *path)
{
    cli_file_view v;
    int rc;
    if (l->path != NULL && strcmp(l->path, path) == 0) return CLI_EXIT_OK;
    rc = cli_file_view_open(path, 1, &v);
    if (rc != CLI_EXIT_OK) return rc;
    cli_loader_free(l);
    l->path = (char *)malloc(strlen(path) + 1);
    if (l->path == NULL) {
        cli_file_view_close(&v);
        return cli_fail_nomem();
    }
    strcpy(l->path, path);
    l->file = v;
    return CLI_EXIT_OK;
}

static int load(cli_loader *l, const cli_entry *e, int role, cli_map *out)
{
    cli_file_bytes file;
    int rc;
    memset(out, 0, sizeof *out);
    file.path = e->path;
    file.data = NULL;
    file.size = 0;
    if (!e->format->by_path) {
        if ((rc = fetch(l, e->path)) != CLI_EXIT_OK) return rc;
        file.data = l->file.data;
        file.size = l->file.size;
    }
    rc = e->format->read(&file, e->slice, role, out);
    if (rc == CLI_EXIT_OK && role != CLI_READ_RGB) cli_inputs_apply_spacing(out);
    if (e->slice < 0) cli_loader_free(l); /* a whole file is read once: do not keep it */
    return rc;
}

int cli_load_score(cli_loader *l, const cli_entry *e, cli_map *out)
{
    return load(l, e, CLI_READ_SCORE, out);
}

int cli_load_mask(cli_loader *l, const cli_entry *e, cli_map *out)
{
    return load(l, e, CLI_READ_MASK, out);
}

int cli_load_rgb(cli_loader *l, const cli_entry *e, cli_map *out)
{
    return load(l, e, CLI_READ_RGB, out);
}

const char *cli_map_shape(const cli_map *m, char *buf, size_t size)
{
    if (m->depth > 1)
        snprintf(buf, size, "%lux%lux%lu", (unsigned long)m->width, (unsigned long)m->height,
                 (unsigned long)m->depth);
    else
        snprintf(buf, size, "%lux%lu", (unsigned long)m->width, (unsigned long)m->height);
    return buf;
}

int cli_map_same_shape(const cli_map *a, const cli_map *b)
{
    return a->width == b->width && a->height == b->height && a->depth == b->depth;
}

int cli_map_same_spacing(const cli_map *a, const cli_map *b)
{
    int d;
    for (d = 0; d < 3; d++) {
        double x = a->spacing[d], y = b->spacing[d], big = x > y ? x : y;
        if (x == 0.0 || y == 0.0) continue;
        if (!(x - y <= 1e-4 * big && y - x <= 1e-4 * big)) return 0;
    }
    return 1;
}

size_t cli_map_count(const cli_map *m) { return m->width * m->height * m->depth; }

conseco_image cli_map_image(const cli_map *m)
{
    conseco_image im = conseco_image_3d(m->data, m->width, m->height, m->depth,
                                        m->stride[1] * m->elem, m->stride[2] * m->elem, m->dtype);
#if CONSECO_VERSION_NUMBER >= 200 /* 0.2: images carry their voxel size (0 = not given) */
    if (m->spacing[0] != 0.0 || m->spacing[1] != 0.0 || m->spacing[2] != 0.0) {
        im.spacing[0] = m->spacing[0];
        im.spacing[1] = m->spacing[1];
        im.spacing[2] = m->spacing[2];
    }
#endif
    return im;
}

conseco_mask cli_map_mask(const cli_map *m)
{
    return conseco_mask_3d(m->data, m->width, m->height, m->depth, m->stride[1], m->stride[2]);
}
