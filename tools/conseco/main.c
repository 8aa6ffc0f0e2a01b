/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco`: command dispatch, --help and --version. */
#include "cli.h"
#include "commands.h"
#include "file_io.h"
#include "formats.h"

#include <conseco.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: conseco <command> [options]\n"
    "\n"
    "Conformal false-positive control for binary segmentation (libconseco %s).\n"
    "\n"
    "commands:\n"
    "  calibrate  scores of a calibration folder, k and lambda_hat (--json, --save)\n"
    "  apply      inner masks, uncertain regions and overlays for a folder\n"
    "  evaluate   the paper's Table 1 protocol (EV, CR, ATP over random splits)\n"
    "  demo       everything on built-in synthetic data; no files needed\n"
    "\n"
    "`conseco <command> --help` describes each command.\n"
    "exit codes: 0 success, 1 internal error/out of memory, 2 usage, 3 file I/O,\n"
    "            4 bad input data, 5 library error\n";

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    cli_tune_allocator();
    cli_nifti_init();
    if (cmd == NULL)
        return fprintf(stderr, usage, conseco_version_string()), CLI_EXIT_USAGE;
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf(usage, conseco_version_string());
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("conseco %s (libconseco %s)\n", CONSECO_VERSION_STRING, conseco_version_string());
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "calibrate") == 0) return cli_cmd_calibrate(argc - 1, argv + 1);
    if (strcmp(cmd, "apply") == 0) return cli_cmd_apply(argc - 1, argv + 1);
    if (strcmp(cmd, "evaluate") == 0) return cli_cmd_evaluate(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0) return cli_cmd_demo(argc - 1, argv + 1);
    return cli_fail(CLI_EXIT_USAGE, "unknown command '%s' (try conseco --help)", cmd);
}
