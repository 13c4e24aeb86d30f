/* Portable int8 ADD and MUL microkernels (ukernels/vbinary_qs8.h), and the parameter setup
   every variant shares. */
#include "ukernels/vbinary_qs8.h"

bool ember_vbinary_qs8_add_params(int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp,
                                  int32_t b_mult, int32_t b_shift, int32_t mult, int32_t shift,
                                  const ember_qs8_params *out, ember_vbinary_qs8_params *p) {
    /* The input multipliers are ratios <= 1/2 (shift <= 0, at least -31 after
       ember_quantize_multiplier's flush); the output one is applied with a right shift. */
    if (a_shift > 0 || b_shift > 0 || a_shift < -31 || b_shift < -31 || shift > 0 ||
        !ember_qs8_split_shift(shift, &p->lshift, &p->rshift))
        return false;
    p->a_zp = a_zp;
    p->b_zp = b_zp;
    p->a_mult = a_mult;
    p->a_rshift = -a_shift;
    p->b_mult = b_mult;
    p->b_rshift = -b_shift;
    p->a_mhi = a_mult >> 11;
    p->a_mlo = a_mult & 2047;
    p->b_mhi = b_mult >> 11;
    p->b_mlo = b_mult & 2047;
    p->mult = mult;
    p->out = *out;
    return true;
}

bool ember_vbinary_qs8_mul_params(int32_t a_zp, int32_t b_zp, int32_t mult, int32_t shift,
                                  const ember_qs8_params *out, ember_vbinary_qs8_params *p) {
    if (!ember_qs8_split_shift(shift, &p->lshift, &p->rshift))
        return false;
    p->a_zp = a_zp;
    p->b_zp = b_zp;
    p->a_mult = p->a_rshift = p->b_mult = p->b_rshift = 0;
    p->a_mhi = p->a_mlo = p->b_mhi = p->b_mlo = 0;
    p->mult = mult;
    p->out = *out;
    return true;
}

void ember_vbinary_qs8_swap(const ember_vbinary_qs8_params *p, ember_vbinary_qs8_params *s) {
    *s = *p;
    s->a_zp = p->b_zp;
    s->b_zp = p->a_zp;
    s->a_mult = p->b_mult;
    s->b_mult = p->a_mult;
    s->a_rshift = p->b_rshift;
    s->b_rshift = p->a_rshift;
    s->a_mhi = p->b_mhi;
    s->b_mhi = p->a_mhi;
    s->a_mlo = p->b_mlo;
    s->b_mlo = p->a_mlo;
}

void ember_vadd_qs8_vv_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p) {
    for (size_t i = 0; i < n; i++) {
        const int32_t ra =
            ember_vbinary_qs8_rescale(a[i] - p->a_zp, p->a_mhi, p->a_mlo, p->a_rshift);
        const int32_t rb =
            ember_vbinary_qs8_rescale(b[i] - p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift);
        out[i] = ember_qs8_requantize(ra + rb, p->mult, 0, p->rshift, &p->out);
    }
}

void ember_vadd_qs8_vs_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p) {
    const int32_t rb = ember_vbinary_qs8_rescale(b[0] - p->b_zp, p->b_mhi, p->b_mlo, p->b_rshift);
    for (size_t i = 0; i < n; i++) {
        const int32_t ra =
            ember_vbinary_qs8_rescale(a[i] - p->a_zp, p->a_mhi, p->a_mlo, p->a_rshift);
        out[i] = ember_qs8_requantize(ra + rb, p->mult, 0, p->rshift, &p->out);
    }
}

void ember_vmul_qs8_vv_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p) {
    for (size_t i = 0; i < n; i++)
        out[i] = ember_qs8_requantize((a[i] - p->a_zp) * (b[i] - p->b_zp), p->mult, p->lshift,
                                      p->rshift, &p->out);
}

void ember_vmul_qs8_vs_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p) {
    const int32_t db = b[0] - p->b_zp;
    for (size_t i = 0; i < n; i++)
        out[i] = ember_qs8_requantize((a[i] - p->a_zp) * db, p->mult, p->lshift, p->rshift,
                                      &p->out);
}
