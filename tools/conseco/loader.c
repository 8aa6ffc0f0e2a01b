/* Decoding files into score maps, masks and pictures, with errors that name the file. */
#include "loader.h"

#include "cli.h"
#include "file_io.h"
#include "npy.h"
#include "png_io.h"

#include <stdlib.h>
#include <string.h>

void cli_loader_init(cli_loader *l) { memset(l, 0, sizeof *l); }

void cli_loader_free(cli_loader *l)
{
    free(l->path);
    free(l->buf);
    cli_loader_init(l);
}

void cli_map_free(cli_map *m)
{
    if (m == NULL) return;
    free(m->data);
    memset(m, 0, sizeof *m);
}

static int fetch(cli_loader *l, const char *path)
{
    unsigned char *buf;
    size_t size;
    int rc;
    if (l->path != NULL && strcmp(l->path, path) == 0) return CLI_EXIT_OK;
    rc = cli_read_file(path, &buf, &size);
    if (rc != CLI_EXIT_OK) return rc;
    cli_loader_free(l);
    l->path = (char *)malloc(strlen(path) + 1);
    if (l->path == NULL) {
        free(buf);
        return cli_fail_nomem();
    }
    strcpy(l->path, path);
    l->buf = buf;
    l->size = size;
    return CLI_EXIT_OK;
}

static int png_error_code(int r, const char *path, const char *why)
{
    switch (r) {
    case CLI_PNG_NO_MEMORY: return cli_fail_nomem();
    case CLI_PNG_COLOUR: return cli_fail(CLI_EXIT_DATA, "%s: %s", path, why);
    case CLI_PNG_TOO_LARGE: return cli_fail(CLI_EXIT_DATA, "%s: image too large", path);
    default: return cli_fail(CLI_EXIT_DATA, "%s: malformed PNG: %s", path, why);
    }
}

/* Entries are *.png or *.npy (dataset.c lists nothing else); stack slices are always .npy. */
static int is_png(const cli_entry *e)
{
    size_t n = strlen(e->path);
    const char *ext = e->path + (n >= 4 ? n - 4 : 0);
    return e->slice < 0 && n >= 4 && ext[0] == '.' && (ext[1] | 0x20) == 'p' &&
           (ext[2] | 0x20) == 'n' && (ext[3] | 0x20) == 'g';
}

/* The .npy slice of an entry (parsed from the cached buffer). */
static int npy_slice(cli_loader *l, const cli_entry *e, cli_npy *a, const unsigned char **px)
{
    const char *why;
    size_t slice = e->slice < 0 ? 0 : (size_t)e->slice;
    int rc = fetch(l, e->path);
    if (rc != CLI_EXIT_OK) return rc;
    if (cli_npy_parse(l->buf, l->size, a, &why) != 0)
        return cli_fail(CLI_EXIT_DATA, "%s: malformed .npy: %s", e->path, why);
    if ((e->slice < 0) != (a->ndim == 2) || slice >= a->count)
        return cli_fail(CLI_EXIT_DATA, "%s: file changed while reading", e->path);
    if (a->width > CLI_MAX_PIXELS / a->height)
        return cli_fail(CLI_EXIT_DATA, "%s: image too large", e->path);
    *px = cli_npy_slice(a, slice);
    return CLI_EXIT_OK;
}

static int copy_out(cli_map *out, size_t w, size_t h, int dtype, size_t elem,
                    const unsigned char *src)
{
    out->width = w;
    out->height = h;
    out->dtype = dtype;
    out->elem = elem;
    out->data = (unsigned char *)malloc(w * h * elem);
    if (out->data == NULL) return cli_fail_nomem();
    memcpy(out->data, src, w * h * elem);
    return CLI_EXIT_OK;
}

int cli_load_score(cli_loader *l, const cli_entry *e, cli_map *out)
{
    memset(out, 0, sizeof *out);
    if (is_png(e)) {
        cli_png_image im;
        char why[160];
        int rc = fetch(l, e->path), r;
        if (rc != CLI_EXIT_OK) return rc;
        r = cli_png_decode_gray(l->buf, l->size, CLI_MAX_PIXELS, &im, why, sizeof why);
        cli_loader_free(l); /* PNGs are never stacks: do not keep them */
        if (r != CLI_PNG_OK) return png_error_code(r, e->path, why);
        out->width = im.width;
        out->height = im.height;
        out->dtype = im.bits == 16 ? CONSECO_DTYPE_U16 : CONSECO_DTYPE_U8;
        out->elem = im.bits == 16 ? 2 : 1;
        out->data = im.pixels;
        return CLI_EXIT_OK;
    } else {
        cli_npy a;
        const unsigned char *px;
        int dtype, rc = npy_slice(l, e, &a, &px);
        if (rc != CLI_EXIT_OK) return rc;
        switch (a.kind) {
        case CLI_NPY_F32: dtype = CONSECO_DTYPE_F32; break;
        case CLI_NPY_F64: dtype = CONSECO_DTYPE_F64; break;
        case CLI_NPY_U8: dtype = CONSECO_DTYPE_U8; break;
        case CLI_NPY_U16: dtype = CONSECO_DTYPE_U16; break;
        default: dtype = CONSECO_DTYPE_MASK8; break; /* bool: a binary prediction */
        }
        return copy_out(out, a.width, a.height, dtype, a.item_size, px);
    }
}

int cli_load_mask(cli_loader *l, const cli_entry *e, cli_map *out)
{
    size_t i, n;
    memset(out, 0, sizeof *out);
    if (is_png(e)) {
        cli_png_image im;
        char why[160];
        int rc = fetch(l, e->path), r;
        if (rc != CLI_EXIT_OK) return rc;
        r = cli_png_decode_gray(l->buf, l->size, CLI_MAX_PIXELS, &im, why, sizeof why);
        cli_loader_free(l);
        if (r != CLI_PNG_OK) return png_error_code(r, e->path, why);
        n = im.width * im.height;
        out->width = im.width;
        out->height = im.height;
        out->dtype = CONSECO_DTYPE_MASK8;
        out->elem = 1;
        if (im.bits == 16) { /* nonzero = inside, into one byte per pixel */
            out->data = (unsigned char *)malloc(n);
            if (out->data == NULL) {
                cli_png_image_free(&im);
                return cli_fail_nomem();
            }
            for (i = 0; i < n; i++)
                out->data[i] = (unsigned char)((im.pixels[2 * i] | im.pixels[2 * i + 1]) != 0);
            cli_png_image_free(&im);
        } else {
            out->data = im.pixels;
        }
        return CLI_EXIT_OK;
    } else {
        cli_npy a;
        const unsigned char *px;
        int rc = npy_slice(l, e, &a, &px);
        if (rc != CLI_EXIT_OK) return rc;
        if (a.kind != CLI_NPY_U8 && a.kind != CLI_NPY_BOOL)
            return cli_fail(CLI_EXIT_DATA, "%s: a mask must be a bool or uint8 array", e->path);
        return copy_out(out, a.width, a.height, CONSECO_DTYPE_MASK8, 1, px);
    }
}

int cli_load_rgb(cli_loader *l, const cli_entry *e, cli_map *out)
{
    cli_png_image im;
    char why[160];
    int rc, r;
    memset(out, 0, sizeof *out);
    if (!is_png(e)) return cli_fail(CLI_EXIT_DATA, "%s: overlay pictures must be PNG", e->path);
    rc = fetch(l, e->path);
    if (rc != CLI_EXIT_OK) return rc;
    r = cli_png_decode_rgb(l->buf, l->size, CLI_MAX_PIXELS, &im, why, sizeof why);
    cli_loader_free(l);
    if (r != CLI_PNG_OK) return png_error_code(r, e->path, why);
    out->width = im.width;
    out->height = im.height;
    out->dtype = 0;
    out->elem = 3;
    out->data = im.pixels;
    return CLI_EXIT_OK;
}

conseco_image cli_map_image(const cli_map *m)
{
    return conseco_image_2d(m->data, m->width, m->height, m->width * m->elem, m->dtype);
}

conseco_mask cli_map_mask(const cli_map *m)
{
    return conseco_mask_2d(m->data, m->width, m->height, m->width);
}
