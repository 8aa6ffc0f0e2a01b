/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only place lib/ reaches libc. Firmware builds may replace this file
 * (or predefine the macros) to route mem* elsewhere. Nothing else is used:
 * no stdio, no libm, no errno, no threads.
 */
#ifndef CONSECO_DEPS_H
#define CONSECO_DEPS_H

#include <stddef.h>
#include <stdint.h>

#if !defined(CONSECO_memcpy) || !defined(CONSECO_memset) || !defined(CONSECO_memmove)
#if defined(CONSECO_FREESTANDING) && CONSECO_FREESTANDING
#if defined(__GNUC__)
/* The compiler lowers these to inline code or to calls of the plain mem*. */
#define CONSECO_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define CONSECO_memset(d, c, n) __builtin_memset((d), (c), (n))
#define CONSECO_memmove(d, s, n) __builtin_memmove((d), (s), (n))
#else
#error "CONSECO_FREESTANDING needs CONSECO_memcpy, CONSECO_memset and CONSECO_memmove defined"
#endif
#else
#include <string.h>
#define CONSECO_memcpy(d, s, n) memcpy((d), (s), (n))
#define CONSECO_memset(d, c, n) memset((d), (c), (n))
#define CONSECO_memmove(d, s, n) memmove((d), (s), (n))
#endif
#endif

/* Only the calibrator's default allocator may use malloc, and only when the
 * library is not built freestanding. */
#if defined(CONSECO_DEPS_NEED_MALLOC) && !(defined(CONSECO_FREESTANDING) && CONSECO_FREESTANDING)
#include <stdlib.h>
#define CONSECO_HAVE_MALLOC 1
#endif

#endif /* CONSECO_DEPS_H */
