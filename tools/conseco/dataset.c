/* SPDX-License-Identifier: Apache-2.0 */
/* Directory listing, id extraction, natural sort and pairing. */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"

#include "cli.h"
#include "file_io.h"
#include "inputs.h"
#include "natural_sort.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dup_n(const char *s, size_t n)
{
    char *p = (char *)malloc(n + 1);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int push(cli_dataset *d, size_t *cap, char *id, char *path, long slice,
                const cli_format *format)
{
    if (id == NULL || path == NULL) {
        free(id);
        free(path);
        return cli_fail_nomem();
    }
    if (d->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        cli_entry *ni = (cli_entry *)realloc(d->items, ncap * sizeof *ni);
        if (ni == NULL) {
            free(id);
            free(path);
            return cli_fail_nomem();
        }
        d->items = ni;
        *cap = ncap;
    }
    d->items[d->count].id = id;
    d->items[d->count].path = path;
    d->items[d->count].slice = slice;
    d->items[d->count].format = format;
    d->count++;
    return CLI_EXIT_OK;
}

/* The first bytes of a file, for sniffing. -1 if it cannot be read (or is not a regular file). */
static int read_head(const char *path, unsigned char *head, size_t cap, size_t *n, int *err)
{
    struct stat sb;
    FILE *f;
    if (stat(path, &sb) != 0) {
        *err = errno;
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        *err = EISDIR;
        return -1;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        *err = errno;
        return -1;
    }
    *n = fread(head, 1, cap, f);
    *err = ferror(f) ? EIO : 0;
    fclose(f);
    return *err ? -1 : 0;
}

/* One directory entry: its format by magic (extension as tie-break, or as the only hint when
 * the magic is damaged), its id, and as many entries as images it holds. */
static int add_file(cli_dataset *d, size_t *cap, const char *dir, const char *name)
{
    unsigned char head[512]; /* NIfTI-1 has its magic at byte 344 */
    size_t n = 0, ext_len = 0, count = 0, i;
    const cli_format *by_ext = cli_format_by_extension(name, &ext_len), *format;
    char *path = cli_path_join(dir, name);
    int err = 0, rc = CLI_EXIT_OK;
    if (path == NULL) return cli_fail_nomem();
    if (read_head(path, head, sizeof head, &n, &err) != 0) {
        /* unreadable files count only when their name says they are inputs */
        if (by_ext != NULL) rc = cli_fail(CLI_EXIT_IO, "%s: cannot read: %s", path, strerror(err));
        free(path);
        return rc;
    }
    format = cli_format_sniff(head, n, name);
    if (format == NULL) format = by_ext; /* damaged: its reader says what is wrong */
    if (format == NULL) { /* not an input (README, .json ...) */
        free(path);
        return CLI_EXIT_OK;
    }
    if (format->count_images != NULL) {
        cli_file_view v;
        cli_file_bytes file;
        memset(&v, 0, sizeof v);
        /* mapped, not read: counting looks at the header only */
        if (!format->by_path && (rc = cli_file_view_open(path, 0, &v)) != CLI_EXIT_OK) {
            free(path);
            return rc;
        }
        file.path = path;
        file.data = v.data;
        file.size = v.size;
        rc = format->count_images(&file, &count);
        cli_file_view_close(&v);
        if (rc != CLI_EXIT_OK) {
            free(path);
            return rc;
        }
    }
    if (cli_inputs()->volume) count = 0; /* --volume: a 3-D array is one volume */
    if (count == 0) { /* one image named by the file */
        rc = push(d, cap, dup_n(name, strlen(name) - ext_len), path, -1, format);
        return rc;
    }
    for (i = 0; rc == CLI_EXIT_OK && i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "%lu", (unsigned long)i);
        rc = push(d, cap, dup_n(id, strlen(id)), dup_n(path, strlen(path)), (long)i, format);
    }
    free(path);
    return rc;
}

static int by_id(const void *a, const void *b)
{
    return cli_natural_compare(((const cli_entry *)a)->id, ((const cli_entry *)b)->id);
}

int cli_dataset_scan(const char *dir, cli_dataset *out)
{
    DIR *dh;
    struct dirent *e;
    size_t cap = 0, i;
    int rc = CLI_EXIT_OK;
    memset(out, 0, sizeof *out);
    out->dir = dup_n(dir, strlen(dir));
    if (out->dir == NULL) return cli_fail_nomem();
    dh = opendir(dir);
    if (dh == NULL) {
        rc = cli_fail(CLI_EXIT_IO, "%s: cannot open directory: %s", dir, strerror(errno));
        cli_dataset_free(out);
        return rc;
    }
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.') continue; /* hidden files, ".", ".." and our own temporaries */
        if ((rc = add_file(out, &cap, dir, e->d_name)) != CLI_EXIT_OK) break;
    }
    closedir(dh);
    if (rc == CLI_EXIT_OK && out->count == 0) {
        char exts[128];
        cli_format_list_extensions(exts, sizeof exts);
        rc = cli_fail(CLI_EXIT_DATA, "%s: no %s files", dir, exts);
    }
    if (rc == CLI_EXIT_OK) {
        qsort(out->items, out->count, sizeof *out->items, by_id);
        for (i = 1; i < out->count; i++)
            if (strcmp(out->items[i - 1].id, out->items[i].id) == 0) {
                rc = cli_fail(CLI_EXIT_DATA, "%s: id \"%s\" appears twice (%s and %s)", dir,
                              out->items[i].id, out->items[i - 1].path, out->items[i].path);
                break;
            }
    }
    if (rc != CLI_EXIT_OK) cli_dataset_free(out);
    return rc;
}

void cli_dataset_free(cli_dataset *d)
{
    size_t i;
    if (d == NULL) return;
    for (i = 0; i < d->count; i++) {
        free(d->items[i].id);
        free(d->items[i].path);
    }
    free(d->items);
    free(d->dir);
    memset(d, 0, sizeof *d);
}

size_t cli_dataset_find(const cli_dataset *d, const char *id)
{
    size_t lo = 0, hi = d->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cli_natural_compare(d->items[mid].id, id);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return (size_t)-1;
}

int cli_dataset_pair(const cli_dataset *pred, const cli_dataset *gt, int strict, size_t **index)
{
    size_t i, *ix = (size_t *)malloc((pred->count ? pred->count : 1) * sizeof *ix);
    *index = NULL;
    if (ix == NULL) return cli_fail_nomem();
    for (i = 0; i < pred->count; i++) {
        ix[i] = cli_dataset_find(gt, pred->items[i].id);
        if (ix[i] == (size_t)-1) {
            free(ix);
            return cli_fail(CLI_EXIT_DATA, "%s: no mask with id \"%s\" in %s",
                            pred->items[i].path, pred->items[i].id, gt->dir);
        }
    }
    for (i = 0; i < gt->count; i++) {
        if (cli_dataset_find(pred, gt->items[i].id) != (size_t)-1) continue;
        if (strict) {
            free(ix);
            return cli_fail(CLI_EXIT_DATA, "%s: mask with id \"%s\" has no prediction in %s "
                            "(--strict)", gt->items[i].path, gt->items[i].id, pred->dir);
        }
        fprintf(stderr, "conseco: warning: %s: mask with id \"%s\" has no prediction in %s; "
                "ignored\n", gt->items[i].path, gt->items[i].id, pred->dir);
    }
    *index = ix;
    return CLI_EXIT_OK;
}
