/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus replay: a main() for the fuzz targets that feeds every file named on
 * the command line (directories are walked, one level, in name order) to
 * LLVMFuzzerTestOneInput once. ctest runs it under gcc on the checked-in
 * corpus, so every input that ever crashed stays a regression test without
 * clang or libFuzzer. Exit 0 when all inputs ran; a failed invariant aborts.
 */
#define _POSIX_C_SOURCE 200809L
/* 32-bit hosts: 64-bit inode numbers and offsets, or readdir() fails with
 * EOVERFLOW on large file systems and the corpus looks empty */
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"

/* The input being replayed, named on a crash so it can be found and fixed. */
static const char *current = "";

static void on_crash(int sig)
{
    static const char msg[] = "replay: failed on input ";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    ignored = write(2, current, strlen(current));
    ignored = write(2, "\n", 1);
    (void)ignored;
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t size = 0, cap = 0, got;
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    do {
        if (size == cap) {
            unsigned char *grown;
            cap = cap ? cap * 2 : 4096;
            grown = (unsigned char *)realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return 1;
            }
            buf = grown;
        }
        got = fread(buf + size, 1, cap - size, f);
        size += got;
    } while (got > 0);
    fclose(f);
    /* an exact-size copy so ASan/valgrind catch reads past the input */
    {
        unsigned char *exact = (unsigned char *)malloc(size ? size : 1);
        if (exact == NULL) {
            free(buf);
            return 1;
        }
        if (size) memcpy(exact, buf, size);
        free(buf);
        current = path;
        (void)LLVMFuzzerTestOneInput(exact, size);
        current = "";
        free(exact);
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;
    if (d == NULL) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return 1;
    }
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ., .. and hidden files (.gitkeep) */
        if (n == cap) {
            char **grown;
            cap = cap ? cap * 2 : 64;
            grown = (char **)realloc(names, cap * sizeof *names);
            if (grown == NULL) {
                rc = 1;
                break;
            }
            names = grown;
        }
        names[n] = (char *)malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (names[n] == NULL) {
            rc = 1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
        errno = 0;
    }
    if (rc == 0 && errno != 0) {
        fprintf(stderr, "replay: cannot list %s (errno %d)\n", dir, errno);
        rc = 1;
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int i, rc = 0;
    {
        /* name the input on a crash, but leave a sanitizer's handlers alone */
        static const int sigs[4] = {SIGABRT, SIGSEGV, SIGFPE, SIGBUS};
        int k;
        for (k = 0; k < 4; k++) {
            void (*prev)(int) = signal(sigs[k], on_crash);
            if (prev != SIG_DFL && prev != SIG_ERR) signal(sigs[k], prev);
        }
    }
    for (i = 1; i < argc && rc == 0; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            rc = 1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = run_dir(argv[i], &count);
        } else {
            rc = run_file(argv[i]);
            count++;
        }
    }
    if (rc == 0 && count == 0) {
        fprintf(stderr, "replay: no inputs (an empty corpus tests nothing)\n");
        rc = 1;
    }
    if (rc == 0) printf("replay: %zu inputs ran without a failed invariant\n", count);
    return rc;
}
