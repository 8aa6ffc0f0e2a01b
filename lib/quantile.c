/* STUB: replaced by the exact rank and O(n) selection. */
#include "internal.h"
double conseco__select(double *values, size_t n, size_t k) { (void)n; return values[k - 1]; }
int conseco_rank(size_t n, double alpha, size_t *k) { (void)n; (void)alpha; (void)k; return CONSECO_E_UNSUPPORTED; }
int conseco_rank_rational(size_t n, uint64_t a, uint64_t b, size_t *k) { (void)n; (void)a; (void)b; (void)k; return CONSECO_E_UNSUPPORTED; }
int conseco_min_calibration_size(double alpha, size_t *n_min) { (void)alpha; (void)n_min; return CONSECO_E_UNSUPPORTED; }
int conseco_kth_smallest(double *values, size_t n, size_t k, double *out) { (void)values; (void)n; (void)k; (void)out; return CONSECO_E_UNSUPPORTED; }
int conseco_quantile(double *scores, size_t n, double alpha, double *lambda_hat, size_t *k_out) { (void)scores; (void)n; (void)alpha; (void)lambda_hat; (void)k_out; return CONSECO_E_UNSUPPORTED; }
