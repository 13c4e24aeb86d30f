/* Helpers shared by the kernels: argument checks with uniform messages, the fused activation
   range, persistent allocation, scratch requests and the kernel variant picker. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "kernels/kernels.h"
#include "region.h"

/* ember_alloc puts this many bytes before each block: the list link, padded so the caller's
   part keeps the 64-byte alignment. */
#define BLOCK_HEADER 64

static const char *op_name(const ember_node *n) {
    return n->kernel != NULL ? n->kernel->name : "unknown op";
}

static const char *const params_names[] = {
    "no params", "Conv2DParams", "DepthwiseConv2DParams", "TransposeConv2DParams",
    "FullyConnectedParams", "BatchMatMulParams", "BinaryParams", "ClampParams",
    "LeakyReluParams", "HardSigmoidParams", "Pool2DParams", "ReduceParams", "ReshapeParams",
    "TransposeParams", "ConcatenationParams", "SplitParams", "SliceParams", "PadParams",
    "SoftmaxParams", "GatherParams", "ResizeParams", "ArgParams", "EluParams", "SeluParams",
    "GeluParams", "TopKParams", "CumSumParams", "OneHotParams", "ModParams",
    "GatherNDParams", "ScatterParams", "GridSampleParams", "BitShiftParams",
    "CastParams",
};
_Static_assert(sizeof params_names / sizeof params_names[0] == EMBER_OP_PARAMS_COUNT,
               "params_names must name every OpParams table of the schema");

static const char *params_name(uint8_t type) {
    return type < EMBER_OP_PARAMS_COUNT ? params_names[type] : "unknown params";
}

ember_status ember_check_arity(ember_context *ctx, const ember_node *n, uint32_t min_inputs,
                               uint32_t max_inputs, uint32_t outputs) {
    if (n->input_count < min_inputs || n->input_count > max_inputs) {
        if (min_inputs == max_inputs)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): expected %" PRIu32 " inputs, got %" PRIu32,
                              n->index, op_name(n), min_inputs, n->input_count);
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): expected %" PRIu32 " to %" PRIu32 " inputs, got "
                          "%" PRIu32,
                          n->index, op_name(n), min_inputs, max_inputs, n->input_count);
    }
    if (n->output_count != outputs)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): expected %" PRIu32 " outputs, got %" PRIu32,
                          n->index, op_name(n), outputs, n->output_count);
    for (uint32_t i = 0; i < min_inputs; i++) {
        if (n->inputs[i] < 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): input %" PRIu32 " is required but omitted",
                              n->index, op_name(n), i);
    }
    return EMBER_STATUS_OK;
}

/* A node without params (type 0) reads every field's default, which the flatbuf reader gives
   for a zeroed table; so "no params" is accepted wherever a params table is. */
ember_status ember_check_params(ember_context *ctx, const ember_node *n, uint8_t params_type) {
    if (n->params_type == params_type || n->params_type == 0)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): params must be %s, got %s", n->index, op_name(n),
                      params_name(params_type), params_name(n->params_type));
}

static ember_status check_present(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                  const char *what) {
    if (t == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL, "node %" PRIu32 " (%s): %s is missing",
                          n->index, op_name(n), what);
    return EMBER_STATUS_OK;
}

ember_status ember_check_type(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                              uint8_t type, const char *what) {
    const ember_status st = check_present(ctx, n, t, what);
    if (st != EMBER_STATUS_OK)
        return st;
    if (t->type != type)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s '%s' must be %s, got %s",
                          n->index, op_name(n), what, t->name,
                          ember_type_str((ember_type)type), ember_type_str((ember_type)t->type));
    return EMBER_STATUS_OK;
}

ember_status ember_check_rank(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                              uint32_t rank, const char *what) {
    const ember_status st = check_present(ctx, n, t, what);
    if (st != EMBER_STATUS_OK)
        return st;
    if (t->rank != rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s '%s' must have rank %" PRIu32 ", got %u",
                          n->index, op_name(n), what, t->name, rank, (unsigned)t->rank);
    return EMBER_STATUS_OK;
}

ember_status ember_check_same_shape(ember_context *ctx, const ember_node *node, const char *op,
                                    const ember_tensor *in, const ember_tensor *out) {
    bool same = out->rank == in->rank;
    for (uint32_t d = 0; same && d < in->rank; d++)
        same = out->dims[d] == in->dims[d];
    if (!same)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output '%s' must have the shape of input '%s'",
                          node->index, op, out->name, in->name);
    return EMBER_STATUS_OK;
}

ember_status ember_check_inplace(ember_context *ctx, const ember_node *node, const char *op,
                                 const ember_tensor *in, uint32_t which, const ember_tensor *out) {
    if (in->arena_offset < 0 || out->arena_offset < 0 || in->bytes == 0 || out->bytes == 0)
        return EMBER_STATUS_OK;
    const uint64_t in_lo = (uint64_t)in->arena_offset, out_lo = (uint64_t)out->arena_offset;
    const uint64_t in_hi = in_lo + in->bytes, out_hi = out_lo + out->bytes;
    if (in_hi <= out_lo || out_hi <= in_lo)
        return EMBER_STATUS_OK;
    if (in_lo == out_lo && in->count == out->count && in->type == out->type)
        return EMBER_STATUS_OK;
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): input %" PRIu32 " overlaps the output in the arena; "
                      "only an exact in-place alias of a same-size tensor is allowed (input at "
                      "offset %lld, %zu elements; output at %lld, %zu elements)",
                      node->index, op, which, (long long)in->arena_offset, in->count,
                      (long long)out->arena_offset, out->count);
}

ember_status ember_activation_range(ember_context *ctx, const ember_node *n, uint8_t act,
                                    float *lo, float *hi) {
    switch (act) {
    case EMBER_FUSED_ACTIVATION_NONE:
        *lo = -INFINITY;
        *hi = INFINITY;
        return EMBER_STATUS_OK;
    case EMBER_FUSED_ACTIVATION_RELU:
        *lo = 0.0f;
        *hi = INFINITY;
        return EMBER_STATUS_OK;
    case EMBER_FUSED_ACTIVATION_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        return EMBER_STATUS_OK;
    case EMBER_FUSED_ACTIVATION_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        return EMBER_STATUS_OK;
    case EMBER_FUSED_ACTIVATION_SILU:
    case EMBER_FUSED_ACTIVATION_HARD_SWISH: /* not a range: kernels/epilogue.h reads them */
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): fused activation %s is only supported on "
                          "float32 conv2d, depthwise_conv2d and fully_connected",
                          n->index, op_name(n),
                          act == EMBER_FUSED_ACTIVATION_SILU ? "silu" : "hard_swish");
    default:
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): fused activation must be 0..%d, got %u",
                          n->index, op_name(n), EMBER_FUSED_ACTIVATION_COUNT - 1, (unsigned)act);
    }
}

ember_status ember_read_axis(ember_context *ctx, const ember_node *n, uint32_t slot,
                             uint32_t rank, int32_t *axis) {
    if (!ember_fb_i32(&n->params, slot, 0, axis))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params out of bounds", n->index, op_name(n));
    int32_t r = (int32_t)rank;
    if (*axis < -r || *axis >= r)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): axis must be in [%" PRId32 ",%" PRId32 "), "
                          "got %" PRId32,
                          n->index, op_name(n), -r, r, *axis);
    if (*axis < 0)
        *axis += r;
    return EMBER_STATUS_OK;
}

bool ember_outputs_empty(const ember_context *ctx, const ember_node *n) {
    for (uint32_t i = 0; i < n->output_count; i++) {
        if (ctx->tensors[n->outputs[i]].count > 0)
            return false;
    }
    return true;
}

void ember_axis_extents(const ember_tensor *t, uint32_t axis, size_t *outer, size_t *inner) {
    *outer = 1;
    for (uint32_t a = 0; a < axis; a++)
        *outer *= (size_t)t->dims[a];
    *inner = ember_type_bytes(t->type);
    for (uint32_t a = axis + 1; a < t->rank; a++)
        *inner *= (size_t)t->dims[a];
}

#if !EMBER_BARE_METAL
/* The block remembers the raw pointer just below the aligned one. */
static void *malloc_aligned(void *user, size_t size, size_t align) {
    (void)user;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if ((align & (align - 1)) != 0 || size > SIZE_MAX - align - sizeof(void *))
        return NULL;
    uint8_t *raw = malloc(size + align + sizeof(void *));
    if (raw == NULL)
        return NULL;
    uintptr_t start = (uintptr_t)(raw + sizeof(void *));
    uint8_t *aligned = raw + sizeof(void *) + ((align - start % align) % align);
    memcpy(aligned - sizeof(void *), &raw, sizeof raw);
    return aligned;
}

static void free_aligned(void *user, void *ptr) {
    (void)user;
    if (ptr == NULL)
        return;
    void *raw;
    memcpy(&raw, (uint8_t *)ptr - sizeof(void *), sizeof raw);
    free(raw);
}

const ember_allocator ember_malloc_allocator = {malloc_aligned, free_aligned, NULL};

#endif

/* ember_interp_create refuses a bare-metal build without an allocator, so ctx->allocator is
   set there. */
static const ember_allocator *allocator_of(const ember_context *ctx) {
    return ctx->allocator != NULL ? ctx->allocator : ember_default_allocator();
}

void *ember_alloc_uninit(ember_context *ctx, size_t size) {
    void *taken = ctx->region != NULL ? ember_region_take(ctx->region, size) : NULL;
    if (taken != NULL)
        return taken;
    const ember_allocator *a = allocator_of(ctx);
    uint8_t *block = NULL;
    if (size <= SIZE_MAX - BLOCK_HEADER)
        block = a->alloc(a->user, size + BLOCK_HEADER, 64);
    if (block == NULL) {
        ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "out of memory: could not allocate %zu bytes",
                   size);
        return NULL;
    }
    memcpy(block, &ctx->blocks, sizeof ctx->blocks);
    ctx->blocks = block;
    return block + BLOCK_HEADER;
}

void *ember_alloc(ember_context *ctx, size_t size) {
    /* The region's memory is fresh from the kernel, hence zero: writing zeros would only
       fault its pages in early (14 MB of packed weights for MobileNetV2). */
    void *taken = ctx->region != NULL ? ember_region_take(ctx->region, size) : NULL;
    if (taken != NULL)
        return taken;
    uint8_t *p = ember_alloc_uninit(ctx, size);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

void *ember_temp_alloc(ember_context *ctx, size_t size) {
    const ember_allocator *a = allocator_of(ctx);
    void *p = a->alloc(a->user, size ? size : 1, 16);
    if (p == NULL)
        ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "out of memory: could not allocate %zu bytes",
                   size);
    return p;
}

void ember_temp_free(ember_context *ctx, void *ptr) {
    if (ptr != NULL)
        allocator_of(ctx)->free(allocator_of(ctx)->user, ptr);
}

void ember_free_since(ember_context *ctx, void *mark) {
    const ember_allocator *a = allocator_of(ctx);
    void *block = ctx->blocks;
    while (block != NULL && block != mark) {
        void *next;
        memcpy(&next, block, sizeof next);
        a->free(a->user, block);
        block = next;
    }
    ctx->blocks = block;
}

void ember_free_all(ember_context *ctx) {
    ember_free_since(ctx, NULL);
}

void ember_request_scratch(ember_context *ctx, size_t size) {
    if (size > ctx->scratch_size)
        ctx->scratch_size = size;
}

bool ember_isa_usable(const ember_context *ctx, uint32_t isa) {
    return (isa & ctx->cpu_features & ctx->isa_mask) == isa;
}

ember_status ember_unsupported_types(ember_context *ctx, const ember_node *node) {
    return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                      "node %" PRIu32 " (%s): this build has no kernel for its types", node->index,
                      node->kernel->name);
}
