/* Fused epilogues of the float32 conv-like ops (csrc/kernels/epilogue.h). */
#include "kernels/epilogue.h"

ember_status ember_epilogue_f32_read(ember_context *ctx, const ember_node *node, uint8_t act,
                                     struct ember_epilogue_f32 *e) {
    *e = (struct ember_epilogue_f32){EMBER_FUSED_ACTIVATION_NONE, -INFINITY, INFINITY, NULL,
                                     NULL, NULL};
    if (act == EMBER_FUSED_ACTIVATION_SILU || act == EMBER_FUSED_ACTIVATION_HARD_SWISH) {
        e->fn = act;
        return EMBER_STATUS_OK;
    }
    return ember_activation_range(ctx, node, act, &e->lo, &e->hi);
}

bool ember_epilogue_f32_select(const ember_context *ctx, struct ember_epilogue_f32 *e) {
    const ember_vbinary_f32_ops *add = ember_vbinary_f32_select(ctx, EMBER_VBINARY_ADD);
    const ember_vbinary_f32_ops *mul = ember_vbinary_f32_select(ctx, EMBER_VBINARY_MUL);
    const ember_vunary_f32_config *unary =
        e->fn == EMBER_FUSED_ACTIVATION_HARD_SWISH
            ? ember_vunary_f32_select(ctx, EMBER_VUNARY_HARD_SWISH)
            : ember_vunary_f32_select(ctx, EMBER_VUNARY_SIGMOID);
    if (add == NULL || mul == NULL || unary == NULL)
        return false;
    e->add = add->vv;
    e->mul = mul->vv;
    e->unary = unary->fn;
    return true;
}

/* SiLU through a stack chunk of sigmoids, so no scratch is needed. */
#define EPILOGUE_CHUNK 256

void ember_epilogue_f32_row(const struct ember_epilogue_f32 *e, float *c, const float *residual,
                            size_t n) {
    const ember_minmax_f32 clamp = {e->lo, e->hi};
    if (residual != NULL)
        e->add(n, c, residual, c, &clamp);
    if (e->fn == EMBER_FUSED_ACTIVATION_HARD_SWISH) {
        const ember_unary_params none = {0.0f, 0.0f};
        e->unary(c, c, n, &none);
    } else if (e->fn == EMBER_FUSED_ACTIVATION_SILU) {
        const ember_minmax_f32 all = {-INFINITY, INFINITY};
        const ember_unary_params none = {0.0f, 0.0f};
        float sig[EPILOGUE_CHUNK];
        for (size_t i = 0; i < n; i += EPILOGUE_CHUNK) {
            const size_t len = n - i < EPILOGUE_CHUNK ? n - i : EPILOGUE_CHUNK;
            e->unary(c + i, sig, len, &none);
            e->mul(len, c + i, sig, c + i, &all);
        }
    }
}
