/* Bounded dynamic shapes (format 8): after graph inputs are resized, every other tensor's
   shape is derived again, node by node, from the inputs' (the ops' shape rules), inside the
   bound the file's arena plan was made for. */
#include "interp.h"

static ember_tensor *graph_input(ember_model *m, uint32_t k) {
    return &m->tensors[ember_fb_vector_i32(&m->inputs, k)];
}

static const char *symbol_name(const ember_model *m, uint32_t k) {
    ember_fb_table st;
    const char *name = "";
    uint32_t len;
    if (!ember_fb_vector_table(&m->symbols, k, &st) ||
        !ember_fb_string_field(&st, EMBER_SLOT_SYMBOL_NAME, &name, &len))
        return "";
    return name;
}

/* Each symbol's value, read from the graph inputs that follow it; they must agree. */
static ember_status bind_symbols(ember_context *ctx, ember_model *m) {
    int32_t value[EMBER_MAX_SYMBOLS];
    const char *owner[EMBER_MAX_SYMBOLS] = {NULL};
    for (uint32_t k = 0; k < m->inputs.len; k++) {
        const ember_tensor *t = graph_input(m, k);
        for (uint32_t d = 0; d < t->dim_symbols.len; d++) {
            const int32_t s = ember_fb_vector_i32(&t->dim_symbols, d);
            if (s < 0)
                continue;
            if (owner[s] != NULL && value[s] != t->dims[d])
                return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                                  "inputs '%s' and '%s' disagree on dimension '%s' (%" PRId32
                                  " and %" PRId32 ")",
                                  owner[s], t->name, symbol_name(m, (uint32_t)s), value[s],
                                  t->dims[d]);
            owner[s] = t->name;
            value[s] = t->dims[d];
        }
    }
    for (uint32_t s = 0; s < ctx->symbol_count; s++)
        ctx->symbols[s] = value[s]; /* the verifier made sure an input names each symbol */
    return EMBER_STATUS_OK;
}

/* The shape the file stores (the one at the maxima). */
static void restore_stored(ember_tensor *t) {
    for (uint32_t d = 0; d < t->rank; d++)
        t->dims[d] = ember_fb_vector_i32(&t->stored_shape, d);
    const size_t elem = ember_type_bytes(t->type);
    t->bytes = t->stored_bytes;
    t->count = elem > 0 ? t->stored_bytes / elem : 0;
}

/* A constant that follows a symbol is the leading part of the stored one. */
static void cut_constants(ember_context *ctx, ember_model *m) {
    for (uint32_t i = 0; i < m->tensor_count; i++) {
        ember_tensor *t = &m->tensors[i];
        if (!t->is_constant || t->dim_symbols.len == 0)
            continue;
        restore_stored(t);
        for (uint32_t d = 0; d < t->dim_symbols.len; d++) {
            const int32_t s = ember_fb_vector_i32(&t->dim_symbols, d);
            if (s >= 0) {
                t->count = t->count / (size_t)t->dims[d] * (size_t)ctx->symbols[s];
                t->dims[d] = ctx->symbols[s];
            }
        }
        t->bytes = t->count * ember_type_bytes(t->type);
    }
}

static bool inputs_stored(const ember_context *ctx, const ember_node *n) {
    for (uint32_t k = 0; k < n->input_count; k++) {
        const ember_tensor *t = n->inputs[k] >= 0 ? &ctx->tensors[n->inputs[k]] : NULL;
        if (t != NULL && t->bytes != t->stored_bytes)
            return false;
        for (uint32_t d = 0; t != NULL && d < t->rank; d++) {
            if (t->dims[d] != ember_fb_vector_i32(&t->stored_shape, d))
                return false;
        }
    }
    return true;
}

static ember_status derive_node(ember_context *ctx, ember_node *n) {
    const ember_shape_fn rule = ember_shape_rule(n->op);
    if (rule != NULL)
        return rule(ctx, n);
    if (!inputs_stored(ctx, n))
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " (%s '%s'): this op's outputs cannot follow resized "
                          "inputs; convert the model with fixed shapes",
                          n->index, n->kernel->name, n->name);
    for (uint32_t k = 0; k < n->output_count; k++)
        restore_stored(&ctx->tensors[n->outputs[k]]);
    return EMBER_STATUS_OK;
}

/* A derived shape must fit the arena plan, and a per-channel quantization (the verifier
   matched its count to the stored dim) must still have one scale per element of its axis:
   the kernels size their channel loops by the count. */
static ember_status check_derived(ember_context *ctx, uint32_t i, const ember_tensor *t) {
    if (!t->is_constant && t->bytes > t->stored_bytes)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "tensor %" PRIu32 " '%s' needs %zu bytes at these input shapes; the "
                          "arena plan holds %zu (its size at the maxima)",
                          i, t->name, t->bytes, t->stored_bytes);
    const uint32_t axis = (uint32_t)t->quant_axis;
    if (t->quant_count > 1 && (axis >= t->rank || (uint32_t)t->dims[axis] != t->quant_count))
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "tensor %" PRIu32 " '%s' has %" PRIu32 " per-channel scales along dim "
                          "%" PRIu32 ", which is %" PRId32 " at these input shapes",
                          i, t->name, t->quant_count, axis, axis < t->rank ? t->dims[axis] : 0);
    return EMBER_STATUS_OK;
}

ember_status ember_derive_shapes(ember_context *ctx, ember_model *m) {
    ember_status st = bind_symbols(ctx, m);
    if (st != EMBER_STATUS_OK)
        return st;
    cut_constants(ctx, m);
    for (uint32_t i = 0; st == EMBER_STATUS_OK && i < m->node_count; i++)
        st = derive_node(ctx, &m->nodes[i]);
    for (uint32_t i = 0; st == EMBER_STATUS_OK && i < m->tensor_count; i++)
        st = check_derived(ctx, i, &m->tensors[i]);
    return st;
}

ember_status ember_resize_input(ember_context *ctx, ember_model *m, uint32_t position,
                                const int32_t *dims, uint32_t rank) {
    if (position >= m->inputs.len || (dims == NULL && rank > 0))
        return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                          "input %" PRIu32 " does not exist (the model has %" PRIu32 ")",
                          position, m->inputs.len);
    ember_tensor *t = graph_input(m, position);
    if (rank != t->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                          "input %" PRIu32 " '%s' has rank %u; a resize cannot change it (got "
                          "%" PRIu32 ")",
                          position, t->name, (unsigned)t->rank, rank);
    size_t count = 1;
    for (uint32_t d = 0; d < rank; d++) {
        int32_t lo, hi;
        const char *name;
        ember_status st = ember_input_dim_range(m, t, d, &lo, &hi, &name);
        if (st != EMBER_STATUS_OK)
            return ember_fail(ctx, st, "input %" PRIu32 " '%s': dim %" PRIu32 "'s range is "
                              "malformed", position, t->name, d);
        if (lo == hi && dims[d] != lo)
            return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                              "input %" PRIu32 " '%s': dim %" PRIu32 " is fixed at %" PRId32
                              ", got %" PRId32,
                              position, t->name, d, lo, dims[d]);
        if (dims[d] < lo || dims[d] > hi)
            return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                              "input %" PRIu32 " '%s': dim %" PRIu32 " ('%s') must be in [%" PRId32
                              ", %" PRId32 "], got %" PRId32,
                              position, t->name, d, name, lo, hi, dims[d]);
        count *= (size_t)dims[d]; /* each dim is at most its stored one: no overflow */
    }
    for (uint32_t d = 0; d < rank; d++)
        t->dims[d] = dims[d];
    t->count = count;
    t->bytes = count * ember_type_bytes(t->type);
    return EMBER_STATUS_OK;
}

ember_status ember_input_dim_range(const ember_model *m, const ember_tensor *t, uint32_t d,
                                   int32_t *lo, int32_t *hi, const char **name) {
    const int32_t s = d < t->dim_symbols.len ? ember_fb_vector_i32(&t->dim_symbols, d) : -1;
    *name = "";
    *lo = *hi = ember_fb_vector_i32(&t->stored_shape, d);
    ember_fb_table st;
    if (s < 0 || !ember_fb_vector_table(&m->symbols, (uint32_t)s, &st))
        return EMBER_STATUS_OK;
    *name = symbol_name(m, (uint32_t)s);
    return ember_fb_i32(&st, EMBER_SLOT_SYMBOL_MIN, 1, lo) ? EMBER_STATUS_OK
                                                           : EMBER_STATUS_INVALID_MODEL;
}
