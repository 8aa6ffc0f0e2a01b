/* STUB: replaced by the generic levels and black-box paths for custom shrinkers. */
#include "internal.h"
size_t conseco__custom_scratch_size(size_t w, size_t h, size_t d) { (void)w; (void)h; (void)d; return 64; }
int conseco__custom_score(const conseco__shrinker *s, const conseco_image *pred, const conseco_mask *truth, double tau, void *scratch, size_t scratch_size, double *score)
{ (void)s; (void)pred; (void)truth; (void)tau; (void)scratch; (void)scratch_size; (void)score; return CONSECO_E_UNSUPPORTED; }
int conseco__custom_apply(const conseco__shrinker *s, const conseco_image *pred, double lambda, void *scratch, size_t scratch_size, const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{ (void)s; (void)pred; (void)lambda; (void)scratch; (void)scratch_size; (void)inner; (void)uncertain; return CONSECO_E_UNSUPPORTED; }
int conseco__custom_evaluate(const conseco__shrinker *s, const conseco_image *pred, const conseco_mask *truth, double lambda, double tau, void *scratch, size_t scratch_size, conseco_image_metrics *out)
{ (void)s; (void)pred; (void)truth; (void)lambda; (void)tau; (void)scratch; (void)scratch_size; (void)out; return CONSECO_E_UNSUPPORTED; }
