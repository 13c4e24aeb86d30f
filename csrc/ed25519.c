/* Ed25519 signature verification (RFC 8032, 5.1.7), written from the RFC: the cofactorless
   check that [S]B - [k]A encodes to the signature's R, with k = SHA-512(R || A || M) mod L.
   Everything it handles is public (key, message, signature), but the arithmetic still takes
   the same path whatever the values: no branch or table index depends on a field element or
   a scalar bit, and the final comparison reads every byte. Only decoding refuses early (a key
   or an S that is not a canonical encoding), which depends on the input's format alone.

   Field elements mod p = 2^255 - 19 are 16 limbs of 16 bits (radix 2^16), each in a uint32_t,
   so a limb product is one 32x32->64 multiply on 32-bit cores (no 128-bit type needed). Bounds,
   which every caller below keeps to:
   - "carried" (what fe_mul returns, and every constant): limb 0 < 2^16 + 38, limbs 1..15 < 2^16.
   - fe_add and fe_sub leave their result uncarried; fe_sub's subtrahend must be carried (it
     adds 4p, whose limbs are all >= 0x1ffb4, so no limb goes negative). The point formulas
     below chain at most an add of an add or sub of carried values, so every limb that reaches
     fe_mul is < 2^19.
   - fe_mul with inputs < 2^19: a product is < 2^38, a column of at most 16 of them < 2^42,
     and folding column k + 16 into column k (2^256 = 38 mod p) gives < 39 * 2^42 < 2^48:
     uint64_t holds every sum. Two carry passes then bring the limbs back to "carried": the
     first leaves limb 0 < 2^16 + 38 * 2^27, the second carries that away and what comes out
     of limb 15 is at most 1, i.e. at most 38 back into limb 0.
   - fe_encode takes any limbs < 2^32 and makes the unique value < p (three carry passes, then
     p subtracted twice where it fits). */
#include <string.h>

#include "ed25519.h"
#include "emberlite.h"

#if EMBER_NO_SIGNATURES

int ember_ed25519_verify(const uint8_t *public_key, const void *message, size_t size,
                         const uint8_t *signature) {
    (void)public_key;
    (void)message;
    (void)size;
    (void)signature;
    return 0;
}

#else

typedef struct fe {
    uint32_t v[16];
} fe;

/* Extended twisted Edwards coordinates (RFC 8032, 5.1.4): x = X/Z, y = Y/Z, x*y = T/Z. */
typedef struct point {
    fe x, y, z, t;
} point;

/* A point prepared as the second operand of point_add: Y+X, Y-X, 2Z and 2dT. */
typedef struct cached_point {
    fe y_plus_x, y_minus_x, z2, t2d;
} cached_point;

static const fe fe_zero = {{0}};
static const fe fe_one = {{1}};
static const fe curve_2d = {{0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
                             0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406}};
static const fe curve_d = {{0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070,
                            0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203}};
/* 2^((p-1)/4), a square root of -1. */
static const fe sqrt_minus_one = {{0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806,
                                   0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1,
                                   0x2480, 0x2b83}};
/* The base point B (y = 4/5, x even) with Z = 1 and T = x*y. */
static const point base_point = {
    {{0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231,
      0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169}},
    {{0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
      0x6666, 0x6666, 0x6666, 0x6666, 0x6666}},
    {{1}},
    {{0xdda3, 0xa5b7, 0x8ab3, 0x6dde, 0x52f5, 0x7751, 0x9f80, 0x20f0, 0xe37d, 0x64ab, 0x4e8e,
      0x66ea, 0x7665, 0xd78b, 0x5f0f, 0x6787}},
};
/* p and 4p = 2^257 - 76 in 16-bit limbs; 4p's limbs are spread so that each is >= 0x1ffb4. */
static const uint32_t p_limbs[16] = {0xffed, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
                                     0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
                                     0xffff, 0xffff, 0xffff, 0x7fff};
static const uint32_t four_p_limbs[16] = {0x1ffb4, 0x1fffe, 0x1fffe, 0x1fffe, 0x1fffe, 0x1fffe,
                                          0x1fffe, 0x1fffe, 0x1fffe, 0x1fffe, 0x1fffe, 0x1fffe,
                                          0x1fffe, 0x1fffe, 0x1fffe, 0x1fffe};
/* L = 2^252 + 27742317777372353535851937790883648493, the order of B, in 32-bit limbs. */
static const uint32_t order_limbs[8] = {0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de,
                                        0x00000000, 0x00000000, 0x00000000, 0x10000000};

/* ---- field arithmetic mod p --------------------------------------------------------------- */

/* Moves each limb's bits above 16 into the next limb; what leaves limb 15 is a multiple of
   2^256 = 38 (mod p), added back into limb 0. */
static void carry_pass(uint64_t t[16]) {
    for (int i = 0; i < 15; i++) {
        t[i + 1] += t[i] >> 16;
        t[i] &= 0xffff;
    }
    uint64_t top = t[15] >> 16;
    t[15] &= 0xffff;
    t[0] += 38 * top;
}

/* Brings any limbs < 2^32 back to "carried". */
static void fe_carry(fe *a) {
    uint64_t t[16];
    for (int i = 0; i < 16; i++)
        t[i] = a->v[i];
    carry_pass(t);
    carry_pass(t);
    for (int i = 0; i < 16; i++)
        a->v[i] = (uint32_t)t[i];
}

static void fe_add(fe *out, const fe *a, const fe *b) {
    for (int i = 0; i < 16; i++)
        out->v[i] = a->v[i] + b->v[i];
}

/* a - b computed as a + 4p - b; b must be carried. */
static void fe_sub(fe *out, const fe *a, const fe *b) {
    for (int i = 0; i < 16; i++)
        out->v[i] = a->v[i] + four_p_limbs[i] - b->v[i];
}

static void fe_mul(fe *out, const fe *a, const fe *b) {
    uint64_t column[31] = {0};
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            column[i + j] += (uint64_t)a->v[i] * b->v[j];
    uint64_t t[16];
    for (int i = 0; i < 15; i++)
        t[i] = column[i] + 38 * column[i + 16];
    t[15] = column[15];
    carry_pass(t);
    carry_pass(t);
    for (int i = 0; i < 16; i++)
        out->v[i] = (uint32_t)t[i];
}

static void fe_square(fe *out, const fe *a) {
    fe_mul(out, a, a);
}

/* a^(2^n): n squarings. */
static void fe_square_times(fe *out, const fe *a, int n) {
    *out = *a;
    for (int i = 0; i < n; i++)
        fe_square(out, out);
}

/* The canonical little-endian encoding of a (value < p). */
static void fe_encode(uint8_t out[32], const fe *a) {
    uint64_t t[16];
    for (int i = 0; i < 16; i++)
        t[i] = a->v[i];
    /* After three passes every limb is < 2^16, so the value is < 2^256 < 3p. */
    carry_pass(t);
    carry_pass(t);
    carry_pass(t);
    for (int round = 0; round < 2; round++) {
        uint32_t diff[16];
        uint32_t borrow = 0;
        for (int i = 0; i < 16; i++) {
            uint32_t d = (uint32_t)t[i] - p_limbs[i] - borrow;
            diff[i] = d & 0xffff;
            borrow = (d >> 16) & 1;
        }
        /* borrow = 1: t < p, keep t; otherwise take t - p. */
        const uint32_t keep = 0u - borrow;
        for (int i = 0; i < 16; i++)
            t[i] = ((uint32_t)t[i] & keep) | (diff[i] & ~keep);
    }
    for (int i = 0; i < 16; i++) {
        out[2 * i] = (uint8_t)t[i];
        out[2 * i + 1] = (uint8_t)(t[i] >> 8);
    }
}

/* The 255 low bits of a 32-byte little-endian string (bit 255 is the x sign of a point). */
static void fe_decode(fe *out, const uint8_t in[32]) {
    for (int i = 0; i < 16; i++)
        out->v[i] = (uint32_t)in[2 * i] | (uint32_t)in[2 * i + 1] << 8;
    out->v[15] &= 0x7fff;
}

/* 1 when the 32 bytes are equal, 0 otherwise, reading all of them. */
static int bytes_equal(const uint8_t *a, const uint8_t *b) {
    uint32_t diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (uint32_t)(a[i] ^ b[i]);
    return (int)(1 & ((diff - 1) >> 8));
}

static int fe_equal(const fe *a, const fe *b) {
    uint8_t ea[32], eb[32];
    fe_encode(ea, a);
    fe_encode(eb, b);
    return bytes_equal(ea, eb);
}

static int fe_is_odd(const fe *a) {
    uint8_t e[32];
    fe_encode(e, a);
    return e[0] & 1;
}

/* out = choose ? b : a, with masks. */
static void fe_select(fe *out, const fe *a, const fe *b, uint32_t choose) {
    const uint32_t mask = 0u - choose;
    for (int i = 0; i < 16; i++)
        out->v[i] = (a->v[i] & ~mask) | (b->v[i] & mask);
}

/* z^(2^250 - 1), and z^11 on the way: both exponents below are built from them. */
static void fe_pow_2_250_minus_1(fe *out, fe *z11, const fe *z) {
    fe z2, z9, t, z_5, z_10, z_20, z_50, z_100; /* z_n = z^(2^n - 1) */
    fe_square(&z2, z);
    fe_square_times(&t, &z2, 2);
    fe_mul(&z9, &t, z);
    fe_mul(z11, &z9, &z2);
    fe_square(&t, z11);
    fe_mul(&z_5, &t, &z9); /* z^22 * z^9 = z^31 */
    fe_square_times(&t, &z_5, 5);
    fe_mul(&z_10, &t, &z_5);
    fe_square_times(&t, &z_10, 10);
    fe_mul(&z_20, &t, &z_10);
    fe_square_times(&t, &z_20, 20);
    fe_mul(&t, &t, &z_20); /* z^(2^40 - 1) */
    fe_square_times(&t, &t, 10);
    fe_mul(&z_50, &t, &z_10);
    fe_square_times(&t, &z_50, 50);
    fe_mul(&z_100, &t, &z_50);
    fe_square_times(&t, &z_100, 100);
    fe_mul(&t, &t, &z_100); /* z^(2^200 - 1) */
    fe_square_times(&t, &t, 50);
    fe_mul(out, &t, &z_50);
}

/* z^(p - 2) = z^(2^255 - 21) = 1/z. */
static void fe_invert(fe *out, const fe *z) {
    fe t, z11;
    fe_pow_2_250_minus_1(&t, &z11, z);
    fe_square_times(&t, &t, 5);
    fe_mul(out, &t, &z11);
}

/* z^((p - 5) / 8) = z^(2^252 - 3), the exponent of the square root in RFC 8032, 5.1.3. */
static void fe_pow_p58(fe *out, const fe *z) {
    fe t, z11;
    fe_pow_2_250_minus_1(&t, &z11, z);
    fe_square_times(&t, &t, 2);
    fe_mul(out, &t, z);
}

/* ---- points -------------------------------------------------------------------------------- */

static void point_identity(point *p) {
    p->x = fe_zero;
    p->y = fe_one;
    p->z = fe_one;
    p->t = fe_zero;
}

static void point_to_cached(cached_point *out, const point *p) {
    fe_add(&out->y_plus_x, &p->y, &p->x);
    fe_sub(&out->y_minus_x, &p->y, &p->x);
    fe_add(&out->z2, &p->z, &p->z);
    fe_mul(&out->t2d, &p->t, &curve_2d);
}

/* p + q with the unified formulas of RFC 8032, 5.1.4 (complete on Ed25519: any inputs,
   the identity and p == q included). */
static void point_add(point *out, const point *p, const cached_point *q) {
    fe a, b, c, d, e, f, g, h;
    fe_sub(&a, &p->y, &p->x);
    fe_mul(&a, &a, &q->y_minus_x);
    fe_add(&b, &p->y, &p->x);
    fe_mul(&b, &b, &q->y_plus_x);
    fe_mul(&c, &p->t, &q->t2d);
    fe_mul(&d, &p->z, &q->z2);
    fe_sub(&e, &b, &a);
    fe_sub(&f, &d, &c);
    fe_add(&g, &d, &c);
    fe_add(&h, &b, &a);
    fe_mul(&out->x, &e, &f);
    fe_mul(&out->y, &g, &h);
    fe_mul(&out->t, &e, &h);
    fe_mul(&out->z, &f, &g);
}

/* 2p (RFC 8032, 5.1.4, doubling). */
static void point_double(point *out, const point *p) {
    fe a, b, c, e, f, g, h;
    fe_square(&a, &p->x);
    fe_square(&b, &p->y);
    fe_square(&c, &p->z);
    fe_add(&c, &c, &c);
    fe_add(&h, &a, &b);
    fe_add(&e, &p->x, &p->y);
    fe_square(&e, &e);
    fe_sub(&e, &h, &e);
    fe_sub(&g, &a, &b);
    fe_add(&f, &c, &g);
    fe_mul(&out->x, &e, &f);
    fe_mul(&out->y, &g, &h);
    fe_mul(&out->t, &e, &h);
    fe_mul(&out->z, &f, &g);
}

/* 1 when the 32 bytes are below p once bit 255 is set aside: y >= p is the 19 values
   0x7fff...ffed .. 0x7fff...ffff. */
static int y_is_canonical(const uint8_t s[32]) {
    uint32_t high_all_ones = (s[31] & 0x7f) ^ 0x7f;
    for (int i = 1; i < 31; i++)
        high_all_ones |= s[i] ^ 0xffu;
    return high_all_ones != 0 || s[0] < 0xed;
}

/* Decodes a point's 32 bytes (RFC 8032, 5.1.3) into -P, the form verification needs; 0 when
   they are no point's canonical encoding. */
static int point_decode_negated(point *out, const uint8_t s[32]) {
    if (!y_is_canonical(s))
        return 0;
    const uint32_t sign = s[31] >> 7;
    fe y, yy, u, v, v3, x, check, x_i;
    fe_decode(&y, s);
    fe_square(&yy, &y);
    fe_sub(&u, &yy, &fe_one);
    fe_mul(&v, &yy, &curve_d);
    fe_add(&v, &v, &fe_one);
    /* Candidate root x = u v^3 (u v^7)^((p-5)/8). */
    fe_square(&v3, &v);
    fe_mul(&v3, &v3, &v);
    fe_square(&x, &v3);
    fe_mul(&x, &x, &v);
    fe_mul(&x, &x, &u);
    fe_pow_p58(&x, &x);
    fe_mul(&x, &x, &v3);
    fe_mul(&x, &x, &u);
    /* v x^2 = u: x is a root; v x^2 = -u: x * sqrt(-1) is; neither: no point has this y. */
    fe_square(&check, &x);
    fe_mul(&check, &check, &v);
    const int root = fe_equal(&check, &u);
    fe_add(&check, &check, &u);
    const int root_times_i = fe_equal(&check, &fe_zero);
    if (!root && !root_times_i)
        return 0;
    fe_mul(&x_i, &x, &sqrt_minus_one);
    fe_select(&x, &x, &x_i, (uint32_t)(root_times_i & !root));
    /* x = 0 has no negative: the sign bit must be clear. */
    if (fe_equal(&x, &fe_zero) && sign)
        return 0;
    /* The root of the other parity is -x; the point wanted is -P, of parity opposite to x. */
    fe negated;
    fe_sub(&negated, &fe_zero, &x);
    fe_carry(&negated);
    fe_select(&out->x, &x, &negated, (uint32_t)(fe_is_odd(&x) == (int)sign));
    out->y = y;
    out->z = fe_one;
    fe_mul(&out->t, &out->x, &out->y);
    return 1;
}

static void point_encode(uint8_t out[32], const point *p) {
    fe z_inverse, x, y;
    fe_invert(&z_inverse, &p->z);
    fe_mul(&x, &p->x, &z_inverse);
    fe_mul(&y, &p->y, &z_inverse);
    fe_encode(out, &y);
    out[31] |= (uint8_t)(fe_is_odd(&x) << 7);
}

/* ---- scalars mod L ----------------------------------------------------------------------- */

/* 1 when the 32-byte little-endian s is < L (RFC 8032, 5.1.7 step 1 refuses the rest). */
static int scalar_is_canonical(const uint8_t s[32]) {
    uint32_t borrow = 0;
    for (int i = 0; i < 32; i++) {
        const uint32_t order_byte = (order_limbs[i / 4] >> (8 * (i % 4))) & 0xff;
        borrow = ((uint32_t)s[i] - order_byte - borrow) >> 31;
    }
    return (int)borrow;
}

/* r = the `size`-byte little-endian number mod L, one bit at a time from the top:
   r = 2r + bit, then minus L where that does not go below zero (r < L < 2^253, so 2r + 1
   fits the 256 bits of r). */
static void scalar_reduce(uint32_t r[8], const uint8_t *bytes, size_t size) {
    memset(r, 0, 8 * sizeof r[0]);
    for (size_t bit = 8 * size; bit-- > 0;) {
        uint32_t carry = (bytes[bit / 8] >> (bit % 8)) & 1;
        for (int i = 0; i < 8; i++) {
            const uint32_t next = r[i] >> 31;
            r[i] = r[i] << 1 | carry;
            carry = next;
        }
        uint32_t diff[8];
        uint32_t borrow = 0;
        for (int i = 0; i < 8; i++) {
            const uint64_t d = (uint64_t)r[i] - order_limbs[i] - borrow;
            diff[i] = (uint32_t)d;
            borrow = (uint32_t)(d >> 63);
        }
        const uint32_t keep = 0u - borrow;
        for (int i = 0; i < 8; i++)
            r[i] = (r[i] & keep) | (diff[i] & ~keep);
    }
}

static uint32_t scalar_bit(const uint32_t s[8], int bit) {
    return (s[bit / 32] >> (bit % 32)) & 1;
}

/* ---- verification ------------------------------------------------------------------------ */

static void fe_or_masked(fe *to, const fe *from, uint32_t mask) {
    for (int i = 0; i < 16; i++)
        to->v[i] |= from->v[i] & mask;
}

/* out = table[index] for index in 0..3, reading every entry. */
static void cached_select(cached_point *out, const cached_point table[4], uint32_t index) {
    memset(out, 0, sizeof *out);
    for (uint32_t j = 0; j < 4; j++) {
        const uint32_t mask = 0u - (((j ^ index) - 1) >> 31);
        fe_or_masked(&out->y_plus_x, &table[j].y_plus_x, mask);
        fe_or_masked(&out->y_minus_x, &table[j].y_minus_x, mask);
        fe_or_masked(&out->z2, &table[j].z2, mask);
        fe_or_masked(&out->t2d, &table[j].t2d, mask);
    }
}

/* [s]B + [k]Q, both scalars < 2^253, by one shared run of doublings (Straus): each step
   adds 0, B, Q or B + Q as picked by the two scalars' bits. */
static void double_scalar_multiply(point *out, const uint32_t s[8], const uint32_t k[8],
                                   const point *q) {
    cached_point table[4];
    point sum;
    point_identity(&sum);
    point_to_cached(&table[0], &sum);
    point_to_cached(&table[1], &base_point);
    point_to_cached(&table[2], q);
    point_add(&sum, &base_point, &table[2]);
    point_to_cached(&table[3], &sum);
    point_identity(out);
    for (int bit = 252; bit >= 0; bit--) {
        cached_point addend;
        point_double(out, out);
        cached_select(&addend, table, scalar_bit(s, bit) | scalar_bit(k, bit) << 1);
        point_add(out, out, &addend);
    }
}

int ember_ed25519_verify(const uint8_t *public_key, const void *message, size_t size,
                         const uint8_t *signature) {
    const uint8_t *r_bytes = signature, *s_bytes = signature + 32;
    point minus_a, check;
    if (!scalar_is_canonical(s_bytes) || !point_decode_negated(&minus_a, public_key))
        return 0;
    uint8_t digest[64];
    ember_sha512 hash;
    ember_sha512_init(&hash);
    ember_sha512_update(&hash, r_bytes, 32);
    ember_sha512_update(&hash, public_key, 32);
    ember_sha512_update(&hash, message, size);
    ember_sha512_final(&hash, digest);
    uint32_t s[8], k[8];
    scalar_reduce(k, digest, sizeof digest);
    scalar_reduce(s, s_bytes, 32);
    double_scalar_multiply(&check, s, k, &minus_a);
    uint8_t encoded[32];
    point_encode(encoded, &check);
    return bytes_equal(encoded, r_bytes);
}

#endif /* EMBER_NO_SIGNATURES */
