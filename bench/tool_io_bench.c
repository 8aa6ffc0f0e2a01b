/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conseco_tool_bench: is `conseco calibrate` I/O-bound? (issue 11: at most 1.5x the time of
 * reading the same files, `cat` to /dev/null, plus the library's own time.)
 *
 * In one run, on the same folders, median over --reps repetitions (page cache warm):
 *   read_floor  every file read into one reused 1 MiB buffer (what `cat > /dev/null` does);
 *               for .nii.gz folders also gunzip_floor: every file inflated with zlib into one
 *               reused buffer (the inherent cost of compressed inputs)
 *   library     conseco_calibrator_add on every pair already in memory (threshold, tau 0.1)
 *   tool        `conseco calibrate --quiet` on the folders, in process (cli_cmd_calibrate)
 * and prints tool / (read_floor + library), in wall-clock and in process CPU time.
 *
 * usage: conseco_tool_bench [--n 10] [--side 4096] [--reps 3] [--dir DIR]
 *        conseco_tool_bench --pred DIR --gt DIR [--reps 3] [--threads T]
 * Without --pred/--gt it makes --n float32 side x side .npy score maps and bool masks in
 * DIR/pred and DIR/gt (default DIR: /tmp/conseco-tool-bench), once.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"

#include "cli.h"
#include "commands.h"
#include "dataset.h"
#include "file_io.h"
#include "formats.h"
#include "loader.h"
#include "pairs.h"

#include <conseco.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef CONSECO_BENCH_HAVE_ZLIB
#include <zlib.h>
#endif

static double process_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

typedef struct timing {
    double wall, cpu;
} timing;

static void write_npy(const char *path, const char *descr, size_t side, const void *data,
                      size_t elem)
{
    char header[128];
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t len;
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    len = (size_t)snprintf(header, sizeof header,
                           "{'descr': '%s', 'fortran_order': False, 'shape': (%lu, %lu), }",
                           descr, (unsigned long)side, (unsigned long)side);
    while ((sizeof pre + len + 1) % 64 != 0) header[len++] = ' ';
    header[len++] = '\n';
    pre[8] = (unsigned char)len;
    fwrite(pre, 1, sizeof pre, f);
    fwrite(header, 1, len, f);
    fwrite(data, elem, side * side, f);
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void make_data(const char *dir, size_t n, size_t side)
{
    char pred[512], gt[512], path[600];
    size_t i, j, px = side * side;
    float *s = (float *)bench_alloc(px * sizeof(float));
    unsigned char *m = (unsigned char *)bench_alloc(px);
    bench_rng r = {12345};
    snprintf(pred, sizeof pred, "%s/pred", dir);
    snprintf(gt, sizeof gt, "%s/gt", dir);
    mkdir(dir, 0777);
    mkdir(pred, 0777);
    mkdir(gt, 0777);
    snprintf(path, sizeof path, "%s/%lu.npy", gt, (unsigned long)(n - 1));
    if (access(path, F_OK) == 0) {
        free(s);
        free(m);
        return; /* made by an earlier run */
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < px; j++) {
            s[j] = (float)bench_uniform(&r, 0.0, 1.0);
            m[j] = s[j] > 0.55f && (bench_next(&r) & 7) != 0;
        }
        snprintf(path, sizeof path, "%s/%lu.npy", pred, (unsigned long)i);
        write_npy(path, "<f4", side, s, 4);
        snprintf(path, sizeof path, "%s/%lu.npy", gt, (unsigned long)i);
        write_npy(path, "|b1", side, m, 1);
    }
    free(s);
    free(m);
}

/* Every regular file of dir (one level), read through a reused buffer. */
static size_t read_folder(const char *dir, unsigned char *buf, size_t cap, int inflate)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t total = 0;
    if (d == NULL) {
        perror(dir);
        exit(1);
    }
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!inflate) {
            int fd = open(path, O_RDONLY);
            ssize_t got;
            if (fd < 0) continue;
            while ((got = read(fd, buf, cap)) > 0) total += (size_t)got;
            close(fd);
        }
#ifdef CONSECO_BENCH_HAVE_ZLIB
        else {
            gzFile g = gzopen(path, "rb");
            int got;
            if (g == NULL) continue;
            gzbuffer(g, 1u << 18);
            while ((got = gzread(g, buf, (unsigned)cap)) > 0) total += (size_t)got;
            gzclose(g);
        }
#endif
    }
    closedir(d);
    return total;
}

static timing time_read(const char *pred, const char *gt, int inflate)
{
    const size_t cap = (size_t)1 << 20;
    unsigned char *buf = (unsigned char *)bench_alloc(cap);
    timing t;
    double w0 = bench_now(), c0 = process_cpu();
    size_t bytes = read_folder(pred, buf, cap, inflate) + read_folder(gt, buf, cap, inflate);
    t.wall = bench_now() - w0;
    t.cpu = process_cpu() - c0;
    free(buf);
    (void)bytes;
    return t;
}

/* The library alone: each pair is decoded untimed, then only conseco_calibrator_add is timed
 * (one pair in memory at a time, as the tool holds them). */
static timing time_library(const char *pred_dir, const char *gt_dir)
{
    conseco_calibrator_config cfg;
    conseco_calibrator *cal = NULL;
    conseco_shrinker sh;
    conseco_threshold_params tp;
    cli_dataset pred, gt;
    size_t i, *ix = NULL;
    cli_loader l;
    timing t = {0.0, 0.0};
    if (cli_dataset_scan(pred_dir, &pred) != 0 || cli_dataset_scan(gt_dir, &gt) != 0 ||
        cli_dataset_pair(&pred, &gt, 0, &ix) != 0)
        exit(1);
    conseco_threshold_params_default(&tp);
    sh = conseco_shrinker_threshold(&tp);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = sh;
    cfg.tau = 0.1;
    cfg.capacity = pred.count;
    if (conseco_calibrator_create(&cfg, NULL, &cal) != CONSECO_OK) exit(1);
    cli_loader_init(&l);
    for (i = 0; i < pred.count; i++) {
        cli_map s, m;
        conseco_image im;
        conseco_mask mk;
        double w0, c0;
        if (cli_load_pair(&l, &pred.items[i], &gt.items[ix[i]], &s, &m) != 0) exit(1);
        im = cli_map_image(&s);
        mk = cli_map_mask(&m);
        w0 = bench_now();
        c0 = process_cpu();
        if (conseco_calibrator_add(cal, &im, &mk, NULL) != CONSECO_OK) {
            fprintf(stderr, "library: add failed\n");
            exit(1);
        }
        t.wall += bench_now() - w0;
        t.cpu += process_cpu() - c0;
        cli_map_free(&s);
        cli_map_free(&m);
    }
    cli_loader_free(&l);
    conseco_calibrator_free(cal);
    free(ix);
    cli_dataset_free(&pred);
    cli_dataset_free(&gt);
    return t;
}

static timing time_tool(const char *pred, const char *gt, const char *threads)
{
    char *argv[16];
    int argc = 0, saved, devnull, rc;
    timing t;
    double w0, c0;
    argv[argc++] = (char *)"calibrate";
    argv[argc++] = (char *)"--shrinker";
    argv[argc++] = (char *)"threshold";
    argv[argc++] = (char *)"--tau";
    argv[argc++] = (char *)"0.1";
    argv[argc++] = (char *)"--alpha";
    argv[argc++] = (char *)"0.2";
    argv[argc++] = (char *)"--pred";
    argv[argc++] = (char *)pred;
    argv[argc++] = (char *)"--gt";
    argv[argc++] = (char *)gt;
    argv[argc++] = (char *)"--quiet";
    if (threads != NULL) {
        argv[argc++] = (char *)"--threads";
        argv[argc++] = (char *)threads;
    }
    argv[argc] = NULL;
    fflush(stdout);
    saved = dup(1);
    devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    w0 = bench_now();
    c0 = process_cpu();
    rc = cli_cmd_calibrate(argc, argv);
    t.wall = bench_now() - w0;
    t.cpu = process_cpu() - c0;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(devnull);
    if (rc != 0) {
        fprintf(stderr, "tool: calibrate failed (exit %d)\n", rc);
        exit(1);
    }
    return t;
}

static int has_gz(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int gz = 0;
    if (d == NULL) return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".gz") == 0) gz = 1;
    }
    closedir(d);
    return gz;
}

#define MAX_REPS 15

int main(int argc, char **argv)
{
    const char *dir = "/tmp/conseco-tool-bench", *pred_arg = NULL, *gt_arg = NULL,
               *threads = NULL;
    size_t n = 10, side = 4096, reps = 3, r;
    char pred[512], gt[512];
    double rw[MAX_REPS], rc_[MAX_REPS], gw[MAX_REPS], gc[MAX_REPS], lw[MAX_REPS],
        lc[MAX_REPS], tw[MAX_REPS], tc[MAX_REPS];
    int i, gz;
    for (i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--n") == 0) n = (size_t)atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--side") == 0) side = (size_t)atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--reps") == 0) reps = (size_t)atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0) dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--pred") == 0) pred_arg = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--gt") == 0) gt_arg = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) threads = argv[++i];
        else {
            fprintf(stderr, "usage: see the comment at the top of bench/tool_io_bench.c\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (reps > MAX_REPS) reps = MAX_REPS;
    cli_tune_allocator(); /* as the tool's main() does */
    cli_nifti_init();
    if (pred_arg != NULL && gt_arg != NULL) {
        snprintf(pred, sizeof pred, "%s", pred_arg);
        snprintf(gt, sizeof gt, "%s", gt_arg);
    } else {
        make_data(dir, n, side);
        snprintf(pred, sizeof pred, "%s/pred", dir);
        snprintf(gt, sizeof gt, "%s/gt", dir);
    }
    gz = has_gz(pred);
    (void)time_read(pred, gt, 0); /* warm the page cache */
    for (r = 0; r < reps; r++) {
        timing a = time_read(pred, gt, 0), g = {0.0, 0.0}, l, t;
#ifdef CONSECO_BENCH_HAVE_ZLIB
        if (gz) g = time_read(pred, gt, 1);
#endif
        l = time_library(pred, gt);
        t = time_tool(pred, gt, threads);
        rw[r] = a.wall;
        rc_[r] = a.cpu;
        gw[r] = g.wall;
        gc[r] = g.cpu;
        lw[r] = l.wall;
        lc[r] = l.cpu;
        tw[r] = t.wall;
        tc[r] = t.cpu;
    }
    {
        double a = bench_median(rw, reps), ac = bench_median(rc_, reps),
               g = bench_median(gw, reps), gcpu = bench_median(gc, reps),
               l = bench_median(lw, reps), lcpu = bench_median(lc, reps),
               t = bench_median(tw, reps), tcpu = bench_median(tc, reps);
        printf("inputs: %s and %s%s; median of %lu runs%s%s\n", pred, gt, gz ? " (.nii.gz)" : "", (unsigned long)reps,
               threads ? ", --threads " : "", threads ? threads : "");
        printf("%-28s %9s %9s\n", "", "wall s", "cpu s");
        printf("%-28s %9.3f %9.3f\n", "read_floor (cat)", a, ac);
        if (gz) printf("%-28s %9.3f %9.3f\n", "gunzip_floor (zlib)", g, gcpu);
        printf("%-28s %9.3f %9.3f\n", "library (calibrator_add)", l, lcpu);
        printf("%-28s %9.3f %9.3f\n", "tool (conseco calibrate)", t, tcpu);
        printf("ratio tool / (read_floor + library):   wall %.2f  cpu %.2f   (target <= 1.5)\n",
               t / (a + l), tcpu / (ac + lcpu));
        if (gz)
            printf("ratio tool / (gunzip_floor + library): wall %.2f  cpu %.2f\n", t / (g + l),
                   tcpu / (gcpu + lcpu));
    }
    return 0;
}
