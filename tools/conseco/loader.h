/*
 * Turning a dataset entry into pixels: score maps (PNG 8/16-bit, .npy float32,
 * float64, uint8, uint16, bool), masks (PNG or .npy bool/uint8, nonzero =
 * inside) and RGB pictures for overlays. Stacks are read once and sliced.
 */
#ifndef CONSECO_CLI_LOADER_H
#define CONSECO_CLI_LOADER_H

#include "dataset.h"

#include <conseco.h>
#include <stddef.h>

/* Pixels owned by the caller (free with cli_map_free). Rows packed. */
typedef struct cli_map {
    size_t width;
    size_t height;
    int dtype;            /* conseco_dtype for score maps; CONSECO_DTYPE_MASK8 for masks */
    size_t elem;          /* bytes per pixel (3 for RGB pictures) */
    unsigned char *data;
} cli_map;

/* Largest image the tool accepts, in pixels (keeps hostile files from exhausting memory). */
#define CLI_MAX_PIXELS ((size_t)1 << 28)

/* Keeps the last file read so the slices of a stack cost one read. */
typedef struct cli_loader {
    char *path;
    unsigned char *buf;
    size_t size;
} cli_loader;

void cli_loader_init(cli_loader *l);
void cli_loader_free(cli_loader *l);

int cli_load_score(cli_loader *l, const cli_entry *e, cli_map *out);
int cli_load_mask(cli_loader *l, const cli_entry *e, cli_map *out);
/* RGB8 picture (any PNG) for overlays. */
int cli_load_rgb(cli_loader *l, const cli_entry *e, cli_map *out);

void cli_map_free(cli_map *m);

/* Views for the library. */
conseco_image cli_map_image(const cli_map *m);
conseco_mask cli_map_mask(const cli_map *m);

#endif /* CONSECO_CLI_LOADER_H */
