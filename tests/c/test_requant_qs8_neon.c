/* The NEON form of the int8 requantization (ukernels/neon/requant_qs8_neon.h: ember_qs8_mbqm_neon,
   ember_qs8_pack16_neon) lane for lane against LiteRT's reference arithmetic
   (kernels/fixed_point.h: ember_multiply_by_quantized_multiplier, ember_requantize_i8) and the
   scalar form (ember_qs8_requantize):
   - every tie of the rounding shift, both signs, for every right shift 1..31, and the values
     one either side of it (sqrdmulh and srshl round halves up; RDBPOT away from zero);
   - odd sums times m = 2^30, the ties of the high multiply itself;
   - INT32_MIN / INT32_MAX sums with every shift -31..31 (left shifts that wrap, srshl of
     INT32_MIN), m = INT32_MAX and 0, a sum near INT32_MAX plus a zero point of 127;
   - random sums, shifts and multipliers of scales 1e-6..64, zero points and clamps.
   Built and run on every target; off Arm (no NEON) it has nothing to check and says so. */
#include "emberlite.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/requant_qs8.h"

#if defined(__ARM_NEON)
#include "ukernels/neon/requant_qs8_neon.h"

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Lanes of one vector case; 16 lanes (one pack16) per round. */
typedef struct lanes {
    int32_t acc[16], m[16], shift[16];
} lanes;

static size_t bad_lanes;

/* Runs 16 lanes through the NEON form and compares each stage with the references. */
static void check_lanes(const lanes *l, int32_t out_zp, int32_t qmin, int32_t qmax) {
    int32_t ls[16], rs[16];
    for (int i = 0; i < 16; i++) {
        if (!ember_qs8_split_shift(l->shift[i], &ls[i], &rs[i])) {
            bad_lanes++;
            return;
        }
    }
    const ember_qs8_params p = {out_zp, qmin, qmax};
    int32x4_t v[4];
    int32_t got[16];
    for (int j = 0; j < 4; j++) {
        v[j] = ember_qs8_mbqm_neon(vld1q_s32(l->acc + 4 * j), vld1q_s32(l->m + 4 * j),
                                   vld1q_s32(ls + 4 * j), vnegq_s32(vld1q_s32(rs + 4 * j)));
        vst1q_s32(got + 4 * j, v[j]);
    }
    int8_t bytes[16];
    vst1q_s8(bytes, ember_qs8_pack16_neon(v, &p));
    for (int i = 0; i < 16; i++) {
        const int32_t want =
            ember_multiply_by_quantized_multiplier(l->acc[i], l->m[i], l->shift[i]);
        const int32_t want8 =
            ember_requantize_i8(l->acc[i], l->m[i], l->shift[i], out_zp, qmin, qmax);
        const int8_t scalar = ember_qs8_requantize(l->acc[i], l->m[i], ls[i], rs[i], &p);
        const bool ok = got[i] == want && bytes[i] == want8 && bytes[i] == scalar;
        if (!ok && bad_lanes < 5) {
            fprintf(stderr, "acc %d m %d shift %d zp %d: mbqm %d want %d, byte %d want %d\n",
                    (int)l->acc[i], (int)l->m[i], (int)l->shift[i], (int)out_zp, (int)got[i],
                    (int)want, (int)bytes[i], (int)want8);
        }
        bad_lanes += !ok;
    }
}

/* Sums whose high multiply by 2^30 is exactly h = k 2^r + 2^(r-1) (+ d, d in -1..1): ties of
   the rounding shift by r and their neighbours, for k from the most negative to the most
   positive that fit. */
static void check_shift_ties(void) {
    lanes l;
    int n = 0;
    for (int32_t r = 1; r <= 31; r++) {
        const int64_t span = (INT64_C(1) << 30) >> (r - 1); /* 2h fits int32 */
        const int64_t ks[] = {-span, -span / 2 - 1, -3, -2, -1, 0, 1, 2, span / 2, span - 1};
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            for (int d = -1; d <= 1; d++) {
                const int64_t h = ks[ki] * (INT64_C(1) << r) + (INT64_C(1) << (r - 1)) + d;
                if (2 * h < INT32_MIN || 2 * h > INT32_MAX)
                    continue;
                l.acc[n] = (int32_t)(2 * h);
                l.m[n] = INT32_C(1) << 30;
                l.shift[n] = -r;
                if (++n == 16) {
                    check_lanes(&l, 0, -128, 127);
                    n = 0;
                }
            }
        }
    }
}

static const int32_t edge_acc[] = {INT32_MIN, INT32_MIN + 1, -65537, -3, -1, 0, 1, 3,
                                   65537, INT32_MAX - 1, INT32_MAX};

/* Every edge sum with every shift -31..31 and multipliers 2^30 (odd sums: high-multiply ties),
   INT32_MAX, 0 and 2^31 - 2 (m near its top). */
static void check_edges(void) {
    const int32_t ms[] = {INT32_C(1) << 30, INT32_MAX, 0, INT32_MAX - 1};
    const int32_t zps[] = {-128, 0, 127};
    lanes l;
    int n = 0;
    for (size_t a = 0; a < sizeof edge_acc / sizeof edge_acc[0]; a++) {
        for (int32_t s = -31; s <= 31; s++) {
            for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
                l.acc[n] = edge_acc[a];
                l.m[n] = ms[mi];
                l.shift[n] = s;
                if (++n == 16) {
                    for (size_t z = 0; z < 3; z++)
                        check_lanes(&l, zps[z], -128, 127);
                    n = 0;
                }
            }
        }
    }
}

static double rand_scale(void) {
    const double u = (double)(rng() % 100001) / 100000.0;
    if (rng() % 8 == 0)
        return 1.0 + 63.0 * u;
    return 1e-6 * __builtin_pow(1e6, u);
}

static void check_random(void) {
    for (int round = 0; round < 3000; round++) {
        lanes l;
        for (int i = 0; i < 16; i++) {
            ember_quantize_multiplier(rand_scale(), &l.m[i], &l.shift[i]);
            const uint32_t kind = rng() % 4;
            l.acc[i] = kind == 0 ? (int32_t)(rng() % 2001) - 1000
                       : kind == 1 ? edge_acc[rng() % (sizeof edge_acc / sizeof edge_acc[0])]
                                   : (int32_t)rng();
            if (kind == 3)
                l.shift[i] = (int32_t)(rng() % 63) - 31;
            if (l.shift[i] > 31)
                l.shift[i] = 31;
        }
        const int32_t qmin = (int32_t)(rng() % 100) - 128;
        const int32_t qmax = qmin + (int32_t)(rng() % (size_t)(128 - qmin));
        check_lanes(&l, (int32_t)(int8_t)(rng() & 0xff), qmin, qmax);
    }
}

int main(void) {
    check_shift_ties();
    CHECK_MSG(bad_lanes == 0, "rounding-shift ties: %zu lanes differ", bad_lanes);
    bad_lanes = 0;
    check_edges();
    CHECK_MSG(bad_lanes == 0, "edge sums x every shift: %zu lanes differ", bad_lanes);
    bad_lanes = 0;
    check_random();
    CHECK_MSG(bad_lanes == 0, "random cases: %zu of 48000 lanes differ", bad_lanes);
    return test_report("test_requant_qs8_neon");
}
#else
int main(void) {
    printf("test_requant_qs8_neon: not an Arm NEON build, nothing to check\n");
    return test_report("test_requant_qs8_neon");
}
#endif
