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
 *       12     4  u32 erosion element; smooth: filter | element << 8 | units << 16
 *       16     4  u32 erosion border; smooth: min-filter radius (0 for the others)
 *       20     4  u32 reserved, 0
 *       24     8  base: threshold, erosion or smooth base (0 for custom)
 *       32     8  top: threshold top; smooth: sigma (0 otherwise)
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
 * Format version 2 (a calibrator of the outer side or the band; inner
 * calibrators still write version 1, which every reader takes as inner /
 * quantile) has a header of 136 bytes: version 1's first 112, then
 *      112     4  u32 side (conseco_side)
 *      116     4  u32 guarantee (conseco_guarantee)
 *      120     8  tau_outer (band; 0 otherwise)
 *      128     8  bottom (outer threshold lowering; 0 otherwise)
 *      136    8n  the scores, then the CRC-32 as above
 * Outer threshold-lowering scores may be -inf (never +inf).
 *
 * Format version 3 (a calibrator of the risk guarantee, docs/DESIGN.md 5.3)
 * keeps the summed loss curve instead of scores: version 2's 136 bytes
 * (guarantee 1, side inner or outer, tau and tau_outer 0, bottom that of
 * threshold lowering, else 0; count = the number of calibration images), then
 *      136     8  u64 m: curve keys
 *      144   32m  the keys, ascending: lambda, then the summed drop as three
 *                 u64 words, lowest first (fixed point in 2^-128 units)
 *   144+32m    4  u32 CRC-32 of every byte before it
 * Side outer (FNR curves): the keys are in the outer family's ascending
 * coordinate mu (api/risk.h conseco__outer_range): dilation steps (integer,
 * from 0), ball-mm millimetres (real, from 0), custom the vtable's range, and
 * for threshold lowering mu = -t on [-base, -bottom]; the first key is the
 * range's low end, as for inner curves.
 *
 * Doubles are stored as their IEEE-754 bit patterns (u64), so -0.0, +inf
 * and every score come back bit for bit.
 */
#include "calibrator_impl.h"

#define STATE_VERSION 1u
#define HEADER_BYTES 112u
#define STATE_VERSION_SIDES 2u
#define HEADER_BYTES_SIDES 136u
#define STATE_VERSION_RISK 3u
#define HEADER_BYTES_RISK 144u
#define KEY_BYTES 32u
#define OFF_KEYS 136u
#define CRC_BYTES 4u

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
#define OFF_SIDE 112u
#define OFF_GUARANTEE 116u
#define OFF_TAU_OUTER 120u
#define OFF_BOTTOM 128u

static const unsigned char magic[4] = {'C', 'N', 'S', 'C'};

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
/* Version 1 unless the calibrator needs the side fields. */
static int needs_sides(const conseco_calibrator *c)
{
    return c->side.side != CONSECO_SIDE_INNER || c->guarantee != CONSECO_GUARANTEE_QUANTILE;
}

/* Total bytes of a state holding n scores after a header of `header` bytes;
 * 0 if it cannot fit a size_t. */
static size_t state_size(uint64_t n, size_t header)
{
    const size_t fixed = header + CRC_BYTES;
    if (n > (uint64_t)(((size_t)-1 - fixed) / sizeof(double))) return 0;
    return fixed + (size_t)n * sizeof(double);
}

static int is_risk(const conseco_calibrator *c) { return c->guarantee == CONSECO_GUARANTEE_RISK; }

/* Version 3: the header, m curve keys, the CRC; 0 if it cannot fit a size_t. */
static size_t risk_size(uint64_t m)
{
    const size_t fixed = HEADER_BYTES_RISK + CRC_BYTES;
    if (m > (uint64_t)(((size_t)-1 - fixed) / KEY_BYTES)) return 0;
    return fixed + (size_t)m * KEY_BYTES;
}

size_t conseco_calibrator_save_size(const conseco_calibrator *c)
{
    if (c == NULL) return 0;
    if (is_risk(c)) return risk_size(c->nkeys);
    return state_size(c->count, needs_sides(c) ? HEADER_BYTES_SIDES : HEADER_BYTES);
}

/* ------------------------------------------------------------------ save */
int conseco_calibrator_save(const conseco_calibrator *c, void *buffer, size_t capacity,
                            size_t *written)
{
    unsigned char *b = (unsigned char *)buffer;
    conseco__identity id;
    size_t total, i, header;
    int v2;
    if (c == NULL || buffer == NULL) return CONSECO_E_NULL;
    v2 = needs_sides(c);
    header = is_risk(c) ? HEADER_BYTES_RISK : v2 ? HEADER_BYTES_SIDES : HEADER_BYTES;
    total = is_risk(c) ? risk_size(c->nkeys) : state_size(c->count, header);
    if (total == 0) return CONSECO_E_OVERFLOW;
    if (capacity < total) return CONSECO_E_BUFFER_TOO_SMALL;
    conseco__calibrator_identity(c, &id);
    CONSECO_memcpy(b, magic, sizeof magic);
    put_u16(b + 4, is_risk(c) ? STATE_VERSION_RISK : v2 ? STATE_VERSION_SIDES : STATE_VERSION);
    put_u16(b + 6, (uint32_t)header);
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
    if (v2) {
        put_u32(b + OFF_SIDE, id.side);
        put_u32(b + OFF_GUARANTEE, id.guarantee);
        put_u64(b + OFF_TAU_OUTER, id.tau_outer);
        put_u64(b + OFF_BOTTOM, id.bottom);
    }
    if (is_risk(c)) {
        put_u64(b + OFF_KEYS, (uint64_t)c->nkeys);
        for (i = 0; i < c->nkeys; i++) {
            unsigned char *k = b + header + i * KEY_BYTES;
            put_u64(k, conseco__double_bits(c->keys[i].lambda));
            put_u64(k + 8, c->keys[i].drop.w[0]);
            put_u64(k + 16, c->keys[i].drop.w[1]);
            put_u64(k + 24, c->keys[i].drop.w[2]);
        }
    } else {
        for (i = 0; i < c->count; i++)
            put_u64(b + header + i * sizeof(double), conseco__double_bits(c->scores[i]));
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
    if (!conseco__side_identity_ok(id)) return 0;
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

/* Full check of a state; on success the identity, n (scores, or images of a
 * risk state), the payload bytes and the number of curve keys (risk). */
static int parse(const void *buffer, size_t size, conseco__identity *id, size_t *count,
                 const unsigned char **scores, size_t *nkeys)
{
    const unsigned char *b = (const unsigned char *)buffer;
    size_t i, total, n, header, m = 0;
    uint32_t version;
    uint64_t n64, m64 = 0;
    int descending;
    if (buffer == NULL) return CONSECO_E_NULL;
    for (i = 0; i < sizeof magic && i < size; i++)
        if (b[i] != magic[i]) return CONSECO_E_FOREIGN;
    if (size < 8u) return CONSECO_E_TRUNCATED;
    version = get_u16(b + 4);
    if (version != STATE_VERSION && version != STATE_VERSION_SIDES &&
        version != STATE_VERSION_RISK)
        return CONSECO_E_VERSION;
    header = version == STATE_VERSION         ? HEADER_BYTES
             : version == STATE_VERSION_SIDES ? HEADER_BYTES_SIDES
                                              : HEADER_BYTES_RISK;
    if (get_u16(b + 6) != header) return CONSECO_E_CORRUPT;
    if (size < header) return CONSECO_E_TRUNCATED;
    n64 = get_u64(b + OFF_COUNT);
    if (version == STATE_VERSION_RISK) {
        m64 = get_u64(b + OFF_KEYS);
        total = risk_size(m64);
    } else {
        total = state_size(n64, header);
    }
    if (total == 0 || size < total) return CONSECO_E_TRUNCATED; /* no buffer is that long */
    if (size > total) return CONSECO_E_CORRUPT;                 /* trailing bytes */
    if (get_u32(b + total - CRC_BYTES) != conseco__crc32(0, b, total - CRC_BYTES))
        return CONSECO_E_CORRUPT;
    n = (size_t)n64;
    m = (size_t)m64;
    if (version == STATE_VERSION_RISK && n64 > (uint64_t)SIZE_MAX) return CONSECO_E_CORRUPT;

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
    if (version != STATE_VERSION) {
        id->side = get_u32(b + OFF_SIDE);
        id->guarantee = get_u32(b + OFF_GUARANTEE);
        id->tau_outer = get_u64(b + OFF_TAU_OUTER);
        id->bottom = get_u64(b + OFF_BOTTOM);
        /* version 2 is only written for what version 1 cannot say; version
         * 3 only for the risk guarantee (which has no tau) */
        if (id->side == CONSECO_SIDE_INNER && id->guarantee == CONSECO_GUARANTEE_QUANTILE)
            return CONSECO_E_CORRUPT;
        if ((version == STATE_VERSION_RISK) != (id->guarantee == CONSECO_GUARANTEE_RISK))
            return CONSECO_E_CORRUPT;
        if (version == STATE_VERSION_RISK && id->tau != 0) return CONSECO_E_CORRUPT;
    }
    if (get_u32(b + OFF_RESERVED1) != 0 || get_u32(b + OFF_RESERVED2) != 0)
        return CONSECO_E_CORRUPT;
    if (!name_ok(b + OFF_NAME)) return CONSECO_E_CORRUPT;
    CONSECO_memcpy(id->name, b + OFF_NAME, sizeof id->name);
    if (!identity_ok(id)) return CONSECO_E_CORRUPT;
    if (version == STATE_VERSION_RISK) {
        uint32_t dom = id->domain;
        double lo = conseco__bits_double(id->lambda_min), hi = conseco__bits_double(id->lambda_max);
        if (id->side == CONSECO_SIDE_OUTER) {
            /* the outer family's own range (api/risk.h) */
            conseco__outer_range r;
            conseco__outer_range_for(conseco__ops_for_kind(id->kind), id->params.element,
                                     conseco__bits_double(id->params.base),
                                     conseco__bits_double(id->bottom), id->domain, lo, hi, &r);
            dom = r.integer ? CONSECO_DOMAIN_INTEGER : CONSECO_DOMAIN_REAL;
            lo = r.lo + 0.0;
            hi = r.hi;
        }
        if (conseco__risk_curve_check(get_key, b + header, m, n64, dom, lo, hi) != CONSECO_OK)
            return CONSECO_E_CORRUPT;
        *count = n;
        *scores = b + header;
        *nkeys = m;
        return CONSECO_OK;
    }
    /* scores: a lambda or +inf (thresholds of lowering: or -inf), as
     * add_score() would accept */
    descending = id->side == CONSECO_SIDE_OUTER && conseco__ops_for_kind(id->kind)->outer_descending;
    for (i = 0; i < n; i++) {
        const double s = conseco__bits_double(get_u64(b + header + i * sizeof(double)));
        if (s != s || s == (descending ? conseco__inf() : -conseco__inf())) return CONSECO_E_CORRUPT;
    }
    *count = n;
    *scores = b + header;
    *nkeys = 0;
    return CONSECO_OK;
}

/* ------------------------------------------------------------------ load */
int conseco_calibrator_load(conseco_calibrator *c, const void *buffer, size_t size)
{
    conseco__identity saved, mine;
    const unsigned char *src;
    size_t n, i, m;
    int rc;
    if (c == NULL) return CONSECO_E_NULL;
    if ((rc = parse(buffer, size, &saved, &n, &src, &m)) != CONSECO_OK) return rc;
    conseco__calibrator_identity(c, &mine);
    if (!conseco__identity_equal(&saved, &mine)) return CONSECO_E_INCOMPATIBLE;
    if (is_risk(c)) {
        if ((rc = conseco__risk_reserve(c, m, 0)) != CONSECO_OK) return rc;
        /* nothing can fail from here on */
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
    size_t n, m;
    int rc;
    if (info == NULL) return CONSECO_E_NULL;
    /* the caller's struct holds at least the 0.2 layout; we write that much */
    if (info->struct_size < offsetof(conseco_state_info, smooth)) return CONSECO_E_INVALID_ARG;
    if ((rc = parse(buffer, size, &id, &n, &src, &m)) != CONSECO_OK) return rc;
    CONSECO_memset(&full, 0, sizeof full);
    full.struct_size = info->struct_size;
    full.format_version = get_u16((const unsigned char *)buffer + 4);
    full.kind = id.kind;
    conseco__ops_for_kind(id.kind)->params_info(&id.params, &full); /* parse() checked the kind */
    full.domain = id.domain;
    full.lambda_min = conseco__bits_double(id.lambda_min);
    full.lambda_max = conseco__bits_double(id.lambda_max);
    CONSECO_memcpy(full.name, id.name, sizeof full.name);
    full.tau = conseco__bits_double(id.tau);
    full.count = (uint64_t)n;
    full.side = id.side;
    full.guarantee = id.guarantee;
    full.tau_outer = conseco__bits_double(id.tau_outer);
    full.bottom = conseco__bits_double(id.bottom);
    CONSECO_memcpy(info, &full, info->struct_size < sizeof full ? info->struct_size : sizeof full);
    return CONSECO_OK;
}

/* ---------------------------------------------------------------- sides */
int conseco__side_identity_ok(const conseco__identity *id)
{
    const conseco__ops *ops = conseco__ops_for_kind(id->kind);
    conseco_side_params sp;
    conseco__side sd;
    if (ops == NULL) return 0;
    if (id->guarantee == CONSECO_GUARANTEE_RISK) {
        /* risk: inner sets (nothing of the sides saved) or outer sets (no tau_outer) */
        if (id->side == CONSECO_SIDE_INNER)
            return id->tau_outer == 0 && id->bottom == 0;
        if (id->side != CONSECO_SIDE_OUTER || id->tau_outer != 0 || ops->outer_levels == NULL)
            return 0;
    } else if (id->guarantee != CONSECO_GUARANTEE_QUANTILE) {
        return 0;
    }
    conseco_side_params_default(&sp);
    sp.side = id->side;
    sp.tau_outer = conseco__bits_double(id->tau_outer);
    sp.bottom = conseco__bits_double(id->bottom);
    if (conseco__side_from_params(&sp, &sd) != CONSECO_OK) return 0;
    /* what config_check() normalises to, bit for bit */
    if (conseco__double_bits(sd.tau_outer) != id->tau_outer ||
        conseco__double_bits(sd.bottom) != id->bottom)
        return 0;
    if (sd.side == CONSECO_SIDE_INNER) return 1;
    if (ops->side_score == NULL) return 0;
    /* lowering: bottom <= base (the threshold kind saves base in params.base) */
    if (sd.side == CONSECO_SIDE_OUTER && ops->outer_descending &&
        !(sd.bottom <= conseco__bits_double(id->params.base)))
        return 0;
    if (!ops->outer_descending && id->bottom != 0) return 0; /* only lowering has one */
    return 1;
}
