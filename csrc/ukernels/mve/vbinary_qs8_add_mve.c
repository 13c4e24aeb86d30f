/* int8 ADD for Cortex-M55 Helium (ukernels/vbinary_qs8.h): four elements per step in int32
   lanes (VLDRB.S32 widens the bytes as it loads them), sixteen per loop iteration, the last
   ones under a VCTP predicate (loads zero the lanes past n, stores skip them). Each input moves
   to the common scale as RDBPOT(SRDHM((q - zp) * 2^20, m), rshift), the sum is requantized
   with the output multiplier; SRDHM is VQRDMULH and RDBPOT the corrected VRSHL of mve.h. */
#include "ukernels/mve/mve.h"
#include "ukernels/vbinary_qs8.h"

typedef struct add_mve {
    int32_t a_zp, a_mult, b_zp, b_mult, mult;
    int32x4_t a_neg_r, b_neg_r, neg_r;
    const ember_qs8_params *out;
} add_mve;

MVE_INLINE add_mve add_setup(const ember_vbinary_qs8_params *p) {
    const add_mve s = {p->a_zp,
                       p->a_mult,
                       p->b_zp,
                       p->b_mult,
                       p->mult,
                       vdupq_n_s32(-p->a_rshift),
                       vdupq_n_s32(-p->b_rshift),
                       vdupq_n_s32(-p->rshift),
                       &p->out};
    return s;
}

MVE_INLINE int32x4_t rescale(int32x4_t q, int32_t zp, int32_t m, int32x4_t neg_r) {
    return mve_rdbpot(vqrdmulhq_n_s32(vshlq_n_s32(vsubq_n_s32(q, zp), 20), m), neg_r);
}

MVE_INLINE int32x4_t add_out(int32x4_t ra, int32x4_t rb, const add_mve *s) {
    const int32x4_t v =
        vaddq_n_s32(mve_rdbpot(vqrdmulhq_n_s32(vaddq_s32(ra, rb), s->mult), s->neg_r),
                    s->out->out_zp);
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(s->out->qmin)), vdupq_n_s32(s->out->qmax));
}

MVE_HOT void ember_vadd_qs8_vv_mve(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                                   const ember_vbinary_qs8_params *p) {
    const add_mve s = add_setup(p);
    for (; n >= 16; n -= 16, a += 16, b += 16, out += 16)
        for (size_t k = 0; k < 16; k += 4) {
            const int32x4_t ra = rescale(vldrbq_s32(a + k), s.a_zp, s.a_mult, s.a_neg_r);
            const int32x4_t rb = rescale(vldrbq_s32(b + k), s.b_zp, s.b_mult, s.b_neg_r);
            vstrbq_s32(out + k, add_out(ra, rb, &s));
        }
    for (; n > 0; n -= n < 4 ? n : 4, a += 4, b += 4, out += 4) {
        const mve_pred16_t pred = vctp32q((uint32_t)n);
        const int32x4_t ra = rescale(vldrbq_z_s32(a, pred), s.a_zp, s.a_mult, s.a_neg_r);
        const int32x4_t rb = rescale(vldrbq_z_s32(b, pred), s.b_zp, s.b_mult, s.b_neg_r);
        vstrbq_p_s32(out, add_out(ra, rb, &s), pred);
    }
}

MVE_HOT void ember_vadd_qs8_vs_mve(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                                   const ember_vbinary_qs8_params *p) {
    const add_mve s = add_setup(p);
    const int32x4_t rb = rescale(vdupq_n_s32(b[0]), s.b_zp, s.b_mult, s.b_neg_r);
    for (; n >= 16; n -= 16, a += 16, out += 16)
        for (size_t k = 0; k < 16; k += 4) {
            const int32x4_t ra = rescale(vldrbq_s32(a + k), s.a_zp, s.a_mult, s.a_neg_r);
            vstrbq_s32(out + k, add_out(ra, rb, &s));
        }
    for (; n > 0; n -= n < 4 ? n : 4, a += 4, out += 4) {
        const mve_pred16_t pred = vctp32q((uint32_t)n);
        const int32x4_t ra = rescale(vldrbq_z_s32(a, pred), s.a_zp, s.a_mult, s.a_neg_r);
        vstrbq_p_s32(out, add_out(ra, rb, &s), pred);
    }
}
