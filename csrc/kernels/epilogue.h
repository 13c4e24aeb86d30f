/* Fused epilogues of the float32 CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED nodes: after
   the sums and the bias, add CONV2D's optional residual (input 3), clamp to the activation's
   range, then apply SILU (x * sigmoid(x)) or HARD_SWISH where the activation is one of those
   (format 5; the converter's fuse_epilogues pass writes them). Other ops, and the int8 and
   int16 forms, keep to clamp ranges (ember_activation_range refuses these two). */
#ifndef EMBER_KERNELS_EPILOGUE_H
#define EMBER_KERNELS_EPILOGUE_H

#include <math.h>

#include "ember_internal.h"
#include "ukernels/vbinary.h"
#include "ukernels/vunary.h"

struct ember_epilogue_f32 {
    uint8_t fn;   /* EMBER_FUSED_ACTIVATION_SILU, _HARD_SWISH, else _NONE: clamp only */
    float lo, hi; /* the clamp; infinite for SILU and HARD_SWISH */
    /* The fast paths' microkernels (ember_epilogue_f32_select), NULL under ISA_NONE. */
    ember_vbinary_f32_fn add, mul;
    ember_unary_f32 unary; /* sigmoid for SILU, hard_swish for HARD_SWISH */
};

/* Reads fused activation `act` of a float32 node: any FusedActivation value. */
ember_status ember_epilogue_f32_read(ember_context *ctx, const ember_node *node, uint8_t act,
                                     struct ember_epilogue_f32 *e);
/* Picks the microkernels of the fast row epilogue; false under ISA_NONE (none usable). */
bool ember_epilogue_f32_select(const ember_context *ctx, struct ember_epilogue_f32 *e);
/* Runs the fast epilogue in place on n floats of one output row whose sums were clamped to
   +-inf only: c = f(clamp(c + residual)); residual may be NULL. */
void ember_epilogue_f32_row(const struct ember_epilogue_f32 *e, float *c, const float *residual,
                            size_t n);

/* The reference's function after the clamp (the oracle: plain IEEE operations and expf). */
static inline float ember_epilogue_f32_fn(uint8_t fn, float v) {
    if (fn == EMBER_FUSED_ACTIVATION_SILU)
        return v / (1.0f + expf(-v));
    if (fn == EMBER_FUSED_ACTIVATION_HARD_SWISH)
        return v * ember_clamp_f32(v + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
    return v;
}

/* The reference's epilogue of one output value. */
static inline float ember_epilogue_f32_ref(const struct ember_epilogue_f32 *e, float v) {
    return ember_epilogue_f32_fn(e->fn, ember_clamp_f32(v, e->lo, e->hi));
}

#endif /* EMBER_KERNELS_EPILOGUE_H */
