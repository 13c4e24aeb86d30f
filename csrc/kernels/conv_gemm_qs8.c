/* The int8 GEMM plumbing of the conv and fully connected ops (kernels/conv_gemm_qs8.h). */
#include "kernels/conv_gemm_qs8.h"

#include <string.h>

#include "threadpool.h"

#define NR EMBER_GEMM_QS8_NR
/* Columns of int32 sums a finish call takes at a time (16 KB for 16 rows: stays in L1). */
#define QS8_SUM_COLS 256u

static ember_status out_of_memory(ember_context *ctx, const ember_node *node, const char *op) {
    return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (%s): out of memory",
                      node->index, op);
}

static size_t round_up(size_t v, size_t to) {
    return (v + to - 1) / to * to;
}

void conv_gemm_qs8_init(struct conv_gemm_qs8 *g, const ember_gemm_qs8_config *cfg, size_t m,
                        size_t n, size_t k, int32_t zp_in, int32_t out_zp, int32_t qmin,
                        int32_t qmax) {
    g->cfg = cfg;
    g->path = CONV_GEMM_DIRECT;
    g->m = m;
    g->n = n;
    g->k = k;
    g->a_stride = k;
    g->ks = 1;
    g->kc = k;
    g->zp_in = zp_in;
    g->params = (ember_qs8_params){out_zp, qmin, qmax};
}

ember_status conv_gemm_qs8_window(ember_context *ctx, const ember_node *node, const char *op,
                                  struct conv_gemm_qs8 *g, const struct conv_gemm_window *cw) {
    g->kc = (size_t)cw->in_c;
    g->ks = (size_t)cw->filter_h * (size_t)cw->filter_w;
    g->image_rows = (size_t)cw->out_h * (size_t)cw->out_w;
    g->image_size = (size_t)cw->in_h * (size_t)cw->in_w * (size_t)cw->in_c;
    g->path = g->kc <= CONV_GEMM_GATHER_MAX_KC ? CONV_GEMM_GATHER : CONV_GEMM_INDIRECT;
    void *zero = NULL;
    ember_status st = conv_gemm_ind_build(ctx, node, op, cw, g->kc, &g->ind, &zero);
    if (st != EMBER_STATUS_OK)
        return st;
    g->zero = zero;
    memset(g->zero, (int)(int8_t)g->zp_in, g->kc);
    return EMBER_STATUS_OK;
}

void conv_gemm_qs8_finish(struct conv_gemm_qs8 *g, conv_gemm_qs8_finish_fn finish,
                          const void *arg) {
    g->finish = finish;
    g->finish_arg = arg;
}

/* Per-thread scratch: the gathered rows (mr x k bytes), then the sums for finish. */
static size_t gather_bytes(const struct conv_gemm_qs8 *g) {
    return g->path == CONV_GEMM_GATHER ? round_up(g->cfg->mr * g->k, 64) : 0;
}

static size_t scratch_slice(const struct conv_gemm_qs8 *g) {
    const size_t sums = g->finish ? g->cfg->mr * QS8_SUM_COLS * sizeof(int32_t) : 0;
    return gather_bytes(g) + sums;
}

ember_status conv_gemm_qs8_alloc(ember_context *ctx, const ember_node *node, const char *op,
                                 struct conv_gemm_qs8 *g) {
    /* The gather's rows are plain GEMM rows of k bytes: one tap of k in the panels. */
    const size_t ks = g->path == CONV_GEMM_INDIRECT ? g->ks : 1;
    const size_t kc = g->path == CONV_GEMM_INDIRECT ? g->kc : g->k;
    /* The panels take at most 32 bytes per weight (kr <= 8 pads a tap of one channel to 8). */
    if (g->n > SIZE_MAX / 2 || g->k > SIZE_MAX / 32 / round_up(g->n, NR))
        return out_of_memory(ctx, node, op);
    g->panel_bytes = ember_gemm_qs8_packed_size(g->cfg, NR, ks, kc);
    g->packed = ember_alloc(ctx, ember_gemm_qs8_packed_size(g->cfg, g->n, ks, kc));
    if (g->packed == NULL)
        return out_of_memory(ctx, node, op);
    const size_t slice = scratch_slice(g);
    if (slice != 0)
        ember_request_scratch(ctx, ember_thread_count(ctx) * slice);
    return EMBER_STATUS_OK;
}

void conv_gemm_qs8_repack(const struct conv_gemm_qs8 *g, const int8_t *w, const int32_t *bias,
                          const int32_t *mult, const int32_t *shift) {
    const size_t ks = g->path == CONV_GEMM_INDIRECT ? g->ks : 1;
    const size_t kc = g->path == CONV_GEMM_INDIRECT ? g->kc : g->k;
    ember_pack_gemm_qs8(g->cfg, g->n, ks, kc, w, bias, g->zp_in, g->finish ? NULL : mult,
                        g->finish ? NULL : shift, g->packed);
}

ember_status conv_gemm_qs8_pack(ember_context *ctx, const ember_node *node, const char *op,
                                struct conv_gemm_qs8 *g, const int8_t *w, const int32_t *bias,
                                const int32_t *mult, const int32_t *shift) {
    for (size_t j = 0; !g->finish && j < g->n; j++) {
        if (shift[j] > 31) {
            g->cfg = NULL;
            return EMBER_STATUS_OK;
        }
    }
    ember_status st = conv_gemm_qs8_alloc(ctx, node, op, g);
    if (st == EMBER_STATUS_OK)
        conv_gemm_qs8_repack(g, w, bias, mult, shift);
    return st;
}

void conv_gemm_qs8_name(ember_node *node, struct conv_gemm_qs8 *g) {
    conv_gemm_path_name(g->variant, sizeof g->variant, g->path, g->cfg->name);
    node->variant = g->variant;
}

/* What the tile tasks read: the node's plan and this eval's tensors. */
struct qs8_run {
    const struct conv_gemm_qs8 *g;
    const int8_t *a;
    int8_t *c;
    uint8_t *scratch;
};

static const uint8_t *panel_at(const struct conv_gemm_qs8 *g, size_t j) {
    return (const uint8_t *)g->packed + (j / NR) * g->panel_bytes;
}

/* count rows of A (a_stride apart) on columns [j, j + nc): requantized by the microkernel, or
   as int32 sums in scratch that g->finish turns into bytes, QS8_SUM_COLS at a time. */
static void gemm_rows(const struct qs8_run *r, size_t thread, size_t i, size_t count,
                      const int8_t *a, size_t a_stride, size_t k, size_t j, size_t nc) {
    const struct conv_gemm_qs8 *g = r->g;
    if (g->finish == NULL) {
        g->cfg->gemm(count, nc, k, a, a_stride, panel_at(g, j), r->c + i * g->n + j, g->n,
                     &g->params);
        return;
    }
    int32_t *sums = (int32_t *)(void *)(r->scratch + thread * scratch_slice(g) + gather_bytes(g));
    for (size_t j0 = j; j0 < j + nc; j0 += QS8_SUM_COLS) {
        const size_t cols = j + nc - j0 < QS8_SUM_COLS ? j + nc - j0 : QS8_SUM_COLS;
        g->cfg->gemm_i32(count, cols, k, a, a_stride, panel_at(g, j0), sums, QS8_SUM_COLS);
        for (size_t row = 0; row < count; row++)
            g->finish(g->finish_arg, sums + row * QS8_SUM_COLS, i + row, j0, cols,
                      r->c + (i + row) * g->n + j0);
    }
}

static void direct_task(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                        size_t j_len) {
    const struct qs8_run *r = arg;
    const struct conv_gemm_qs8 *g = r->g;
    const size_t mr = g->cfg->mr;
    for (size_t end = i + i_len; i < end; i += mr) {
        const size_t count = end - i < mr ? end - i : mr;
        gemm_rows(r, thread, i, count, r->a + i * g->a_stride, g->a_stride, g->k, j, j_len);
    }
}

/* Rows [i, i + count) of one image (first row `row` within it) on columns [j, j + nc). */
static void indirect_rows(const struct qs8_run *r, size_t thread, size_t i, size_t row,
                          size_t count, size_t j, size_t nc) {
    const struct conv_gemm_qs8 *g = r->g;
    const int8_t *image = r->a + (i / g->image_rows) * g->image_size;
    const size_t *ind = g->ind + row * g->ks;
    if (g->path == CONV_GEMM_INDIRECT) {
        g->cfg->igemm(count, nc, g->kc, g->ks, ind, image, g->zero, panel_at(g, j),
                      r->c + i * g->n + j, g->n, &g->params);
        return;
    }
    int8_t *rows = (int8_t *)(r->scratch + thread * scratch_slice(g));
    conv_gemm_gather(ind, count * g->ks, g->kc, 1, image, (int)(int8_t)g->zp_in, rows);
    gemm_rows(r, thread, i, count, rows, g->k, g->k, j, nc);
}

static void indirect_task(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                          size_t j_len) {
    const struct qs8_run *r = arg;
    const struct conv_gemm_qs8 *g = r->g;
    for (size_t end = i + i_len; i < end;) {
        const size_t count = conv_gemm_image_block(i, end, g->cfg->mr, g->image_rows);
        indirect_rows(r, thread, i, i % g->image_rows, count, j, j_len);
        i += count;
    }
}

void conv_gemm_qs8_run(ember_context *ctx, const struct conv_gemm_qs8 *g, const int8_t *a,
                       int8_t *c) {
    if (g->m == 0 || g->n == 0)
        return;
    size_t tile_m = 0, tile_n = 0;
    conv_gemm_tiles(g->m, g->n, g->cfg->mr, NR, g->panel_bytes, ember_thread_count(ctx),
                    &tile_m, &tile_n);
    const struct qs8_run r = {g, a, c, ctx->scratch};
    ember_parallel_2d(ctx, g->path == CONV_GEMM_DIRECT ? direct_task : indirect_task, &r, g->m,
                      tile_m, g->n, tile_n);
}
