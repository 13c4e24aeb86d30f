/* Packing float32 weights into the GEMM microkernels' panels (csrc/ukernels/gemm.h). */
#include "ukernels/gemm.h"

#include <string.h>

size_t ember_gemm_f32_packed_count(size_t n, size_t k) {
    const size_t panels = (n + EMBER_GEMM_NR - 1) / EMBER_GEMM_NR;
    return panels * (k + 1) * EMBER_GEMM_NR;
}

/* One panel: NR bias values, then k rows of NR weights, weight (kk, j) at w[j * col + kk * row]
   for the panel's columns j < cols; the rest zero. */
static float *pack_panel(size_t cols, size_t k, const float *w, size_t col_stride,
                         size_t row_stride, const float *bias, float *out) {
    memset(out, 0, (k + 1) * EMBER_GEMM_NR * sizeof(float));
    for (size_t j = 0; j < cols && bias != NULL; j++)
        out[j] = bias[j];
    out += EMBER_GEMM_NR;
    for (size_t kk = 0; kk < k; kk++, out += EMBER_GEMM_NR)
        for (size_t j = 0; j < cols; j++)
            out[j] = w[j * col_stride + kk * row_stride];
    return out;
}

void ember_pack_gemm_f32_nk(size_t n, size_t k, const float *w, const float *bias,
                            float *packed) {
    for (size_t j0 = 0; j0 < n; j0 += EMBER_GEMM_NR) {
        const size_t cols = n - j0 < EMBER_GEMM_NR ? n - j0 : EMBER_GEMM_NR;
        packed = pack_panel(cols, k, w + j0 * k, k, 1, bias ? bias + j0 : NULL, packed);
    }
}

void ember_pack_gemm_f32_kn(size_t n, size_t k, const float *w, size_t w_row_stride,
                            const float *bias, float *packed) {
    for (size_t j0 = 0; j0 < n; j0 += EMBER_GEMM_NR) {
        const size_t cols = n - j0 < EMBER_GEMM_NR ? n - j0 : EMBER_GEMM_NR;
        packed = pack_panel(cols, k, w + j0, 1, w_row_stride, bias ? bias + j0 : NULL, packed);
    }
}
