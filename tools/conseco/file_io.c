/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads and atomic writes (temporary name in the same directory, then rename). */
#define _POSIX_C_SOURCE 200809L
#include "file_io.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int cli_read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    struct stat st;
    *data = NULL;
    *size = 0;
    if (f == NULL) return cli_fail(CLI_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return cli_fail(CLI_EXIT_IO, "%s: is a directory", path);
    }
    /* one allocation of the file's size (+1 to see the end in the same read) */
    if (S_ISREG(st.st_mode) && st.st_size >= 0 && (unsigned long long)st.st_size < (size_t)-2)
        cap = (size_t)st.st_size + 1;
    for (;;) {
        size_t got;
        if (len == cap) {
            size_t ncap = cap ? cap + cap / 2 + 65536 : 65536;
            unsigned char *nb;
            if (ncap < cap) { /* overflow */
                free(buf);
                fclose(f);
                return cli_fail_nomem();
            }
            nb = (unsigned char *)realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return cli_fail_nomem();
            }
            buf = nb;
            cap = ncap;
        } else if (buf == NULL) {
            buf = (unsigned char *)malloc(cap);
            if (buf == NULL) {
                fclose(f);
                return cli_fail_nomem();
            }
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        return cli_fail(CLI_EXIT_IO, "%s: read error: %s", path, strerror(e));
    }
    fclose(f);
    *data = buf;
    *size = len;
    return CLI_EXIT_OK;
}

int cli_file_view_open(const char *path, int populate, cli_file_view *out)
{
    struct stat st;
    int fd;
    memset(out, 0, sizeof *out);
    fd = open(path, O_RDONLY);
    if (fd < 0) return cli_fail(CLI_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return cli_fail(CLI_EXIT_IO, "%s: is a directory", path);
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size < (size_t)-1) {
        int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
        if (populate) flags |= MAP_POPULATE;
#else
        (void)populate;
#endif
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            out->data = (const unsigned char *)p;
            out->size = (size_t)st.st_size;
            out->mapped = 1;
            return CLI_EXIT_OK;
        }
    }
    close(fd);
    {
        unsigned char *buf;
        size_t size;
        int rc = cli_read_file(path, &buf, &size);
        if (rc != CLI_EXIT_OK) return rc;
        out->data = buf;
        out->size = size;
        out->mapped = 0;
    }
    return CLI_EXIT_OK;
}

void cli_file_view_close(cli_file_view *v)
{
    if (v->data != NULL) {
        if (v->mapped) munmap((void *)(uintptr_t)v->data, v->size);
        else free((void *)(uintptr_t)v->data);
    }
    memset(v, 0, sizeof *v);
}

void cli_tune_allocator(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    /* glibc serves blocks above 128 KiB..32 MiB with a fresh mmap and unmaps them on free, so
     * every volume-sized buffer is faulted in (and zeroed by the kernel) again */
    (void)mallopt(M_MMAP_THRESHOLD, 1 << 30);
    (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#ifdef M_ARENA_MAX
    /* worker threads would get arenas of at most 64 MiB, whose larger blocks are mmap'ed
     * afresh again: one arena (the tool makes a few large allocations, not many small ones) */
    (void)mallopt(M_ARENA_MAX, 1);
#endif
#endif
}

char *cli_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = (char *)malloc(a + b + 2);
    if (p == NULL) return NULL;
    memcpy(p, dir, a);
    if (slash) p[a++] = '/';
    memcpy(p + a, name, b);
    p[a + b] = '\0';
    return p;
}

int cli_tmp_open(const char *final_path, cli_tmpfile *t)
{
    const char *slash = strrchr(final_path, '/');
    size_t dir_len = slash ? (size_t)(slash - final_path) + 1 : 0;
    const char *base = final_path + dir_len;
    size_t n = strlen(final_path) + 16;
    int fd;
    memset(t, 0, sizeof *t);
    t->final_path = (char *)malloc(strlen(final_path) + 1);
    t->tmp_path = (char *)malloc(n);
    if (t->final_path == NULL || t->tmp_path == NULL) {
        cli_tmp_discard(t);
        return cli_fail_nomem();
    }
    strcpy(t->final_path, final_path);
    memcpy(t->tmp_path, final_path, dir_len);
    snprintf(t->tmp_path + dir_len, n - dir_len, ".%s.tmp-XXXXXX", base);
    fd = mkstemp(t->tmp_path);
    if (fd < 0) {
        int e = errno;
        free(t->tmp_path);
        t->tmp_path = NULL; /* nothing to delete */
        cli_tmp_discard(t);
        return cli_fail(CLI_EXIT_IO, "%s: cannot create a file here: %s", final_path,
                        strerror(e));
    }
    /* mkstemp makes 0600; outputs should have the usual permissions */
    {
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(fd, (mode_t)(0666 & ~mask));
    }
    t->f = fdopen(fd, "wb");
    if (t->f == NULL) {
        close(fd);
        cli_tmp_discard(t);
        return cli_fail_nomem();
    }
    return CLI_EXIT_OK;
}

int cli_tmp_close(cli_tmpfile *t)
{
    int bad;
    if (t->f == NULL) return CLI_EXIT_OK;
    bad = fflush(t->f) != 0 || ferror(t->f);
    bad |= fclose(t->f) != 0;
    t->f = NULL;
    if (bad) return cli_fail(CLI_EXIT_IO, "%s: write error: %s", t->final_path, strerror(errno));
    return CLI_EXIT_OK;
}

int cli_tmp_commit(cli_tmpfile *t)
{
    int rc = cli_tmp_close(t);
    if (rc != CLI_EXIT_OK) return rc;
    if (rename(t->tmp_path, t->final_path) != 0)
        return cli_fail(CLI_EXIT_IO, "%s: cannot rename into place: %s", t->final_path,
                        strerror(errno));
    free(t->tmp_path);
    t->tmp_path = NULL;
    free(t->final_path);
    t->final_path = NULL;
    return CLI_EXIT_OK;
}

void cli_tmp_discard(cli_tmpfile *t)
{
    if (t->f != NULL) fclose(t->f);
    t->f = NULL;
    if (t->tmp_path != NULL) (void)unlink(t->tmp_path);
    free(t->tmp_path);
    free(t->final_path);
    t->tmp_path = NULL;
    t->final_path = NULL;
}

int cli_ensure_dir(const char *dir, int *created)
{
    struct stat st;
    *created = 0;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return cli_fail(CLI_EXIT_IO, "%s: not a directory", dir);
        return CLI_EXIT_OK;
    }
    if (mkdir(dir, 0777) != 0)
        return cli_fail(CLI_EXIT_IO, "%s: cannot create directory: %s", dir, strerror(errno));
    *created = 1;
    return CLI_EXIT_OK;
}
