# SPDX-License-Identifier: Apache-2.0
"""cffi builder of ``conseco._conseco_cffi`` (API/out-of-line mode).

The extension is compiled against ``conseco.h`` but is *not* linked with
libconseco: :mod:`conseco._loader` loads the shared library first (next to the
package, ``CONSECO_LIBRARY``, or the system path) with ``RTLD_GLOBAL`` and the
extension's ``conseco_*`` symbols resolve against it when it is imported.

Usage (in-tree development): ``python3 python/conseco/_build_cffi.py`` writes
``python/conseco/_conseco_cffi.*.so``. ``pip install ./python`` runs it
through setuptools' ``cffi_modules``.

The header is searched in ``$CONSECO_INCLUDE_DIR``, ``../../include`` (the
source tree), then ``/usr/local/include`` and ``/usr/include``.
"""
import os
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))


def _include_dirs():
    cands = []
    if os.environ.get("CONSECO_INCLUDE_DIR"):
        cands.append(os.environ["CONSECO_INCLUDE_DIR"])
    cands += [os.path.join(HERE, "..", "..", "include"), "/usr/local/include", "/usr/include"]
    for c in cands:
        if os.path.isfile(os.path.join(c, "conseco.h")):
            return [os.path.abspath(c)]
    raise RuntimeError("conseco.h not found: set CONSECO_INCLUDE_DIR to the folder holding it")


# Declarations the Python side uses. Structs are declared with "...;" so the
# compiler takes their exact layout from conseco.h. New shrinker kinds add their
# params struct, default() and vtable getter here (and one class in _shrinkers.py).
CDEF = r"""
typedef struct conseco_image { const void *data; size_t width; size_t height; size_t depth;
    size_t row_stride; size_t slice_stride; int dtype; int reserved; double spacing[3]; ...; } conseco_image;
typedef struct conseco_shrinker_vtable {
    uint32_t struct_size; uint32_t version; const char *name; uint32_t domain; uint32_t reserved;
    double lambda_min; double lambda_max;
    int (*levels)(void *user, const conseco_image *pred, double *levels, size_t count);
    int (*apply)(void *user, const conseco_image *pred, double lambda, uint8_t *inner, size_t count);
    int (*breakpoints)(void *user, const conseco_image *pred, double *out, size_t capacity, size_t *count);
    void (*destroy)(void *user);
    ...; } conseco_shrinker_vtable;
typedef struct conseco_shrinker { const conseco_shrinker_vtable *vtable; void *user; } conseco_shrinker;
typedef struct conseco_threshold_params { uint32_t struct_size; uint32_t reserved; double base; double top; ...; } conseco_threshold_params;
typedef struct conseco_erosion_params { uint32_t struct_size; uint32_t element; uint32_t border; uint32_t reserved; double base; ...; } conseco_erosion_params;
typedef struct conseco_smooth_params { uint32_t struct_size; uint32_t reserved; double base; double sigma;
    uint32_t filter; uint32_t element; uint32_t radius; uint32_t units; ...; } conseco_smooth_params;
typedef struct conseco_image_metrics { uint64_t predicted; uint64_t inner; uint64_t inner_fp; uint64_t inner_tp;
    double afp; double cr; double atp; int valid; int reserved; ...; } conseco_image_metrics;
typedef struct conseco_set_metrics { uint64_t n; double ev; double cr; double atp; ...; } conseco_set_metrics;
typedef struct conseco_calibrator conseco_calibrator;
typedef struct conseco_state_info { uint32_t struct_size; uint32_t format_version; uint32_t kind;
    conseco_threshold_params threshold; conseco_erosion_params erosion; uint32_t domain; uint32_t reserved;
    double lambda_min; double lambda_max; char name[32]; double tau; uint64_t count;
    conseco_smooth_params smooth; uint32_t side; uint32_t guarantee; double tau_outer; double bottom;
    ...; } conseco_state_info;

unsigned conseco_version_number(void);
const char *conseco_version_string(void);
const char *conseco_strerror(int status);
const char *conseco_status_name(int status);
void conseco_threshold_params_default(conseco_threshold_params *params);
void conseco_erosion_params_default(conseco_erosion_params *params);
void conseco_smooth_params_default(conseco_smooth_params *params);
const conseco_shrinker_vtable *conseco_threshold_vtable(void);
const conseco_shrinker_vtable *conseco_erosion_vtable(void);
const conseco_shrinker_vtable *conseco_smooth_vtable(void);
int conseco_shrinker_validate(const conseco_shrinker *shrinker);
size_t conseco_scratch_size(const conseco_shrinker *shrinker, size_t width, size_t height, size_t depth);
int conseco_rank(size_t n, double alpha, size_t *k);
int conseco_min_calibration_size(double alpha, size_t *n_min);
int conseco_quantile(double *scores, size_t n, double alpha, double *lambda_hat, size_t *k_out);
int conseco_set_metrics_compute(const conseco_image_metrics *items, size_t n, conseco_set_metrics *out);
void conseco_calibrator_free(conseco_calibrator *calibrator);
int conseco_calibrator_add_score(conseco_calibrator *calibrator, double score);
size_t conseco_calibrator_count(const conseco_calibrator *calibrator);
int conseco_calibrator_scores(const conseco_calibrator *calibrator, double *out, size_t capacity, size_t *count);
int conseco_calibrator_lambda_hat(conseco_calibrator *calibrator, double alpha, double *lambda_hat, size_t *k_out);
int conseco_calibrator_risk(const conseco_calibrator *calibrator, double lambda, double *risk);
int conseco_calibrator_merge(conseco_calibrator *dst, const conseco_calibrator *src);
int conseco_calibrator_reset(conseco_calibrator *calibrator);
size_t conseco_calibrator_save_size(const conseco_calibrator *calibrator);
int conseco_calibrator_save(const conseco_calibrator *calibrator, void *buffer, size_t capacity, size_t *written);
int conseco_calibrator_load(conseco_calibrator *calibrator, const void *buffer, size_t size);
int conseco_state_inspect(const void *buffer, size_t size, conseco_state_info *info);

/* helpers of this module: flat scalar arguments, so Python builds no structs per call */
/* side: conseco_side (0 inner, 1 outer, 2 band); guarantee: conseco_guarantee (0 quantile,
   1 risk); tau, tau_outer and bottom as in conseco_calibrator_config */
int pyc_calibrator_create(const conseco_shrinker *shrinker, double tau, unsigned side,
                          unsigned guarantee, double tau_outer, double bottom,
                          conseco_calibrator **out);
int pyc_score(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
              size_t pss, int dtype, double sx, double sy, double sz, const uint8_t *t, size_t trs,
              size_t tss, double tau, void *scratch, size_t scratch_size, double *out);
int pyc_apply(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
              size_t pss, int dtype, double sx, double sy, double sz, double lambda,
              void *scratch, size_t scratch_size, uint8_t *inner, uint8_t *uncertain);
int pyc_evaluate(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
                 size_t pss, int dtype, double sx, double sy, double sz, const uint8_t *t, size_t trs,
                 size_t tss, double lambda, double tau, void *scratch, size_t scratch_size,
                 conseco_image_metrics *out);
int pyc_metrics_from_masks(const uint8_t *yhat, const uint8_t *inner, const uint8_t *truth,
                           size_t w, size_t h, size_t d, double tau, conseco_image_metrics *out);
int pyc_add(conseco_calibrator *c, const void *p, size_t w, size_t h, size_t d, size_t prs,
            size_t pss, int dtype, double sx, double sy, double sz, const uint8_t *t, size_t trs,
            size_t tss, double *out);
/* fast paths for C-contiguous arrays: strides derived from the dtype, scratch kept per
   thread in C; the score is returned (NaN on error, then pyc_last_status() tells) */
double pyc_score_c(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d,
                   int dtype, const uint8_t *t, double tau);
int pyc_last_status(void);
int pyc_apply_c(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
                size_t pss, int dtype, double sx, double sy, double sz, double lambda,
                uint8_t *inner, uint8_t *uncertain);
/* benchmark helper: CPU seconds (this thread) of reps conseco_score calls on a C-contiguous
   pair, views and scratch built once: the C baseline of bench/python_bench.py */
double pyc_time_score(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d,
                      int dtype, const uint8_t *t, double tau, size_t reps, double *score);
/* the hot path as a METH_FASTCALL function over the buffer protocol (see _fast.py):
   returns a new reference to a tuple (fast_score, fast_add), created once */
void *pyc_fast_functions(void);
/* batch: geometry in arrays of count entries (index i*8: w h d prs pss trs tss dtype) */
int pyc_add_batch(conseco_calibrator *c, const void *const *preds, const void *const *truths,
                  const uint64_t *geom, const double *spacing, size_t count, unsigned threads,
                  double *scores_out);

extern "Python" int pyc_cb_levels(void *, const conseco_image *, double *, size_t);
extern "Python" int pyc_cb_apply(void *, const conseco_image *, double, uint8_t *, size_t);
extern "Python" int pyc_cb_breakpoints(void *, const conseco_image *, double *, size_t, size_t *);
"""

SOURCE = r"""
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "conseco.h"

#include <pthread.h>

/* per-thread scratch for the fast paths, freed when the thread ends */
typedef struct pyc_tls { void *buf; size_t cap; int status; } pyc_tls;
static pthread_key_t pyc_key;
static pthread_once_t pyc_once = PTHREAD_ONCE_INIT;
static void pyc_tls_free(void *p) { if (p) { free(((pyc_tls *)p)->buf); free(p); } }
static void pyc_key_init(void) { (void)pthread_key_create(&pyc_key, pyc_tls_free); }
static pyc_tls *pyc_get_tls(void)
{
    pyc_tls *t;
    (void)pthread_once(&pyc_once, pyc_key_init);
    t = (pyc_tls *)pthread_getspecific(pyc_key);
    if (!t) {
        t = (pyc_tls *)calloc(1, sizeof *t);
        if (t && pthread_setspecific(pyc_key, t) != 0) { free(t); t = NULL; }
    }
    return t;
}
static void *pyc_scratch(pyc_tls *t, size_t need)
{
    if (need > t->cap) {
        void *b = malloc(need);
        if (!b) return NULL;
        free(t->buf);
        t->buf = b;
        t->cap = need;
    }
    return t->buf;
}
static const size_t pyc_elem[6] = {0, 1, 2, 4, 8, 1};

static conseco_image pyc_img(const void *p, size_t w, size_t h, size_t d, size_t prs, size_t pss,
                             int dtype, double sx, double sy, double sz)
{
    conseco_image im;
    memset(&im, 0, sizeof im);
    im.data = p; im.width = w; im.height = h; im.depth = d;
    im.row_stride = prs; im.slice_stride = pss; im.dtype = dtype;
    im.spacing[0] = sx; im.spacing[1] = sy; im.spacing[2] = sz;
    return im;
}

static conseco_mask pyc_mask(const uint8_t *t, size_t w, size_t h, size_t d, size_t rs, size_t ss)
{
    conseco_mask m;
    m.data = t; m.width = w; m.height = h; m.depth = d; m.row_stride = rs; m.slice_stride = ss;
    return m;
}

static int pyc_calibrator_create(const conseco_shrinker *shrinker, double tau, unsigned side,
                                 unsigned guarantee, double tau_outer, double bottom,
                                 conseco_calibrator **out)
{
    conseco_calibrator_config cfg;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = *shrinker;
    cfg.tau = tau;
    cfg.side = side;
    cfg.guarantee = guarantee;
    cfg.tau_outer = tau_outer;
    cfg.bottom = bottom;
    return conseco_calibrator_create(&cfg, NULL, out);
}

static int pyc_score(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
              size_t pss, int dtype, double sx, double sy, double sz, const uint8_t *t, size_t trs,
              size_t tss, double tau, void *scratch, size_t scratch_size, double *out)
{
    conseco_image im = pyc_img(p, w, h, d, prs, pss, dtype, sx, sy, sz);
    conseco_mask m = pyc_mask(t, w, h, d, trs, tss);
    return conseco_score(s, &im, &m, tau, scratch, scratch_size, out);
}

static int pyc_last_status(void)
{
    pyc_tls *t = pyc_get_tls();
    return t ? t->status : CONSECO_E_NO_MEMORY;
}

static double pyc_score_c(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d,
                          int dtype, const uint8_t *t, double tau)
{
    pyc_tls *tls = pyc_get_tls();
    size_t need, es = (dtype >= 1 && dtype <= 5) ? pyc_elem[dtype] : 1;
    conseco_image im;
    conseco_mask m;
    double out = 0.0;
    void *buf;
    if (!tls) return (double)NAN;
    need = conseco_scratch_size(s, w, h, d);
    buf = pyc_scratch(tls, need ? need : 1);
    if (!buf) { tls->status = CONSECO_E_NO_MEMORY; return (double)NAN; }
    im = pyc_img(p, w, h, d, w * es, w * es * h, dtype, 0.0, 0.0, 0.0);
    m = pyc_mask(t, w, h, d, w, w * h);
    tls->status = conseco_score(s, &im, &m, tau, buf, tls->cap, &out);
    return tls->status == CONSECO_OK ? out : (double)NAN;
}

static int pyc_apply_c(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
                size_t pss, int dtype, double sx, double sy, double sz, double lambda,
                uint8_t *inner, uint8_t *uncertain)
{
    pyc_tls *tls = pyc_get_tls();
    size_t need;
    conseco_image im = pyc_img(p, w, h, d, prs, pss, dtype, sx, sy, sz);
    conseco_mask_out a = conseco_mask_out_3d(inner, w, h, d, w, w * h);
    conseco_mask_out b = conseco_mask_out_3d(uncertain, w, h, d, w, w * h);
    if (!tls) return CONSECO_E_NO_MEMORY;
    need = conseco_scratch_size(s, w, h, d);
    if (!pyc_scratch(tls, need ? need : 1)) return CONSECO_E_NO_MEMORY;
    return conseco_apply(s, &im, lambda, tls->buf, tls->cap, inner ? &a : NULL,
                         uncertain ? &b : NULL);
}

#include <time.h>
static double pyc_time_score(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d,
                             int dtype, const uint8_t *t, double tau, size_t reps, double *score)
{
    size_t es = (dtype >= 1 && dtype <= 5) ? pyc_elem[dtype] : 1, need, i;
    conseco_image im = pyc_img(p, w, h, d, w * es, w * es * h, dtype, 0.0, 0.0, 0.0);
    conseco_mask m = pyc_mask(t, w, h, d, w, w * h);
    struct timespec a, b;
    void *buf;
    need = conseco_scratch_size(s, w, h, d);
    buf = malloc(need ? need : 1);
    if (!buf) return -1.0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (i = 0; i < reps; i++)
        if (conseco_score(s, &im, &m, tau, buf, need, score) != CONSECO_OK) { free(buf); return -1.0; }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    free(buf);
    return (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
}

/* ---- fast score over the buffer protocol (no cffi argument conversion) ----
   fast_score(shrinker_address, pred, truth, tau) -> float on success, int status
   on a library error, None when the input needs the general Python path
   (unknown format, byte order, ndim, shape mismatch, negative or odd strides). */
static int pyc_code(const char *f)
{
    if (!f) return 1; /* PyBUF_FORMAT not honoured: "B" */
    if (f[0] == '=' || f[0] == '@' || f[0] == '<') f++; /* native little-endian x86/ARM */
    if (f[0] == 0 || f[1] != 0) return 0;
    switch (f[0]) {
    case 'B': return 1;
    case 'H': return 2;
    case 'f': return 3;
    case 'd': return 4;
    case '?': return 5;
    default: return 0;
    }
}

static int pyc_geom(const Py_buffer *b, size_t *w, size_t *h, size_t *d, size_t *rs, size_t *ss)
{
    Py_ssize_t xs;
    if (b->ndim == 2) {
        *d = 1; *h = (size_t)b->shape[0]; *w = (size_t)b->shape[1];
        if (b->strides[0] < 0) return 0;
        *rs = (size_t)b->strides[0]; *ss = *rs * *h; xs = b->strides[1];
    } else if (b->ndim == 3) {
        *d = (size_t)b->shape[0]; *h = (size_t)b->shape[1]; *w = (size_t)b->shape[2];
        if (b->strides[0] < 0 || b->strides[1] < 0) return 0;
        *ss = (size_t)b->strides[0]; *rs = (size_t)b->strides[1]; xs = b->strides[2];
        if (*d == 1) *ss = *rs * *h;
    } else {
        return 0;
    }
    if (*h == 1) { *rs = *w * (size_t)b->itemsize; if (*d == 1) *ss = *rs; }
    if (*w > 1 && xs != b->itemsize) return 0;
    return 1;
}

/* Exports pred and truth; 1 with both buffers held and the views filled, 0 (nothing held)
   when the input needs the general path. */
static int pyc_take2(PyObject *pred, PyObject *truth, Py_buffer *pb, Py_buffer *tb,
                     conseco_image *im, conseco_mask *m)
{
    size_t w, h, d, rs, ss, tw, th, td, trs, tss;
    int code, tcode;
    if (PyObject_GetBuffer(pred, pb, PyBUF_STRIDES | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        return 0;
    }
    if (PyObject_GetBuffer(truth, tb, PyBUF_STRIDES | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyBuffer_Release(pb);
        return 0;
    }
    code = pyc_code(pb->format);
    tcode = pyc_code(tb->format);
    if (!code || (tcode != 1 && tcode != 5) || pb->itemsize != (Py_ssize_t)pyc_elem[code] ||
        tb->itemsize != 1 || pb->ndim != tb->ndim || !pyc_geom(pb, &w, &h, &d, &rs, &ss) ||
        !pyc_geom(tb, &tw, &th, &td, &trs, &tss) || tw != w || th != h || td != d) {
        PyBuffer_Release(pb);
        PyBuffer_Release(tb);
        return 0;
    }
    *im = pyc_img(pb->buf, w, h, d, rs, ss, code, 0.0, 0.0, 0.0);
    *m = pyc_mask((const uint8_t *)tb->buf, w, h, d, trs, tss);
    return 1;
}

static PyObject *pyc_fast_score(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer pb, tb;
    conseco_image im;
    conseco_mask m;
    size_t need;
    int rc = CONSECO_E_NO_MEMORY;
    const conseco_shrinker *s;
    double tau, out = 0.0;
    pyc_tls *tls;
    (void)self;
    if (nargs != 4) Py_RETURN_NONE;
    s = (const conseco_shrinker *)PyLong_AsVoidPtr(args[0]);
    tau = PyFloat_AsDouble(args[3]);
    if ((s == NULL || tau == -1.0) && PyErr_Occurred()) { PyErr_Clear(); Py_RETURN_NONE; }
    if (s == NULL || !pyc_take2(args[1], args[2], &pb, &tb, &im, &m)) Py_RETURN_NONE;
    Py_BEGIN_ALLOW_THREADS
    tls = pyc_get_tls();
    if (tls) {
        need = conseco_scratch_size(s, im.width, im.height, im.depth);
        if (pyc_scratch(tls, need ? need : 1))
            rc = conseco_score(s, &im, &m, tau, tls->buf, tls->cap, &out);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pb);
    PyBuffer_Release(&tb);
    if (rc != CONSECO_OK) return PyLong_FromLong(rc);
    return PyFloat_FromDouble(out);
}

/* fast_add(calibrator_address, pred, truth): float, int status, or None */
static PyObject *pyc_fast_add(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer pb, tb;
    conseco_image im;
    conseco_mask m;
    conseco_calibrator *c;
    double out = 0.0;
    int rc;
    (void)self;
    if (nargs != 3) Py_RETURN_NONE;
    c = (conseco_calibrator *)PyLong_AsVoidPtr(args[0]);
    if (c == NULL) { PyErr_Clear(); Py_RETURN_NONE; }
    if (!pyc_take2(args[1], args[2], &pb, &tb, &im, &m)) Py_RETURN_NONE;
    Py_BEGIN_ALLOW_THREADS
    rc = conseco_calibrator_add(c, &im, &m, &out);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pb);
    PyBuffer_Release(&tb);
    if (rc != CONSECO_OK) return PyLong_FromLong(rc);
    return PyFloat_FromDouble(out);
}

static PyMethodDef pyc_fast_defs[] = {
    {"fast_score", (PyCFunction)(void (*)(void))pyc_fast_score, METH_FASTCALL,
     "fast_score(shrinker_address, pred, truth, tau): float, int status, or None"},
    {"fast_add", (PyCFunction)(void (*)(void))pyc_fast_add, METH_FASTCALL,
     "fast_add(calibrator_address, pred, truth): float, int status, or None"},
    {NULL, NULL, 0, NULL}};

static void *pyc_fast_functions(void)
{
    /* cffi calls this without the GIL */
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *f = PyCFunction_New(&pyc_fast_defs[0], NULL);
    PyObject *a = PyCFunction_New(&pyc_fast_defs[1], NULL);
    PyObject *t = f && a ? PyTuple_Pack(2, f, a) : NULL;
    Py_XDECREF(f);
    Py_XDECREF(a);
    if (!t) PyErr_Clear();
    PyGILState_Release(g);
    return t; /* new reference, handed to Python by _fast.py */
}

static int pyc_apply(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
              size_t pss, int dtype, double sx, double sy, double sz, double lambda,
              void *scratch, size_t scratch_size, uint8_t *inner, uint8_t *uncertain)
{
    conseco_image im = pyc_img(p, w, h, d, prs, pss, dtype, sx, sy, sz);
    conseco_mask_out a = conseco_mask_out_3d(inner, w, h, d, w, w * h);
    conseco_mask_out b = conseco_mask_out_3d(uncertain, w, h, d, w, w * h);
    return conseco_apply(s, &im, lambda, scratch, scratch_size, inner ? &a : NULL,
                         uncertain ? &b : NULL);
}

static int pyc_evaluate(const conseco_shrinker *s, const void *p, size_t w, size_t h, size_t d, size_t prs,
                 size_t pss, int dtype, double sx, double sy, double sz, const uint8_t *t, size_t trs,
                 size_t tss, double lambda, double tau, void *scratch, size_t scratch_size,
                 conseco_image_metrics *out)
{
    conseco_image im = pyc_img(p, w, h, d, prs, pss, dtype, sx, sy, sz);
    conseco_mask m = pyc_mask(t, w, h, d, trs, tss);
    return conseco_evaluate_image(s, &im, &m, lambda, tau, scratch, scratch_size, out);
}

static int pyc_metrics_from_masks(const uint8_t *yhat, const uint8_t *inner, const uint8_t *truth,
                           size_t w, size_t h, size_t d, double tau, conseco_image_metrics *out)
{
    conseco_mask a = pyc_mask(yhat, w, h, d, w, w * h);
    conseco_mask b = pyc_mask(inner, w, h, d, w, w * h);
    conseco_mask c = pyc_mask(truth, w, h, d, w, w * h);
    return conseco_metrics_from_masks(&a, &b, &c, tau, out);
}

static int pyc_add(conseco_calibrator *c, const void *p, size_t w, size_t h, size_t d, size_t prs,
            size_t pss, int dtype, double sx, double sy, double sz, const uint8_t *t, size_t trs,
            size_t tss, double *out)
{
    conseco_image im = pyc_img(p, w, h, d, prs, pss, dtype, sx, sy, sz);
    conseco_mask m = pyc_mask(t, w, h, d, trs, tss);
    return conseco_calibrator_add(c, &im, &m, out);
}

static int pyc_add_batch(conseco_calibrator *c, const void *const *preds, const void *const *truths,
                  const uint64_t *geom, const double *spacing, size_t count, unsigned threads,
                  double *scores_out)
{
    conseco_image *ims;
    conseco_mask *ms;
    size_t i;
    int rc;
    if (count == 0) return CONSECO_OK;
    ims = (conseco_image *)calloc(count, sizeof *ims);
    ms = (conseco_mask *)calloc(count, sizeof *ms);
    if (!ims || !ms) { free(ims); free(ms); return CONSECO_E_NO_MEMORY; }
    for (i = 0; i < count; i++) {
        const uint64_t *g = geom + 8 * i;
        const double *sp = spacing + 3 * i;
        ims[i] = pyc_img(preds[i], (size_t)g[0], (size_t)g[1], (size_t)g[2], (size_t)g[3],
                         (size_t)g[4], (int)g[7], sp[0], sp[1], sp[2]);
        ms[i] = pyc_mask((const uint8_t *)truths[i], (size_t)g[0], (size_t)g[1], (size_t)g[2],
                         (size_t)g[5], (size_t)g[6]);
    }
    rc = conseco_calibrator_add_batch(c, ims, ms, count, threads, scores_out);
    free(ims);
    free(ms);
    return rc;
}
"""


def make_ffibuilder() -> FFI:
    ffibuilder = FFI()
    ffibuilder.cdef(CDEF)
    ffibuilder.set_source("conseco._conseco_cffi", SOURCE, include_dirs=_include_dirs(),
                          extra_compile_args=["-O2"], py_limited_api=False,
                          define_macros=[("_CFFI_NO_LIMITED_API", None)])
    return ffibuilder


ffibuilder = make_ffibuilder() if __name__ != "__main__" else None

if __name__ == "__main__":
    # in-tree build: writes python/conseco/_conseco_cffi*.so
    out = os.path.abspath(os.path.join(HERE, ".."))
    tmp = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build-cffi")
    make_ffibuilder().compile(tmpdir=tmp, target=None, verbose=False)
    # ffi.compile with tmpdir puts the module under tmpdir/conseco/; move it in place
    import glob
    import shutil
    for f in glob.glob(os.path.join(tmp, "conseco", "_conseco_cffi*.so")):
        shutil.copy2(f, os.path.join(HERE, os.path.basename(f)))
        print(os.path.join(HERE, os.path.basename(f)))
