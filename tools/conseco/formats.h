/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tool's file formats, as one table. A row says how to recognise a file (magic bytes, and
 * its extensions for the id and a tie-break), how many images it holds, how to read a score map
 * or a mask from it into a cli_map, and how to write a mask "like" an input of that format (same
 * geometry, in the same format). dataset.c, loader.c and cmd_apply.c only go through the table.
 */
#ifndef CONSECO_CLI_FORMATS_H
#define CONSECO_CLI_FORMATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_format;

/* Largest image the tool accepts, in elements (keeps hostile files from exhausting memory). */
#define CLI_MAX_PIXELS ((size_t)1 << 28)

/* Pixels owned by the caller (free with cli_map_free). Element strides: x is always 1; rows and
 * slices are packed unless a reader says otherwise (stride[1] >= width, stride[2] >= height *
 * stride[1]). depth is 1 for a 2-D image. */
typedef struct cli_map {
    size_t width;
    size_t height;
    size_t depth;
    size_t stride[3];     /* in elements: x, y (row), z (slice) */
    double spacing[3];    /* voxel size along x, y, z (mm); 0 = not given (reads as 1) */
    int dtype;            /* conseco_dtype for score maps; CONSECO_DTYPE_MASK8 for masks */
    size_t elem;          /* bytes per element (3 for RGB pictures) */
    unsigned char *data;
    const struct cli_format *format; /* the format it was read from (NULL: made in memory) */
    void *geometry;       /* opaque, malloc'ed, owned: what format->write_mask_like needs beyond
                             width/height/depth (a NIfTI header, say); NULL when nothing */
    size_t geometry_size;
} cli_map;

/* What the reader is asked for. */
enum cli_read_role {
    CLI_READ_SCORE = 0, /* a score map of any dtype the library takes */
    CLI_READ_MASK = 1,  /* a mask: nonzero = inside, one byte per element (0/1 or 0..255) */
    CLI_READ_RGB = 2    /* an 8-bit RGB picture for overlays (optional per format) */
};

/* A file's bytes handed to a reader: the whole file, already in memory. */
typedef struct cli_file_bytes {
    const char *path;          /* for messages */
    const unsigned char *data;
    size_t size;
} cli_file_bytes;

/* Where write_mask_like writes: a staged temporary file (see staging.h). A format may write to
 * `f`, or close it and write `tmp_path` itself (libraries that only write by name); the staging
 * renames tmp_path onto final_path when the whole run succeeded. */
typedef struct cli_out_file {
    FILE *f;
    const char *tmp_path;
    const char *final_path;    /* for messages */
} cli_out_file;

typedef struct cli_format {
    const char *name;                /* "png" */
    /* 0: count_images and read get the whole file in memory (the loader reads it once, and
     * keeps it for the slices of a stack); 1: they get only the path (data NULL, size 0), for
     * libraries that open files themselves. */
    int by_path;
    const char *const *extensions;   /* lower-case with the dot, NULL-terminated, longest
                                        first (".nii.gz" before ".nii"); the first is written */
    /* 1 if the first bytes (n of them, n may be less than the format needs) are this format's
     * magic. */
    int (*sniff)(const unsigned char *head, size_t n);
    /* How many images the file holds: *count = 0 means "one image, named by the file's stem";
     * k > 0 means a stack of k images with ids 0..k-1 (slice numbers). May be NULL (always
     * one image). Returns a cli_exit code with the message printed. */
    int (*count_images)(const cli_file_bytes *file, size_t *count);
    /* Reads image `slice` (-1: the whole file) in the given role into *out (zeroed first;
     * out->format and geometry set by the reader). Returns a cli_exit code, message printed. */
    int (*read)(const cli_file_bytes *file, long slice, int role, cli_map *out);
    /* Writes a 0/1 mask with the geometry of `like` (a map this format read), in this format.
     * mask is packed: like->width * like->height * like->depth bytes. */
    int (*write_mask_like)(const cli_map *like, const uint8_t *mask, const cli_out_file *out);
} cli_format;

/* The table (formats.c), in sniffing order, and its length. */
extern const cli_format *const cli_formats[];
extern const size_t cli_format_count;

/* The format whose magic matches `head` (ties: the one whose extension `name` carries, else the
 * first row); NULL when no magic matches. */
const cli_format *cli_format_sniff(const unsigned char *head, size_t n, const char *name);
/* The format one of whose extensions `name` ends with (case-insensitive), or NULL; *ext_len
 * receives the length of that extension including the dot. */
const cli_format *cli_format_by_extension(const char *name, size_t *ext_len);
/* Length of the extension of `format` that `name` ends with (with the dot), or 0. */
size_t cli_format_extension_len(const cli_format *format, const char *name);
/* "<id>.<first extension of format>" into buf; 0 on success, -1 if it does not fit. */
int cli_format_output_name(const cli_format *format, const char *id, char *buf, size_t size);
/* "a, b or c": the extensions of every format, for messages. */
void cli_format_list_extensions(char *buf, size_t size);

/* Fills the packed strides of m from width and height. */
void cli_map_pack_strides(cli_map *m);

/* Rows (one file per format). */
extern const cli_format cli_format_png;
extern const cli_format cli_format_npy;
/* .nii/.nii.gz; without libnifti (CONSECO_WITH_NIFTI off) it recognises NIfTI files and says
 * that this build cannot read them. */
extern const cli_format cli_format_nifti;
/* Once per process, before any thread reads: libnifti's (global) message level. */
void cli_nifti_init(void);
/* A new uint8 NIfTI-1 volume (gzip; pixdim = spacing in mm, qform = sform = diag(spacing), code 1;
 * scl_slope `slope`, 0 = none) to a staged file, read back and checked. Exit 4 with a message
 * when the tool was built without NIfTI. */
int cli_nifti_write_u8(const cli_out_file *out, size_t width, size_t height, size_t depth,
                       const double spacing[3], float slope, const uint8_t *voxels);

#endif /* CONSECO_CLI_FORMATS_H */
