/* int8 ADD for the Cortex-M DSP extension (ukernels/vbinary_qs8.h): four elements per step.
 *
 * One 32-bit load brings four inputs; SXTAB16 sign-extends two of them to 16-bit halves while
 * adding -zp, so each half holds d = q - zp (|d| <= 255). The rescale SRDHM(d * 2^20, m) =
 * floor((d * 2^20 * m + 2^30) / 2^31) is SMMULR(d * 2^21, m) = floor((d * 2^21 * m + 2^31) /
 * 2^32), one instruction: d * 2^21 < 2^29 fits, and a half shifted left by 21 (the bottom one
 * directly, the top one after a shift right by 16) is that product. The output's SRDHM of the
 * sum is SMMULR(2 * sum, m) the same way (|sum| < 2^29).
 *
 * RDBPOT(x, r) (ties away from zero) is RDBPOT(2x, r + 1), which for r + 1 >= 1 is
 * (2x + 2^r - (x < 0)) >> (r + 1): the -1 moves exactly the negative ties down. With |x| < 2^28
 * after an input rescale every r >= 29 gives 0, as r = 29 does, and with |x| < 2^29 after the
 * output's every r >= 30 gives 0 as r = 30 does; clamped so, nothing overflows. Then the zero
 * point and the clamp, as the reference (whose int32 zero-point add cannot wrap here). */
#include "ukernels/armdsp/armdsp.h"
#include "ukernels/vbinary_qs8.h"

/* floor((a * b + 2^31) / 2^32) */
ARMDSP_INLINE int32_t smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* RDBPOT(x, r) for r <= 30 and |2x| + 2^r < 2^31. */
ARMDSP_INLINE int32_t rdbpot(int32_t x, int32_t r) {
    return (int32_t)((uint32_t)x * 2u + (UINT32_C(1) << r) + (uint32_t)(x >> 31)) >> (r + 1);
}

typedef struct add_dsp {
    int16x2_t a_neg_zp, b_neg_zp;
    int32_t a_mult, a_r, b_mult, b_r, mult, r, zp, qmin, qmax;
} add_dsp;

static add_dsp add_setup(const ember_vbinary_qs8_params *p) {
    const add_dsp s = {armdsp_dup16(-p->a_zp), armdsp_dup16(-p->b_zp),
                       p->a_mult, p->a_rshift > 29 ? 29 : p->a_rshift,
                       p->b_mult, p->b_rshift > 29 ? 29 : p->b_rshift,
                       p->mult, p->rshift > 30 ? 30 : p->rshift,
                       p->out.out_zp, p->out.qmin, p->out.qmax};
    return s;
}

/* d * 2^21 of the bottom and the top half */
ARMDSP_INLINE int32_t lo21(int16x2_t d) {
    return (int32_t)((uint32_t)d << 21);
}
ARMDSP_INLINE int32_t hi21(int16x2_t d) {
    return (int32_t)(((uint32_t)d >> 16) << 21);
}

/* One output from the two rescaled inputs. */
ARMDSP_INLINE int8_t add_out(int32_t ra, int32_t rb, const add_dsp *s) {
    int32_t v = rdbpot(smmulr((ra + rb) * 2, s->mult), s->r) + s->zp;
    v = v < s->qmin ? s->qmin : v;
    return (int8_t)(v > s->qmax ? s->qmax : v);
}

/* The rescaled input of d * 2^21 (from lo21 or hi21). */
ARMDSP_INLINE int32_t rescale(int32_t d21, int32_t m, int32_t r) {
    return rdbpot(smmulr(d21, m), r);
}

/* Four outputs from the words qa, qb of four inputs each (element k is byte k). Each output
   is finished before the next starts, so few values are live at once. */
ARMDSP_INLINE void add4(uint32_t qa, uint32_t qb, const add_dsp *s, int8_t *out) {
    const int16x2_t a02 = __sxtab16(s->a_neg_zp, qa), a13 = armdsp_sxtab16_ror8(s->a_neg_zp, qa);
    const int16x2_t b02 = __sxtab16(s->b_neg_zp, qb), b13 = armdsp_sxtab16_ror8(s->b_neg_zp, qb);
    out[0] = add_out(rescale(lo21(a02), s->a_mult, s->a_r), rescale(lo21(b02), s->b_mult, s->b_r),
                     s);
    out[1] = add_out(rescale(lo21(a13), s->a_mult, s->a_r), rescale(lo21(b13), s->b_mult, s->b_r),
                     s);
    out[2] = add_out(rescale(hi21(a02), s->a_mult, s->a_r), rescale(hi21(b02), s->b_mult, s->b_r),
                     s);
    out[3] = add_out(rescale(hi21(a13), s->a_mult, s->a_r), rescale(hi21(b13), s->b_mult, s->b_r),
                     s);
}

/* The same with one rescaled second input for all four. */
ARMDSP_INLINE void add4_s(uint32_t qa, int32_t rb, const add_dsp *s, int8_t *out) {
    const int16x2_t a02 = __sxtab16(s->a_neg_zp, qa), a13 = armdsp_sxtab16_ror8(s->a_neg_zp, qa);
    out[0] = add_out(rescale(lo21(a02), s->a_mult, s->a_r), rb, s);
    out[1] = add_out(rescale(lo21(a13), s->a_mult, s->a_r), rb, s);
    out[2] = add_out(rescale(hi21(a02), s->a_mult, s->a_r), rb, s);
    out[3] = add_out(rescale(hi21(a13), s->a_mult, s->a_r), rb, s);
}

ARMDSP_INLINE int32_t rescale1(int8_t q, int32_t zp, int32_t m, int32_t r) {
    return rdbpot(smmulr((q - zp) * (1 << 21), m), r);
}

ARMDSP_HOT void ember_vadd_qs8_vv_armdsp(size_t n, const int8_t *a, const int8_t *b,
                                         int8_t *out, const ember_vbinary_qs8_params *p) {
    const add_dsp s = add_setup(p);
    for (; n >= 4; n -= 4, a += 4, b += 4, out += 4)
        add4(armdsp_load4(a), armdsp_load4(b), &s, out);
    for (size_t i = 0; i < n; i++)
        out[i] = add_out(rescale1(a[i], p->a_zp, s.a_mult, s.a_r),
                         rescale1(b[i], p->b_zp, s.b_mult, s.b_r), &s);
}

ARMDSP_HOT void ember_vadd_qs8_vs_armdsp(size_t n, const int8_t *a, const int8_t *b,
                                         int8_t *out, const ember_vbinary_qs8_params *p) {
    const add_dsp s = add_setup(p);
    const int32_t rb = rescale1(b[0], p->b_zp, s.b_mult, s.b_r);
    for (; n >= 4; n -= 4, a += 4, out += 4)
        add4_s(armdsp_load4(a), rb, &s, out);
    for (size_t i = 0; i < n; i++)
        out[i] = add_out(rescale1(a[i], p->a_zp, s.a_mult, s.a_r), rb, &s);
}
