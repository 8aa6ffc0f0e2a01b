/* STUB: replaced by the opaque calibrator. */
#include "internal.h"
void conseco_calibrator_config_init(conseco_calibrator_config *c) { (void)c; }
int conseco_calibrator_create(const conseco_calibrator_config *c, const conseco_allocator *a, conseco_calibrator **o) { (void)c; (void)a; (void)o; return CONSECO_E_UNSUPPORTED; }
size_t conseco_calibrator_workspace_size(const conseco_calibrator_config *c) { (void)c; return 0; }
int conseco_calibrator_init_static(void *w, size_t s, const conseco_calibrator_config *c, conseco_calibrator **o) { (void)w; (void)s; (void)c; (void)o; return CONSECO_E_UNSUPPORTED; }
void conseco_calibrator_free(conseco_calibrator *c) { (void)c; }
int conseco_calibrator_add(conseco_calibrator *c, const conseco_image *p, const conseco_mask *t, double *s) { (void)c; (void)p; (void)t; (void)s; return CONSECO_E_UNSUPPORTED; }
int conseco_calibrator_add_score(conseco_calibrator *c, double s) { (void)c; (void)s; return CONSECO_E_UNSUPPORTED; }
size_t conseco_calibrator_count(const conseco_calibrator *c) { (void)c; return 0; }
int conseco_calibrator_scores(const conseco_calibrator *c, double *o, size_t cap, size_t *n) { (void)c; (void)o; (void)cap; (void)n; return CONSECO_E_UNSUPPORTED; }
int conseco_calibrator_settings(const conseco_calibrator *c, double *t, conseco_shrinker *s) { (void)c; (void)t; (void)s; return CONSECO_E_UNSUPPORTED; }
int conseco_calibrator_lambda_hat(conseco_calibrator *c, double a, double *l, size_t *k) { (void)c; (void)a; (void)l; (void)k; return CONSECO_E_UNSUPPORTED; }
int conseco_calibrator_merge(conseco_calibrator *d, const conseco_calibrator *s) { (void)d; (void)s; return CONSECO_E_UNSUPPORTED; }
int conseco_calibrator_reset(conseco_calibrator *c) { (void)c; return CONSECO_E_UNSUPPORTED; }
