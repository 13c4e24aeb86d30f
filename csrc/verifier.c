/* Verifies a model file before anything else reads it and builds the interpreter's tensor and
   node arrays. Every offset, size, index and enum is checked here (or by the op's check
   function), so prepare and eval can trust what they read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"

/* What may happen to a tensor while the nodes are walked in order. */
#define READABLE 1u /* a graph input, a constant, or already written by a node */
#define GRAPH_INPUT 2u
#define CONSTANT 4u
#define PREPARED 8u /* neither buffer nor arena slot: the DEQUANTIZE that writes it fills it */
#define GRAPH_OUTPUT 16u /* set once every node has been checked */

typedef struct loader {
    ember_context *ctx;
    const uint8_t *data;
    size_t size;
    ember_fb_vector buffers;
    ember_model *model;
    uint8_t *state; /* READABLE | GRAPH_INPUT | CONSTANT per tensor */
} loader;

static ember_status invalid(ember_context *ctx, const char *what) {
    return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL, "%s is malformed (out of bounds)", what);
}

static const char *shape_str(char *buf, size_t n, const int32_t *dims, uint32_t rank) {
    size_t used = (size_t)snprintf(buf, n, "[");
    for (uint32_t i = 0; i < rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ",%" PRId32 : "%" PRId32, dims[i]);
    if (used < n)
        snprintf(buf + used, n - used, "]");
    return buf;
}

static ember_status check_header(ember_context *ctx, const uint8_t *data, size_t size,
                                 ember_fb_table *root) {
    if (size < 8)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "file is %zu bytes, too short to be an Emberlite model", size);
    if (memcmp(data + 4, "EMBR", 4) != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "not an Emberlite model: file identifier is %02x %02x %02x %02x, "
                          "expected \"EMBR\"",
                          data[4], data[5], data[6], data[7]);
    if (!ember_fb_root(data, size, root))
        return invalid(ctx, "root table");
    uint32_t format = 0, min_runtime = 0;
    if (!ember_fb_u32(root, EMBER_SLOT_MODEL_FORMAT_VERSION, 0, &format) ||
        !ember_fb_u32(root, EMBER_SLOT_MODEL_MIN_RUNTIME_VERSION, 0, &min_runtime))
        return invalid(ctx, "model version fields");
    if (format == 0 || format > EMBER_FORMAT_VERSION)
        return ember_fail(ctx, EMBER_STATUS_VERSION,
                          "file format version %" PRIu32 " is too %s for this runtime (supports "
                          "1..%u)",
                          format, format == 0 ? "old" : "new", EMBER_FORMAT_VERSION);
    if (min_runtime > EMBER_RUNTIME_VERSION)
        return ember_fail(ctx, EMBER_STATUS_VERSION,
                          "model needs runtime %" PRIu32 ".%" PRIu32 ".%" PRIu32 " or newer, this "
                          "is %d.%d.%d",
                          min_runtime / 10000, min_runtime / 100 % 100, min_runtime % 100,
                          EMBER_VERSION_MAJOR, EMBER_VERSION_MINOR, EMBER_VERSION_PATCH);
    return EMBER_STATUS_OK;
}

static ember_status check_hash(ember_context *ctx, const uint8_t *data, size_t size,
                               const ember_fb_table *root) {
    static const uint8_t zeros[32];
    uint32_t pos = 0;
    if (!ember_fb_struct_field(root, EMBER_SLOT_MODEL_CONTENT_HASH, 32, &pos))
        return invalid(ctx, "content_hash field");
    if (pos == 0)
        return ember_fail(ctx, EMBER_STATUS_HASH_MISMATCH,
                          "the model carries no content hash to check");
    ember_sha256 h;
    uint8_t digest[32];
    ember_sha256_init(&h);
    ember_sha256_update(&h, data, pos);
    ember_sha256_update(&h, zeros, sizeof zeros);
    ember_sha256_update(&h, data + pos + 32, size - pos - 32);
    ember_sha256_final(&h, digest);
    if (memcmp(digest, data + pos, 32) != 0)
        return ember_fail(ctx, EMBER_STATUS_HASH_MISMATCH,
                          "content hash mismatch: the file records %02x%02x%02x%02x..., its "
                          "bytes hash to %02x%02x%02x%02x...; the file is corrupt or modified",
                          data[pos], data[pos + 1], data[pos + 2], data[pos + 3], digest[0],
                          digest[1], digest[2], digest[3]);
    return EMBER_STATUS_OK;
}

static ember_status parse_shape(loader *ld, uint32_t i, const ember_fb_table *tt,
                                ember_tensor *t) {
    ember_context *ctx = ld->ctx;
    ember_fb_vector shape;
    if (!ember_fb_vector_field(tt, EMBER_SLOT_TENSOR_SHAPE, 4, &shape))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': shape is malformed (out of bounds)",
                          i, t->name);
    if (shape.len > EMBER_MAX_RANK)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "tensor %" PRIu32 " '%s': rank %" PRIu32 " exceeds the maximum of %d", i,
                          t->name, shape.len, EMBER_MAX_RANK);
    t->rank = (uint8_t)shape.len;
    size_t count = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < shape.len; d++) {
        t->dims[d] = ember_fb_vector_i32(&shape, d);
        if (t->dims[d] < 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': dim %" PRIu32 " is %" PRId32 ", must be "
                              ">= 0",
                              i, t->name, d, t->dims[d]);
        if (t->dims[d] != 0 && count > SIZE_MAX / (size_t)t->dims[d])
            overflow = true;
        count *= (size_t)t->dims[d];
    }
    size_t elem = ember_type_bytes(t->type);
    char sbuf[128];
    if (overflow || count > SIZE_MAX / elem)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': shape %s is too large to address", i, t->name,
                          shape_str(sbuf, sizeof sbuf, t->dims, t->rank));
    t->count = count;
    t->bytes = count * elem;
    return EMBER_STATUS_OK;
}

static ember_status bind_constant(loader *ld, uint32_t i, ember_tensor *t) {
    ember_context *ctx = ld->ctx;
    char sbuf[128];
    if ((uint32_t)t->buffer >= ld->buffers.len)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': buffer index %" PRId32 " is out of range "
                          "(model has %" PRIu32 ")",
                          i, t->name, t->buffer, ld->buffers.len);
    ember_fb_table bt;
    uint64_t offset = 0, bytes = 0;
    if (!ember_fb_vector_table(&ld->buffers, (uint32_t)t->buffer, &bt) ||
        !ember_fb_u64(&bt, EMBER_SLOT_BUFFER_OFFSET, 0, &offset) ||
        !ember_fb_u64(&bt, EMBER_SLOT_BUFFER_SIZE, 0, &bytes))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "buffer %" PRId32 " is malformed (out of bounds)", t->buffer);
    if (offset % 64 != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "buffer %" PRId32 ": file offset %llu is not a multiple of 64", t->buffer,
                          (unsigned long long)offset);
    if (offset > ld->size || bytes > ld->size - offset)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "buffer %" PRId32 ": %llu bytes at offset %llu run past the end of the "
                          "%zu-byte file",
                          t->buffer, (unsigned long long)bytes,
                          (unsigned long long)offset, ld->size);
    if (bytes != t->bytes)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': buffer %" PRId32 " holds %llu bytes, shape %s "
                          "%s needs %zu",
                          i, t->name, t->buffer, (unsigned long long)bytes,
                          shape_str(sbuf, sizeof sbuf, t->dims, t->rank),
                          ember_type_str((ember_type)t->type), t->bytes);
    t->data = (void *)(ld->data + (size_t)offset);
    return EMBER_STATUS_OK;
}

static ember_status check_arena_slot(loader *ld, uint32_t i, const ember_tensor *t) {
    uint64_t arena = ld->model->arena_size;
    if (t->arena_offset % 16 != 0)
        return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': arena offset %lld is not a multiple of 16", i,
                          t->name, (long long)t->arena_offset);
    if ((uint64_t)t->bytes > arena || (uint64_t)t->arena_offset > arena - t->bytes)
        return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': %zu bytes at arena offset %lld run past the "
                          "arena size %llu",
                          i, t->name, t->bytes, (long long)t->arena_offset,
                          (unsigned long long)arena);
    return EMBER_STATUS_OK;
}

static ember_status parse_quant(loader *ld, uint32_t i, const ember_fb_table *tt,
                                ember_tensor *t) {
    ember_context *ctx = ld->ctx;
    ember_fb_table qt;
    bool present = false;
    int32_t axis = 0;
    if (!ember_fb_table_field(tt, EMBER_SLOT_TENSOR_QUANT, &qt, &present) ||
        (present && (!ember_fb_vector_field(&qt, EMBER_SLOT_QUANT_PARAMS_SCALE, 4,
                                            &t->quant_scales) ||
                     !ember_fb_vector_field(&qt, EMBER_SLOT_QUANT_PARAMS_ZERO_POINT, 8,
                                            &t->quant_zero_points) ||
                     !ember_fb_i32(&qt, EMBER_SLOT_QUANT_PARAMS_AXIS, 0, &axis))))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': quantization parameters are malformed",
                          i, t->name);
    if (!present)
        return EMBER_STATUS_OK;
    uint32_t n = t->quant_scales.len;
    if (t->quant_zero_points.len != n)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': %" PRIu32 " quantization scales but "
                          "%" PRIu32 " zero points",
                          i, t->name, n, t->quant_zero_points.len);
    if (axis < 0 || (n > 1 && (uint32_t)axis >= t->rank))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': quantization axis %" PRId32 " is out of range "
                          "for rank %u",
                          i, t->name, axis, (unsigned)t->rank);
    if (n > 1 && (int64_t)n != t->dims[axis])
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': %" PRIu32 " per-channel scales, but dim "
                          "%" PRId32 " has %" PRId32 " channels",
                          i, t->name, n, axis, t->dims[axis]);
    for (uint32_t q = 0; q < n; q++) {
        float s = ember_fb_vector_f32(&t->quant_scales, q);
        int64_t zp = ember_fb_vector_i64(&t->quant_zero_points, q);
        if (!(s > 0.0f) || !isfinite(s))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': quantization scale %" PRIu32 " is %g, "
                              "must be finite and > 0",
                              i, t->name, q, (double)s);
        if (zp < INT32_MIN || zp > INT32_MAX)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': zero point %" PRIu32 " (%lld) is out of "
                              "range",
                              i, t->name, q, (long long)zp);
        if (t->type == EMBER_TYPE_UINT8 && (zp < 0 || zp > 255))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': uint8 zero point %" PRIu32 " is %lld, "
                              "must be in [0, 255]",
                              i, t->name, q, (long long)zp);
    }
    t->quant_count = n;
    t->quant_axis = axis;
    if (n > 0) {
        t->scale = ember_fb_vector_f32(&t->quant_scales, 0);
        t->zero_point = (int32_t)ember_fb_vector_i64(&t->quant_zero_points, 0);
    }
    return EMBER_STATUS_OK;
}

static ember_status parse_tensor(loader *ld, uint32_t i, const ember_fb_table *tt,
                                 ember_tensor *t) {
    ember_context *ctx = ld->ctx;
    uint32_t len = 0;
    uint8_t type = 0;
    if (!ember_fb_string_field(tt, EMBER_SLOT_TENSOR_NAME, &t->name, &len))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL, "tensor %" PRIu32 ": name is malformed",
                          i);
    if (!ember_fb_u8(tt, EMBER_SLOT_TENSOR_TYPE, EMBER_TYPE_FLOAT32, &type) ||
        !ember_fb_i32(tt, EMBER_SLOT_TENSOR_BUFFER, -1, &t->buffer) ||
        !ember_fb_i64(tt, EMBER_SLOT_TENSOR_ARENA_OFFSET, -1, &t->arena_offset))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': fields are malformed (out of bounds)",
                          i, t->name);
    if (type >= EMBER_TYPE_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': data type %u is unknown", i, t->name, type);
    t->type = type;
    ember_status st = parse_shape(ld, i, tt, t);
    if (st != EMBER_STATUS_OK)
        return st;
    if (t->buffer < -1 || t->arena_offset < -1 || (t->buffer >= 0 && t->arena_offset >= 0))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': must have a buffer (constant), an arena "
                          "offset, or neither (computed at prepare), got buffer %" PRId32 " and "
                          "arena offset %lld",
                          i, t->name, t->buffer, (long long)t->arena_offset);
    /* A tensor with neither is a constant that prepare computes (check_node_tensors makes
       sure a DEQUANTIZE of a stored constant writes it); it is constant to every reader. */
    t->is_prepared = t->buffer < 0 && t->arena_offset < 0;
    t->is_constant = t->buffer >= 0 || t->is_prepared;
    st = t->buffer >= 0 ? bind_constant(ld, i, t)
                        : (t->is_prepared ? EMBER_STATUS_OK : check_arena_slot(ld, i, t));
    if (st != EMBER_STATUS_OK)
        return st;
    ld->state[i] = t->is_prepared ? PREPARED : (t->is_constant ? READABLE | CONSTANT : 0);
    return parse_quant(ld, i, tt, t);
}

static ember_status parse_graph_io(loader *ld, const ember_fb_table *sg) {
    ember_context *ctx = ld->ctx;
    ember_model *m = ld->model;
    if (!ember_fb_vector_field(sg, EMBER_SLOT_SUBGRAPH_INPUTS, 4, &m->inputs) ||
        !ember_fb_vector_field(sg, EMBER_SLOT_SUBGRAPH_OUTPUTS, 4, &m->outputs))
        return invalid(ctx, "graph input/output list");
    for (int out = 0; out < 2; out++) {
        const ember_fb_vector *v = out ? &m->outputs : &m->inputs;
        for (uint32_t k = 0; k < v->len; k++) {
            int32_t idx = ember_fb_vector_i32(v, k);
            const char *what = out ? "output" : "input";
            if (idx < 0 || (uint32_t)idx >= m->tensor_count)
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "graph %s %" PRIu32 ": tensor index %" PRId32 " is out of range "
                                  "(model has %" PRIu32 ")",
                                  what, k, idx, m->tensor_count);
            if (m->tensors[idx].is_constant)
                return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                                  "graph %s %" PRIu32 ": tensor %" PRId32 " '%s' is a constant%s",
                                  what, k, idx, m->tensors[idx].name,
                                  m->tensors[idx].is_prepared ? " (it has no arena offset)" : "");
            if (!out)
                ld->state[idx] |= READABLE | GRAPH_INPUT;
        }
    }
    return EMBER_STATUS_OK;
}

/* A tensor computed at prepare must be the output of a DEQUANTIZE of a stored constant:
   prepare can compute it once from the file, before any node reads it. */
static ember_status check_prepared_write(loader *ld, const ember_node *n, uint32_t k,
                                         int32_t idx) {
    const int32_t in = n->input_count == 1 ? n->inputs[0] : -1;
    if (n->op == EMBER_OP_DEQUANTIZE && n->output_count == 1 && in >= 0 &&
        (uint32_t)in < ld->model->tensor_count && ld->model->tensors[in].buffer >= 0)
        return EMBER_STATUS_OK;
    return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                      "node %" PRIu32 " (%s): output %" PRIu32 " writes tensor %" PRId32 " '%s', "
                      "which has neither a buffer nor an arena offset; only a DEQUANTIZE of a "
                      "stored constant may write such a tensor",
                      n->index, n->kernel->name, k, idx, ld->model->tensors[idx].name);
}

static ember_status check_node_tensors(loader *ld, ember_node *n) {
    ember_context *ctx = ld->ctx;
    const ember_model *m = ld->model;
    const char *op = n->kernel->name;
    for (uint32_t k = 0; k < n->input_count; k++) {
        int32_t idx = n->inputs[k];
        if (idx == -1)
            continue;
        if (idx < 0 || (uint32_t)idx >= m->tensor_count)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): input %" PRIu32 " is tensor %" PRId32 ", "
                              "out of range (model has %" PRIu32 ")",
                              n->index, op, k, idx, m->tensor_count);
        if (!(ld->state[idx] & READABLE))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): input %" PRIu32 " reads tensor %" PRId32 " "
                              "'%s' before any node writes it",
                              n->index, op, k, idx, m->tensors[idx].name);
    }
    for (uint32_t k = 0; k < n->output_count; k++) {
        int32_t idx = n->outputs[k];
        if (idx < 0 || (uint32_t)idx >= m->tensor_count)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output %" PRIu32 " is tensor %" PRId32 ", "
                              "out of range (model has %" PRIu32 ")",
                              n->index, op, k, idx, m->tensor_count);
        uint8_t s = ld->state[idx];
        if (s & PREPARED) {
            ember_status st = check_prepared_write(ld, n, k, idx);
            if (st != EMBER_STATUS_OK)
                return st;
            ld->state[idx] = READABLE | CONSTANT;
            continue;
        }
        const char *why = (s & CONSTANT)      ? "a constant"
                          : (s & GRAPH_INPUT) ? "a graph input"
                          : (s & READABLE)    ? "already written by an earlier node"
                                              : NULL;
        if (why != NULL)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output %" PRIu32 " writes tensor "
                              "%" PRId32 " '%s', which is %s",
                              n->index, op, k, idx, m->tensors[idx].name, why);
        ld->state[idx] = READABLE;
    }
    return EMBER_STATUS_OK;
}

static ember_status parse_node(loader *ld, uint32_t i, const ember_fb_table *ot,
                               ember_node *n) {
    ember_context *ctx = ld->ctx;
    ember_fb_vector ins, outs;
    uint32_t len = 0;
    bool present = false;
    n->index = i;
    if (!ember_fb_u16(ot, EMBER_SLOT_OPERATOR_OPCODE, 0, &n->op) ||
        !ember_fb_string_field(ot, EMBER_SLOT_OPERATOR_NAME, &n->name, &len) ||
        !ember_fb_vector_field(ot, EMBER_SLOT_OPERATOR_INPUTS, 4, &ins) ||
        !ember_fb_vector_field(ot, EMBER_SLOT_OPERATOR_OUTPUTS, 4, &outs) ||
        !ember_fb_u8(ot, EMBER_SLOT_OPERATOR_PARAMS_TYPE, 0, &n->params_type))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 ": operator table is malformed (out of bounds)", i);
    if (n->op >= EMBER_OP_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " '%s': op code %u is unknown (this runtime knows 0..%d)",
                          i, n->name, n->op, EMBER_OP_COUNT - 1);
    n->kernel = ember_kernel_for(n->op);
    if (n->kernel == NULL)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " '%s': op code %u has no kernel in this build",
                          i, n->name, n->op);
    if (ins.len > EMBER_MAX_IO || outs.len > EMBER_MAX_IO)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " (%s): %" PRIu32 " inputs and %" PRIu32 " outputs, at "
                          "most %d of each allowed",
                          i, n->kernel->name, ins.len, outs.len, EMBER_MAX_IO);
    n->input_count = ins.len;
    n->output_count = outs.len;
    for (uint32_t k = 0; k < ins.len; k++)
        n->inputs[k] = ember_fb_vector_i32(&ins, k);
    for (uint32_t k = 0; k < outs.len; k++)
        n->outputs[k] = ember_fb_vector_i32(&outs, k);
    if (n->params_type >= EMBER_OP_PARAMS_COUNT)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params type %u is unknown", i, n->kernel->name,
                          n->params_type);
    if (n->params_type != 0 &&
        (!ember_fb_table_field(ot, EMBER_SLOT_OPERATOR_PARAMS, &n->params, &present) ||
         !present))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): params table is missing or malformed", i,
                          n->kernel->name);
    ember_status st = check_node_tensors(ld, n);
    if (st != EMBER_STATUS_OK)
        return st;
    return n->kernel->check != NULL ? n->kernel->check(ctx, n) : EMBER_STATUS_OK;
}

static void *alloc_array(ember_context *ctx, uint32_t count, size_t elem) {
    if (count > SIZE_MAX / elem) {
        ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "out of memory: %" PRIu32 " elements of %zu bytes",
                   count, elem);
        return NULL;
    }
    return ember_alloc(ctx, (size_t)count * elem);
}

static ember_status parse_subgraph(loader *ld, const ember_fb_table *sg) {
    ember_context *ctx = ld->ctx;
    ember_model *m = ld->model;
    ember_fb_vector tensors, ops;
    const char *name;
    uint32_t len;
    if (!ember_fb_string_field(sg, EMBER_SLOT_SUBGRAPH_NAME, &name, &len) ||
        !ember_fb_vector_field(sg, EMBER_SLOT_SUBGRAPH_TENSORS, 4, &tensors) ||
        !ember_fb_vector_field(sg, EMBER_SLOT_SUBGRAPH_OPERATORS, 4, &ops))
        return invalid(ctx, "subgraph table");
    m->tensors = alloc_array(ctx, tensors.len, sizeof(ember_tensor));
    ld->state = alloc_array(ctx, tensors.len, 1);
    if (m->tensors == NULL || ld->state == NULL)
        return EMBER_STATUS_NO_MEMORY;
    m->tensor_count = tensors.len;
    ctx->tensors = m->tensors;
    ctx->tensor_count = m->tensor_count;
    for (uint32_t i = 0; i < tensors.len; i++) {
        ember_fb_table tt;
        if (!ember_fb_vector_table(&tensors, i, &tt))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " is malformed (out of bounds)", i);
        ember_status st = parse_tensor(ld, i, &tt, &m->tensors[i]);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    ember_status st = parse_graph_io(ld, sg);
    if (st != EMBER_STATUS_OK)
        return st;
    m->nodes = alloc_array(ctx, ops.len, sizeof(ember_node));
    if (m->nodes == NULL)
        return EMBER_STATUS_NO_MEMORY;
    m->node_count = ops.len;
    for (uint32_t i = 0; i < ops.len; i++) {
        ember_fb_table ot;
        if (!ember_fb_vector_table(&ops, i, &ot))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " is malformed (out of bounds)", i);
        st = parse_node(ld, i, &ot, &m->nodes[i]);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    for (uint32_t k = 0; k < m->outputs.len; k++) {
        int32_t idx = ember_fb_vector_i32(&m->outputs, k);
        if (!(ld->state[idx] & READABLE))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "graph output %" PRIu32 ": tensor %" PRId32 " '%s' is never written",
                              k, idx, m->tensors[idx].name);
        ld->state[idx] |= GRAPH_OUTPUT;
    }
    return EMBER_STATUS_OK;
}

/* ---- the memory plan ---------------------------------------------------------------------
   The file's arena_size and offsets are checked against what they must be for the planner's
   lifetimes (converter/planner.py): a tensor lives from the node that writes it to the last
   node that reads it, both inclusive; graph inputs from the start and graph outputs to the
   end of the run. Two tensors live at the same node must not share a byte, or one clobbers
   the other and the answers change from invoke to invoke. The one exception is the planner's:
   a RESHAPE output on exactly the bytes of its input, when that input dies there. */

static uint64_t round_up64(uint64_t n) {
    return (n + 63) & ~(uint64_t)63;
}

/* A declared arena larger than its tensors would make allocate reserve memory no tensor
   uses; the planner rounds the end of the last tensor up to 64, so that much slack is fine. */
static ember_status check_arena_need(loader *ld) {
    const ember_model *m = ld->model;
    uint64_t need = 0;
    for (uint32_t i = 0; i < m->tensor_count; i++) {
        const ember_tensor *t = &m->tensors[i];
        if (t->arena_offset >= 0 && (uint64_t)t->arena_offset + t->bytes > need)
            need = (uint64_t)t->arena_offset + t->bytes;
    }
    if (m->arena_size > round_up64(need))
        return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                          "arena size %llu is more than the plan needs: its tensors end at byte "
                          "%llu, so at most %llu (rounded up to 64) is allowed",
                          (unsigned long long)m->arena_size, (unsigned long long)need,
                          (unsigned long long)round_up64(need));
    return EMBER_STATUS_OK;
}

#define NOT_LIVE UINT32_MAX

typedef struct span {
    uint32_t first, last; /* nodes, inclusive; last == node_count: to the end of the run */
    int32_t in_place_of;  /* the RESHAPE input whose bytes this output takes, or -1 */
    uint8_t in_tree;      /* its bytes are marked in the sweep's tree */
} span;

/* The sweep's temporary state, in one block from the allocator. */
typedef struct plan {
    span *spans;          /* per tensor; first == NOT_LIVE for tensors nothing refers to */
    uint64_t *by_first;   /* (first << 32 | tensor) of the swept tensors, sorted */
    uint64_t *by_last;    /* (last << 32 | tensor), sorted */
    uint64_t *coords;     /* distinct byte offsets where a swept tensor starts or ends */
    int32_t *tmax, *tadd; /* segment tree over [coords[k], coords[k+1]): live tensors there */
    uint32_t swept, ncoords, leaves;
} plan;

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool in_arena(const ember_tensor *t) {
    return t->arena_offset >= 0;
}

static void touch(span *s, uint32_t node) {
    if (s->first == NOT_LIVE || node < s->first)
        s->first = node;
    if (node > s->last)
        s->last = node;
}

static void mark_reshape_in_place(const ember_model *m, span *spans, const ember_node *n) {
    if (n->op != EMBER_OP_RESHAPE || n->input_count < 1 || n->output_count != 1 ||
        n->inputs[0] < 0)
        return;
    const ember_tensor *src = &m->tensors[n->inputs[0]], *dst = &m->tensors[n->outputs[0]];
    if (in_arena(src) && in_arena(dst) && spans[n->inputs[0]].last == n->index &&
        src->arena_offset == dst->arena_offset && src->bytes == dst->bytes)
        spans[n->outputs[0]].in_place_of = n->inputs[0];
}

/* Graph inputs and outputs have last == node_count, so an in-place RESHAPE input (last ==
   its node) is never one of them, as the planner requires. */
static void fill_spans(const ember_model *m, span *spans) {
    const uint32_t end = m->node_count;
    for (uint32_t i = 0; i < m->tensor_count; i++)
        spans[i] = (span){NOT_LIVE, 0, -1, 0};
    for (uint32_t k = 0; k < m->inputs.len; k++) {
        span *s = &spans[ember_fb_vector_i32(&m->inputs, k)];
        touch(s, 0);
        touch(s, end);
    }
    for (uint32_t k = 0; k < m->outputs.len; k++)
        touch(&spans[ember_fb_vector_i32(&m->outputs, k)], end);
    for (uint32_t i = 0; i < end; i++) {
        const ember_node *n = &m->nodes[i];
        for (uint32_t k = 0; k < n->input_count; k++)
            if (n->inputs[k] >= 0)
                touch(&spans[n->inputs[k]], i);
        for (uint32_t k = 0; k < n->output_count; k++)
            touch(&spans[n->outputs[k]], i);
    }
    for (uint32_t i = 0; i < end; i++)
        mark_reshape_in_place(m, spans, &m->nodes[i]);
}

static uint32_t coord_index(const plan *p, uint64_t x) {
    uint32_t lo = 0, hi = p->ncoords;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->coords[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Adds v to leaves [l, r) under tree node `node`, which covers leaves [nl, nr). */
static void tree_add(plan *p, uint32_t node, uint32_t nl, uint32_t nr, uint32_t l, uint32_t r,
                     int32_t v) {
    if (r <= nl || nr <= l)
        return;
    if (l <= nl && nr <= r) {
        p->tadd[node] += v;
        p->tmax[node] += v;
        return;
    }
    uint32_t mid = nl + (nr - nl) / 2;
    tree_add(p, 2 * node, nl, mid, l, r, v);
    tree_add(p, 2 * node + 1, mid, nr, l, r, v);
    int32_t a = p->tmax[2 * node], b = p->tmax[2 * node + 1];
    p->tmax[node] = p->tadd[node] + (a > b ? a : b);
}

/* The largest count over leaves [l, r) under `node`. */
static int32_t tree_max(const plan *p, uint32_t node, uint32_t nl, uint32_t nr, uint32_t l,
                        uint32_t r) {
    if (r <= nl || nr <= l)
        return 0;
    if (l <= nl && nr <= r)
        return p->tmax[node];
    uint32_t mid = nl + (nr - nl) / 2;
    int32_t a = tree_max(p, 2 * node, nl, mid, l, r);
    int32_t b = tree_max(p, 2 * node + 1, mid, nr, l, r);
    return p->tadd[node] + (a > b ? a : b);
}

static void tree_mark(plan *p, const ember_tensor *t, uint32_t i, int32_t v) {
    uint64_t start = (uint64_t)t->arena_offset;
    tree_add(p, 1, 0, p->leaves, coord_index(p, start), coord_index(p, start + t->bytes), v);
    p->spans[i].in_tree = v > 0;
}

static const char *life_str(char *buf, size_t n, const span *s, uint32_t end) {
    if (s->last == end)
        snprintf(buf, n, "live from node %" PRIu32 " to the end of the run", s->first);
    else
        snprintf(buf, n, "live at nodes %" PRIu32 "..%" PRIu32, s->first, s->last);
    return buf;
}

/* Finds a live tensor that shares bytes with tensor i (there is one: the tree said so). */
static ember_status report_overlap(loader *ld, const plan *p, uint32_t i) {
    const ember_model *m = ld->model;
    const ember_tensor *a = &m->tensors[i];
    uint64_t a0 = (uint64_t)a->arena_offset, a1 = a0 + a->bytes;
    uint32_t j = 0;
    for (; j < m->tensor_count; j++) {
        const ember_tensor *b = &m->tensors[j];
        uint64_t b0 = (uint64_t)b->arena_offset;
        if (j != i && p->spans[j].in_tree && b0 < a1 && a0 < b0 + b->bytes)
            break;
    }
    if (j == m->tensor_count)
        return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s' overlaps a live tensor in the arena", i,
                          a->name);
    const ember_tensor *b = &m->tensors[j];
    char la[64], lb[64];
    return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                      "tensors %" PRIu32 " '%s' (%zu bytes at arena offset %lld, %s) and "
                      "%" PRIu32 " '%s' (%zu bytes at arena offset %lld, %s) overlap in the "
                      "arena while both are live",
                      j, b->name, b->bytes, (long long)b->arena_offset,
                      life_str(lb, sizeof lb, &p->spans[j], m->node_count), i, a->name,
                      a->bytes, (long long)a->arena_offset,
                      life_str(la, sizeof la, &p->spans[i], m->node_count));
}

/* Tensors in order of their first node; before each is marked in the tree, those whose last
   node is earlier are unmarked, so the tree holds exactly the tensors live at that node. */
static ember_status sweep(loader *ld, plan *p) {
    const ember_model *m = ld->model;
    uint32_t e = 0;
    for (uint32_t k = 0; k < p->swept; k++) {
        const uint32_t i = (uint32_t)p->by_first[k], first = (uint32_t)(p->by_first[k] >> 32);
        for (; e < p->swept && (uint32_t)(p->by_last[e] >> 32) < first; e++) {
            uint32_t j = (uint32_t)p->by_last[e];
            if (p->spans[j].in_tree)
                tree_mark(p, &m->tensors[j], j, -1);
        }
        int32_t src = p->spans[i].in_place_of;
        if (src >= 0 && p->spans[src].in_tree)
            tree_mark(p, &m->tensors[src], (uint32_t)src, -1);
        const ember_tensor *t = &m->tensors[i];
        uint64_t start = (uint64_t)t->arena_offset;
        if (tree_max(p, 1, 0, p->leaves, coord_index(p, start),
                     coord_index(p, start + t->bytes)) > 0)
            return report_overlap(ld, p, i);
        tree_mark(p, t, i, 1);
    }
    return EMBER_STATUS_OK;
}

/* Carves the plan's arrays out of one block; NULL when their size overflows. */
static void *plan_alloc(ember_context *ctx, plan *p, uint32_t n) {
    uint64_t leaves = 1;
    while (leaves < 2 * (uint64_t)n)
        leaves *= 2;
    const uint64_t bytes = (uint64_t)n * (sizeof(span) + 4 * sizeof(uint64_t)) +
                           leaves * 4 * sizeof(int32_t);
    void *block = bytes <= SIZE_MAX ? ember_temp_alloc(ctx, (size_t)bytes) : NULL;
    if (block == NULL) {
        ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                   "out of memory: %llu bytes to check the arena plan of %" PRIu32 " tensors",
                   (unsigned long long)bytes, n);
        return NULL;
    }
    p->by_first = block;
    p->by_last = p->by_first + n;
    p->coords = p->by_last + n;
    p->tmax = (int32_t *)(p->coords + 2 * (size_t)n);
    p->tadd = p->tmax + 2 * (size_t)leaves;
    p->spans = (span *)(p->tadd + 2 * (size_t)leaves);
    memset(p->tmax, 0, 4 * (size_t)leaves * sizeof(int32_t));
    return block;
}

/* Collects the tensors that take arena bytes while live, and the distinct ends of them. */
static void collect(const ember_model *m, plan *p) {
    p->swept = 0;
    for (uint32_t i = 0; i < m->tensor_count; i++) {
        const ember_tensor *t = &m->tensors[i];
        const span *s = &p->spans[i];
        if (!in_arena(t) || s->first == NOT_LIVE || t->bytes == 0)
            continue;
        p->by_first[p->swept] = (uint64_t)s->first << 32 | i;
        p->by_last[p->swept] = (uint64_t)s->last << 32 | i;
        p->coords[2 * p->swept] = (uint64_t)t->arena_offset;
        p->coords[2 * p->swept + 1] = (uint64_t)t->arena_offset + t->bytes;
        p->swept++;
    }
    qsort(p->by_first, p->swept, sizeof(uint64_t), cmp_u64);
    qsort(p->by_last, p->swept, sizeof(uint64_t), cmp_u64);
    qsort(p->coords, 2 * (size_t)p->swept, sizeof(uint64_t), cmp_u64);
    p->ncoords = 0;
    for (size_t k = 0; k < 2 * (size_t)p->swept; k++)
        if (p->ncoords == 0 || p->coords[k] != p->coords[p->ncoords - 1])
            p->coords[p->ncoords++] = p->coords[k];
}

static ember_status check_plan(loader *ld) {
    ember_status st = check_arena_need(ld);
    const ember_model *m = ld->model;
    if (st != EMBER_STATUS_OK || m->tensor_count == 0)
        return st;
    plan p;
    void *block = plan_alloc(ld->ctx, &p, m->tensor_count);
    if (block == NULL)
        return EMBER_STATUS_NO_MEMORY;
    fill_spans(m, p.spans);
    collect(m, &p);
    /* Leaves are the spans between neighbouring coordinates: ncoords - 1 <= 2n - 1. */
    p.leaves = p.ncoords > 1 ? p.ncoords - 1 : 1;
    st = sweep(ld, &p);
    ember_temp_free(ld->ctx, block);
    return st;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Callers look a signature's inputs (and its outputs) up by name, so a name may appear only
   once in each list; TFLite keeps them in a map, where the second one would silently vanish. */
static ember_status check_unique(loader *ld, const char **names, uint32_t n, uint32_t s,
                                 const char *key, const char *what) {
    qsort(names, n, sizeof *names, cmp_name);
    for (uint32_t k = 1; k < n; k++)
        if (strcmp(names[k - 1], names[k]) == 0)
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "signature %" PRIu32 " '%s': %s name '%s' appears more than once",
                              s, key, what, names[k]);
    return EMBER_STATUS_OK;
}

/* Each entry must name a graph input (for the signature's inputs) or a graph output: a caller
   may only set the one before invoke and read the other after it. */
static ember_status read_tensor_maps(loader *ld, const ember_fb_vector *maps, uint32_t s,
                                     const char *key, bool outputs, const char **names) {
    const char *what = outputs ? "output" : "input";
    for (uint32_t k = 0; k < maps->len; k++) {
        ember_fb_table mt;
        const char *name;
        uint32_t len;
        int32_t idx = -1;
        if (!ember_fb_vector_table(maps, k, &mt) ||
            !ember_fb_string_field(&mt, EMBER_SLOT_TENSOR_MAP_NAME, &name, &len) ||
            !ember_fb_i32(&mt, EMBER_SLOT_TENSOR_MAP_TENSOR, -1, &idx))
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "signature %" PRIu32 " '%s': %s entry %" PRIu32 " is malformed "
                              "(out of bounds)",
                              s, key, what, k);
        if (idx < 0 || (uint32_t)idx >= ld->model->tensor_count)
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "signature %" PRIu32 " '%s': %s '%s' names tensor %" PRId32 ", out "
                              "of range (model has %" PRIu32 ")",
                              s, key, what, name, idx, ld->model->tensor_count);
        if (!(ld->state[idx] & (outputs ? GRAPH_OUTPUT : GRAPH_INPUT)))
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "signature %" PRIu32 " '%s': %s '%s' names tensor %" PRId32 " '%s', "
                              "which is not a graph %s",
                              s, key, what, name, idx, ld->model->tensors[idx].name, what);
        names[k] = name;
    }
    return EMBER_STATUS_OK;
}

static ember_status check_tensor_maps(loader *ld, const ember_fb_table *sig, uint32_t s,
                                      const char *key, bool outputs) {
    ember_fb_vector maps;
    uint32_t slot = outputs ? EMBER_SLOT_SIGNATURE_OUTPUTS : EMBER_SLOT_SIGNATURE_INPUTS;
    if (!ember_fb_vector_field(sig, slot, 4, &maps))
        return invalid(ld->ctx, "signature tensor list");
    if (maps.len == 0)
        return EMBER_STATUS_OK;
    const char **names = ember_temp_alloc(ld->ctx, (size_t)maps.len * sizeof *names);
    if (names == NULL)
        return EMBER_STATUS_NO_MEMORY;
    ember_status st = read_tensor_maps(ld, &maps, s, key, outputs, names);
    if (st == EMBER_STATUS_OK)
        st = check_unique(ld, names, maps.len, s, key, outputs ? "output" : "input");
    ember_temp_free(ld->ctx, names);
    return st;
}

static ember_status parse_signatures(loader *ld, const ember_fb_table *root) {
    ember_model *m = ld->model;
    if (!ember_fb_vector_field(root, EMBER_SLOT_MODEL_SIGNATURES, 4, &m->signatures))
        return invalid(ld->ctx, "signature list");
    for (uint32_t s = 0; s < m->signatures.len; s++) {
        ember_fb_table sig;
        const char *key;
        uint32_t len;
        if (!ember_fb_vector_table(&m->signatures, s, &sig) ||
            !ember_fb_string_field(&sig, EMBER_SLOT_SIGNATURE_KEY, &key, &len))
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "signature %" PRIu32 " is malformed (out of bounds)", s);
        ember_status st = check_tensor_maps(ld, &sig, s, key, false);
        if (st == EMBER_STATUS_OK)
            st = check_tensor_maps(ld, &sig, s, key, true);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    return EMBER_STATUS_OK;
}

static ember_status parse_metadata(loader *ld, const ember_fb_table *root) {
    ember_model *m = ld->model;
    if (!ember_fb_vector_field(root, EMBER_SLOT_MODEL_METADATA, 4, &m->metadata))
        return invalid(ld->ctx, "metadata list");
    for (uint32_t k = 0; k < m->metadata.len; k++) {
        ember_fb_table mt;
        const char *str;
        uint32_t len;
        if (!ember_fb_vector_table(&m->metadata, k, &mt) ||
            !ember_fb_string_field(&mt, EMBER_SLOT_METADATA_KEY, &str, &len) ||
            !ember_fb_string_field(&mt, EMBER_SLOT_METADATA_VALUE, &str, &len))
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "metadata entry %" PRIu32 " is malformed (out of bounds)", k);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_model_load(ember_context *ctx, const void *data, size_t size,
                              bool verify_hash, ember_model *model) {
    memset(model, 0, sizeof *model);
    if (data == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT, "model data is NULL");
    if ((uintptr_t)data % EMBER_MODEL_ALIGNMENT != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                          "model data must start at an address aligned to %d bytes (got %p); "
                          "copy it into an aligned buffer",
                          EMBER_MODEL_ALIGNMENT, data);
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe != 1)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "this host is big-endian; models store weights little-endian");
    loader ld = {ctx, data, size, {0}, model, NULL};
    ember_fb_table root, sg;
    ember_fb_vector subgraphs;
    const char *producer;
    uint32_t len;
    ember_status st = check_header(ctx, data, size, &root);
    if (st == EMBER_STATUS_OK && verify_hash)
        st = check_hash(ctx, data, size, &root);
    if (st != EMBER_STATUS_OK)
        return st;
    if (!ember_fb_u64(&root, EMBER_SLOT_MODEL_ARENA_SIZE, 0, &model->arena_size) ||
        !ember_fb_string_field(&root, EMBER_SLOT_MODEL_PRODUCER, &producer, &len) ||
        !ember_fb_vector_field(&root, EMBER_SLOT_MODEL_BUFFERS, 4, &ld.buffers) ||
        !ember_fb_vector_field(&root, EMBER_SLOT_MODEL_SUBGRAPHS, 4, &subgraphs))
        return invalid(ctx, "model table");
    if (subgraphs.len != 1)
        return ember_fail(ctx, subgraphs.len ? EMBER_STATUS_UNSUPPORTED
                                             : EMBER_STATUS_INVALID_MODEL,
                          "model has %" PRIu32 " subgraphs; this runtime runs exactly 1",
                          subgraphs.len);
    if (!ember_fb_vector_table(&subgraphs, 0, &sg))
        return invalid(ctx, "subgraph 0");
    st = parse_subgraph(&ld, &sg);
    if (st == EMBER_STATUS_OK)
        st = check_plan(&ld);
    if (st == EMBER_STATUS_OK)
        st = parse_signatures(&ld, &root);
    if (st == EMBER_STATUS_OK)
        st = parse_metadata(&ld, &root);
    return st;
}
