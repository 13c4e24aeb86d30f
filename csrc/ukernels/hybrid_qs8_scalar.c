/* The portable hybrid microkernels (ukernels/hybrid_qs8.h): the scalar forms, value by value. */
#include "ukernels/hybrid_qs8.h"

void ember_hybrid_minmax_scalar(size_t n, const float *x, float *lo, float *hi) {
    float l = *lo, h = *hi;
    for (size_t i = 0; i < n; i++) {
        l = x[i] < l ? x[i] : l;
        h = x[i] > h ? x[i] : h;
    }
    *lo = l;
    *hi = h;
}

void ember_hybrid_quantize_scalar(size_t n, const float *x, float inv_scale, int32_t zp,
                                  int8_t *q) {
    for (size_t i = 0; i < n; i++)
        q[i] = ember_hybrid_qs8_quantize1(x[i], inv_scale, zp);
}

void ember_hybrid_out_scalar(size_t rows, size_t n, const int32_t *acc, size_t acc_stride,
                             const int32_t *zc, const float *m, const float *bias, float lo,
                             float hi, float *y, size_t y_stride) {
    for (size_t i = 0; i < rows; i++, acc += acc_stride, y += y_stride) {
        for (size_t j = 0; j < n; j++)
            y[j] = ember_hybrid_qs8_out1(acc[j], zc[j], m[j], bias[j], lo, hi);
    }
}
