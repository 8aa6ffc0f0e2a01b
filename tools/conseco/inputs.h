/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the inputs of one run are read, shared by every command that reads folders:
 * --volume (a 3-D .npy (z, y, x) is one volume, not a stack of 2-D images) and
 * --spacing x,y,z (voxel size in mm of inputs whose format carries none: .npy, PNG; NIfTI
 * files keep their pixdim). Set once, after the command's flags are parsed and before any folder
 * is scanned; a command that never calls cli_inputs_parse reads as before (stacks, no spacing).
 */
#ifndef CONSECO_CLI_INPUTS_H
#define CONSECO_CLI_INPUTS_H

#include "formats.h"

typedef struct cli_input_opts {
    int volume;         /* 3-D arrays are one volume each */
    double spacing[3];  /* 0 = not given */
} cli_input_opts;

/* Validates --spacing (three positive finite numbers "x,y,z"; text NULL = not given) and sets
 * the options. @return CLI_EXIT_OK or CLI_EXIT_USAGE (message printed). */
int cli_inputs_parse(int volume, const char *spacing_text);
/* The options in force. */
const cli_input_opts *cli_inputs(void);
/* Gives `m` the --spacing when its file carried none. */
void cli_inputs_apply_spacing(cli_map *m);

/* Help lines for the two flags, for the commands' --help. */
#define CLI_INPUTS_HELP                                                                          \
    "  --volume         a 3-D .npy (z, y, x) is one volume (one score), not a stack of\n"      \
    "                   2-D images; NIfTI files are always one volume each\n"                  \
    "  --spacing X,Y,Z  voxel size in mm of inputs that carry none (.npy, PNG); NIfTI\n"        \
    "                   files keep their pixdim\n"

#endif /* CONSECO_CLI_INPUTS_H */
