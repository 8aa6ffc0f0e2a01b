/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A folder of inputs: every file whose first bytes are the magic of a format in the table
 * (formats.h), plus files with a format's extension (so that a damaged one is reported, not
 * skipped). A file holds one image with id = its name without the format's extension, or a
 * stack (a 3-D .npy) of n images with ids 0..n-1. Listed in natural id order. Pairing matches
 * predictions to masks by id.
 */
#ifndef CONSECO_CLI_DATASET_H
#define CONSECO_CLI_DATASET_H

#include "formats.h"

#include <stddef.h>

typedef struct cli_entry {
    char *id;    /* file stem, or the slice number for stacks */
    char *path;  /* file to read */
    long slice;  /* -1 for a file read whole, else the index of the image in a stack */
    const cli_format *format;
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

/* For every prediction, the index of its mask in `gt`; error if one is missing. A mask with no
 * prediction is a warning on stderr, or a data error when `strict`.
 * *index is malloc'ed with pred->count entries. */
int cli_dataset_pair(const cli_dataset *pred, const cli_dataset *gt, int strict, size_t **index);

#endif /* CONSECO_CLI_DATASET_H */
