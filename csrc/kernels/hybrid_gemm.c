/* Hybrid CONV2D and FULLY_CONNECTED: float32 activations, int8 weights, int8 arithmetic
   (csrc/kernels/hybrid_gemm.h). */
#include "kernels/hybrid_gemm.h"

#include <string.h>

#include "kernels/quant.h"
#include "threadpool.h"
#include "ukernels/gemm_qs8.h"
#include "ukernels/hybrid_qs8.h"

/* Bytes of L2 a tile's packed weights may fill, leaving room for its rows and sums. */
#define HYBRID_L2_PANEL_BYTES (256u * 1024u)
/* Tiles per thread when several threads share the work, so that uneven tiles even out. */
#define HYBRID_TILES_PER_THREAD 5
#define NR EMBER_GEMM_QS8_NR
/* Floats of input one quantization task takes (64 KB): a unit is cut into chunks this long,
   whose min/max the threads find apart and which they then quantize apart. */
#define HYBRID_QUANT_CHUNK 16384u

struct ember_hybrid {
    const ember_gemm_qs8_config *gemm;    /* NULL: the reference loops */
    const ember_hybrid_qs8_config *uk;    /* NULL with gemm */
    bool conv, gather;                    /* gather: rows of a KxK (or strided) convolution */
    struct conv_window win;
    int32_t in_h, in_w, in_c, filter_h, filter_w, out_h, out_w;
    size_t m, n, k, ks, kc;               /* rows and columns of the output, sum length */
    /* a unit is what is quantized with one scale: an image, or one fully connected row */
    size_t units, unit_in, unit_rows;
    size_t *ind;                          /* gather: unit_rows x ks input offsets, or ZERO */
    const int8_t *w;                      /* [n][k] */
    void *packed;                         /* gemm's panels, zero point 0, no bias */
    int32_t *colsum;                      /* sum_k w[j][k] */
    float *w_scale, *bias;                /* n each (bias zeros when the node has none) */
    bool has_residual, use_epilogue;      /* use_epilogue: residual, SILU or HARD_SWISH */
    float lo, hi;                         /* the sums' clamp: +-inf under the epilogue */
    struct ember_epilogue_f32 epilogue;
    size_t chunks;                        /* HYBRID_QUANT_CHUNK pieces per unit */
    /* the scratch: params, each chunk's min/max, q, then per thread */
    size_t ranges_offset, q_offset, thread_offset, thread_bytes;
    char variant[64];
};

static ember_status out_of_memory(ember_context *ctx, const ember_node *node, const char *op) {
    return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (%s): out of memory",
                      node->index, op);
}

static size_t round_up(size_t v, size_t to) {
    return (v + to - 1) / to * to;
}

static size_t div_up(size_t a, size_t b) {
    return (a + b - 1) / b;
}

ember_status ember_hybrid_check_weights(ember_context *ctx, const ember_node *node,
                                        const char *op, const ember_tensor *w, uint32_t axis,
                                        int32_t channels) {
    if (!w->is_constant)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 weights '%s' of a float32 (hybrid) node "
                          "must be constant, got a computed tensor",
                          node->index, op, w->name);
    return ember_check_quant_weights(ctx, node, w, axis, channels);
}

ember_status ember_hybrid_conv_tensors_read(ember_context *ctx, const ember_node *node,
                                            const char *op, struct conv_tensors *t) {
    const ember_tensor *in = ember_input(ctx, node, 0), *filter = ember_input(ctx, node, 1);
    if (in == NULL || filter == NULL || !ember_hybrid_is(in, filter))
        return conv_tensors_read(ctx, node, op, t);
    t->in = in;
    t->filter = filter;
    t->bias = ember_input(ctx, node, 2);
    t->out = ember_output(ctx, node, 0);
    ember_status st = EMBER_STATUS_OK;
    if ((t->bias && (st = ember_check_type(ctx, node, t->bias, EMBER_TYPE_FLOAT32, "bias"))) ||
        (st = ember_check_type(ctx, node, t->out, EMBER_TYPE_FLOAT32, "output")) ||
        (st = ember_check_rank(ctx, node, t->in, 4, "input")) ||
        (st = ember_check_rank(ctx, node, t->filter, 4, "filter")) ||
        (t->bias && (st = ember_check_rank(ctx, node, t->bias, 1, "bias"))) ||
        (st = ember_check_rank(ctx, node, t->out, 4, "output")))
        return st;
    return ember_hybrid_check_weights(ctx, node, op, filter, 0, filter->dims[0]);
}

/* ---- prepare ---------------------------------------------------------------------------- */

/* Copies scales and bias and sums each column of the weights. */
static ember_status hybrid_constants(ember_context *ctx, const ember_node *node, const char *op,
                                     struct ember_hybrid *h, const ember_tensor *w,
                                     const ember_tensor *bias) {
    h->colsum = ember_alloc(ctx, h->n * (sizeof(int32_t) + 2 * sizeof(float)));
    if (h->colsum == NULL)
        return out_of_memory(ctx, node, op);
    h->w_scale = (float *)(void *)(h->colsum + h->n);
    h->bias = h->w_scale + h->n;
    const float *b = bias ? bias->data : NULL;
    for (size_t j = 0; j < h->n; j++) {
        uint32_t sum = 0;
        for (size_t i = 0; i < h->k; i++)
            sum += (uint32_t)h->w[j * h->k + i];
        h->colsum[j] = (int32_t)sum;
        h->w_scale[j] = ember_quant_scale(w, (uint32_t)j);
        h->bias[j] = b ? b[j] : 0.0f;
    }
    return EMBER_STATUS_OK;
}

/* The offsets of one output pixel's taps within its image, in the filter's (ky, kx) order. */
static size_t *pixel_taps(const struct ember_hybrid *h, int32_t oy, int32_t ox, size_t *ind) {
    const struct conv_window *w = &h->win;
    for (int32_t ky = 0; ky < h->filter_h; ky++) {
        const int64_t y = (int64_t)oy * w->stride_h - w->pad_top + (int64_t)ky * w->dilation_h;
        for (int32_t kx = 0; kx < h->filter_w; kx++) {
            const int64_t x =
                (int64_t)ox * w->stride_w - w->pad_left + (int64_t)kx * w->dilation_w;
            const bool inside = y >= 0 && y < h->in_h && x >= 0 && x < h->in_w;
            *ind++ = inside ? ((size_t)y * (size_t)h->in_w + (size_t)x) * (size_t)h->in_c
                            : EMBER_IND_ZERO;
        }
    }
    return ind;
}

static ember_status hybrid_gather_plan(ember_context *ctx, const ember_node *node,
                                       const char *op, struct ember_hybrid *h) {
    if (h->unit_rows > SIZE_MAX / sizeof(size_t) / h->ks)
        return out_of_memory(ctx, node, op);
    h->ind = ember_alloc(ctx, h->unit_rows * h->ks * sizeof(size_t));
    if (h->ind == NULL)
        return out_of_memory(ctx, node, op);
    size_t *ind = h->ind;
    for (int32_t oy = 0; oy < h->out_h; oy++)
        for (int32_t ox = 0; ox < h->out_w; ox++)
            ind = pixel_taps(h, oy, ox, ind);
    return EMBER_STATUS_OK;
}

/* The fast path: packed weights, the gather plan, the epilogue's microkernels. False in
   *taken (and the reference runs) when the epilogue has none. */
static ember_status hybrid_fast(ember_context *ctx, const ember_node *node, const char *op,
                                struct ember_hybrid *h, bool *taken) {
    *taken = false;
    if (h->use_epilogue && !ember_epilogue_f32_select(ctx, &h->epilogue))
        return EMBER_STATUS_OK;
    h->uk = ember_hybrid_qs8_select(ctx);
    const size_t bytes = ember_gemm_qs8_packed_size(h->gemm, h->n, 1, h->k);
    h->packed = ember_alloc(ctx, bytes);
    if (h->packed == NULL)
        return out_of_memory(ctx, node, op);
    if (!ember_pack_gemm_qs8(h->gemm, h->n, 1, h->k, h->w, NULL, 0, NULL, NULL, h->packed))
        return EMBER_STATUS_OK;
    ember_status st = EMBER_STATUS_OK;
    if (h->gather && (st = hybrid_gather_plan(ctx, node, op, h)))
        return st;
    const size_t mr = h->gemm->mr;
    /* per thread: a tile's sums, a unit's factors, the gathered rows */
    h->thread_bytes = round_up(mr * round_up(h->n, NR) * sizeof(int32_t), 64) +
                      round_up(h->n, NR) * (sizeof(int32_t) + sizeof(float)) +
                      (h->gather ? round_up(mr * h->k, 64) : 0);
    *taken = true;
    return EMBER_STATUS_OK;
}

static void hybrid_name(ember_node *node, struct ember_hybrid *h) {
    const char *path = h->gemm == NULL ? "hybrid_ref" : h->gather ? "hybrid_gather_" : "hybrid_";
    const size_t cap = sizeof h->variant;
    const size_t len = strlen(path);
    memcpy(h->variant, path, len + 1);
    if (h->gemm != NULL) {
        size_t nlen = strlen(h->gemm->name);
        nlen = nlen < cap - 1 - len ? nlen : cap - 1 - len;
        memcpy(h->variant + len, h->gemm->name, nlen);
        h->variant[len + nlen] = '\0';
    }
    node->variant = h->variant;
}

/* The sizes of the node: rows, columns, units and the gather's taps. */
static void hybrid_sizes(struct ember_hybrid *h, const struct ember_hybrid_shape *s) {
    h->conv = s->win != NULL;
    if (!h->conv) {
        h->m = s->rows;
        h->n = s->n;
        h->k = s->k;
        h->units = s->rows;
        h->unit_in = s->k;
        h->unit_rows = 1;
        return;
    }
    h->win = *s->win;
    h->in_h = s->in_h;
    h->in_w = s->in_w;
    h->in_c = s->in_c;
    h->filter_h = s->filter_h;
    h->filter_w = s->filter_w;
    h->out_h = s->out_h;
    h->out_w = s->out_w;
    h->ks = (size_t)s->filter_h * (size_t)s->filter_w;
    h->kc = (size_t)s->in_c;
    h->k = h->ks * h->kc;
    h->n = s->n;
    h->units = (size_t)s->batch;
    h->unit_in = (size_t)s->in_h * (size_t)s->in_w * (size_t)s->in_c;
    h->unit_rows = (size_t)s->out_h * (size_t)s->out_w;
    h->m = h->units * h->unit_rows;
    const struct conv_window *w = s->win;
    h->gather = !(h->ks == 1 && w->stride_h == 1 && w->stride_w == 1 && w->pad_top == 0 &&
                  w->pad_left == 0 && w->pad_bottom == 0 && w->pad_right == 0);
}

ember_status ember_hybrid_prepare(ember_context *ctx, ember_node *node, const char *op,
                                  const struct ember_hybrid_shape *s, const ember_tensor *w,
                                  const ember_tensor *bias, struct ember_hybrid **out) {
    if (s->groups != 1)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): a float32 convolution with an int8 filter "
                          "(hybrid) needs groups 1, got %" PRId32,
                          node->index, op, s->groups);
    if (w->data == NULL)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 weights '%s' have no data", node->index,
                          op, w->name);
    if (bias && (!bias->is_constant || bias->data == NULL))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): the bias '%s' of a hybrid node must be "
                          "constant",
                          node->index, op, bias->name);
    struct ember_hybrid *h = ember_alloc(ctx, sizeof *h);
    if (h == NULL)
        return out_of_memory(ctx, node, op);
    *out = h;
    hybrid_sizes(h, s);
    if (h->k > EMBER_HYBRID_MAX_K)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): a hybrid (float32 input, int8 weights) sum of "
                          "%zu products is longer than %u, where int32 sums could wrap",
                          node->index, op, h->k, EMBER_HYBRID_MAX_K);
    h->w = w->data;
    h->has_residual = s->has_residual;
    h->use_epilogue = s->has_residual || s->act_fn != EMBER_FUSED_ACTIVATION_NONE;
    h->lo = h->use_epilogue ? -INFINITY : s->act_lo;
    h->hi = h->use_epilogue ? INFINITY : s->act_hi;
    h->epilogue = (struct ember_epilogue_f32){s->act_fn, s->act_lo, s->act_hi, NULL, NULL, NULL};
    ember_status st = hybrid_constants(ctx, node, op, h, w, bias);
    if (st != EMBER_STATUS_OK)
        return st;
    if (h->units > SIZE_MAX / 64 || h->unit_in > (SIZE_MAX / 2) / (h->units ? h->units : 1))
        return out_of_memory(ctx, node, op);
    h->chunks = h->unit_in ? div_up(h->unit_in, HYBRID_QUANT_CHUNK) : 1;
    h->ranges_offset = round_up(h->units * sizeof(ember_hybrid_qs8_params), 64);
    h->q_offset = h->ranges_offset + round_up(h->units * h->chunks * 2 * sizeof(float), 64);
    h->thread_offset = h->q_offset + round_up(h->units * h->unit_in, 64);
    h->gemm = ember_gemm_qs8_select(ctx);
    bool taken = false;
    if (h->gemm != NULL && h->m > 0 && h->n > 0 &&
        (st = hybrid_fast(ctx, node, op, h, &taken)))
        return st;
    if (!taken)
        h->gemm = NULL;
    const size_t threads = h->gemm ? ember_thread_count(ctx) : 0;
    if (h->thread_bytes > 0 && threads > (SIZE_MAX - h->thread_offset) / h->thread_bytes)
        return out_of_memory(ctx, node, op);
    ember_request_scratch(ctx, h->thread_offset + threads * h->thread_bytes);
    hybrid_name(node, h);
    return EMBER_STATUS_OK;
}

/* ---- the reference ---------------------------------------------------------------------- */

/* Quantizes every unit of the input into q with the scalar forms. */
static void quantize_units(const struct ember_hybrid *h, const float *in,
                           ember_hybrid_qs8_params *params, int8_t *q) {
    for (size_t u = 0; u < h->units; u++) {
        const float *x = in + u * h->unit_in;
        float lo = 0.0f, hi = 0.0f;
        ember_hybrid_minmax_scalar(h->unit_in, x, &lo, &hi);
        params[u] = ember_hybrid_qs8_params_of(lo, hi);
        ember_hybrid_quantize_scalar(h->unit_in, x, params[u].inv_scale, params[u].zp,
                                     q + u * h->unit_in);
    }
}

/* The output of row `row`, column j from its int32 sum, then the epilogue. */
static float ref_output(const struct ember_hybrid *h, const ember_hybrid_qs8_params *p,
                        uint32_t acc, size_t row, size_t j, const float *residual) {
    int32_t zc = 0;
    float m = 0.0f;
    ember_hybrid_qs8_factor(p->zp, h->colsum[j], p->scale, h->w_scale[j], &zc, &m);
    float y = ember_hybrid_qs8_out1((int32_t)acc, zc, m, h->bias[j], h->lo, h->hi);
    if (!h->use_epilogue)
        return y;
    if (residual)
        y += residual[row * h->n + j];
    return ember_epilogue_f32_ref(&h->epilogue, y);
}

/* Sum of one output pixel's taps times column j's weights; padding taps read zp. */
static uint32_t ref_conv_sum(const struct ember_hybrid *h, const int8_t *image, int32_t zp,
                             int32_t oy, int32_t ox, size_t j) {
    const struct conv_window *w = &h->win;
    const int8_t *wj = h->w + j * h->k;
    uint32_t acc = 0;
    for (int32_t ky = 0; ky < h->filter_h; ky++) {
        const int64_t y = (int64_t)oy * w->stride_h - w->pad_top + (int64_t)ky * w->dilation_h;
        for (int32_t kx = 0; kx < h->filter_w; kx++, wj += h->kc) {
            const int64_t x =
                (int64_t)ox * w->stride_w - w->pad_left + (int64_t)kx * w->dilation_w;
            const bool inside = y >= 0 && y < h->in_h && x >= 0 && x < h->in_w;
            const int8_t *px =
                image + ((size_t)(inside ? y : 0) * (size_t)h->in_w + (size_t)(inside ? x : 0)) *
                            h->kc;
            for (size_t c = 0; c < h->kc; c++)
                acc += (uint32_t)((inside ? px[c] : zp) * wj[c]);
        }
    }
    return acc;
}

static void hybrid_ref(const struct ember_hybrid *h, const ember_hybrid_qs8_params *params,
                       const int8_t *q, const float *residual, float *out) {
    for (size_t row = 0; row < h->m; row++) {
        const size_t u = row / h->unit_rows, r = row % h->unit_rows;
        const int8_t *a = q + u * h->unit_in;
        for (size_t j = 0; j < h->n; j++) {
            uint32_t acc = 0;
            if (h->conv) {
                acc = ref_conv_sum(h, a, params[u].zp, (int32_t)(r / (size_t)h->out_w),
                                   (int32_t)(r % (size_t)h->out_w), j);
            } else {
                for (size_t i = 0; i < h->k; i++)
                    acc += (uint32_t)(a[i] * h->w[j * h->k + i]);
            }
            out[row * h->n + j] = ref_output(h, &params[u], acc, row, j, residual);
        }
    }
}

/* ---- the fast path ---------------------------------------------------------------------- */

struct hybrid_run {
    const struct ember_hybrid *h;
    const ember_hybrid_qs8_params *params;
    const int8_t *q;
    const float *residual;
    float *out;
    char *threads; /* per-thread scratch, h->thread_bytes each */
};

/* A thread's scratch: the sums of one block, the factors of one unit, gathered rows. */
struct hybrid_slice {
    int32_t *acc;
    int32_t *zc;
    float *m;
    int8_t *rows;
    size_t unit; /* whose factors zc and m hold (SIZE_MAX: none yet) */
};

static struct hybrid_slice slice_of(const struct hybrid_run *r, size_t thread) {
    const struct ember_hybrid *h = r->h;
    const size_t n16 = round_up(h->n, NR);
    char *mine = r->threads + thread * h->thread_bytes;
    struct hybrid_slice s;
    s.acc = (int32_t *)(void *)mine;
    s.zc = (int32_t *)(void *)(mine + round_up(h->gemm->mr * n16 * sizeof(int32_t), 64));
    s.m = (float *)(void *)(s.zc + n16);
    s.rows = (int8_t *)(s.m + n16);
    s.unit = SIZE_MAX;
    return s;
}

/* The factors of unit u for columns [j, j + nc), unless s already holds them. */
static void unit_factors(const struct hybrid_run *r, struct hybrid_slice *s, size_t u, size_t j,
                         size_t nc) {
    if (s->unit == u)
        return;
    const struct ember_hybrid *h = r->h;
    const ember_hybrid_qs8_params *p = &r->params[u];
    for (size_t c = 0; c < nc; c++)
        ember_hybrid_qs8_factor(p->zp, h->colsum[j + c], p->scale, h->w_scale[j + c],
                                &s->zc[c], &s->m[c]);
    s->unit = u;
}

/* Copies `count` rows' taps of one image into `rows` (count x k bytes), zp for padding. */
static void gather_rows(const struct ember_hybrid *h, const size_t *ind, size_t count,
                        const int8_t *image, int32_t zp, int8_t *rows) {
    const size_t kc = h->kc, taps = count * h->ks;
    for (size_t t = 0; t < taps;) {
        const size_t at = ind[t];
        size_t len = 1;
        if (at == EMBER_IND_ZERO)
            while (t + len < taps && ind[t + len] == EMBER_IND_ZERO)
                len++;
        else
            while (t + len < taps && ind[t + len] == at + len * kc)
                len++;
        if (at == EMBER_IND_ZERO)
            memset(rows, zp, len * kc);
        else
            memcpy(rows, image + at, len * kc);
        rows += len * kc;
        t += len;
    }
}

/* The epilogue on rows [i, i + count) of columns [j, j + nc), just written: in one run when
   the columns are whole rows (contiguous then), else row by row. */
static void epilogue_rows(const struct hybrid_run *r, size_t i, size_t count, size_t j,
                          size_t nc) {
    const size_t n = r->h->n, len = nc == n ? count * nc : nc;
    for (size_t row = i; row < i + count; row += len / nc)
        ember_epilogue_f32_row(&r->h->epilogue, r->out + row * n + j,
                               r->residual ? r->residual + row * n + j : NULL, len);
}

/* Rows [i, i + count) on columns [j, j + nc): sums, outputs, epilogue. */
static void run_rows(const struct hybrid_run *r, struct hybrid_slice *s, size_t i, size_t count,
                     size_t j, size_t nc) {
    const struct ember_hybrid *h = r->h;
    const int8_t *a = r->q + i * h->k;
    if (h->gather) {
        const size_t u = i / h->unit_rows;
        gather_rows(h, h->ind + (i % h->unit_rows) * h->ks, count, r->q + u * h->unit_in,
                    r->params[u].zp, s->rows);
        a = s->rows;
    }
    const size_t panel = ember_gemm_qs8_packed_size(h->gemm, NR, 1, h->k);
    h->gemm->gemm_i32(count, nc, h->k, a, h->k, (const char *)h->packed + (j / NR) * panel,
                      s->acc, nc);
    /* rows of one unit share a scale: one call each run (a fully connected row alone) */
    for (size_t row = i, next; row < i + count; row = next) {
        const size_t u = row / h->unit_rows;
        next = (u + 1) * h->unit_rows;
        next = next < i + count ? next : i + count;
        unit_factors(r, s, u, j, nc);
        h->uk->out(next - row, nc, s->acc + (row - i) * nc, nc, s->zc, s->m, h->bias + j, h->lo,
                   h->hi, r->out + row * h->n + j, h->n);
    }
    if (h->use_epilogue)
        epilogue_rows(r, i, count, j, nc);
}

static void hybrid_task(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                        size_t j_len) {
    const struct hybrid_run *r = arg;
    const struct ember_hybrid *h = r->h;
    const size_t mr = h->gemm->mr;
    struct hybrid_slice s = slice_of(r, thread);
    for (size_t end = i + i_len; i < end;) {
        size_t count = end - i < mr ? end - i : mr;
        /* a gathered block reads one image's taps: never two images */
        const size_t left = h->unit_rows - i % h->unit_rows;
        if (h->gather && count > left)
            count = left;
        run_rows(r, &s, i, count, j, j_len);
        i += count;
    }
}

/* Tiles as the float32 GEMM cuts them (kernels/conv_gemm.c): a tile's panels stay in L2; with
   several threads about HYBRID_TILES_PER_THREAD tiles each. No tile splits a sum. */
static void pick_tiles(const struct ember_hybrid *h, size_t threads, size_t *tile_m,
                       size_t *tile_n) {
    const size_t mr = h->gemm->mr;
    const size_t panel_bytes = ember_gemm_qs8_packed_size(h->gemm, NR, 1, h->k);
    size_t nc = round_up(h->n, NR);
    while (nc > NR && (nc / NR) * panel_bytes > HYBRID_L2_PANEL_BYTES)
        nc = div_up(nc / NR, 2) * NR;
    const size_t blocks_m = div_up(h->m, mr);
    size_t tiles_m = 1;
    if (threads > 1) {
        const size_t want = threads * HYBRID_TILES_PER_THREAD;
        while (nc > NR && blocks_m * div_up(h->n, nc) < want)
            nc = div_up(nc / NR, 2) * NR;
        tiles_m = div_up(want, div_up(h->n, nc));
        tiles_m = tiles_m > blocks_m ? blocks_m : tiles_m;
    }
    *tile_m = div_up(blocks_m, tiles_m) * mr;
    *tile_n = nc;
}

/* What the quantization tasks read and write. */
struct hybrid_quant {
    const struct ember_hybrid *h;
    const float *in;
    float *ranges; /* lo, hi of each chunk */
    ember_hybrid_qs8_params *params;
    int8_t *q;
};

/* Where chunk c starts in the input (and in q) and how many floats it holds. */
static size_t chunk_at(const struct ember_hybrid *h, size_t c, size_t *len) {
    const size_t off = (c % h->chunks) * HYBRID_QUANT_CHUNK;
    const size_t left = h->unit_in - off;
    *len = left < HYBRID_QUANT_CHUNK ? left : HYBRID_QUANT_CHUNK;
    return (c / h->chunks) * h->unit_in + off;
}

static void minmax_task(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct hybrid_quant *z = arg;
    for (size_t c = begin; c < end; c++) {
        size_t len = 0;
        const size_t at = chunk_at(z->h, c, &len);
        float lo = 0.0f, hi = 0.0f;
        z->h->uk->minmax(len, z->in + at, &lo, &hi);
        z->ranges[2 * c] = lo;
        z->ranges[2 * c + 1] = hi;
    }
}

static void quantize_task(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct hybrid_quant *z = arg;
    for (size_t c = begin; c < end; c++) {
        size_t len = 0;
        const size_t at = chunk_at(z->h, c, &len);
        const ember_hybrid_qs8_params *p = &z->params[c / z->h->chunks];
        z->h->uk->quantize(len, z->in + at, p->inv_scale, p->zp, z->q + at);
    }
}

/* quantize_units over the thread pool: each chunk's min/max, each unit's parameters from its
   chunks' (min and max are exact, so the pieces change nothing), then each chunk quantized. */
static void quantize_chunks(ember_context *ctx, const struct ember_hybrid *h, const float *in,
                            float *ranges, ember_hybrid_qs8_params *params, int8_t *q) {
    const struct hybrid_quant z = {h, in, ranges, params, q};
    const size_t total = h->units * h->chunks;
    /* short units (fully connected rows) go several to a task */
    const size_t per_task = h->chunks > 1 || h->unit_in >= HYBRID_QUANT_CHUNK
                                ? 1
                                : HYBRID_QUANT_CHUNK / (h->unit_in ? h->unit_in : 1);
    ember_parallel_1d(ctx, minmax_task, &z, total, per_task);
    for (size_t u = 0; u < h->units; u++) {
        float lo = 0.0f, hi = 0.0f;
        for (size_t c = u * h->chunks; c < (u + 1) * h->chunks; c++) {
            lo = ranges[2 * c] < lo ? ranges[2 * c] : lo;
            hi = ranges[2 * c + 1] > hi ? ranges[2 * c + 1] : hi;
        }
        params[u] = ember_hybrid_qs8_params_of(lo, hi);
    }
    ember_parallel_1d(ctx, quantize_task, &z, total, per_task);
}

void ember_hybrid_run(ember_context *ctx, const struct ember_hybrid *h, const float *in,
                      const float *residual, float *out) {
    if (h->m == 0 || h->n == 0)
        return;
    char *scratch = ctx->scratch;
    ember_hybrid_qs8_params *params = (ember_hybrid_qs8_params *)(void *)scratch;
    int8_t *q = (int8_t *)(scratch + h->q_offset);
    if (h->gemm == NULL) {
        quantize_units(h, in, params, q);
        hybrid_ref(h, params, q, h->has_residual ? residual : NULL, out);
        return;
    }
    quantize_chunks(ctx, h, in, (float *)(void *)(scratch + h->ranges_offset), params, q);
    size_t tile_m = 0, tile_n = 0;
    pick_tiles(h, ember_thread_count(ctx), &tile_m, &tile_n);
    const struct hybrid_run r = {h, params, q, h->has_residual ? residual : NULL, out,
                                 scratch + h->thread_offset};
    ember_parallel_2d(ctx, hybrid_task, &r, h->m, tile_m, h->n, tile_n);
}
