/* NEON int8 ADD and MUL microkernels (ukernels/vbinary_qs8.h), aarch64 and armv7: 16 outputs
   per step. SRDHM is vqrdmulh (round(2ab / 2^32) with ties up, i.e. floor((ab + 2^30) / 2^31),
   the form requant_qs8.h shows equal to gemmlowp's; both saturate INT32_MIN * INT32_MIN), and
   the rounding right shift is vrshl after moving negative values down by one, which turns its
   ties-up rounding into ties away from zero (the saturating add keeps INT32_MIN exact). A tail
   goes through a 16-byte copy. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/vbinary_qs8.h"

/* RDBPOT(x, e) with neg_shift = -e in every lane. */
static inline int32x4_t rdbpot(int32x4_t x, int32x4_t neg_shift) {
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, neg_shift), 31);
    return vrshlq_s32(vqaddq_s32(x, fixup), neg_shift);
}

typedef struct out_neon {
    int32x4_t mult, lshift, neg_rshift, zp;
    int8x16_t qmin, qmax;
} out_neon;

static inline out_neon out_setup(const ember_vbinary_qs8_params *p) {
    const out_neon o = {vdupq_n_s32(p->mult),      vdupq_n_s32(p->lshift),
                        vdupq_n_s32(-p->rshift),   vdupq_n_s32(p->out.out_zp),
                        vdupq_n_s8((int8_t)p->out.qmin), vdupq_n_s8((int8_t)p->out.qmax)};
    return o;
}

/* MBQM of four sums plus the output zero point (wrapping, as the AVX2 form). */
static inline int32x4_t requant4(int32x4_t acc, const out_neon *o) {
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, o->lshift), o->mult);
    return vaddq_s32(rdbpot(high, o->neg_rshift), o->zp);
}

/* Sixteen sums (v[0] = outputs 0-3, ...) requantized, narrowed with saturation and clamped. */
static inline int8x16_t pack16(const int32x4_t v[4], const out_neon *o) {
    const int16x8_t lo = vcombine_s16(vqmovn_s32(requant4(v[0], o)), vqmovn_s32(requant4(v[1], o)));
    const int16x8_t hi = vcombine_s16(vqmovn_s32(requant4(v[2], o)), vqmovn_s32(requant4(v[3], o)));
    const int8x16_t b = vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
    return vminq_s8(vmaxq_s8(b, o->qmin), o->qmax);
}

typedef struct rescale_neon {
    int16x8_t zp;
    int32x4_t mult, neg_rshift;
} rescale_neon;

static inline rescale_neon rescale_setup(int32_t zp, int32_t mult, int32_t rshift) {
    const rescale_neon r = {vdupq_n_s16((int16_t)zp), vdupq_n_s32(mult), vdupq_n_s32(-rshift)};
    return r;
}

/* Sixteen inputs moved to ADD's common scale: RDBPOT(SRDHM((q - zp) * 2^20, m), rshift). */
static inline void rescale16(const int8_t *q, const rescale_neon *r, int32x4_t v[4]) {
    const int8x16_t x = vld1q_s8(q);
    const int16x8_t d0 = vsubq_s16(vmovl_s8(vget_low_s8(x)), r->zp);
    const int16x8_t d1 = vsubq_s16(vmovl_s8(vget_high_s8(x)), r->zp);
    const int16x4_t d[4] = {vget_low_s16(d0), vget_high_s16(d0), vget_low_s16(d1),
                            vget_high_s16(d1)};
    for (int k = 0; k < 4; k++)
        v[k] = rdbpot(vqrdmulhq_s32(vshlq_n_s32(vmovl_s16(d[k]), 20), r->mult), r->neg_rshift);
}

static inline int8x16_t add16(const int8_t *a, const int8_t *b, const rescale_neon *ra,
                              const rescale_neon *rb, const out_neon *o) {
    int32x4_t va[4], vb[4];
    rescale16(a, ra, va);
    rescale16(b, rb, vb);
    for (int k = 0; k < 4; k++)
        va[k] = vaddq_s32(va[k], vb[k]);
    return pack16(va, o);
}

void ember_vadd_qs8_vv_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const rescale_neon ra = rescale_setup(p->a_zp, p->a_mult, p->a_rshift);
    const rescale_neon rb = rescale_setup(p->b_zp, p->b_mult, p->b_rshift);
    const out_neon o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16)
        vst1q_s8(out, add16(a, b, &ra, &rb, &o));
    if (n > 0) {
        int8_t ta[16] = {0}, tb[16] = {0}, to[16];
        memcpy(ta, a, n);
        memcpy(tb, b, n);
        vst1q_s8(to, add16(ta, tb, &ra, &rb, &o));
        memcpy(out, to, n);
    }
}

static inline int8x16_t add16_s(const int8_t *a, int32x4_t rb, const rescale_neon *ra,
                                const out_neon *o) {
    int32x4_t va[4];
    rescale16(a, ra, va);
    for (int k = 0; k < 4; k++)
        va[k] = vaddq_s32(va[k], rb);
    return pack16(va, o);
}

void ember_vadd_qs8_vs_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const rescale_neon ra = rescale_setup(p->a_zp, p->a_mult, p->a_rshift);
    const int32x4_t rb = vdupq_n_s32(
        ember_vbinary_qs8_rescale(b[0] - p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift));
    const out_neon o = out_setup(p);
    for (; n >= 16; n -= 16, a += 16, out += 16)
        vst1q_s8(out, add16_s(a, rb, &ra, &o));
    if (n > 0) {
        int8_t ta[16] = {0}, to[16];
        memcpy(ta, a, n);
        vst1q_s8(to, add16_s(ta, rb, &ra, &o));
        memcpy(out, to, n);
    }
}

/* (q - zp) of sixteen inputs as int16. */
static inline void diff16(const int8_t *q, int16x8_t zp, int16x8_t d[2]) {
    const int8x16_t x = vld1q_s8(q);
    d[0] = vsubq_s16(vmovl_s8(vget_low_s8(x)), zp);
    d[1] = vsubq_s16(vmovl_s8(vget_high_s8(x)), zp);
}

static inline int8x16_t mul16(const int16x8_t da[2], const int16x8_t db[2], const out_neon *o) {
    const int32x4_t v[4] = {vmull_s16(vget_low_s16(da[0]), vget_low_s16(db[0])),
                            vmull_s16(vget_high_s16(da[0]), vget_high_s16(db[0])),
                            vmull_s16(vget_low_s16(da[1]), vget_low_s16(db[1])),
                            vmull_s16(vget_high_s16(da[1]), vget_high_s16(db[1]))};
    return pack16(v, o);
}

void ember_vmul_qs8_vv_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const int16x8_t azp = vdupq_n_s16((int16_t)p->a_zp), bzp = vdupq_n_s16((int16_t)p->b_zp);
    const out_neon o = out_setup(p);
    int16x8_t da[2], db[2];
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16) {
        diff16(a, azp, da);
        diff16(b, bzp, db);
        vst1q_s8(out, mul16(da, db, &o));
    }
    if (n > 0) {
        int8_t ta[16] = {0}, tb[16] = {0}, to[16];
        memcpy(ta, a, n);
        memcpy(tb, b, n);
        diff16(ta, azp, da);
        diff16(tb, bzp, db);
        vst1q_s8(to, mul16(da, db, &o));
        memcpy(out, to, n);
    }
}

void ember_vmul_qs8_vs_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p) {
    const int16x8_t azp = vdupq_n_s16((int16_t)p->a_zp);
    const int16x8_t dbv = vdupq_n_s16((int16_t)(b[0] - p->b_zp));
    const int16x8_t db[2] = {dbv, dbv};
    const out_neon o = out_setup(p);
    int16x8_t da[2];
    for (; n >= 16; n -= 16, a += 16, out += 16) {
        diff16(a, azp, da);
        vst1q_s8(out, mul16(da, db, &o));
    }
    if (n > 0) {
        int8_t ta[16] = {0}, to[16];
        memcpy(ta, a, n);
        diff16(ta, azp, da);
        vst1q_s8(to, mul16(da, db, &o));
        memcpy(out, to, n);
    }
}
