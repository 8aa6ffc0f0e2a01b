/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Turning a dataset entry into pixels through the format table (formats.h): score maps, masks
 * (nonzero = inside) and RGB pictures for overlays. Stacks are read once and sliced.
 */
#ifndef CONSECO_CLI_LOADER_H
#define CONSECO_CLI_LOADER_H

#include "dataset.h"
#include "file_io.h"
#include "formats.h"

#include <conseco.h>
#include <stddef.h>

/* Keeps the last file read so the slices of a stack cost one read. */
typedef struct cli_loader {
    char *path;
    cli_file_view file; /* the file mapped (or read) once */
} cli_loader;

void cli_loader_init(cli_loader *l);
void cli_loader_free(cli_loader *l);

int cli_load_score(cli_loader *l, const cli_entry *e, cli_map *out);
int cli_load_mask(cli_loader *l, const cli_entry *e, cli_map *out);
/* RGB8 picture for overlays (formats that have pictures). */
int cli_load_rgb(cli_loader *l, const cli_entry *e, cli_map *out);

void cli_map_free(cli_map *m);

/* Views for the library (any depth). */
conseco_image cli_map_image(const cli_map *m);
conseco_mask cli_map_mask(const cli_map *m);
/* "WxH", or "WxHxD" when depth > 1, for messages. */
const char *cli_map_shape(const cli_map *m, char *buf, size_t size);
/* 1 if a and b have the same width, height and depth. */
int cli_map_same_shape(const cli_map *a, const cli_map *b);
/* 1 if a and b agree in voxel size within 1e-4 relative on every axis; an axis whose size
 * one of them does not give (0: a PNG or .npy) agrees with anything. */
int cli_map_same_spacing(const cli_map *a, const cli_map *b);
/* Number of elements width * height * depth. */
size_t cli_map_count(const cli_map *m);

#endif /* CONSECO_CLI_LOADER_H */
