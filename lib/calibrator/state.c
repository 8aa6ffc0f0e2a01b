/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved calibrator state: a little-endian byte string written byte by byte,
 * so it reads the same on every host. Format version 1:
 *
 *   offset  size  field
 *        0     4  magic "CNSC"
 *        4     2  u16 format version (1)
 *        6     2  u16 header length (112: the bytes before the scores)
 *        8     4  u32 shrinker kind (conseco_shrinker_kind)
 *       12     4  u32 erosion element (0 unless erosion)
 *       16     4  u32 erosion border (0 unless erosion)
 *       20     4  u32 reserved, 0
 *       24     8  base: threshold or erosion base (0 for custom)
 *       32     8  top: threshold top (0 otherwise)
 *       40    32  shrinker name, NUL padded (at most 31 bytes)
 *       72     4  u32 domain (conseco_domain)
 *       76     4  u32 reserved, 0
 *       80     8  lambda_min
 *       88     8  lambda_max
 *       96     8  tau
 *      104     8  u64 count n
 *      112    8n  the scores, in storage order
 *   112+8n     4  u32 CRC-32 of every byte before it
 *
 * Doubles are stored as their IEEE-754 bit patterns (u64), so -0.0, +inf
 * and every score come back bit for bit.
 *
 * Format version 2 (written only by a calibrator that is not inner/quantile;
 * those keep writing version 1, byte for byte as before): the version 1
 * header with version 2 and header length 144, then
 *
 *      112     4  u32 side (conseco_side)
 *      116     4  u32 guarantee (conseco_guarantee)
 *      120     8  tau_outer (0 unless band)
 *      128     8  bottom (0 unless the outer threshold family)
 *      136     8  u64 m: payload items
 *      144        payload: quantile, m = n scores of 8 bytes;
 *                 risk, m curve keys of 32 bytes: lambda, then the summed
 *                 drop as three u64 words, lowest first (fixed point,
 *                 2^-128 units; docs/DESIGN.md 5.3), keys ascending
 *        .     4  u32 CRC-32 of every byte before it
 *
 * For risk, count (offset 104) is the number of calibration images.
 */
#include "calibrator_impl.h"

#define STATE_VERSION 1u
#define HEADER_BYTES 112u
#define CRC_BYTES 4u
#define STATE_VERSION_2 2u
#define HEADER2_BYTES 144u
#define KEY_BYTES 32u

#define OFF_SIDE 112u
#define OFF_GUARANTEE 116u
#define OFF_TAU_OUTER 120u
#define OFF_BOTTOM 128u
#define OFF_ITEMS 136u

#define OFF_KIND 8u
#define OFF_ELEMENT 12u
#define OFF_BORDER 16u
#define OFF_RESERVED1 20u
#define OFF_BASE 24u
#define OFF_TOP 32u
#define OFF_NAME 40u
#define OFF_DOMAIN 72u
#define OFF_RESERVED2 76u
#define OFF_LAMBDA_MIN 80u
#define OFF_LAMBDA_MAX 88u
#define OFF_TAU 96u
#define OFF_COUNT 104u

static const unsigned char magic[4] = {'C', 'N', 'S', 'C'};

/* conseco_state_info as published in 0.2: the smallest struct_size accepted. */
#define INFO_V02_SIZE (offsetof(conseco_state_info, count) + sizeof(uint64_t))

/* ------------------------------------------------------ little endian I/O */
static void put_u16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xFFu);
    p[1] = (unsigned char)((v >> 8) & 0xFFu);
}
static void put_u32(unsigned char *p, uint32_t v)
{
    unsigned i;
    for (i = 0; i < 4u; i++) p[i] = (unsigned char)((v >> (8u * i)) & 0xFFu);
}
static void put_u64(unsigned char *p, uint64_t v)
{
    unsigned i;
    for (i = 0; i < 8u; i++) p[i] = (unsigned char)((v >> (8u * i)) & 0xFFu);
}
static uint32_t get_u16(const unsigned char *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < 8u; i++) v |= (uint64_t)p[i] << (8u * i);
    return v;
}

/* ---------------------------------------------------------------- sizes */
/* Total bytes of a state holding n scores; 0 if it cannot fit a size_t. */
static size_t state_size(uint64_t n)
{
    const size_t fixed = HEADER_BYTES + CRC_BYTES;
    if (n > (uint64_t)(((size_t)-1 - fixed) / sizeof(double))) return 0;
    return fixed + (size_t)n * sizeof(double);
}

/* Version 2: header, m items of `item` bytes, CRC; 0 if it cannot fit a size_t. */
static size_t state2_size(uint64_t m, size_t item)
{
    const size_t fixed = HEADER2_BYTES + CRC_BYTES;
    if (m > (uint64_t)(((size_t)-1 - fixed) / item)) return 0;
    return fixed + (size_t)m * item;
}

static int writes_v2(const conseco_calibrator *c)
{
    return c->side != CONSECO_SIDE_INNER || c->guarantee != CONSECO_GUARANTEE_QUANTILE;
}

static int is_risk(const conseco_calibrator *c) { return c->guarantee == CONSECO_GUARANTEE_RISK; }

static size_t calibrator_state_size(const conseco_calibrator *c)
{
    if (!writes_v2(c)) return state_size(c->count);
    if (is_risk(c)) return state2_size(c->nkeys, KEY_BYTES);
    return state2_size(c->count, sizeof(double));
}

size_t conseco_calibrator_save_size(const conseco_calibrator *c)
{
    return c == NULL ? 0 : calibrator_state_size(c);
}

/* ------------------------------------------------------------------ save */
int conseco_calibrator_save(const conseco_calibrator *c, void *buffer, size_t capacity,
                            size_t *written)
{
    unsigned char *b = (unsigned char *)buffer;
    conseco__identity id;
    size_t total, i;
    size_t head;
    if (c == NULL || buffer == NULL) return CONSECO_E_NULL;
    total = calibrator_state_size(c);
    if (total == 0) return CONSECO_E_OVERFLOW;
    if (capacity < total) return CONSECO_E_BUFFER_TOO_SMALL;
    conseco__calibrator_identity(c, &id);
    CONSECO_memcpy(b, magic, sizeof magic);
    head = writes_v2(c) ? HEADER2_BYTES : HEADER_BYTES;
    put_u16(b + 4, writes_v2(c) ? STATE_VERSION_2 : STATE_VERSION);
    put_u16(b + 6, (uint32_t)head);
    put_u32(b + OFF_KIND, id.kind);
    put_u32(b + OFF_ELEMENT, id.params.element);
    put_u32(b + OFF_BORDER, id.params.border);
    put_u32(b + OFF_RESERVED1, 0);
    put_u64(b + OFF_BASE, id.params.base);
    put_u64(b + OFF_TOP, id.params.top);
    CONSECO_memcpy(b + OFF_NAME, id.name, sizeof id.name);
    put_u32(b + OFF_DOMAIN, id.domain);
    put_u32(b + OFF_RESERVED2, 0);
    put_u64(b + OFF_LAMBDA_MIN, id.lambda_min);
    put_u64(b + OFF_LAMBDA_MAX, id.lambda_max);
    put_u64(b + OFF_TAU, id.tau);
    put_u64(b + OFF_COUNT, (uint64_t)c->count);
    if (writes_v2(c)) {
        put_u32(b + OFF_SIDE, id.side);
        put_u32(b + OFF_GUARANTEE, id.guarantee);
        put_u64(b + OFF_TAU_OUTER, id.tau_outer);
        put_u64(b + OFF_BOTTOM, id.bottom);
        put_u64(b + OFF_ITEMS, is_risk(c) ? (uint64_t)c->nkeys : (uint64_t)c->count);
    }
    if (is_risk(c)) {
        for (i = 0; i < c->nkeys; i++) {
            unsigned char *k = b + head + i * KEY_BYTES;
            put_u64(k, conseco__double_bits(c->keys[i].lambda));
            put_u64(k + 8, c->keys[i].drop.w[0]);
            put_u64(k + 16, c->keys[i].drop.w[1]);
            put_u64(k + 24, c->keys[i].drop.w[2]);
        }
    } else {
        for (i = 0; i < c->count; i++)
            put_u64(b + head + i * sizeof(double), conseco__double_bits(c->scores[i]));
    }
    put_u32(b + total - CRC_BYTES, conseco__crc32(0, b, total - CRC_BYTES));
    if (written != NULL) *written = total;
    return CONSECO_OK;
}

/* ----------------------------------------------------------- validation */
/* Name field: NUL-terminated within its 32 bytes and zero after the NUL, so
 * one shrinker has exactly one encoding. */
static int name_ok(const unsigned char *p)
{
    size_t i = 0;
    while (i < CONSECO__NAME_MAX + 1u && p[i] != 0) i++;
    if (i == CONSECO__NAME_MAX + 1u) return 0;
    for (; i < CONSECO__NAME_MAX + 1u; i++)
        if (p[i] != 0) return 0;
    return 1;
}

/* The shrinker fields must be what the library itself would write: the
 * saved kind's ops check them (built-ins rebuild and reload the shrinker;
 * custom: the range rules and the name rule of a custom vtable). */
static int identity_ok(const conseco__identity *id)
{
    const conseco__ops *ops = conseco__ops_for_kind(id->kind);
    if (conseco__check_tau(conseco__bits_double(id->tau)) != CONSECO_OK) return 0;
    if (ops == NULL) return 0;
    return ops->saved_check(&id->params, id->domain, conseco__bits_double(id->lambda_min),
                            conseco__bits_double(id->lambda_max), id->name) == CONSECO_OK;
}

/* A saved curve key (for conseco__risk_curve_check). */
static void get_key(const void *ctx, size_t j, conseco__curve_key *out)
{
    const unsigned char *k = (const unsigned char *)ctx + j * KEY_BYTES;
    out->lambda = conseco__bits_double(get_u64(k));
    out->drop.w[0] = get_u64(k + 8);
    out->drop.w[1] = get_u64(k + 16);
    out->drop.w[2] = get_u64(k + 24);
}

/* Full check of a state; on success the identity, n (scores or images), the
 * payload bytes and, for risk, the number of curve keys. */
static int parse(const void *buffer, size_t size, conseco__identity *id, size_t *count,
                 const unsigned char **scores, size_t *nkeys, uint32_t *version)
{
    const unsigned char *b = (const unsigned char *)buffer;
    size_t i, total, n, head, items = 0;
    uint64_t n64, m64 = 0;
    uint32_t ver;
    if (buffer == NULL) return CONSECO_E_NULL;
    for (i = 0; i < sizeof magic && i < size; i++)
        if (b[i] != magic[i]) return CONSECO_E_FOREIGN;
    if (size < 8u) return CONSECO_E_TRUNCATED;
    ver = get_u16(b + 4);
    if (ver != STATE_VERSION && ver != STATE_VERSION_2) return CONSECO_E_VERSION;
    head = ver == STATE_VERSION ? HEADER_BYTES : HEADER2_BYTES;
    if (get_u16(b + 6) != head) return CONSECO_E_CORRUPT;
    if (size < head) return CONSECO_E_TRUNCATED;
    n64 = get_u64(b + OFF_COUNT);
    if (ver == STATE_VERSION) {
        total = state_size(n64);
    } else {
        const uint32_t g = get_u32(b + OFF_GUARANTEE);
        m64 = get_u64(b + OFF_ITEMS);
        total = state2_size(m64, g == CONSECO_GUARANTEE_RISK ? KEY_BYTES : sizeof(double));
    }
    if (total == 0 || size < total) return CONSECO_E_TRUNCATED; /* no buffer is that long */
    if (size > total) return CONSECO_E_CORRUPT;                 /* trailing bytes */
    if (get_u32(b + total - CRC_BYTES) != conseco__crc32(0, b, total - CRC_BYTES))
        return CONSECO_E_CORRUPT;
    n = (size_t)n64;

    CONSECO_memset(id, 0, sizeof *id);
    id->kind = get_u32(b + OFF_KIND);
    id->params.element = get_u32(b + OFF_ELEMENT);
    id->params.border = get_u32(b + OFF_BORDER);
    id->params.base = get_u64(b + OFF_BASE);
    id->params.top = get_u64(b + OFF_TOP);
    id->domain = get_u32(b + OFF_DOMAIN);
    id->lambda_min = get_u64(b + OFF_LAMBDA_MIN);
    id->lambda_max = get_u64(b + OFF_LAMBDA_MAX);
    id->tau = get_u64(b + OFF_TAU);
    if (get_u32(b + OFF_RESERVED1) != 0 || get_u32(b + OFF_RESERVED2) != 0)
        return CONSECO_E_CORRUPT;
    if (!name_ok(b + OFF_NAME)) return CONSECO_E_CORRUPT;
    CONSECO_memcpy(id->name, b + OFF_NAME, sizeof id->name);
    if (ver == STATE_VERSION_2) {
        id->side = get_u32(b + OFF_SIDE);
        id->guarantee = get_u32(b + OFF_GUARANTEE);
        id->tau_outer = get_u64(b + OFF_TAU_OUTER);
        id->bottom = get_u64(b + OFF_BOTTOM);
        /* version 2 is only written for what version 1 cannot say */
        if (id->side > CONSECO_SIDE_BAND || id->guarantee > CONSECO_GUARANTEE_RISK ||
            (id->side == CONSECO_SIDE_INNER && id->guarantee == CONSECO_GUARANTEE_QUANTILE))
            return CONSECO_E_CORRUPT;
        /* inner risk: no tau, no outer fields (outer and band: a later version) */
        if (id->side != CONSECO_SIDE_INNER || id->tau != 0 || id->tau_outer != 0 ||
            id->bottom != 0)
            return CONSECO_E_CORRUPT;
        items = (size_t)m64;
        if (id->guarantee != CONSECO_GUARANTEE_RISK && m64 != n64) return CONSECO_E_CORRUPT;
    }
    if (!identity_ok(id)) return CONSECO_E_CORRUPT;
    if (id->guarantee == CONSECO_GUARANTEE_RISK) {
        if (conseco__risk_curve_check(get_key, b + head, items, n64, id->domain,
                                      conseco__bits_double(id->lambda_min),
                                      conseco__bits_double(id->lambda_max)) != CONSECO_OK)
            return CONSECO_E_CORRUPT;
        if (n64 > (uint64_t)SIZE_MAX) return CONSECO_E_CORRUPT;
        n = (size_t)n64;
    } else {
        /* scores: a lambda or +inf, as add_score() would accept */
        for (i = 0; i < n; i++) {
            const double s = conseco__bits_double(get_u64(b + head + i * sizeof(double)));
            if (s != s || s == -conseco__inf()) return CONSECO_E_CORRUPT;
        }
    }
    *count = n;
    *scores = b + head;
    *nkeys = items;
    *version = ver;
    return CONSECO_OK;
}

/* ------------------------------------------------------------------ load */
int conseco_calibrator_load(conseco_calibrator *c, const void *buffer, size_t size)
{
    conseco__identity saved, mine;
    const unsigned char *src;
    size_t n, i, m;
    uint32_t ver;
    int rc;
    if (c == NULL) return CONSECO_E_NULL;
    if ((rc = parse(buffer, size, &saved, &n, &src, &m, &ver)) != CONSECO_OK) return rc;
    conseco__calibrator_identity(c, &mine);
    if (!conseco__identity_equal(&saved, &mine)) return CONSECO_E_INCOMPATIBLE;
    if (is_risk(c)) {
        if ((rc = conseco__risk_reserve(c, m, 0)) != CONSECO_OK) return rc;
        for (i = 0; i < m; i++) get_key(src, i, &c->keys[i]);
        c->nkeys = m;
        c->count = n;
        return CONSECO_OK;
    }
    if ((rc = conseco__calibrator_reserve(c, n)) != CONSECO_OK) return rc;
    /* nothing can fail from here on: the calibrator changes all at once */
    for (i = 0; i < n; i++) c->scores[i] = conseco__bits_double(get_u64(src + i * sizeof(double)));
    c->count = n;
    return CONSECO_OK;
}

int conseco_state_inspect(const void *buffer, size_t size, conseco_state_info *info)
{
    conseco__identity id;
    conseco_state_info full;
    const unsigned char *src;
    size_t n;
    int rc;
    size_t m, wanted;
    uint32_t ver;
    if (info == NULL) return CONSECO_E_NULL;
    /* the caller's struct holds at least the 0.2 layout; we write
     * min(struct_size, ours) bytes */
    if (info->struct_size < INFO_V02_SIZE) return CONSECO_E_INVALID_ARG;
    wanted = info->struct_size < sizeof full ? info->struct_size : sizeof full;
    if ((rc = parse(buffer, size, &id, &n, &src, &m, &ver)) != CONSECO_OK) return rc;
    CONSECO_memset(&full, 0, sizeof full);
    full.struct_size = info->struct_size;
    full.format_version = ver;
    full.side = id.side;
    full.guarantee = id.guarantee;
    full.tau_outer = conseco__bits_double(id.tau_outer);
    full.kind = id.kind;
    conseco__ops_for_kind(id.kind)->params_info(&id.params, &full); /* parse() checked the kind */
    full.domain = id.domain;
    full.lambda_min = conseco__bits_double(id.lambda_min);
    full.lambda_max = conseco__bits_double(id.lambda_max);
    CONSECO_memcpy(full.name, id.name, sizeof full.name);
    full.tau = conseco__bits_double(id.tau);
    full.count = (uint64_t)n;
    CONSECO_memcpy(info, &full, wanted);
    return CONSECO_OK;
}
