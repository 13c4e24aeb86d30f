/* BATCH_MATMUL: a [..., M, K] x b [..., K, N] -> [..., M, N] (numpy matmul). Both ranks are
   >= 2 and may differ; the batch dims broadcast numpy-style. adj_a says a is stored
   [..., K, M], adj_b that b is stored [..., N, K]; either is then read transposed.
   int8 (LiteRT's reference kernel, docs/int8-arithmetic.md, section 3): per-tensor
   quantization, an int32 sum of (a - zp_a) * (b - zp_b), one requantization by
   double(s_a) * double(s_b) / double(s_out), no fused activation. */
#include <math.h>

#include "ember_internal.h"
#include "kernels/conv_gemm.h"
#include "kernels/conv_gemm_qs8.h"
#include "kernels/fixed_point.h"
#include "kernels/quant.h"
#include "kernels/vec_f32.h"
#include "kernels/shape_rules.h"

struct batch_matmul_data {
    size_t m, k, n;
    size_t a_m, a_k; /* element strides of a along M and K */
    size_t b_k, b_n; /* element strides of b along K and N */
    uint32_t batch_rank;
    size_t batch_count;
    size_t batch_dims[EMBER_MAX_RANK]; /* output batch dims, outermost first */
    size_t a_step[EMBER_MAX_RANK];     /* a's element stride per batch dim, 0 = broadcast */
    size_t b_step[EMBER_MAX_RANK];
    int32_t a_zp, b_zp, out_zp, mult, shift; /* int8 only */
    /* float32 on the GEMM microkernels (gemm.cfg NULL: the reference). whole: b is one
       constant matrix, packed at prepare, and every batch's rows of a form one GEMM; else
       each batch's b is packed into scratch during eval (again only when it changes). */
    struct conv_gemm gemm;
    bool gemm_whole, adj_b;
    /* int8 on the int8 GEMM microkernels (qgemm.cfg NULL: the reference): b packed at
       prepare when gemm_whole, else into qgemm.packed per batch (through b_t, [N, K], when b
       is stored [K, N]); the sums are finished by batch_matmul_finish_i8. */
    struct conv_gemm_qs8 qgemm;
    int8_t *b_t;
};

/* int8 operands and output with one scale and zero point each. */
static ember_status batch_matmul_quant_i8(ember_context *ctx, const ember_node *node,
                                          struct batch_matmul_data *d) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    ember_status st;
    if ((st = ember_check_quant_i8(ctx, node, a, "input a")) ||
        (st = ember_check_quant_i8(ctx, node, b, "input b")) ||
        (st = ember_check_quant_i8(ctx, node, out, "output")))
        return st;
    ember_quantize_multiplier((double)a->scale * (double)b->scale / (double)out->scale,
                              &d->mult, &d->shift);
    d->a_zp = a->zero_point;
    d->b_zp = b->zero_point;
    d->out_zp = out->zero_point;
    return EMBER_STATUS_OK;
}

/* Dim `i` of the output's batch dims as seen by an operand of rank `rank` whose batch dims
   are right-aligned with the output's `out_batch` batch dims; 1 where the operand lacks it. */
static int32_t batch_dim(const ember_tensor *t, uint32_t out_batch, uint32_t i) {
    uint32_t missing = out_batch - (t->rank - 2u);
    return i < missing ? 1 : t->dims[i - missing];
}

/* Element stride of batch dim `i` (output numbering) of operand t; 0 where it broadcasts. */
static size_t batch_step(const ember_tensor *t, uint32_t out_batch, uint32_t i) {
    uint32_t missing = out_batch - (t->rank - 2u);
    if (i < missing || t->dims[i - missing] == 1)
        return 0;
    size_t step = 1;
    for (uint32_t j = i - missing + 1; j < t->rank; j++)
        step *= (size_t)t->dims[j];
    return step;
}

/* Reads and validates params and tensors into `d`; shared by check and prepare. */
static ember_status batch_matmul_read(ember_context *ctx, const ember_node *node,
                                      struct batch_matmul_data *d) {
    ember_status st = ember_check_arity(ctx, node, 2, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_BATCH_MAT_MUL_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    uint8_t adj_a = 0, adj_b = 0;
    if (!ember_fb_u8(&node->params, EMBER_SLOT_BATCH_MAT_MUL_PARAMS_ADJ_A, 0, &adj_a) ||
        !ember_fb_u8(&node->params, EMBER_SLOT_BATCH_MAT_MUL_PARAMS_ADJ_B, 0, &adj_b))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (batch_matmul): params out of bounds", node->index);

    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (a == NULL || b == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (batch_matmul): inputs a and b are required",
                          node->index);
    const uint8_t type = a->type == EMBER_TYPE_INT8 ? EMBER_TYPE_INT8 : EMBER_TYPE_FLOAT32;
    if ((st = ember_check_type(ctx, node, a, type, "input a")) ||
        (st = ember_check_type(ctx, node, b, type, "input b")) ||
        (st = ember_check_type(ctx, node, out, type, "output")))
        return st;
    if (a->rank < 2 || b->rank < 2)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (batch_matmul): inputs must have rank >= 2, got %u "
                          "and %u",
                          node->index, (unsigned)a->rank, (unsigned)b->rank);

    const int32_t a_rows = a->dims[a->rank - 2], a_cols = a->dims[a->rank - 1];
    const int32_t b_rows = b->dims[b->rank - 2], b_cols = b->dims[b->rank - 1];
    const int32_t m = adj_a ? a_cols : a_rows, k = adj_a ? a_rows : a_cols;
    const int32_t k_b = adj_b ? b_cols : b_rows, n = adj_b ? b_rows : b_cols;
    if (k != k_b || k < 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (batch_matmul): inner dims must be equal and >= 1, got "
                          "K = %" PRId32 " (a) and %" PRId32 " (b)",
                          node->index, k, k_b);

    const uint32_t rank = a->rank > b->rank ? a->rank : b->rank;
    if (out->rank != rank || out->dims[rank - 2] != m || out->dims[rank - 1] != n)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (batch_matmul): output must have rank %" PRIu32 " "
                          "ending in [%" PRId32 ",%" PRId32 "], got rank %u",
                          node->index, rank, m, n, (unsigned)out->rank);
    d->batch_rank = rank - 2;
    d->batch_count = 1;
    for (uint32_t i = 0; i < d->batch_rank; i++) {
        int32_t da = batch_dim(a, d->batch_rank, i), db = batch_dim(b, d->batch_rank, i);
        if (da != db && da != 1 && db != 1)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (batch_matmul): batch dim %" PRIu32 " does not "
                              "broadcast: %" PRId32 " vs %" PRId32,
                              node->index, i, da, db);
        int32_t want = da == 1 ? db : da;
        if (out->dims[i] != want)
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (batch_matmul): output dim %" PRIu32 " must be "
                              "%" PRId32 ", got %" PRId32,
                              node->index, i, want, out->dims[i]);
        d->batch_dims[i] = (size_t)want;
        d->batch_count *= (size_t)want;
        d->a_step[i] = batch_step(a, d->batch_rank, i);
        d->b_step[i] = batch_step(b, d->batch_rank, i);
    }
    d->m = (size_t)m;
    d->k = (size_t)k;
    d->n = (size_t)n;
    d->a_m = adj_a ? 1 : d->k;
    d->a_k = adj_a ? d->m : 1;
    d->b_k = adj_b ? 1 : d->n;
    d->b_n = adj_b ? d->k : 1;
    return type == EMBER_TYPE_INT8 ? batch_matmul_quant_i8(ctx, node, d) : EMBER_STATUS_OK;
}

ember_status ember_shape_batch_matmul(ember_context *ctx, const ember_node *node) {
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    uint8_t adj_a = 0, adj_b = 0;
    if (a == NULL || b == NULL || a->rank < 2 || b->rank < 2 || node->output_count < 1 ||
        node->params_type != EMBER_OP_PARAMS_BATCH_MAT_MUL_PARAMS ||
        !ember_fb_u8(&node->params, EMBER_SLOT_BATCH_MAT_MUL_PARAMS_ADJ_A, 0, &adj_a) ||
        !ember_fb_u8(&node->params, EMBER_SLOT_BATCH_MAT_MUL_PARAMS_ADJ_B, 0, &adj_b))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (batch_matmul): needs two inputs of rank >= 2 and "
                          "its params", node->index);
    const uint32_t rank = a->rank > b->rank ? a->rank : b->rank;
    int32_t dims[EMBER_MAX_RANK];
    for (uint32_t i = 0; i + 2 < rank; i++) {
        const int32_t da = batch_dim(a, rank - 2, i), db = batch_dim(b, rank - 2, i);
        dims[i] = da == 1 ? db : da;
    }
    dims[rank - 2] = adj_a ? a->dims[a->rank - 1] : a->dims[a->rank - 2];
    dims[rank - 1] = adj_b ? b->dims[b->rank - 2] : b->dims[b->rank - 1];
    return ember_set_shape(ctx, node, ember_output(ctx, node, 0), rank, dims);
}

static ember_status batch_matmul_check(ember_context *ctx, const ember_node *node) {
    struct batch_matmul_data d;
    return batch_matmul_read(ctx, node, &d);
}

/* One [M,K] x [K,N] product, row by row: out row m accumulates a(m,k) times row k of b. */
static void matmul_f32(const struct batch_matmul_data *d, const float *a, const float *b,
                       float *out) {
    for (size_t m = 0; m < d->m; m++) {
        float *row = out + m * d->n;
        for (size_t n = 0; n < d->n; n++)
            row[n] = 0.0f;
        for (size_t k = 0; k < d->k; k++) {
            const float s = a[m * d->a_m + k * d->a_k];
            const float *b_row = b + k * d->b_k;
            if (d->b_n == 1) {
                vec_f32_scale_add(row, s, b_row, d->n);
                continue;
            }
            for (size_t n = 0; n < d->n; n++)
                row[n] += s * b_row[n * d->b_n];
        }
    }
}

/* Moves the offsets of the inputs' matrices to the next output batch: an odometer over the
   output's batch dims whose wraps rewind that dim's offsets. */
static void next_batch(const struct batch_matmul_data *d, size_t index[EMBER_MAX_RANK],
                       size_t *a_off, size_t *b_off) {
    for (uint32_t i = d->batch_rank; i-- > 0;) {
        *a_off += d->a_step[i];
        *b_off += d->b_step[i];
        if (++index[i] < d->batch_dims[i])
            return;
        *a_off -= d->a_step[i] * d->batch_dims[i];
        *b_off -= d->b_step[i] * d->batch_dims[i];
        index[i] = 0;
    }
}

static void ember_batch_matmul_f32_ref(const struct batch_matmul_data *d, const float *a,
                                       const float *b, float *out) {
    size_t index[EMBER_MAX_RANK] = {0};
    size_t a_off = 0, b_off = 0;
    const size_t out_size = d->m * d->n;
    for (size_t t = 0; t < d->batch_count; t++) {
        matmul_f32(d, a + a_off, b + b_off, out + t * out_size);
        next_batch(d, index, &a_off, &b_off);
    }
}

/* One int8 [M,K] x [K,N] product. The int32 sum wraps (in unsigned arithmetic, so defined)
   where LiteRT's would overflow; each term is below 2^16, so only K >= 2^15 can get there. */
static void matmul_i8(const struct batch_matmul_data *d, const int8_t *a, const int8_t *b,
                      int8_t *out) {
    for (size_t m = 0; m < d->m; m++) {
        for (size_t n = 0; n < d->n; n++) {
            uint32_t acc = 0;
            for (size_t k = 0; k < d->k; k++) {
                const int32_t x = a[m * d->a_m + k * d->a_k] - d->a_zp;
                const int32_t y = b[k * d->b_k + n * d->b_n] - d->b_zp;
                acc += (uint32_t)(x * y);
            }
            out[m * d->n + n] = (int8_t)ember_requantize_i8((int32_t)acc, d->mult, d->shift,
                                                            d->out_zp, INT8_MIN, INT8_MAX);
        }
    }
}

static void ember_batch_matmul_i8_ref(const struct batch_matmul_data *d, const int8_t *a,
                                      const int8_t *b, int8_t *out) {
    size_t index[EMBER_MAX_RANK] = {0};
    size_t a_off = 0, b_off = 0;
    const size_t out_size = d->m * d->n;
    for (size_t t = 0; t < d->batch_count; t++) {
        matmul_i8(d, a + a_off, b + b_off, out + t * out_size);
        next_batch(d, index, &a_off, &b_off);
    }
}

/* Rows of a below which packing b at every invoke costs more than the GEMM gains (8 x 64 x
   64 per batch: 29 us packed vs 38 us reference; 6 rows: 25 vs 23 us). */
#define BATCH_MATMUL_PACK_MIN_M 8

/* float32 with a's rows contiguous (no adj_a): the GEMM plan, b packed now when it is one
   constant matrix, else the scratch its per-batch packing needs. */
static ember_status batch_matmul_f32_prepare(ember_context *ctx, ember_node *node,
                                             struct batch_matmul_data *d) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_gemm_f32_config *cfg = ember_gemm_f32_select(ctx);
    const size_t packed = ember_gemm_f32_packed_count(d->n, d->k);
    if (cfg == NULL || d->a_k != 1 || packed > SIZE_MAX / sizeof(float))
        return EMBER_STATUS_OK;
    d->adj_b = d->b_n != 1; /* b stored [N, K] (with K = 1 either layout reads the same) */
    d->gemm_whole = b->is_constant && b->data != NULL && b->count == d->k * d->n &&
                    a->count == d->batch_count * d->m * d->k;
    if (!d->gemm_whole && d->m < BATCH_MATMUL_PACK_MIN_M)
        return EMBER_STATUS_OK;
    ember_status st = EMBER_STATUS_OK;
    d->gemm.cfg = cfg;
    if (!d->gemm_whole) {
        conv_gemm_direct(&d->gemm, cfg, d->m, d->n, d->k, -INFINITY, INFINITY);
        ember_request_scratch(ctx, packed * sizeof(float));
    } else if (d->adj_b) {
        st = conv_gemm_pack_nk(ctx, node, "batch_matmul", &d->gemm, d->batch_count * d->m,
                               d->n, d->k, b->data, NULL, -INFINITY, INFINITY);
    } else {
        st = conv_gemm_pack_kn(ctx, node, "batch_matmul", &d->gemm, d->batch_count * d->m,
                               d->n, d->k, b->data, d->b_k, -INFINITY, INFINITY);
    }
    if (st == EMBER_STATUS_OK)
        conv_gemm_name(node, &d->gemm);
    return st;
}

/* What batch_matmul_finish_i8 reads: the node and this GEMM's rows of a. */
struct batch_matmul_finish {
    const struct batch_matmul_data *d;
    const int8_t *a;
};

/* The GEMM gives sum (a - zp_a) * b per output; the reference's sum (a - zp_a) * (b - zp_b)
   is that minus zp_b times the row's sum of (a - zp_a) (modulo 2^32 like the reference's). */
static void batch_matmul_finish_i8(const void *arg, const int32_t *acc, size_t row, size_t j,
                                   size_t nc, int8_t *out) {
    (void)j;
    const struct batch_matmul_finish *f = arg;
    const struct batch_matmul_data *d = f->d;
    const int8_t *a = f->a + row * d->k;
    uint32_t sum = 0;
    for (size_t k = 0; d->b_zp != 0 && k < d->k; k++)
        sum += (uint32_t)(a[k] - d->a_zp);
    const uint32_t fix = (uint32_t)d->b_zp * sum;
    for (size_t n = 0; n < nc; n++)
        out[n] = (int8_t)ember_requantize_i8((int32_t)((uint32_t)acc[n] - fix), d->mult,
                                             d->shift, d->out_zp, INT8_MIN, INT8_MAX);
}

/* b's matrix at b as [N, K] for the packing: as it is, or transposed into d->b_t. */
static const int8_t *batch_matmul_b_nk(const struct batch_matmul_data *d, const int8_t *b) {
    if (d->adj_b)
        return b;
    for (size_t n = 0; n < d->n; n++)
        for (size_t k = 0; k < d->k; k++)
            d->b_t[n * d->k + k] = b[k * d->b_k + n];
    return d->b_t;
}

/* int8 with a's rows contiguous (no adj_a): the int8 GEMM plan like float32's; a's zero
   point is folded into the packed b, b's is taken out by the finish. */
static ember_status batch_matmul_i8_prepare(ember_context *ctx, ember_node *node,
                                            struct batch_matmul_data *d) {
    const ember_tensor *a = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_gemm_qs8_config *cfg = ember_gemm_qs8_select(ctx);
    if (cfg == NULL || d->a_k != 1)
        return EMBER_STATUS_OK;
    d->adj_b = d->b_n != 1;
    d->gemm_whole = b->is_constant && b->data != NULL && b->count == d->k * d->n &&
                    a->count == d->batch_count * d->m * d->k;
    if (!d->gemm_whole && d->m < BATCH_MATMUL_PACK_MIN_M)
        return EMBER_STATUS_OK;
    struct conv_gemm_qs8 *g = &d->qgemm;
    conv_gemm_qs8_init(g, cfg, (d->gemm_whole ? d->batch_count : 1) * d->m, d->n, d->k,
                       d->a_zp, d->out_zp, INT8_MIN, INT8_MAX);
    conv_gemm_qs8_finish(g, batch_matmul_finish_i8, NULL); /* the arg is set per eval */
    if (!d->adj_b && (d->b_t = ember_alloc(ctx, d->n * d->k)) == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (batch_matmul): out of memory", node->index);
    ember_status st = conv_gemm_qs8_alloc(ctx, node, "batch_matmul", g);
    if (st != EMBER_STATUS_OK)
        return st;
    if (d->gemm_whole)
        conv_gemm_qs8_repack(g, batch_matmul_b_nk(d, b->data), NULL, NULL, NULL);
    conv_gemm_qs8_name(node, g);
    return EMBER_STATUS_OK;
}

static ember_status batch_matmul_prepare(ember_context *ctx, ember_node *node) {
    struct batch_matmul_data *d = ember_alloc(ctx, sizeof(*d));
    if (d == NULL)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "node %" PRIu32 " (batch_matmul): out of memory", node->index);
    node->data = d;
    ember_status st = batch_matmul_read(ctx, node, d);
    if (st != EMBER_STATUS_OK)
        return st;
    if (ember_output(ctx, node, 0)->type == EMBER_TYPE_INT8)
        return batch_matmul_i8_prepare(ctx, node, d);
    return batch_matmul_f32_prepare(ctx, node, d);
}

/* The GEMM path: one call over every batch, or per batch with b packed into scratch. */
static void batch_matmul_f32_gemm(ember_context *ctx, const struct batch_matmul_data *d,
                                  const float *a, const float *b, float *out) {
    if (d->gemm_whole) {
        conv_gemm_run(ctx, &d->gemm, a, out);
        return;
    }
    struct conv_gemm g = d->gemm;
    g.packed = ctx->scratch;
    size_t index[EMBER_MAX_RANK] = {0};
    size_t a_off = 0, b_off = 0, packed_off = SIZE_MAX;
    for (size_t t = 0; t < d->batch_count; t++) {
        if (b_off != packed_off && d->adj_b)
            ember_pack_gemm_f32_nk(d->n, d->k, b + b_off, NULL, g.packed);
        else if (b_off != packed_off)
            ember_pack_gemm_f32_kn(d->n, d->k, b + b_off, d->b_k, NULL, g.packed);
        packed_off = b_off;
        conv_gemm_run(ctx, &g, a + a_off, out + t * d->m * d->n);
        next_batch(d, index, &a_off, &b_off);
    }
}

/* The int8 GEMM path: one call over every batch, or per batch with b packed again (only when
   it changes). */
static void batch_matmul_i8_gemm(ember_context *ctx, const struct batch_matmul_data *d,
                                 const int8_t *a, const int8_t *b, int8_t *out) {
    struct conv_gemm_qs8 g = d->qgemm;
    struct batch_matmul_finish f = {d, a};
    g.finish_arg = &f;
    if (d->gemm_whole) {
        conv_gemm_qs8_run(ctx, &g, a, out);
        return;
    }
    size_t index[EMBER_MAX_RANK] = {0};
    size_t a_off = 0, b_off = 0, packed_off = SIZE_MAX;
    for (size_t t = 0; t < d->batch_count; t++) {
        if (b_off != packed_off)
            conv_gemm_qs8_repack(&g, batch_matmul_b_nk(d, b + b_off), NULL, NULL, NULL);
        packed_off = b_off;
        f.a = a + a_off;
        conv_gemm_qs8_run(ctx, &g, a + a_off, out + t * d->m * d->n);
        next_batch(d, index, &a_off, &b_off);
    }
}

static ember_status batch_matmul_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *out = ember_output(ctx, node, 0);
    /* An empty output may still have huge batch dims: skip their loop. */
    if (out->count == 0)
        return EMBER_STATUS_OK;
    const struct batch_matmul_data *d = node->data;
    if (out->type == EMBER_TYPE_INT8 && d->qgemm.cfg != NULL) {
        batch_matmul_i8_gemm(ctx, d, ember_input(ctx, node, 0)->data,
                             ember_input(ctx, node, 1)->data, out->data);
        return EMBER_STATUS_OK;
    }
    if (out->type == EMBER_TYPE_INT8) {
        ember_batch_matmul_i8_ref(node->data, ember_input(ctx, node, 0)->data,
                                  ember_input(ctx, node, 1)->data, out->data);
        return EMBER_STATUS_OK;
    }
    if (d->gemm.cfg != NULL) {
        batch_matmul_f32_gemm(ctx, d, ember_input(ctx, node, 0)->data,
                              ember_input(ctx, node, 1)->data, out->data);
        return EMBER_STATUS_OK;
    }
    ember_batch_matmul_f32_ref(node->data, ember_input(ctx, node, 0)->data,
                               ember_input(ctx, node, 1)->data, out->data);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_batch_matmul = {
    EMBER_OP_BATCH_MATMUL, "batch_matmul", batch_matmul_check, batch_matmul_prepare,
    batch_matmul_eval,
};
