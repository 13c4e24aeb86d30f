/* int8 element-wise unary microkernels: a lookup in a 256-entry table, the fast form of every
 * int8 op whose output depends only on the input byte (SIGMOID, TANH and LOOKUP_TABLE, whose
 * table the converter stores; HARD_SWISH, RELU, RELU6, LEAKY_RELU, CLAMP and QUANTIZE int8 ->
 * int8, whose prepare builds the table by running the reference's scalar function on all 256
 * inputs, so the lookup is exact by construction).
 *
 * out[i] = table[(uint8_t)in[i]] for i < n; out the same array as in or apart, any
 * alignment, any n (0 included). */
#ifndef EMBER_UKERNELS_VUNARY_QS8_H
#define EMBER_UKERNELS_VUNARY_QS8_H

#include "kernels/kernels.h"

typedef void (*ember_vlut_qs8_fn)(size_t n, const int8_t *in, int8_t *out,
                                  const int8_t table[256]);

typedef struct ember_vlut_qs8_config {
    const char *name; /* e.g. "vlut_qs8_avx2", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    ember_vlut_qs8_fn fn;
} ember_vlut_qs8_config;

/* The fastest usable lookup, the portable one at worst; NULL under isa_mask EMBER_ISA_NONE
   (the op then runs its reference loop). */
const ember_vlut_qs8_config *ember_vlut_qs8_select(const ember_context *ctx);
/* Every configuration, best first (for the tests). */
const ember_vlut_qs8_config *ember_vlut_qs8_configs(size_t *count);

void ember_vlut_qs8_scalar(size_t n, const int8_t *in, int8_t *out, const int8_t table[256]);
#if EMBER_HAVE_AVX512VBMI
void ember_vlut_qs8_avx512vbmi(size_t n, const int8_t *in, int8_t *out,
                               const int8_t table[256]);
#endif
#if EMBER_HAVE_AVX2
void ember_vlut_qs8_avx2(size_t n, const int8_t *in, int8_t *out, const int8_t table[256]);
#endif
#if EMBER_HAVE_NEON
void ember_vlut_qs8_neon(size_t n, const int8_t *in, int8_t *out, const int8_t table[256]);
#endif

#endif /* EMBER_UKERNELS_VUNARY_QS8_H */
