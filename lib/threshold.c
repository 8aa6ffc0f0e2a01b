/* STUB: replaced by the threshold implementation. */
#include "internal.h"
size_t conseco__threshold_scratch_size(size_t w, size_t h, size_t d) { (void)w; (void)h; (void)d; return 64; }
int conseco__threshold_score(const conseco_threshold_params *p, const conseco_image *pred, const conseco_mask *truth, double tau, void *scratch, size_t scratch_size, double *score)
{ (void)p; (void)pred; (void)truth; (void)tau; (void)scratch; (void)scratch_size; (void)score; return CONSECO_E_UNSUPPORTED; }
int conseco__threshold_apply(const conseco_threshold_params *p, const conseco_image *pred, double lambda, const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{ (void)p; (void)pred; (void)lambda; (void)inner; (void)uncertain; return CONSECO_E_UNSUPPORTED; }
int conseco__threshold_evaluate(const conseco_threshold_params *p, const conseco_image *pred, const conseco_mask *truth, double lambda, double tau, conseco_image_metrics *out)
{ (void)p; (void)pred; (void)truth; (void)lambda; (void)tau; (void)out; return CONSECO_E_UNSUPPORTED; }
int conseco__threshold_levels_cb(void *user, const conseco_image *pred, double *levels, size_t count)
{ (void)user; (void)pred; (void)levels; (void)count; return CONSECO_E_UNSUPPORTED; }
int conseco__threshold_apply_cb(void *user, const conseco_image *pred, double lambda, uint8_t *inner, size_t count)
{ (void)user; (void)pred; (void)lambda; (void)inner; (void)count; return CONSECO_E_UNSUPPORTED; }
int conseco__threshold_breakpoints_cb(void *user, const conseco_image *pred, double *out, size_t capacity, size_t *count)
{ (void)user; (void)pred; (void)out; (void)capacity; (void)count; return CONSECO_E_UNSUPPORTED; }
