/*
 * A batch of output files written all-or-nothing: every file goes to a
 * temporary name first; only when the whole run succeeded are they renamed
 * into place. On failure the temporaries (and directories this run created)
 * are removed, so no partial output is left behind.
 */
#ifndef CONSECO_CLI_STAGING_H
#define CONSECO_CLI_STAGING_H

#include "file_io.h"

typedef struct cli_staging {
    cli_tmpfile *files;
    size_t count;
    size_t capacity;
    char **made_dirs; /* directories created by this run, removed on abort if empty */
    size_t dir_count;
} cli_staging;

void cli_staging_init(cli_staging *s);
/* Creates `dir` if needed and remembers it when it was made by us. */
int cli_staging_dir(cli_staging *s, const char *dir);
/* Opens a new staged file dir/name; *f receives the stream to write. */
int cli_staging_open(cli_staging *s, const char *dir, const char *name, FILE **f);
/* Closes the file most recently opened (keeps it staged). */
int cli_staging_close_last(cli_staging *s);
/* Renames every staged file into place. */
int cli_staging_commit(cli_staging *s);
/* Deletes all staged temporaries and the directories this run created; frees. */
void cli_staging_abort(cli_staging *s);

#endif /* CONSECO_CLI_STAGING_H */
