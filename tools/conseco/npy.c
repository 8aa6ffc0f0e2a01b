/* SPDX-License-Identifier: Apache-2.0 */
/* The .npy reader: magic, version, a Python-dict header, then raw little-endian data. */
#include "npy.h"

#include <string.h>

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string without escapes; returns its span. */
static int read_string(cursor *c, const char **s, size_t *len)
{
    char q;
    const char *start;
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    q = *c->p++;
    start = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\') return 0;
        c->p++;
    }
    if (c->p >= c->end) return 0;
    *s = start;
    *len = (size_t)(c->p - start);
    c->p++;
    return 1;
}

static int read_word(cursor *c, const char *word)
{
    size_t n = strlen(word);
    skip_space(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

static int read_size(cursor *c, size_t *v)
{
    size_t x = 0;
    int digits = 0;
    skip_space(c);
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t d = (size_t)(*c->p - '0');
        if (x > ((size_t)-1 - d) / 10) return 0;
        x = x * 10 + d;
        c->p++;
        digits++;
    }
    if (digits == 0) return 0;
    *v = x;
    return 1;
}

/* "(a, b)" or "(a, b, c)", trailing comma allowed; at most 3 dims kept. */
static int read_shape(cursor *c, size_t dims[3], size_t *ndim)
{
    size_t n = 0;
    if (!take(c, '(')) return 0;
    for (;;) {
        size_t v;
        if (take(c, ')')) break;
        if (!read_size(c, &v)) return 0;
        if (n == 3) return 0; /* more than three dimensions */
        dims[n++] = v;
        if (take(c, ',')) continue;
        if (!take(c, ')')) return 0;
        break;
    }
    *ndim = n;
    return 1;
}

static int parse_descr(const char *s, size_t len, int *kind, size_t *item, const char **why)
{
    char order, type;
    size_t bytes;
    if (len != 3 || s[2] < '1' || s[2] > '8') {
        *why = "unsupported dtype";
        return 0;
    }
    order = s[0];
    type = s[1];
    bytes = (size_t)(s[2] - '0');
    if (order == '>' && bytes > 1) {
        *why = "big-endian arrays are not supported";
        return 0;
    }
    if (order != '<' && order != '|' && order != '>' && order != '=') {
        *why = "unsupported dtype";
        return 0;
    }
    if (bytes > 1 && order != '<') { /* '|' and '=' are only unambiguous for single bytes */
        *why = "unsupported byte order";
        return 0;
    }
    if (type == 'f' && bytes == 4) *kind = CLI_NPY_F32;
    else if (type == 'f' && bytes == 8) *kind = CLI_NPY_F64;
    else if (type == 'u' && bytes == 1) *kind = CLI_NPY_U8;
    else if (type == 'u' && bytes == 2) *kind = CLI_NPY_U16;
    else if (type == 'b' && bytes == 1) *kind = CLI_NPY_BOOL;
    else {
        *why = "unsupported dtype (need float32, float64, uint8, uint16 or bool)";
        return 0;
    }
    *item = bytes;
    return 1;
}

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

int cli_npy_parse(const void *buf, size_t size, cli_npy *out, const char **why)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t header_len, header_start, dims[3] = {0, 0, 0}, ndim = 0, total, i;
    int have_descr = 0, have_order = 0, have_shape = 0, kind = 0;
    size_t item = 0;
    cursor c;
    static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

    if (size < 10 || memcmp(b, magic, 6) != 0) return fail(why, "not a .npy file (bad magic)");
    if (b[6] == 1) {
        header_len = (size_t)b[8] | ((size_t)b[9] << 8);
        header_start = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (size < 12) return fail(why, "truncated header");
        header_len = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) |
                     ((size_t)b[11] << 24);
        header_start = 12;
    } else {
        return fail(why, "unsupported .npy format version");
    }
    if (header_len > size - header_start) return fail(why, "truncated header");

    c.p = (const char *)b + header_start;
    c.end = c.p + header_len;
    if (!take(&c, '{')) return fail(why, "malformed header");
    for (;;) {
        const char *key;
        size_t key_len;
        if (take(&c, '}')) break;
        if (!read_string(&c, &key, &key_len) || !take(&c, ':'))
            return fail(why, "malformed header");
        if (key_len == 5 && memcmp(key, "descr", 5) == 0) {
            const char *d;
            size_t d_len;
            if (!read_string(&c, &d, &d_len)) return fail(why, "malformed descr");
            if (!parse_descr(d, d_len, &kind, &item, why)) return -1;
            have_descr = 1;
        } else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (read_word(&c, "True")) return fail(why, "Fortran-order arrays are not supported");
            if (!read_word(&c, "False")) return fail(why, "malformed fortran_order");
            have_order = 1;
        } else if (key_len == 5 && memcmp(key, "shape", 5) == 0) {
            if (!read_shape(&c, dims, &ndim)) return fail(why, "malformed or >3-D shape");
            have_shape = 1;
        } else {
            return fail(why, "unknown header key");
        }
        if (take(&c, ',')) continue;
        if (!take(&c, '}')) return fail(why, "malformed header");
        break;
    }
    if (!have_descr || !have_order || !have_shape) return fail(why, "header misses a key");
    /* the rest of the header is padding: spaces and a final newline */
    for (; c.p < c.end; c.p++)
        if (*c.p != ' ' && *c.p != '\n' && *c.p != '\r' && *c.p != '\t' && *c.p != '\0')
            return fail(why, "garbage after header");

    if (ndim == 2) {
        out->count = 1;
        out->height = dims[0];
        out->width = dims[1];
    } else if (ndim == 3) {
        out->count = dims[0];
        out->height = dims[1];
        out->width = dims[2];
    } else {
        return fail(why, "need a 2-D array or a 3-D stack (n, h, w)");
    }
    if (out->count == 0 || out->height == 0 || out->width == 0) return fail(why, "empty array");
    /* overflow-checked sizes */
    total = item;
    if (out->width > (size_t)-1 / total) return fail(why, "array too large");
    total *= out->width;
    if (out->height > (size_t)-1 / total) return fail(why, "array too large");
    total *= out->height;
    out->slice_bytes = total;
    if (out->count > (size_t)-1 / total) return fail(why, "array too large");
    total *= out->count;
    i = header_start + header_len;
    if (size - i < total) return fail(why, "file shorter than its shape says");
    if (size - i > total) return fail(why, "file longer than its shape says");
    out->kind = kind;
    out->item_size = item;
    out->ndim = ndim;
    out->data = b + i;
    return 0;
}

const unsigned char *cli_npy_slice(const cli_npy *a, size_t i)
{
    return a->data + i * a->slice_bytes;
}
