/*
 * A folder of inputs: files named <id>.png or <id>.npy (2-D), or one .npy
 * stack (n, h, w) whose ids are 0..n-1; listed in natural id order. Pairing
 * matches predictions to masks by id.
 */
#ifndef CONSECO_CLI_DATASET_H
#define CONSECO_CLI_DATASET_H

#include <stddef.h>

typedef struct cli_entry {
    char *id;    /* file stem, or the slice number for stacks */
    char *path;  /* file to read */
    long slice;  /* -1 for a 2-D file, else the index in a 3-D .npy stack */
} cli_entry;

typedef struct cli_dataset {
    char *dir;
    cli_entry *items;
    size_t count;
} cli_dataset;

/* Lists `dir`. @return a cli_exit code; errors (unreadable, empty, duplicate id) printed. */
int cli_dataset_scan(const char *dir, cli_dataset *out);
void cli_dataset_free(cli_dataset *d);

/* Index of `id` in d, or (size_t)-1. d must be sorted (scan does that). */
size_t cli_dataset_find(const cli_dataset *d, const char *id);

/* For every prediction, the index of its mask in `gt`; error if one is missing.
 * *index is malloc'ed with pred->count entries. */
int cli_dataset_pair(const cli_dataset *pred, const cli_dataset *gt, size_t **index);

#endif /* CONSECO_CLI_DATASET_H */
