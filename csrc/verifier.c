/* Verifies a model file before anything else reads it and builds the interpreter's tensor and
   node arrays. Every offset, size, index and enum is checked here (or by the op's check
   function), so prepare and eval can trust what they read. */
#include <math.h>
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
    size_t used = ember_format(buf, n, "[");
    for (uint32_t i = 0; i < rank; i++)
        used += ember_format(buf + used, n - used, i ? ",%" PRId32 : "%" PRId32, dims[i]);
    ember_format(buf + used, n - used, "]");
    return buf;
}

static ember_status check_header(ember_context *ctx, const uint8_t *data, size_t size,
                                 ember_fb_table *root, ember_model_info *info) {
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
    info->format_version = format;
    info->min_runtime_version = min_runtime;
    /* The two fields every format keeps first: a newer file says which runtime it needs. */
    if (min_runtime > EMBER_RUNTIME_VERSION)
        return ember_fail(ctx, EMBER_STATUS_VERSION,
                          "model (file format %" PRIu32 ") needs runtime >= %" PRIu32 ".%" PRIu32
                          ".%" PRIu32 ", this is %d.%d.%d",
                          format, min_runtime / 10000, min_runtime / 100 % 100,
                          min_runtime % 100, EMBER_VERSION_MAJOR, EMBER_VERSION_MINOR,
                          EMBER_VERSION_PATCH);
    if (format == 0 || format > EMBER_FORMAT_VERSION)
        return ember_fail(ctx, EMBER_STATUS_VERSION,
                          "file format version %" PRIu32 " is too %s for this runtime %d.%d.%d "
                          "(supports 1..%u)%s",
                          format, format == 0 ? "old" : "new", EMBER_VERSION_MAJOR,
                          EMBER_VERSION_MINOR, EMBER_VERSION_PATCH, EMBER_FORMAT_VERSION,
                          format == 0 ? "" : ": it needs a newer runtime");
    return EMBER_STATUS_OK;
}

/* Where the body ends (format 10 on: body_size; before, the whole file) and the facts of
   the model's identity; `root` is then re-read over the body alone, so that nothing the
   verifier checks can lie in the signature block, which the hash does not cover. */
static ember_status find_body(ember_context *ctx, const uint8_t *data, size_t size,
                              ember_fb_table *root, ember_model_info *info) {
    uint64_t body = size;
    uint32_t hash_pos = 0;
    if (!ember_fb_u64(root, EMBER_SLOT_MODEL_MODEL_VERSION, 0, &info->model_version) ||
        !ember_fb_struct_field(root, EMBER_SLOT_MODEL_CONTENT_HASH, 32, &hash_pos))
        return invalid(ctx, "model identity fields");
    if (info->format_version >= 10) {
        if (!ember_fb_u64(root, EMBER_SLOT_MODEL_BODY_SIZE, 0, &body))
            return invalid(ctx, "body_size field");
        if (body < 8 || body > size)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "body_size %llu is outside the file's %zu bytes",
                              (unsigned long long)body, size);
    }
    info->body_size = (size_t)body;
    if (!ember_fb_root(data, info->body_size, root))
        return invalid(ctx, "root table within body_size");
    if (hash_pos != 0 && hash_pos + (size_t)32 > info->body_size)
        return invalid(ctx, "content_hash field within body_size");
    if (hash_pos != 0)
        memcpy(info->content_hash, data + hash_pos, 32);
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
    ember_sha256_init_isa(&h, ctx->cpu_features & ctx->isa_mask);
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

/* The checks a file's identity answers: its bytes (hash), who made it (signatures), and
   whether it is older than the caller accepts (model_version). The version is judged only
   after the signature, which is what makes it trustworthy. */
static ember_status check_trust(ember_context *ctx, const uint8_t *data, size_t size,
                                const ember_fb_table *root, const ember_options *o,
                                ember_model *m) {
    ember_model_info *info = &m->info;
    bool keys = o->trusted_key_count > 0;
    ember_status st = ember_signature_block_check(ctx, data + info->body_size,
                                                  size - info->body_size,
                                                  &info->signature_count);
    m->signature_block = data + info->body_size;
    info->verified_signature = EMBER_NO_SIGNATURE;
    if (st == EMBER_STATUS_OK && (o->verify_hash || keys) && EMBER_NO_HASH)
        st = ember_fail(ctx, EMBER_STATUS_UNSUPPORTED, "this build has no content hash check "
                        "(EMBER_NO_HASH): set verify_hash to 0%s",
                        keys ? " and give no trusted keys" : "");
    else if (st == EMBER_STATUS_OK && (o->verify_hash || keys))
        st = check_hash(ctx, data, info->body_size, root);
    if (st == EMBER_STATUS_OK && keys)
        st = ember_signatures_check(ctx, m, o);
    if (st == EMBER_STATUS_OK && info->model_version < o->min_model_version)
        st = ember_fail(ctx, EMBER_STATUS_ROLLBACK,
                        "model version %llu is below the minimum %llu the options accept "
                        "(min_model_version): refusing a rollback",
                        (unsigned long long)info->model_version,
                        (unsigned long long)o->min_model_version);
    return st;
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
    t->stored_shape = shape;
    size_t count = 1;
    bool overflow = false, empty = false;
    for (uint32_t d = 0; d < shape.len; d++) {
        t->dims[d] = ember_fb_vector_i32(&shape, d);
        if (t->dims[d] < 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': dim %" PRIu32 " is %" PRId32 ", must be "
                              ">= 0",
                              i, t->name, d, t->dims[d]);
        if (t->dims[d] != 0 && count > SIZE_MAX / (size_t)t->dims[d])
            overflow = true;
        empty = empty || t->dims[d] == 0;
        count *= (size_t)t->dims[d];
    }
    /* A zero dim anywhere makes the tensor empty, however large the product of the others. */
    if (empty)
        count = 0;
    size_t elem = ember_type_bytes(t->type);
    char sbuf[128];
    if ((overflow && !empty) || count > SIZE_MAX / elem)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': shape %s is too large to address", i, t->name,
                          shape_str(sbuf, sizeof sbuf, t->dims, t->rank));
    t->count = count;
    t->bytes = count * elem;
    t->stored_bytes = t->bytes;
    return EMBER_STATUS_OK;
}

/* Which dims follow a symbol (format 8): each entry -1 or a symbol whose max is the dim. */
static ember_status parse_dim_symbols(loader *ld, uint32_t i, const ember_fb_table *tt,
                                      ember_tensor *t) {
    ember_context *ctx = ld->ctx;
    if (!ember_fb_vector_field(tt, EMBER_SLOT_TENSOR_DIM_SYMBOLS, 4, &t->dim_symbols))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': dim_symbols is malformed (out of bounds)", i,
                          t->name);
    if (t->dim_symbols.len != 0 && t->dim_symbols.len != t->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "tensor %" PRIu32 " '%s': dim_symbols has %" PRIu32 " entries for rank "
                          "%u",
                          i, t->name, t->dim_symbols.len, (unsigned)t->rank);
    for (uint32_t d = 0; d < t->dim_symbols.len; d++) {
        const int32_t k = ember_fb_vector_i32(&t->dim_symbols, d);
        if (k == -1)
            continue;
        if (k < 0 || (uint32_t)k >= ctx->symbol_count || ctx->symbols[k] != t->dims[d])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': dim %" PRIu32 " names symbol %" PRId32
                              ", which is not a symbol of the model whose max is the dim "
                              "(%" PRId32 ")",
                              i, t->name, d, k, t->dims[d]);
    }
    return EMBER_STATUS_OK;
}

/* A stored sub-byte constant (one element per byte) must have its byte's other bits zero, so
   that one value has one encoding in the file (the hash, the converter's output). */
static ember_status check_sub_byte_constant(loader *ld, uint32_t i, const ember_tensor *t) {
    unsigned bits;
    switch (t->type) {
    case EMBER_TYPE_INT4:
    case EMBER_TYPE_UINT4:
    case EMBER_TYPE_FLOAT4E2M1: bits = 4; break;
    case EMBER_TYPE_INT2:
    case EMBER_TYPE_UINT2: bits = 2; break;
    default: return EMBER_STATUS_OK;
    }
    const uint8_t *b = t->data;
    for (size_t k = 0; k < t->bytes; k++)
        if (b[k] >> bits)
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': element %zu of this %s constant is byte "
                              "0x%02x; only its low %u bits may be set", i, t->name, k,
                              ember_type_str((ember_type)t->type), b[k], bits);
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
    return check_sub_byte_constant(ld, i, t);
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
    st = parse_dim_symbols(ld, i, tt, t);
    return st ? st : parse_quant(ld, i, tt, t);
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
            /* A constant output (format 8: a value that depends on no input, as a Shape of
               a fixed-size input) is read where it is stored; an input must be writable. */
            if (m->tensors[idx].is_constant && (!out || m->tensors[idx].is_prepared))
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

/* The float32 (int16) tensor a node reads or writes that this build has no kernels for
   (EMBER_NO_FLOAT, EMBER_NO_INT16), or NULL. QUANTIZE's input and DEQUANTIZE's output may be
   float32: they only convert at the model's edges. Weights count too: a float32 filter means
   float arithmetic. */
static const ember_tensor *type_not_built(const ember_model *m, const ember_node *n) {
    for (uint32_t k = 0; k < n->input_count + n->output_count; k++) {
        bool is_input = k < n->input_count;
        int32_t idx = is_input ? n->inputs[k] : n->outputs[k - n->input_count];
        if (idx < 0)
            continue;
        const ember_tensor *t = &m->tensors[idx];
        bool edge = is_input ? n->op == EMBER_OP_QUANTIZE : n->op == EMBER_OP_DEQUANTIZE;
        if ((EMBER_NO_FLOAT && t->type == EMBER_TYPE_FLOAT32 && !edge) ||
            (EMBER_NO_INT16 && t->type == EMBER_TYPE_INT16 && t->quant_count > 0))
            return t;
    }
    return NULL;
}

static ember_status check_kernel_types(loader *ld, const ember_node *n) {
    if (!EMBER_NO_FLOAT && !EMBER_NO_INT16)
        return EMBER_STATUS_OK;
    const ember_tensor *t = type_not_built(ld->model, n);
    if (t == NULL)
        return EMBER_STATUS_OK;
    return ember_fail(ld->ctx, EMBER_STATUS_UNSUPPORTED,
                      "node %" PRIu32 " (%s): tensor '%s' is %s, and this build has no %s "
                      "kernels (%s)", n->index, n->kernel->name, t->name, ember_type_str(t->type),
                      ember_type_str(t->type),
                      t->type == EMBER_TYPE_FLOAT32 ? "EMBER_NO_FLOAT" : "EMBER_NO_INT16");
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

static bool follows_symbol(const ember_tensor *t) {
    for (uint32_t d = 0; d < t->dim_symbols.len; d++)
        if (ember_fb_vector_i32(&t->dim_symbols, d) >= 0)
            return true;
    return false;
}

/* A node's conditions (format 9): each a one-element bool tensor of fixed shape that an
   earlier node, a graph input or a constant holds when the node is reached. */
static ember_status parse_run_if(loader *ld, const ember_fb_table *ot, ember_node *n) {
    ember_context *ctx = ld->ctx;
    const ember_model *m = ld->model;
    ember_fb_vector conds;
    if (!ember_fb_vector_field(ot, EMBER_SLOT_OPERATOR_RUN_IF, 4, &conds))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): run_if list is malformed (out of bounds)",
                          n->index, n->kernel->name);
    if (conds.len > EMBER_MAX_RUN_IF)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "node %" PRIu32 " (%s): %" PRIu32 " run_if conditions, at most %d "
                          "supported", n->index, n->kernel->name, conds.len, EMBER_MAX_RUN_IF);
    n->run_if_count = conds.len;
    for (uint32_t k = 0; k < conds.len; k++) {
        const int32_t entry = ember_fb_vector_i32(&conds, k);
        const int64_t idx = entry >= 0 ? entry : -1 - (int64_t)entry;
        n->run_if[k] = entry;
        if (idx >= m->tensor_count || !(ld->state[idx] & READABLE))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): run_if %" PRIu32 " names tensor %lld"
                              ", which is %s", n->index, n->kernel->name, k, (long long)idx,
                              idx >= m->tensor_count ? "out of range"
                                                     : "not written before this node");
        const ember_tensor *t = &m->tensors[idx];
        if (t->type != EMBER_TYPE_BOOL || t->count != 1 || follows_symbol(t))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): run_if %" PRIu32 " names tensor %lld"
                              " '%s', which is not a one-element bool of fixed shape",
                              n->index, n->kernel->name, k, (long long)idx, t->name);
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
    ember_status st = parse_run_if(ld, ot, n);
    if (st == EMBER_STATUS_OK)
        st = check_node_tensors(ld, n);
    if (st == EMBER_STATUS_OK)
        st = check_kernel_types(ld, n);
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

/* The dynamic dimensions (format 8): at most EMBER_MAX_SYMBOLS, each 1 <= min <= max; their
   values start at max, the size every shape in the file has. */
static ember_status parse_symbols(loader *ld, const ember_fb_table *sg) {
    ember_context *ctx = ld->ctx;
    ember_fb_vector symbols;
    if (!ember_fb_vector_field(sg, EMBER_SLOT_SUBGRAPH_SYMBOLS, 4, &symbols))
        return invalid(ctx, "symbol list");
    if (symbols.len > EMBER_MAX_SYMBOLS)
        return ember_fail(ctx, EMBER_STATUS_UNSUPPORTED,
                          "the model has %" PRIu32 " dynamic dimensions; at most %d are supported",
                          symbols.len, EMBER_MAX_SYMBOLS);
    for (uint32_t k = 0; k < symbols.len; k++) {
        ember_fb_table st;
        const char *name;
        uint32_t len;
        int32_t lo = 1, hi = 0;
        if (!ember_fb_vector_table(&symbols, k, &st) ||
            !ember_fb_string_field(&st, EMBER_SLOT_SYMBOL_NAME, &name, &len) ||
            !ember_fb_i32(&st, EMBER_SLOT_SYMBOL_MIN, 1, &lo) ||
            !ember_fb_i32(&st, EMBER_SLOT_SYMBOL_MAX, 0, &hi))
            return invalid(ctx, "symbol");
        if (lo < 1 || hi < lo)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "symbol %" PRIu32 " '%s': needs 1 <= min <= max, got min %" PRId32
                              ", max %" PRId32,
                              k, name, lo, hi);
        ctx->symbols[k] = hi;
    }
    ctx->symbol_count = symbols.len;
    ld->model->symbols = symbols;
    return EMBER_STATUS_OK;
}

/* A dim that follows a symbol belongs to a graph input (the caller resizes it) or to a stored
   constant whose leading part is the tensor at smaller values: one such dim, every dim before
   it 1. Every symbol is some graph input's, or nothing could set it. */
static ember_status check_symbol_owners(loader *ld) {
    ember_context *ctx = ld->ctx;
    bool named[EMBER_MAX_SYMBOLS] = {false};
    for (uint32_t i = 0; i < ld->model->tensor_count; i++) {
        const ember_tensor *t = &ld->model->tensors[i];
        const bool input = (ld->state[i] & GRAPH_INPUT) != 0;
        uint32_t follows = 0;
        bool prefix = true;
        for (uint32_t d = 0; d < t->dim_symbols.len; d++) {
            const int32_t k = ember_fb_vector_i32(&t->dim_symbols, d);
            prefix = prefix && (k >= 0 ? follows == 0 : (follows > 0 || t->dims[d] == 1));
            follows += k >= 0;
            if (k >= 0 && input)
                named[k] = true;
        }
        const bool ok = follows == 0 || input || (t->buffer >= 0 && follows == 1 && prefix);
        if (!ok)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " '%s': only graph inputs, and stored constants "
                              "with one such dim after dims of 1, may follow symbols",
                              i, t->name);
    }
    for (uint32_t k = 0; k < ctx->symbol_count; k++) {
        if (!named[k])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "symbol %" PRIu32 " is not a dim of any graph input", k);
    }
    return EMBER_STATUS_OK;
}

/* Whether guard `guard` (a run_if entry) holds wherever `reader` reads its input `slot`: the
   reader carries it, or the reader is the WHERE on that condition and `slot` is the branch it
   picks when the guard holds. */
static bool guard_covers(const ember_node *reader, uint32_t slot, int32_t guard) {
    for (uint32_t k = 0; k < reader->run_if_count; k++)
        if (reader->run_if[k] == guard)
            return true;
    if (reader->kernel->op != EMBER_OP_WHERE || reader->input_count != 3 || slot == 0)
        return false;
    const int32_t cond = reader->inputs[0];
    return cond >= 0 && guard == (slot == 1 ? cond : -1 - cond);
}

/* A guarded node writes nothing when a guard fails, so what it writes may be read only where
   its guards hold, and may not be a graph output: else a reader sees whatever the arena held
   (bytes that change from invoke to invoke). The converter's If branches meet only in the
   WHERE on their condition. */
static ember_status check_guarded_reads(loader *ld) {
    ember_model *m = ld->model;
    int32_t *writer = alloc_array(ld->ctx, m->tensor_count, sizeof(int32_t));
    if (writer == NULL)
        return EMBER_STATUS_NO_MEMORY;
    for (uint32_t t = 0; t < m->tensor_count; t++)
        writer[t] = -1;
    for (uint32_t i = 0; i < m->node_count; i++)
        for (uint32_t k = 0; k < m->nodes[i].output_count; k++)
            writer[m->nodes[i].outputs[k]] = (int32_t)i;
    for (uint32_t i = 0; i < m->node_count; i++) {
        const ember_node *r = &m->nodes[i];
        for (uint32_t j = 0; j < r->input_count; j++) {
            const int32_t t = r->inputs[j], w = t >= 0 ? writer[t] : -1;
            for (uint32_t g = 0; w >= 0 && g < m->nodes[w].run_if_count; g++)
                if (!guard_covers(r, j, m->nodes[w].run_if[g]))
                    return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                                      "node %" PRIu32 " (%s) reads tensor %" PRId32 " '%s', "
                                      "which guarded node %" PRId32 " may not write (run_if "
                                      "%" PRIu32 ")", i, r->kernel->name, t,
                                      m->tensors[t].name, w, g);
        }
    }
    for (uint32_t k = 0; k < m->outputs.len; k++) {
        const int32_t t = ember_fb_vector_i32(&m->outputs, k);
        if (writer[t] >= 0 && m->nodes[writer[t]].run_if_count > 0)
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "graph output %" PRIu32 ": tensor %" PRId32 " '%s' is written by "
                              "guarded node %" PRId32 ", which may not run", k, t,
                              m->tensors[t].name, writer[t]);
    }
    return EMBER_STATUS_OK;
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
    ember_status st = parse_symbols(ld, sg);
    if (st != EMBER_STATUS_OK)
        return st;
    for (uint32_t i = 0; i < tensors.len; i++) {
        ember_fb_table tt;
        if (!ember_fb_vector_table(&tensors, i, &tt))
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "tensor %" PRIu32 " is malformed (out of bounds)", i);
        st = parse_tensor(ld, i, &tt, &m->tensors[i]);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    st = parse_graph_io(ld, sg);
    if (st == EMBER_STATUS_OK)
        st = check_symbol_owners(ld);
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
    return check_guarded_reads(ld);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Callers look signatures up by key, and a signature's inputs (and its outputs) by name, so
   each may appear only once; TFLite keeps them in maps, where a second one would vanish.
   Sorts `names`; returns a name found twice, or NULL. */
static const char *duplicate(const char **names, uint32_t n) {
    ember_sort(names, n, sizeof *names, cmp_name);
    for (uint32_t k = 1; k < n; k++)
        if (strcmp(names[k - 1], names[k]) == 0)
            return names[k];
    return NULL;
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
    const char *twice = st == EMBER_STATUS_OK ? duplicate(names, maps.len) : NULL;
    if (twice != NULL)
        st = ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                        "signature %" PRIu32 " '%s': %s name '%s' appears more than once", s, key,
                        outputs ? "output" : "input", twice);
    ember_temp_free(ld->ctx, names);
    return st;
}

static ember_status check_signatures(loader *ld, const char **keys) {
    ember_model *m = ld->model;
    for (uint32_t s = 0; s < m->signatures.len; s++) {
        ember_fb_table sig;
        uint32_t len;
        if (!ember_fb_vector_table(&m->signatures, s, &sig) ||
            !ember_fb_string_field(&sig, EMBER_SLOT_SIGNATURE_KEY, &keys[s], &len))
            return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                              "signature %" PRIu32 " is malformed (out of bounds)", s);
        ember_status st = check_tensor_maps(ld, &sig, s, keys[s], false);
        if (st == EMBER_STATUS_OK)
            st = check_tensor_maps(ld, &sig, s, keys[s], true);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    const char *twice = duplicate(keys, m->signatures.len);
    if (twice != NULL)
        return ember_fail(ld->ctx, EMBER_STATUS_INVALID_MODEL,
                          "signature key '%s' appears more than once", twice);
    return EMBER_STATUS_OK;
}

static ember_status parse_signatures(loader *ld, const ember_fb_table *root) {
    ember_model *m = ld->model;
    if (!ember_fb_vector_field(root, EMBER_SLOT_MODEL_SIGNATURES, 4, &m->signatures))
        return invalid(ld->ctx, "signature list");
    if (m->signatures.len == 0)
        return EMBER_STATUS_OK;
    const char **keys = ember_temp_alloc(ld->ctx, (size_t)m->signatures.len * sizeof *keys);
    if (keys == NULL)
        return EMBER_STATUS_NO_MEMORY;
    ember_status st = check_signatures(ld, keys);
    ember_temp_free(ld->ctx, keys);
    return st;
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
                              const ember_options *options, ember_model *model) {
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
    ember_status st = check_header(ctx, data, size, &root, &model->info);
    if (st == EMBER_STATUS_OK)
        st = find_body(ctx, data, size, &root, &model->info);
    if (st == EMBER_STATUS_OK)
        st = check_trust(ctx, data, size, &root, options, model);
    if (st != EMBER_STATUS_OK)
        return st;
    ld.size = size = model->info.body_size;
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
        st = ember_check_arena_plan(ctx, model);
    if (st == EMBER_STATUS_OK)
        st = parse_signatures(&ld, &root);
    if (st == EMBER_STATUS_OK)
        st = parse_metadata(&ld, &root);
    return st;
}
