/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files: reading a whole file, and writing through a temporary file in the
 * destination directory that is renamed into place only when complete, so a
 * crash or an error never leaves a half-written output behind.
 */
#ifndef CONSECO_CLI_FILE_IO_H
#define CONSECO_CLI_FILE_IO_H

#include <stddef.h>
#include <stdio.h>

/* Reads `path` into a malloc'ed buffer sized once from the file's size (grown only if the file
 * grows while being read). @return a cli_exit code (message printed). */
int cli_read_file(const char *path, unsigned char **data, size_t *size);

/* A whole input file in memory without copying it: mapped read-only (the page cache itself), or
 * read into a malloc'ed buffer where mapping is impossible (pipes, empty files). */
typedef struct cli_file_view {
    const unsigned char *data;
    size_t size;
    int mapped;   /* 1: munmap; 0: free */
} cli_file_view;

/* populate: fault the whole mapping in at once (the caller reads all of it); else pages come
 * as touched (reading a header only). @return a cli_exit code (message printed). */
int cli_file_view_open(const char *path, int populate, cli_file_view *out);
void cli_file_view_close(cli_file_view *v);

/* Process-wide allocator tuning for a tool that allocates one large buffer per input: freed
 * blocks are kept for reuse instead of being returned to the system and faulted in afresh for
 * the next file (glibc; a no-op elsewhere). Called once from main(). */
void cli_tune_allocator(void);

/* A file being written: `f` writes to `tmp_path`; commit renames it to `final_path`. */
typedef struct cli_tmpfile {
    char *final_path;
    char *tmp_path;
    FILE *f;
} cli_tmpfile;

/* Creates "<dir of final>/.<name>.tmp-XXXXXX". @return a cli_exit code (message printed). */
int cli_tmp_open(const char *final_path, cli_tmpfile *t);
/* Flushes and closes the temporary file (keeps it for a later rename). */
int cli_tmp_close(cli_tmpfile *t);
/* Renames the (closed) temporary file onto its final name. */
int cli_tmp_commit(cli_tmpfile *t);
/* Closes and deletes the temporary file; safe on a zeroed or committed struct. */
void cli_tmp_discard(cli_tmpfile *t);

/* Joins dir and name with one '/'; malloc'ed, NULL on out-of-memory. */
char *cli_path_join(const char *dir, const char *name);

/* Creates `dir` if missing (one level). *created tells if we made it. */
int cli_ensure_dir(const char *dir, int *created);

#endif /* CONSECO_CLI_FILE_IO_H */
