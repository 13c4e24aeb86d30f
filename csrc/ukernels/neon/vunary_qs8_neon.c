/* NEON int8 table lookup (ukernels/vunary_qs8.h). aarch64: vqtbl4q looks up 64 entries at a
   time and gives 0 for an index >= 64, so the four lookups of x, x - 64, x - 128 and x - 192
   (bytes, wrapping) OR together to table[x]. armv7: vtbl4 the same with 32-entry slices and
   eight lookups per 8 bytes. The tail goes through a 16-byte copy. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/vunary_qs8.h"

#if defined(__aarch64__)
typedef struct lut_neon {
    uint8x16x4_t t[4];
} lut_neon;

static inline void lut_load(const int8_t table[256], lut_neon *l) {
    const uint8_t *p = (const uint8_t *)table;
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++)
            l->t[k].val[j] = vld1q_u8(p + 64 * k + 16 * j);
}

static inline uint8x16_t lookup16(uint8x16_t x, const lut_neon *l) {
    const uint8x16_t step = vdupq_n_u8(64);
    uint8x16_t y = vqtbl4q_u8(l->t[0], x);
    for (int k = 1; k < 4; k++) {
        x = vsubq_u8(x, step);
        y = vorrq_u8(y, vqtbl4q_u8(l->t[k], x));
    }
    return y;
}
#else
typedef struct lut_neon {
    uint8x8x4_t t[8];
} lut_neon;

static inline void lut_load(const int8_t table[256], lut_neon *l) {
    const uint8_t *p = (const uint8_t *)table;
    for (int k = 0; k < 8; k++)
        for (int j = 0; j < 4; j++)
            l->t[k].val[j] = vld1_u8(p + 32 * k + 8 * j);
}

static inline uint8x8_t lookup8(uint8x8_t x, const lut_neon *l) {
    const uint8x8_t step = vdup_n_u8(32);
    uint8x8_t y = vtbl4_u8(l->t[0], x);
    for (int k = 1; k < 8; k++) {
        x = vsub_u8(x, step);
        y = vorr_u8(y, vtbl4_u8(l->t[k], x));
    }
    return y;
}

static inline uint8x16_t lookup16(uint8x16_t x, const lut_neon *l) {
    return vcombine_u8(lookup8(vget_low_u8(x), l), lookup8(vget_high_u8(x), l));
}
#endif

void ember_vlut_qs8_neon(size_t n, const int8_t *in, int8_t *out, const int8_t table[256]) {
    if (n < 16) {
        ember_vlut_qs8_scalar(n, in, out, table);
        return;
    }
    lut_neon l;
    lut_load(table, &l);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        vst1q_u8((uint8_t *)out + i, lookup16(vld1q_u8((const uint8_t *)in + i), &l));
    if (i < n) {
        uint8_t tmp[16] = {0};
        memcpy(tmp, in + i, n - i);
        vst1q_u8(tmp, lookup16(vld1q_u8(tmp), &l));
        memcpy(out + i, tmp, n - i);
    }
}
