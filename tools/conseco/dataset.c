/* Directory listing, id extraction, natural sort and pairing. */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"

#include "cli.h"
#include "file_io.h"
#include "natural_sort.h"
#include "npy.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with_ci(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix), i;
    if (a <= b) return 0;
    for (i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return 0;
    }
    return 1;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = (char *)malloc(n + 1);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int push(cli_dataset *d, size_t *cap, char *id, char *path, long slice)
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
    d->count++;
    return CLI_EXIT_OK;
}

/* A 3-D .npy stack contributes ids 0..n-1; a 2-D one its stem. */
static int add_npy(cli_dataset *d, size_t *cap, const char *path, const char *stem,
                   size_t stem_len)
{
    unsigned char *buf;
    size_t size, i;
    cli_npy a;
    const char *why;
    int rc = cli_read_file(path, &buf, &size);
    if (rc != CLI_EXIT_OK) return rc;
    if (cli_npy_parse(buf, size, &a, &why) != 0) {
        free(buf);
        return cli_fail(CLI_EXIT_DATA, "%s: malformed .npy: %s", path, why);
    }
    free(buf);
    if (a.ndim == 2)
        return push(d, cap, dup_n(stem, stem_len), dup_n(path, strlen(path)), -1);
    for (i = 0; i < a.count; i++) {
        char id[32];
        snprintf(id, sizeof id, "%lu", (unsigned long)i);
        if (i > 0x7fffffffu) return cli_fail(CLI_EXIT_DATA, "%s: too many slices", path);
        rc = push(d, cap, dup_n(id, strlen(id)), dup_n(path, strlen(path)), (long)i);
        if (rc != CLI_EXIT_OK) return rc;
    }
    return CLI_EXIT_OK;
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
        const char *name = e->d_name;
        size_t len = strlen(name);
        char *path;
        if (name[0] == '.') continue; /* hidden files, ".", ".." and our own temporaries */
        if (ends_with_ci(name, ".png")) {
            path = cli_path_join(dir, name);
            rc = push(out, &cap, dup_n(name, len - 4), path, -1);
        } else if (ends_with_ci(name, ".npy")) {
            path = cli_path_join(dir, name);
            if (path == NULL) rc = cli_fail_nomem();
            else {
                rc = add_npy(out, &cap, path, name, len - 4);
                free(path);
            }
        } else {
            continue; /* other files (README, .json ...) are not inputs */
        }
        if (rc != CLI_EXIT_OK) break;
    }
    closedir(dh);
    if (rc == CLI_EXIT_OK && out->count == 0)
        rc = cli_fail(CLI_EXIT_DATA, "%s: no .png or .npy files", dir);
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

int cli_dataset_pair(const cli_dataset *pred, const cli_dataset *gt, size_t **index)
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
    *index = ix;
    return CLI_EXIT_OK;
}
