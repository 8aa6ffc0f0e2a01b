/* SPDX-License-Identifier: Apache-2.0 */
/* --volume and --spacing: the tool-wide reading options of one run (see inputs.h). */
#include "inputs.h"

#include "args.h"
#include "cli.h"

#include <string.h>

static cli_input_opts g_inputs;

int cli_inputs_parse(int volume, const char *spacing_text)
{
    cli_input_opts o;
    memset(&o, 0, sizeof o);
    o.volume = volume != 0;
    if (spacing_text != NULL) {
        size_t count = 0, i;
        int rc = cli_parse_double_list("spacing", spacing_text, o.spacing, 3, &count);
        if (rc != CLI_EXIT_OK) return rc;
        if (count != 3)
            return cli_fail(CLI_EXIT_USAGE, "--spacing takes three sizes in mm: X,Y,Z");
        for (i = 0; i < 3; i++)
            if (!(o.spacing[i] > 0.0 && o.spacing[i] <= 1e300))
                return cli_fail(CLI_EXIT_USAGE, "--spacing: every size must be positive and "
                                                "finite");
    }
    g_inputs = o;
    return CLI_EXIT_OK;
}

const cli_input_opts *cli_inputs(void) { return &g_inputs; }

void cli_inputs_apply_spacing(cli_map *m)
{
    if (m->spacing[0] != 0.0 || m->spacing[1] != 0.0 || m->spacing[2] != 0.0) return;
    m->spacing[0] = g_inputs.spacing[0];
    m->spacing[1] = g_inputs.spacing[1];
    m->spacing[2] = g_inputs.spacing[2];
}
