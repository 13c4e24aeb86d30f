/* Ed25519 signature verification (RFC 8032, 5.1.7), written from the RFC: the cofactorless
   check that [S]B - [k]A encodes to the signature's R, with k = SHA-512(R || A || M) mod L.
   Everything it handles is public (key, message, signature), but the arithmetic still takes
   the same path whatever the values: no branch or table index depends on a field element or
   a scalar bit, and the final comparison reads every byte. Only decoding refuses early: an
   S >= L, or a key that is no point's canonical encoding.

   Field elements mod p = 2^255 - 19 are 10 limbs in radix 2^25.5: limb i holds bits
   ceil(25.5 i) up, 26 bits wide for even i and 25 for odd i, each in a uint32_t, so a limb
   product is one 32x32->64 multiply on 32-bit cores (no 128-bit type needed). Every fe_add,
   fe_sub and fe_mul ends with a carry chain, so every operand is "carried": each limb within
   its width, except limb 1, below 2^25 + 2^15. Bounds in fe_mul: a limb product, doubled where
   both limbs are odd (their weights sum to one bit past the column's: < 2^26.01) and times 19
   where it folds down from column k + 10 (2^255 = 19 mod p: < 2^30.25), is < 2^56.3; ten of
   them < 2^59.6, which a uint64_t holds. The carry chain then sends at most 19 * 2^34.6
   < 2^38.9 back into limb 0, and one more step leaves limb 1 below 2^25 + 2^13. fe_sub adds
   2p (limbs >= 2^26 - 2, above any carried limb) before subtracting, so no limb goes
   negative. fe_encode takes the carried form to the unique value < p. */
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
    uint32_t v[10];
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
static const fe curve_2d = {{0x2b2f159, 0x1a6e509, 0x22add7a, 0x0d4141d, 0x0038052, 0x0f3d130,
                             0x3407977, 0x19ce331, 0x1c56dff, 0x0901b67}};
static const fe curve_d = {{0x35978a3, 0x0d37284, 0x3156ebd, 0x06a0a0e, 0x001c029, 0x179e898,
                            0x3a03cbb, 0x1ce7198, 0x2e2b6ff, 0x1480db3}};
/* 2^((p-1)/4), a square root of -1. */
static const fe sqrt_minus_one = {{0x20ea0b0, 0x186c9d2, 0x08f189d, 0x035697f, 0x0bd0c60,
                                   0x1fbd7a7, 0x2804c9e, 0x1e16569, 0x004fc1d, 0x0ae0c92}};
/* The base point B (y = 4/5, x even) with Z = 1 and T = x*y. */
static const point base_point = {
    {{0x325d51a, 0x18b5823, 0x0f6592a, 0x104a92d, 0x1a4b31d, 0x1d6dc5c, 0x27118fe, 0x07fd814,
      0x13cd6e5, 0x085a4db}},
    {{0x2666658, 0x1999999, 0x0cccccc, 0x1333333, 0x1999999, 0x0666666, 0x3333333, 0x0cccccc,
      0x2666666, 0x1999999}},
    {{1}},
    {{0x1b7dda3, 0x1a2ace9, 0x25eadbb, 0x003ba8a, 0x083c27e, 0x0abe37d, 0x1274732, 0x0ccacdd,
      0x0fd78b7, 0x19e1d7c}},
};
/* Where limb i starts (ceil(25.5 i)) and its width. */
static const uint8_t limb_shift[10] = {0, 26, 51, 77, 102, 128, 153, 179, 204, 230};
#define LIMB_BITS(i) (26 - ((i) & 1))
#define LIMB_MASK(i) ((UINT32_C(1) << LIMB_BITS(i)) - 1)
/* p's limbs, and 2p's spread so that each is >= 2^26 - 2, above any carried limb. */
static const uint32_t p_limbs[10] = {0x3ffffed, 0x1ffffff, 0x3ffffff, 0x1ffffff, 0x3ffffff,
                                     0x1ffffff, 0x3ffffff, 0x1ffffff, 0x3ffffff, 0x1ffffff};
static const uint32_t two_p_limbs[10] = {0x7ffffda, 0x3fffffe, 0x7fffffe, 0x3fffffe, 0x7fffffe,
                                         0x3fffffe, 0x7fffffe, 0x3fffffe, 0x7fffffe, 0x3fffffe};
/* L = 2^252 + 27742317777372353535851937790883648493, the order of B, in 32-bit limbs. */
static const uint32_t order_limbs[8] = {0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de,
                                        0x00000000, 0x00000000, 0x00000000, 0x10000000};

/* ---- field arithmetic mod p --------------------------------------------------------------- */

/* Moves each limb's bits above its width into the next limb; what leaves limb 9 is a
   multiple of 2^255 = 19 (mod p), added back into limb 0, whose own excess goes one step on.
   Two copies, 64-bit for products and 32-bit for sums (every limb of a sum is < 2^28): on a
   32-bit core a 64-bit chain costs several times more. */
static void carry_chain_wide(uint64_t t[10]) {
    for (int i = 0; i < 8; i += 2) {
        t[i + 1] += t[i] >> 26;
        t[i] &= LIMB_MASK(0);
        t[i + 2] += t[i + 1] >> 25;
        t[i + 1] &= LIMB_MASK(1);
    }
    t[9] += t[8] >> 26;
    t[8] &= LIMB_MASK(0);
    t[0] += 19 * (t[9] >> 25);
    t[9] &= LIMB_MASK(1);
    t[1] += t[0] >> 26;
    t[0] &= LIMB_MASK(0);
}

static void carry_chain(uint32_t t[10]) {
    for (int i = 0; i < 8; i += 2) {
        t[i + 1] += t[i] >> 26;
        t[i] &= LIMB_MASK(0);
        t[i + 2] += t[i + 1] >> 25;
        t[i + 1] &= LIMB_MASK(1);
    }
    t[9] += t[8] >> 26;
    t[8] &= LIMB_MASK(0);
    t[0] += 19 * (t[9] >> 25);
    t[9] &= LIMB_MASK(1);
    t[1] += t[0] >> 26;
    t[0] &= LIMB_MASK(0);
}

static void fe_add(fe *out, const fe *a, const fe *b) {
    for (int i = 0; i < 10; i++)
        out->v[i] = a->v[i] + b->v[i];
    carry_chain(out->v);
}

/* a - b computed as a + 2p - b. */
static void fe_sub(fe *out, const fe *a, const fe *b) {
    for (int i = 0; i < 10; i++)
        out->v[i] = a->v[i] + two_p_limbs[i] - b->v[i];
    carry_chain(out->v);
}

static void fe_from_columns(fe *out, uint64_t t[10]) {
    carry_chain_wide(t);
    for (int i = 0; i < 10; i++)
        out->v[i] = (uint32_t)t[i];
}

/* Column k of a*b gathers a[i]*b[k-i] and, folded down from column k + 10, a[i]*19*b[k+10-i];
   in the even columns, a product of two odd limbs counts twice (see the bounds above). */
static void fe_mul(fe *out, const fe *a, const fe *b) {
    uint32_t b19[10], a_odd_doubled[10];
    for (int i = 0; i < 10; i++) {
        b19[i] = 19 * b->v[i];
        a_odd_doubled[i] = a->v[i] << (i & 1);
    }
    uint64_t t[10];
    for (int k = 0; k < 10; k++) {
        const uint32_t *av = k % 2 == 0 ? a_odd_doubled : a->v;
        uint64_t sum = 0;
        for (int i = 0; i <= k; i++)
            sum += (uint64_t)av[i] * b->v[k - i];
        for (int i = k + 1; i < 10; i++)
            sum += (uint64_t)av[i] * b19[k + 10 - i];
        t[k] = sum;
    }
    fe_from_columns(out, t);
}

/* a^2 as fe_mul, but each product a[i]*a[j] with i < j taken once, doubled: 55 products. */
static void fe_square(fe *out, const fe *a) {
    uint32_t a19[10], a_odd_doubled[10];
    for (int i = 0; i < 10; i++) {
        a19[i] = 19 * a->v[i];
        a_odd_doubled[i] = a->v[i] << (i & 1);
    }
    uint64_t t[10];
    for (int k = 0; k < 10; k++) {
        const uint32_t *av = k % 2 == 0 ? a_odd_doubled : a->v;
        uint64_t sum = 0;
        for (int i = 0; 2 * i < k; i++)
            sum += (uint64_t)(2 * av[i]) * a->v[k - i];
        for (int i = k + 1; 2 * i < k + 10; i++)
            sum += (uint64_t)(2 * av[i]) * a19[k + 10 - i];
        if (k % 2 == 0) /* the squares a[k/2]^2 and, folded down, a[k/2+5]^2 */
            sum += (uint64_t)av[k / 2] * a->v[k / 2] + (uint64_t)av[k / 2 + 5] * a19[k / 2 + 5];
        t[k] = sum;
    }
    fe_from_columns(out, t);
}

/* a^(2^n): n squarings. */
static void fe_square_times(fe *out, const fe *a, int n) {
    *out = *a;
    for (int i = 0; i < n; i++)
        fe_square(out, out);
}

/* The canonical little-endian encoding of a (value < p). */
static void fe_encode(uint8_t out[32], const fe *a) {
    uint32_t t[10];
    memcpy(t, a->v, sizeof t);
    /* Three chains leave every limb within its width: the value is < 2^255 < 2p. */
    carry_chain(t);
    carry_chain(t);
    carry_chain(t);
    uint32_t diff[10];
    uint32_t borrow = 0;
    for (int i = 0; i < 10; i++) {
        const uint32_t d = t[i] - p_limbs[i] - borrow;
        diff[i] = d & LIMB_MASK(i);
        borrow = d >> 31;
    }
    /* borrow = 1: t < p, keep t; otherwise take t - p. */
    const uint32_t keep = 0u - borrow;
    uint64_t bits = 0;
    int held = 0, byte = 0;
    for (int i = 0; i < 10; i++) {
        bits |= (uint64_t)((t[i] & keep) | (diff[i] & ~keep)) << held;
        held += LIMB_BITS(i);
        for (; held >= 8; held -= 8, bits >>= 8)
            out[byte++] = (uint8_t)bits;
    }
    out[byte] = (uint8_t)bits; /* the last 7 bits; bit 255 stays 0 */
}

/* The 255 low bits of a 32-byte little-endian string (bit 255 is the x sign of a point). */
static void fe_decode(fe *out, const uint8_t in[32]) {
    for (int i = 0; i < 10; i++) {
        /* Every limb lies within the 4 bytes from its first one (shift % 8 + width <= 32). */
        const uint8_t *p = in + limb_shift[i] / 8;
        const uint32_t word = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                              (uint32_t)p[3] << 24;
        out->v[i] = (word >> (limb_shift[i] % 8)) & LIMB_MASK(i);
    }
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
    for (int i = 0; i < 10; i++)
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
    for (int i = 0; i < 10; i++)
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
    for (int i = 0; i < 8; i++) /* S < L already: its bytes as they are */
        s[i] = (uint32_t)s_bytes[4 * i] | (uint32_t)s_bytes[4 * i + 1] << 8 |
               (uint32_t)s_bytes[4 * i + 2] << 16 | (uint32_t)s_bytes[4 * i + 3] << 24;
    double_scalar_multiply(&check, s, k, &minus_a);
    uint8_t encoded[32];
    point_encode(encoded, &check);
    return bytes_equal(encoded, r_bytes);
}

#endif /* EMBER_NO_SIGNATURES */
