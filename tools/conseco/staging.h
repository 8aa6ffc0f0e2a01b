/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A batch of output files written all-or-nothing: every file goes to a
 * temporary name first; only when the whole run succeeded are they renamed
 * into place. On failure the temporaries (and directories this run created)
 * are removed, so no partial output is left behind. The same happens on
 * SIGINT/SIGTERM once cli_staging_arm_signals() was called: the handler
 * removes what was staged (an async-signal-safe list of paths) and exits with
 * 128 + the signal number (130, 143).
 */
#ifndef CONSECO_CLI_STAGING_H
#define CONSECO_CLI_STAGING_H

#include "file_io.h"

/* What to do with an output folder that exists and is not empty. */
enum cli_stage_mode {
    CLI_STAGE_MERGE = 0,   /* add files to it (the demo's data folders) */
    CLI_STAGE_REFUSE = 1,  /* usage error: pick an empty or new folder, or --force */
    CLI_STAGE_REPLACE = 2  /* --force: stage in a sibling temporary folder that replaces the
                              old folder as a whole at commit (atomic exchange where the system
                              has one, else two renames); the old contents are then deleted */
};

typedef struct cli_stage_dir {
    char *final_dir; /* the folder the user named */
    char *work_dir;  /* where its files are staged: final_dir or the sibling temporary folder */
    int made;        /* final_dir was created by this run */
    int replace;     /* work_dir replaces final_dir at commit */
} cli_stage_dir;

typedef struct cli_staging {
    cli_tmpfile *files;
    size_t count;
    size_t capacity;
    cli_stage_dir *dirs;
    size_t dir_count;
} cli_staging;

/* Installs the SIGINT/SIGTERM cleanup handlers (once per process). */
void cli_staging_arm_signals(void);

void cli_staging_init(cli_staging *s);
/* Prepares the output folder `dir` (created if missing) under `mode` (cli_stage_mode). */
int cli_staging_dir(cli_staging *s, const char *dir, int mode);
/* Opens a new staged file dir/name (dir as given to cli_staging_dir, or any other folder);
 * *f receives the stream to write. */
int cli_staging_open(cli_staging *s, const char *dir, const char *name, FILE **f);
/* The file most recently opened (its tmp_path and final_path, for writers that need names). */
cli_tmpfile *cli_staging_last(cli_staging *s);
/* Closes the file most recently opened (keeps it staged). */
int cli_staging_close_last(cli_staging *s);
/* Renames every staged file into place (and replaced folders). */
int cli_staging_commit(cli_staging *s);
/* Deletes all staged temporaries and the directories this run created; frees. */
void cli_staging_abort(cli_staging *s);

#endif /* CONSECO_CLI_STAGING_H */
