/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, strict reader of NumPy .npy files held in memory: little-endian,
 * C order, 2-D (h, w) arrays and 3-D (n, h, w) stacks of float32, float64,
 * uint8, uint16 or bool. It never allocates and never reads outside `buf`,
 * so it can be fuzzed directly.
 */
#ifndef CONSECO_CLI_NPY_H
#define CONSECO_CLI_NPY_H

#include <stddef.h>

enum cli_npy_kind {
    CLI_NPY_F32 = 1,
    CLI_NPY_F64 = 2,
    CLI_NPY_U8 = 3,
    CLI_NPY_U16 = 4,
    CLI_NPY_BOOL = 5
};

typedef struct cli_npy {
    int kind;          /* cli_npy_kind */
    size_t item_size;  /* bytes per element */
    size_t ndim;       /* 2 or 3 */
    size_t count;      /* n: 1 for 2-D arrays */
    size_t height;
    size_t width;
    const unsigned char *data; /* points into the parsed buffer */
    size_t slice_bytes;        /* height * width * item_size */
} cli_npy;

/*
 * Parses a whole .npy file. @return 0 on success; -1 if malformed or
 * unsupported, with a short reason in `why` (never NULL; static text).
 */
int cli_npy_parse(const void *buf, size_t size, cli_npy *out, const char **why);

/* Slice i (0 <= i < count) of a parsed array. */
const unsigned char *cli_npy_slice(const cli_npy *a, size_t i);

#endif /* CONSECO_CLI_NPY_H */
