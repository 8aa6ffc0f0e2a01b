/* STUB: replaced by save/load of calibrator state. */
#include "internal.h"
size_t conseco_calibrator_save_size(const conseco_calibrator *c) { (void)c; return 0; }
int conseco_calibrator_save(const conseco_calibrator *c, void *b, size_t cap, size_t *w) { (void)c; (void)b; (void)cap; (void)w; return CONSECO_E_UNSUPPORTED; }
int conseco_calibrator_load(conseco_calibrator *c, const void *b, size_t s) { (void)c; (void)b; (void)s; return CONSECO_E_UNSUPPORTED; }
int conseco_state_inspect(const void *b, size_t s, conseco_state_info *i) { (void)b; (void)s; (void)i; return CONSECO_E_UNSUPPORTED; }
