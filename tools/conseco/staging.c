/* SPDX-License-Identifier: Apache-2.0 */
/* All-or-nothing output batches for `conseco apply` and `conseco demo`, with signal cleanup. */
#if defined(__linux__)
#define _GNU_SOURCE /* syscall (renameat2), plus what the line below asks for */
#else
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp, sigaction */
#endif
#include "staging.h"

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

/* ------------------------------------------------------------ the signal cleanup list
 * Nodes are fully built before they are linked, and linking is one pointer store, so the
 * handler always sees a consistent list. Newest first: files go before the folders holding
 * them. The handler only calls unlink, rmdir and _exit (async-signal-safe). */
typedef struct cleanup_node {
    struct cleanup_node *next;
    int is_dir;
    char path[1]; /* allocated longer */
} cleanup_node;

static cleanup_node *volatile cleanup_head = NULL;
static int signals_armed = 0;

static void on_signal(int sig)
{
    const cleanup_node *n;
    for (n = cleanup_head; n != NULL; n = n->next) {
        if (n->is_dir) (void)rmdir(n->path);
        else (void)unlink(n->path);
    }
    _exit(128 + sig);
}

void cli_staging_arm_signals(void)
{
    struct sigaction sa;
    if (signals_armed) return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    signals_armed = 1;
}

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    (void)sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old) { (void)sigprocmask(SIG_SETMASK, old, NULL); }

/* Call with signals blocked. */
static int remember(const char *path, int is_dir)
{
    size_t len = strlen(path);
    cleanup_node *n = (cleanup_node *)malloc(sizeof *n + len);
    if (n == NULL) return -1;
    memcpy(n->path, path, len + 1);
    n->is_dir = is_dir;
    n->next = cleanup_head;
    cleanup_head = n;
    return 0;
}

/* Call with signals blocked. */
static void forget_all(void)
{
    cleanup_node *n = cleanup_head;
    cleanup_head = NULL;
    while (n != NULL) {
        cleanup_node *next = n->next;
        free(n);
        n = next;
    }
}

/* ------------------------------------------------------------ folders */
static char *dup_str(const char *s)
{
    char *p = (char *)malloc(strlen(s) + 1);
    if (p != NULL) strcpy(p, s);
    return p;
}

static int dir_is_empty(const char *dir, int *empty)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    if (dh == NULL)
        return cli_fail(CLI_EXIT_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    *empty = 1;
    while ((e = readdir(dh)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            *empty = 0;
            break;
        }
    closedir(dh);
    return CLI_EXIT_OK;
}

/* "<parent>/.<base>.<tag>-XXXXXX" next to dir (same file system, so renames work). */
static char *sibling_template(const char *dir, const char *tag)
{
    size_t len = strlen(dir);
    const char *slash, *base;
    char *t;
    while (len > 1 && dir[len - 1] == '/') len--;
    slash = NULL;
    {
        size_t i;
        for (i = 0; i < len; i++)
            if (dir[i] == '/') slash = dir + i;
    }
    base = slash ? slash + 1 : dir;
    t = (char *)malloc(len + strlen(tag) + 16);
    if (t == NULL) return NULL;
    sprintf(t, "%.*s.%.*s.%s-XXXXXX", (int)(base - dir), dir, (int)(dir + len - base), base, tag);
    return t;
}

static cli_stage_dir *find_dir(cli_staging *s, const char *dir)
{
    size_t i;
    for (i = 0; i < s->dir_count; i++)
        if (strcmp(s->dirs[i].final_dir, dir) == 0) return &s->dirs[i];
    return NULL;
}

void cli_staging_init(cli_staging *s) { memset(s, 0, sizeof *s); }

int cli_staging_dir(cli_staging *s, const char *dir, int mode)
{
    cli_stage_dir *nd, *d;
    struct stat st;
    sigset_t old;
    int rc = CLI_EXIT_OK, exists = stat(dir, &st) == 0, empty = 1;
    if (exists && !S_ISDIR(st.st_mode)) return cli_fail(CLI_EXIT_IO, "%s: not a directory", dir);
    if (exists && mode != CLI_STAGE_MERGE && (rc = dir_is_empty(dir, &empty)) != CLI_EXIT_OK)
        return rc;
    if (exists && !empty && mode == CLI_STAGE_REFUSE)
        return cli_fail(CLI_EXIT_USAGE, "output folder %s is not empty; empty it, pick another, "
                        "or add --force to replace it", dir);
    nd = (cli_stage_dir *)realloc(s->dirs, (s->dir_count + 1) * sizeof *nd);
    if (nd == NULL) return cli_fail_nomem();
    s->dirs = nd;
    d = &s->dirs[s->dir_count];
    memset(d, 0, sizeof *d);
    d->final_dir = dup_str(dir);
    if (d->final_dir == NULL) return cli_fail_nomem();
    block_signals(&old);
    if (exists && !empty && mode == CLI_STAGE_REPLACE) {
        d->work_dir = sibling_template(dir, "new");
        if (d->work_dir == NULL) rc = cli_fail_nomem();
        else if (mkdtemp(d->work_dir) == NULL) {
            rc = cli_fail(CLI_EXIT_IO, "%s: cannot create a folder next to it: %s", dir,
                          strerror(errno));
            free(d->work_dir);
            d->work_dir = NULL;
        } else {
            (void)chmod(d->work_dir, st.st_mode & 07777);
            d->replace = 1;
            if (remember(d->work_dir, 1) != 0) rc = cli_fail_nomem();
        }
    } else {
        d->work_dir = dup_str(dir);
        if (d->work_dir == NULL) rc = cli_fail_nomem();
        else if (!exists) {
            if (mkdir(dir, 0777) != 0)
                rc = cli_fail(CLI_EXIT_IO, "%s: cannot create directory: %s", dir,
                              strerror(errno));
            else {
                d->made = 1;
                if (remember(dir, 1) != 0) rc = cli_fail_nomem();
            }
        }
    }
    restore_signals(&old);
    s->dir_count++; /* counted even on failure: abort frees (and removes) what was made */
    return rc;
}

int cli_staging_open(cli_staging *s, const char *dir, const char *name, FILE **f)
{
    const cli_stage_dir *d = find_dir(s, dir);
    char *path;
    sigset_t old;
    int rc;
    if (s->count == s->capacity) {
        size_t ncap = s->capacity ? s->capacity * 2 : 64;
        cli_tmpfile *nf = (cli_tmpfile *)realloc(s->files, ncap * sizeof *nf);
        if (nf == NULL) return cli_fail_nomem();
        s->files = nf;
        s->capacity = ncap;
    }
    path = cli_path_join(d != NULL ? d->work_dir : dir, name);
    if (path == NULL) return cli_fail_nomem();
    block_signals(&old);
    rc = cli_tmp_open(path, &s->files[s->count]);
    free(path);
    if (rc == CLI_EXIT_OK) {
        if (remember(s->files[s->count].tmp_path, 0) != 0) {
            cli_tmp_discard(&s->files[s->count]);
            rc = cli_fail_nomem();
        } else {
            *f = s->files[s->count].f;
            s->count++;
        }
    }
    restore_signals(&old);
    return rc;
}

cli_tmpfile *cli_staging_last(cli_staging *s)
{
    return s->count ? &s->files[s->count - 1] : NULL;
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
    for (i = 0; i < s->dir_count; i++) {
        free(s->dirs[i].final_dir);
        free(s->dirs[i].work_dir);
    }
    free(s->files);
    free(s->dirs);
    cli_staging_init(s);
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP) return rmdir(path) != 0 ? -1 : 0;
    return unlink(path) != 0 ? -1 : 0;
}

/* Puts work_dir in the place of final_dir; the old folder ends up at work_dir's name. */
static int exchange_dirs(const char *work_dir, const char *final_dir, char **old_out)
{
    char *aside;
    *old_out = NULL;
#if defined(__linux__) && defined(SYS_renameat2)
    /* RENAME_EXCHANGE (2): both names always exist, the swap is atomic */
    if (syscall(SYS_renameat2, -100 /* AT_FDCWD */, work_dir, -100, final_dir, 2u) == 0) {
        *old_out = dup_str(work_dir);
        return *old_out != NULL ? CLI_EXIT_OK : cli_fail_nomem();
    }
#endif
    aside = sibling_template(final_dir, "old");
    if (aside == NULL) return cli_fail_nomem();
    if (mkdtemp(aside) == NULL || rmdir(aside) != 0 || rename(final_dir, aside) != 0) {
        int e = errno;
        free(aside);
        return cli_fail(CLI_EXIT_IO, "%s: cannot move the old folder aside: %s", final_dir,
                        strerror(e));
    }
    if (rename(work_dir, final_dir) != 0) {
        int e = errno;
        (void)rename(aside, final_dir);
        free(aside);
        return cli_fail(CLI_EXIT_IO, "%s: cannot rename into place: %s", final_dir, strerror(e));
    }
    *old_out = aside;
    return CLI_EXIT_OK;
}

int cli_staging_commit(cli_staging *s)
{
    size_t i;
    int rc = CLI_EXIT_OK;
    sigset_t old;
    block_signals(&old); /* from here on the run completes or rolls back, not half of each */
    for (i = 0; rc == CLI_EXIT_OK && i < s->count; i++) rc = cli_tmp_close(&s->files[i]);
    for (i = 0; rc == CLI_EXIT_OK && i < s->count; i++) rc = cli_tmp_commit(&s->files[i]);
    /* earlier renames cannot be undone without the old contents; on failure stop here */
    for (i = 0; rc == CLI_EXIT_OK && i < s->dir_count; i++) {
        char *old_dir = NULL;
        if (!s->dirs[i].replace) continue;
        rc = exchange_dirs(s->dirs[i].work_dir, s->dirs[i].final_dir, &old_dir);
        if (rc == CLI_EXIT_OK) {
            s->dirs[i].replace = 0;
            if (nftw(old_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
                fprintf(stderr, "conseco: warning: %s: could not delete all of the old "
                        "folder's contents\n", old_dir);
        }
        free(old_dir);
    }
    if (rc != CLI_EXIT_OK) {
        restore_signals(&old);
        cli_staging_abort(s);
        return rc;
    }
    forget_all();
    release(s);
    restore_signals(&old);
    return CLI_EXIT_OK;
}

void cli_staging_abort(cli_staging *s)
{
    size_t i;
    sigset_t old;
    block_signals(&old);
    for (i = 0; i < s->count; i++) cli_tmp_discard(&s->files[i]);
    /* newest first so nested directories go before their parents; rmdir keeps non-empty ones */
    for (i = s->dir_count; i-- > 0;) {
        const cli_stage_dir *d = &s->dirs[i];
        if (d->work_dir == NULL) continue;
        if (d->replace) (void)nftw(d->work_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        else if (d->made) (void)rmdir(d->work_dir);
    }
    forget_all();
    release(s);
    restore_signals(&old);
}
