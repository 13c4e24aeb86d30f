/* float32 SOFTMAX and LOG_SOFTMAX microkernels along a contiguous axis (csrc/kernels/), one
 * layer below the ops: one row of n values per call, in place allowed (y == x).
 *
 * Both compute z = beta * x - m (m the row's largest beta * x, the products and the difference
 * rounded as in the reference loops) and exp(z) by an approximation instead of libm's:
 *   exp(z) = 2^k * p(r), k = round(z * log2 e), r = z - k ln 2 (ln 2 in two parts, |r| <=
 *   ln 2 / 2), p the Taylor polynomial of exp to degree 7 (truncation error below 5e-9
 *   relative), evaluated with FMA; 2^k built in the exponent bits. z below ln FLT_MIN
 *   (-87.3365) gives 0 (the reference's subnormal results, below 2^-126, are flushed);
 *   NaN gives NaN.
 * Its relative error, measured by tests/c/test_ukernel_softmax.c against double precision
 * exp over a dense sweep of [-88, 0], is asserted at most EMBER_SOFTMAX_EXP_MAX_REL_ERR
 * (7.2e-8 measured with AVX2).
 *   - softmax: y = exp(z) / sum, the sum in 8 float lanes then added up; outputs within
 *     about (2 x that + n x 2^-24) relative of the reference's.
 *   - log_softmax: as the reference, in double: m and z from exact double products,
 *     y = (float)(beta * x - m - log(sum)) with the sum of the approximate exps in double;
 *     outputs within about that error absolute of the reference's. */
#ifndef EMBER_UKERNELS_SOFTMAX_H
#define EMBER_UKERNELS_SOFTMAX_H

#include "kernels/kernels.h"

#define EMBER_SOFTMAX_EXP_MAX_REL_ERR 1.5e-7

typedef void (*ember_softmax_row_fn)(const float *x, float *y, size_t n, float beta);

typedef struct ember_softmax_f32_config {
    uint32_t isa; /* EMBER_ISA_* bits it needs */
    const char *softmax_name, *log_softmax_name;
    ember_softmax_row_fn softmax, log_softmax;
    /* y[i] = exp(z[i]) for z[i] <= 0 (or NaN), as above: for the tests */
    void (*exp)(const float *z, float *y, size_t n);
} ember_softmax_f32_config;

#if EMBER_HAVE_AVX2
void ember_softmax_row_f32_avx2(const float *x, float *y, size_t n, float beta);
void ember_log_softmax_row_f32_avx2(const float *x, float *y, size_t n, float beta);
void ember_vexp_neg_f32_avx2(const float *z, float *y, size_t n);
#endif

/* Every configuration, best first (for the tests); may be empty (count 0). */
const ember_softmax_f32_config *ember_softmax_f32_configs(size_t *count);
/* The best usable configuration; NULL under ember_reference_only or where none is
   usable: the ops then run their reference loops. */
const ember_softmax_f32_config *ember_softmax_f32_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_SOFTMAX_H */
