/* Broadcast machinery and the checks shared by the binary element-wise ops (see broadcast.h). */
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "threadpool.h"

int32_t ember_aligned_dim(const ember_tensor *t, uint32_t rank, uint32_t d) {
    const uint32_t lead = rank - t->rank;
    return d < lead ? 1 : t->dims[d - lead];
}

ember_status ember_check_broadcast_shape(ember_context *ctx, const ember_node *node,
                                         const char *op, const ember_tensor *a,
                                         const ember_tensor *b, const ember_tensor *out) {
    const uint32_t rank = a->rank > b->rank ? a->rank : b->rank;
    if (out->rank != rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output rank must be %" PRIu32 " (the larger "
                          "input rank), got %u",
                          node->index, op, rank, (unsigned)out->rank);
    for (uint32_t d = 0; d < rank; d++) {
        const int32_t da = ember_aligned_dim(a, rank, d);
        const int32_t db = ember_aligned_dim(b, rank, d);
        if (da != db && da != 1 && db != 1)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): input dims %" PRId32 " and %" PRId32 " at "
                              "output dim %" PRIu32 " do not broadcast",
                              node->index, op, da, db, d);
        const int32_t want = da == 1 ? db : da;
        if (out->dims[d] != want)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output dim %" PRIu32 " must be %" PRId32 ", "
                              "got %" PRId32,
                              node->index, op, d, want, out->dims[d]);
    }
    return EMBER_STATUS_OK;
}

ember_status ember_binary_check(ember_context *ctx, const ember_node *node, const char *op) {
    return ember_binary_check_type(ctx, node, op, EMBER_TYPE_FLOAT32);
}

ember_status ember_binary_check_type(ember_context *ctx, const ember_node *node, const char *op,
                                     uint8_t type) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st != EMBER_STATUS_OK)
        return st;
    st = ember_check_params(ctx, node, EMBER_OP_PARAMS_BINARY_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BINARY_PARAMS_ACTIVATION, 0, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): activation field is out of bounds", node->index,
                          op);
    float lo = 0.0f, hi = 0.0f;
    st = ember_activation_range(ctx, node, act, &lo, &hi);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, a, type, "input 0")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, b, type, "input 1")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, type, "output")) != EMBER_STATUS_OK)
        return st;
    st = ember_check_broadcast_shape(ctx, node, op, a, b, out);
    if (st != EMBER_STATUS_OK)
        return st;
    st = ember_check_inplace(ctx, node, op, a, 0, out);
    if (st != EMBER_STATUS_OK)
        return st;
    return ember_check_inplace(ctx, node, op, b, 1, out);
}

ember_status ember_binary_prepare(ember_context *ctx, ember_node *node) {
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BINARY_PARAMS_ACTIVATION, 0, &act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 ": activation field is out of bounds", node->index);
    ember_binary_data *data = ember_alloc(ctx, sizeof(*data));
    if (data == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    const ember_status st = ember_activation_range(ctx, node, act, &data->lo, &data->hi);
    if (st != EMBER_STATUS_OK)
        return st;
    ember_broadcast_init(&data->bc, ember_input(ctx, node, 0), ember_input(ctx, node, 1),
                         ember_output(ctx, node, 0));
    data->ops = NULL;
    node->data = data;
    return EMBER_STATUS_OK;
}

/* Rows shorter than this repeating a per-channel operand ([N,H,W,C] op [C] or [1,1,1,C]) are
   run EXPAND_FLOATS / C at a time against a copy of the operand repeated that many times: one
   microkernel call per 1K elements instead of one per C (at C = 16, 3x faster on AVX2). */
#define EXPAND_BELOW 256
#define EXPAND_FLOATS 1024

void ember_binary_select_f32(ember_context *ctx, ember_node *node, ember_vbinary_op op) {
    ember_binary_data *data = node->data;
    data->ops = ember_vbinary_f32_select(ctx, op);
    if (data->ops == NULL)
        return;
    node->variant = data->ops->name;
    ember_request_scratch(ctx, ember_thread_count(ctx) * EXPAND_FLOATS * sizeof(float));
}

void ember_broadcast_init(ember_broadcast *bc, const ember_tensor *a, const ember_tensor *b,
                          const ember_tensor *out) {
    /* Per collapsed dim: does each operand run along it (true) or repeat (false)? */
    bool a_full[EMBER_MAX_RANK], b_full[EMBER_MAX_RANK];
    uint32_t rank = 0;
    bc->count = out->count;
    for (uint32_t d = 0; d < out->rank; d++) {
        const int32_t od = out->dims[d];
        /* Size-1 output dims move no operand; dropping them lets neighbours merge. */
        if (od == 1)
            continue;
        const bool af = ember_aligned_dim(a, out->rank, d) == od;
        const bool bf = ember_aligned_dim(b, out->rank, d) == od;
        if (rank > 0 && a_full[rank - 1] == af && b_full[rank - 1] == bf) {
            bc->dims[rank - 1] *= (size_t)od;
            continue;
        }
        bc->dims[rank] = (size_t)od;
        a_full[rank] = af;
        b_full[rank] = bf;
        rank++;
    }
    if (rank == 0) {
        bc->dims[0] = 1;
        a_full[0] = b_full[0] = true;
        rank = 1;
    }
    bc->rank = rank;
    size_t a_run = 1, b_run = 1;
    for (uint32_t d = rank; d-- > 0;) {
        bc->a_stride[d] = a_full[d] ? a_run : 0;
        bc->b_stride[d] = b_full[d] ? b_run : 0;
        if (a_full[d])
            a_run *= bc->dims[d];
        if (b_full[d])
            b_run *= bc->dims[d];
    }
}

/* Moves the input offsets *ao, *bo to the next output row: an odometer over the outer dims
   (all but the innermost) whose wraps rewind that dim's offsets. */
static inline void next_row(const ember_broadcast *bc, size_t idx[EMBER_MAX_RANK], size_t *ao,
                            size_t *bo) {
    for (uint32_t d = bc->rank - 1; d-- > 0;) {
        *ao += bc->a_stride[d];
        *bo += bc->b_stride[d];
        if (++idx[d] < bc->dims[d])
            return;
        idx[d] = 0;
        *ao -= bc->a_stride[d] * bc->dims[d];
        *bo -= bc->b_stride[d] * bc->dims[d];
    }
}

void ember_broadcast_f32(const ember_broadcast *bc, const float *a, const float *b, float *out,
                         ember_binary_row_f32 row, float lo, float hi) {
    if (bc->count == 0)
        return;
    const uint32_t inner = bc->rank - 1;
    const size_t n = bc->dims[inner];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t ao = 0, bo = 0;
    for (size_t o = 0; o < bc->count; o += n) {
        row(out + o, a + ao, bc->a_stride[inner], b + bo, bc->b_stride[inner], n, lo, hi);
        next_row(bc, idx, &ao, &bo);
    }
}

/* Calls row(o, ao, bo, n, ...) for every output row of `bc`: the row's first output
   element o and the offsets ao, bo of its first input elements, n elements long. */
typedef void (*row_at_fn)(const void *walk, size_t o, size_t ao, size_t bo, size_t n);

static void broadcast_rows(const ember_broadcast *bc, row_at_fn row, const void *walk) {
    if (bc->count == 0)
        return;
    const uint32_t inner = bc->rank - 1;
    const size_t n = bc->dims[inner];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t ao = 0, bo = 0;
    for (size_t o = 0; o < bc->count; o += n) {
        row(walk, o, ao, bo, n);
        next_row(bc, idx, &ao, &bo);
    }
}

struct walk_bytes {
    const ember_broadcast *bc;
    const uint8_t *a, *b;
    uint8_t *out;
    size_t a_size, b_size, out_size;
    ember_binary_row_bytes row;
    const void *params;
};

static void row_bytes(const void *walk, size_t o, size_t ao, size_t bo, size_t n) {
    const struct walk_bytes *w = walk;
    w->row(w->out + o * w->out_size, w->a + ao * w->a_size, w->bc->a_stride[w->bc->rank - 1],
           w->b + bo * w->b_size, w->bc->b_stride[w->bc->rank - 1], n, w->params);
}

void ember_broadcast_bytes(const ember_broadcast *bc, const void *a, size_t a_size,
                           const void *b, size_t b_size, void *out, size_t out_size,
                           ember_binary_row_bytes row, const void *params) {
    const struct walk_bytes w = {bc, a, b, out, a_size, b_size, out_size, row, params};
    broadcast_rows(bc, row_bytes, &w);
}

struct walk_i8 {
    const ember_broadcast *bc;
    const int8_t *a, *b;
    int8_t *out;
    ember_binary_row_i8 row;
    const void *params;
};

static void row_i8(const void *walk, size_t o, size_t ao, size_t bo, size_t n) {
    const struct walk_i8 *w = walk;
    w->row(w->out + o, w->a + ao, w->bc->a_stride[w->bc->rank - 1], w->b + bo,
           w->bc->b_stride[w->bc->rank - 1], n, w->params);
}

void ember_broadcast_i8(const ember_broadcast *bc, const int8_t *a, const int8_t *b,
                        int8_t *out, ember_binary_row_i8 row, const void *params) {
    const struct walk_i8 w = {bc, a, b, out, row, params};
    broadcast_rows(bc, row_i8, &w);
}

struct walk_i16 {
    const ember_broadcast *bc;
    const int16_t *a, *b;
    int16_t *out;
    ember_binary_row_i16 row;
    const void *params;
};

static void row_i16(const void *walk, size_t o, size_t ao, size_t bo, size_t n) {
    const struct walk_i16 *w = walk;
    w->row(w->out + o, w->a + ao, w->bc->a_stride[w->bc->rank - 1], w->b + bo,
           w->bc->b_stride[w->bc->rank - 1], n, w->params);
}

void ember_broadcast_i16(const ember_broadcast *bc, const int16_t *a, const int16_t *b,
                         int16_t *out, ember_binary_row_i16 row, const void *params) {
    const struct walk_i16 w = {bc, a, b, out, row, params};
    broadcast_rows(bc, row_i16, &w);
}

/* The multipliers of LiteRT's ADD/SUB scheme with `left_shift` bits of headroom; the output
   multiplier must be < 1 (LiteRT applies it with a right shift only). */
static ember_status add_multipliers(ember_context *ctx, const ember_node *node, const char *op,
                                    int32_t left_shift, ember_add_i8_params *q) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    const double twice_max = 2.0 * (double)(a->scale > b->scale ? a->scale : b->scale);
    ember_quantize_multiplier((double)a->scale / twice_max, &q->a_mult, &q->a_shift);
    ember_quantize_multiplier((double)b->scale / twice_max, &q->b_mult, &q->b_shift);
    ember_quantize_multiplier(twice_max / ((double)(INT32_C(1) << left_shift) * out->scale),
                              &q->out_mult, &q->out_shift);
    if (q->out_shift > 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output scale %.9g is too small for input "
                          "scales %.9g and %.9g (needs > 2 x the larger / 2^%" PRId32 ")",
                          node->index, op, (double)out->scale, (double)a->scale,
                          (double)b->scale, left_shift);
    q->a_zp = a->zero_point;
    q->b_zp = b->zero_point;
    q->out_zp = out->zero_point;
    return EMBER_STATUS_OK;
}

static ember_status add_activation(ember_context *ctx, const ember_node *node, const char *op,
                                   uint8_t *act) {
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BINARY_PARAMS_ACTIVATION, 0, act))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): activation field is out of bounds", node->index,
                          op);
    return EMBER_STATUS_OK;
}

/* The rules every int8 binary op with a fused activation shares: per-tensor quantization of
   both inputs and the output, and the activation's range on the output's stored values. */
static ember_status quant_i8_range(ember_context *ctx, const ember_node *node, const char *op,
                                   int32_t *q_min, int32_t *q_max) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    uint8_t act = 0;
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i8(ctx, node, ember_input(ctx, node, 0), "input 0")) ||
        (st = ember_check_quant_i8(ctx, node, ember_input(ctx, node, 1), "input 1")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")) ||
        (st = add_activation(ctx, node, op, &act)))
        return st;
    return ember_activation_range_i8(ctx, node, act, out, q_min, q_max);
}

ember_status ember_add_i8_params_read(ember_context *ctx, const ember_node *node, const char *op,
                                      ember_add_i8_params *q) {
    const ember_status st = quant_i8_range(ctx, node, op, &q->q_min, &q->q_max);
    return st != EMBER_STATUS_OK ? st
                                 : add_multipliers(ctx, node, op, EMBER_ADD_I8_LEFT_SHIFT, q);
}

ember_status ember_binary_i8_params_read(ember_context *ctx, const ember_node *node,
                                         const char *op, ember_binary_i8_params *q) {
    const ember_status st = quant_i8_range(ctx, node, op, &q->q_min, &q->q_max);
    if (st != EMBER_STATUS_OK)
        return st;
    q->a_zp = ember_input(ctx, node, 0)->zero_point;
    q->b_zp = ember_input(ctx, node, 1)->zero_point;
    q->out_zp = ember_output(ctx, node, 0)->zero_point;
    return EMBER_STATUS_OK;
}

ember_status ember_add_i16_params_read(ember_context *ctx, const ember_node *node,
                                       const char *op, ember_add_i8_params *q) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    uint8_t act = 0;
    ember_status st = EMBER_STATUS_OK;
    if ((st = ember_check_quant_i16(ctx, node, ember_input(ctx, node, 0), "input 0")) ||
        (st = ember_check_quant_i16(ctx, node, ember_input(ctx, node, 1), "input 1")) ||
        (st = ember_check_quant_i16(ctx, node, out, "output")) ||
        (st = add_activation(ctx, node, op, &act)) ||
        (st = ember_activation_range_i16(ctx, node, act, out, &q->q_min, &q->q_max)))
        return st;
    return add_multipliers(ctx, node, op, EMBER_ADD_I16_LEFT_SHIFT, q);
}

/* The fused activation of a node whose kernel applies none: absent or NONE. */
static ember_status check_no_activation(ember_context *ctx, const ember_node *node,
                                        const char *op) {
    uint8_t act = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BINARY_PARAMS_ACTIVATION, 0, &act) || act != 0)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): fused activation must be NONE, got %u",
                          node->index, op, (unsigned)act);
    return EMBER_STATUS_OK;
}

bool ember_is_plain_int(const ember_tensor *t) {
    switch (t->type) {
    case EMBER_TYPE_INT32:
    case EMBER_TYPE_INT64:
    case EMBER_TYPE_UINT16:
    case EMBER_TYPE_UINT32:
    case EMBER_TYPE_UINT64: return true;
    case EMBER_TYPE_INT8:
    case EMBER_TYPE_UINT8:
    case EMBER_TYPE_INT16: return t->quant_count == 0;
    default: return false;
    }
}

bool ember_binary_is_int(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    return a != NULL && ember_is_plain_int(a);
}

ember_status ember_binary_check_int(ember_context *ctx, const ember_node *node, const char *op) {
    ember_status st = ember_binary_check_type(ctx, node, op, ember_input(ctx, node, 0)->type);
    if (st != EMBER_STATUS_OK || (st = check_no_activation(ctx, node, op)) != EMBER_STATUS_OK)
        return st;
    return ember_check_plain_int(ctx, node, op);
}

ember_status ember_check_plain_int(ember_context *ctx, const ember_node *node, const char *op) {
    for (uint32_t i = 0; i < node->input_count + node->output_count; i++) {
        const bool in = i < node->input_count;
        const ember_tensor *t = in ? ember_input(ctx, node, i)
                                   : ember_output(ctx, node, i - node->input_count);
        if (t != NULL && t->quant_count != 0 && t->type != EMBER_TYPE_BOOL)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): %s %" PRIu32 " '%s' of a plain integer "
                              "op must have no quantization parameters",
                              node->index, op, in ? "input" : "output",
                              in ? i : i - node->input_count, t->name);
    }
    return EMBER_STATUS_OK;
}

void ember_binary_eval_int(ember_context *ctx, const ember_node *node,
                           const ember_int_rows *rows) {
    const ember_binary_data *data = node->data;
    const ember_tensor *a = ember_input(ctx, node, 0);
    const size_t size = ember_type_bytes(a->type);
    ember_broadcast_bytes(&data->bc, a->data, size, ember_input(ctx, node, 1)->data, size,
                          ember_output(ctx, node, 0)->data, size, rows->of[a->type], NULL);
}

ember_status ember_compare_check(ember_context *ctx, const ember_node *node, const char *op) {
    if (ember_binary_is_int(ctx, node))
        return ember_binary_check_int(ctx, node, op);
    const ember_tensor *a = ember_input(ctx, node, 0);
    const uint8_t type = a != NULL && a->type == EMBER_TYPE_INT8 ? EMBER_TYPE_INT8
                                                                 : EMBER_TYPE_FLOAT32;
    ember_status st = ember_binary_check_type(ctx, node, op, type);
    if (st != EMBER_STATUS_OK || (st = check_no_activation(ctx, node, op)) != EMBER_STATUS_OK)
        return st;
    if (type != EMBER_TYPE_INT8)
        return EMBER_STATUS_OK;
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_quant_i8(ctx, node, a, "input 0")) ||
        (st = ember_check_same_quant(ctx, node, a, out)))
        return st;
    return ember_check_same_quant(ctx, node, b, out);
}

/* ---- float32 through the microkernels (ember_binary_run_f32) ---- */

/* Outputs below this run on the calling thread: a tile must outweigh handing it to a worker
   (a microsecond or two); 32K floats take 4 (ADD) to 17 (SIGMOID) microseconds on one core. */
#define PARALLEL_MIN_ELEMENTS 32768
/* Elements per tile: at least this many, and about four tiles per thread (fewer hand-offs,
   still some balancing when a thread is descheduled). */
#define TILE_MIN_ELEMENTS 8192

size_t ember_elementwise_tile(const ember_context *ctx, size_t count) {
    const size_t per_thread = count / (4 * ember_thread_count(ctx));
    const size_t tile = per_thread > TILE_MIN_ELEMENTS ? per_thread : TILE_MIN_ELEMENTS;
    return (tile + 15) / 16 * 16; /* whole vectors, so only the last tile has a tail */
}

bool ember_elementwise_parallel(const ember_context *ctx, size_t count) {
    return count >= PARALLEL_MIN_ELEMENTS && ember_thread_count(ctx) > 1;
}

struct binary_task {
    const ember_binary_data *d;
    const float *a, *b;
    float *out;
    float *scratch; /* EXPAND_FLOATS per thread */
};

/* One row; steps are 0 or 1, both 0 only for a one-element row (see broadcast.h). */
static void run_row(const ember_binary_data *d, float *out, const float *a, size_t a_step,
                    const float *b, size_t b_step, size_t n) {
    const ember_vbinary_f32_ops *k = d->ops;
    const ember_minmax_f32 clamp = {d->lo, d->hi};
    if (b_step == 0) {
        k->vs(n, a, b, out, &clamp);
    } else if (a_step == 1) {
        k->vv(n, a, b, out, &clamp);
    } else if (k->sv != NULL) {
        k->sv(n, a, b, out, &clamp);
    } else {
        for (size_t i = 0; i < n; i++) /* a[0] op b[i], one element at a time */
            k->vs(1, a, b + i, out + i, &clamp);
    }
}

/* Elements [begin, end) of a broadcast that collapsed to one row. */
static void run_flat(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct binary_task *t = arg;
    const size_t as = t->d->bc.a_stride[0], bs = t->d->bc.b_stride[0];
    run_row(t->d, t->out + begin, t->a + begin * as, as, t->b + begin * bs, bs, end - begin);
}

/* The rows [begin, end) of a rank-2 broadcast in which one operand (`rep`: 0 for a, 1 for b)
   is a single row of n < EXPAND_BELOW repeated and the other runs through every row. */
static void run_expanded(const struct binary_task *t, size_t thread, size_t begin, size_t end,
                         int rep) {
    const size_t n = t->d->bc.dims[1];
    const size_t per_call = EXPAND_FLOATS / n;
    float *row = t->scratch + thread * EXPAND_FLOATS;
    const float *src = rep == 0 ? t->a : t->b;
    for (size_t r = 0; r < per_call && r < end - begin; r++)
        memcpy(row + r * n, src, n * sizeof(float));
    const ember_minmax_f32 clamp = {t->d->lo, t->d->hi};
    for (size_t r = begin; r < end; r += per_call) {
        const size_t count = (end - r < per_call ? end - r : per_call) * n;
        const float *a = rep == 0 ? row : t->a + r * n;
        const float *b = rep == 1 ? row : t->b + r * n;
        t->d->ops->vv(count, a, b, t->out + r * n, &clamp);
    }
}

/* Which operand run_expanded may repeat: 0 (a) or 1 (b), or -1 when the broadcast is not
   rank 2 with short rows, one operand repeated and the other contiguous. */
static int expandable(const ember_broadcast *bc) {
    if (bc->rank != 2 || bc->dims[1] >= EXPAND_BELOW || bc->a_stride[1] != 1 ||
        bc->b_stride[1] != 1)
        return -1;
    if (bc->a_stride[0] == 0 && bc->b_stride[0] == bc->dims[1])
        return 0;
    if (bc->b_stride[0] == 0 && bc->a_stride[0] == bc->dims[1])
        return 1;
    return -1;
}

/* Rows [begin, end) of the outer odometer; the first row's offsets come from its index. */
static void run_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    const struct binary_task *t = arg;
    const int rep = expandable(&t->d->bc);
    if (rep >= 0) {
        run_expanded(t, thread, begin, end, rep);
        return;
    }
    const ember_broadcast *bc = &t->d->bc;
    const uint32_t inner = bc->rank - 1;
    const size_t n = bc->dims[inner];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t ao = 0, bo = 0, rest = begin;
    for (uint32_t d = inner; d-- > 0;) {
        idx[d] = rest % bc->dims[d];
        rest /= bc->dims[d];
        ao += idx[d] * bc->a_stride[d];
        bo += idx[d] * bc->b_stride[d];
    }
    for (size_t r = begin; r < end; r++) {
        run_row(t->d, t->out + r * n, t->a + ao, bc->a_stride[inner], t->b + bo,
                bc->b_stride[inner], n);
        next_row(bc, idx, &ao, &bo);
    }
}

void ember_binary_run_f32(ember_context *ctx, const ember_binary_data *data, const float *a,
                          const float *b, float *out) {
    const ember_broadcast *bc = &data->bc;
    if (bc->count == 0)
        return;
    const struct binary_task task = {data, a, b, out, ctx->scratch};
    const size_t n = bc->dims[bc->rank - 1];
    const size_t rows = bc->count / n;
    const bool parallel = ember_elementwise_parallel(ctx, bc->count);
    const size_t tile = ember_elementwise_tile(ctx, bc->count);
    if (bc->rank == 1) {
        if (parallel)
            ember_parallel_1d(ctx, run_flat, &task, n, tile);
        else
            run_flat(&task, 0, 0, n);
    } else if (parallel) {
        ember_parallel_1d(ctx, run_rows, &task, rows, n >= tile ? 1 : tile / n);
    } else {
        run_rows(&task, 0, 0, rows);
    }
}
