/* All-or-nothing output batches for `conseco apply` and `conseco demo`. */
#define _POSIX_C_SOURCE 200809L
#include "staging.h"

#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_staging_init(cli_staging *s) { memset(s, 0, sizeof *s); }

int cli_staging_dir(cli_staging *s, const char *dir)
{
    int created = 0, rc = cli_ensure_dir(dir, &created);
    char **nd;
    if (rc != CLI_EXIT_OK || !created) return rc;
    nd = (char **)realloc(s->made_dirs, (s->dir_count + 1) * sizeof *nd);
    if (nd == NULL) return cli_fail_nomem();
    s->made_dirs = nd;
    s->made_dirs[s->dir_count] = (char *)malloc(strlen(dir) + 1);
    if (s->made_dirs[s->dir_count] == NULL) return cli_fail_nomem();
    strcpy(s->made_dirs[s->dir_count], dir);
    s->dir_count++;
    return CLI_EXIT_OK;
}

int cli_staging_open(cli_staging *s, const char *dir, const char *name, FILE **f)
{
    char *path;
    int rc;
    if (s->count == s->capacity) {
        size_t ncap = s->capacity ? s->capacity * 2 : 64;
        cli_tmpfile *nf = (cli_tmpfile *)realloc(s->files, ncap * sizeof *nf);
        if (nf == NULL) return cli_fail_nomem();
        s->files = nf;
        s->capacity = ncap;
    }
    path = cli_path_join(dir, name);
    if (path == NULL) return cli_fail_nomem();
    rc = cli_tmp_open(path, &s->files[s->count]);
    free(path);
    if (rc != CLI_EXIT_OK) return rc;
    *f = s->files[s->count].f;
    s->count++;
    return CLI_EXIT_OK;
}

int cli_staging_close_last(cli_staging *s)
{
    if (s->count == 0) return CLI_EXIT_OK;
    return cli_tmp_close(&s->files[s->count - 1]);
}

static void release(cli_staging *s)
{
    size_t i;
    for (i = 0; i < s->count; i++) cli_tmp_discard(&s->files[i]);
    for (i = 0; i < s->dir_count; i++) free(s->made_dirs[i]);
    free(s->files);
    free(s->made_dirs);
    cli_staging_init(s);
}

int cli_staging_commit(cli_staging *s)
{
    size_t i;
    int rc;
    for (i = 0; i < s->count; i++)
        if ((rc = cli_tmp_close(&s->files[i])) != CLI_EXIT_OK) {
            cli_staging_abort(s);
            return rc;
        }
    for (i = 0; i < s->count; i++)
        if ((rc = cli_tmp_commit(&s->files[i])) != CLI_EXIT_OK) {
            /* earlier renames cannot be undone without the old contents; stop here */
            cli_staging_abort(s);
            return rc;
        }
    release(s);
    return CLI_EXIT_OK;
}

void cli_staging_abort(cli_staging *s)
{
    size_t i;
    for (i = 0; i < s->count; i++) cli_tmp_discard(&s->files[i]);
    /* newest first so nested directories go before their parents; rmdir keeps non-empty ones */
    for (i = s->dir_count; i-- > 0;) (void)rmdir(s->made_dirs[i]);
    release(s);
}
