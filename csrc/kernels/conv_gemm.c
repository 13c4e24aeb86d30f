/* The float32 GEMM plumbing of the conv and matmul ops (csrc/kernels/conv_gemm.h). */
#include "kernels/conv_gemm.h"

#include <string.h>

#include "threadpool.h"

/* Bytes of L2 a tile's packed weights may fill, leaving room for its rows of A and C. */
#define CONV_GEMM_L2_PANEL_BYTES (256u * 1024u)
/* Tiles per thread when several threads share the work, so that uneven tiles even out. */
#define CONV_GEMM_TILES_PER_THREAD 5
/* Floats of output the fused epilogue takes at a time (8 KB: still in L1 or L2). */
#define CONV_GEMM_EPILOGUE_FLOATS 2048u

static ember_status out_of_memory(ember_context *ctx, const ember_node *node, const char *op) {
    return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (%s): out of memory",
                      node->index, op);
}

void conv_gemm_direct(struct conv_gemm *g, const ember_gemm_f32_config *cfg, size_t m,
                      size_t n, size_t k, float lo, float hi) {
    g->cfg = cfg;
    g->path = CONV_GEMM_DIRECT;
    g->m = m;
    g->n = n;
    g->k = k;
    g->a_stride = k;
    g->clamp = (ember_minmax_f32){lo, hi};
}

/* Allocates the packed weights and fills g's sizes for the direct path. */
static ember_status pack_alloc(ember_context *ctx, const ember_node *node, const char *op,
                               struct conv_gemm *g, size_t m, size_t n, size_t k, float lo,
                               float hi) {
    conv_gemm_direct(g, g->cfg, m, n, k, lo, hi);
    const size_t count = ember_gemm_f32_packed_count(n, k);
    if (count > SIZE_MAX / sizeof(float))
        return out_of_memory(ctx, node, op);
    g->packed = ember_alloc(ctx, count * sizeof(float));
    return g->packed == NULL ? out_of_memory(ctx, node, op) : EMBER_STATUS_OK;
}

ember_status conv_gemm_pack_nk(ember_context *ctx, const ember_node *node, const char *op,
                               struct conv_gemm *g, size_t m, size_t n, size_t k,
                               const float *w, const float *bias, float lo, float hi) {
    ember_status st = pack_alloc(ctx, node, op, g, m, n, k, lo, hi);
    if (st == EMBER_STATUS_OK)
        ember_pack_gemm_f32_nk(n, k, w, bias, g->packed);
    return st;
}

ember_status conv_gemm_pack_kn(ember_context *ctx, const ember_node *node, const char *op,
                               struct conv_gemm *g, size_t m, size_t n, size_t k,
                               const float *w, size_t w_row_stride, float lo, float hi) {
    ember_status st = pack_alloc(ctx, node, op, g, m, n, k, lo, hi);
    if (st == EMBER_STATUS_OK)
        ember_pack_gemm_f32_kn(n, k, w, w_row_stride, NULL, g->packed);
    return st;
}

/* Fills the ks offsets of one output pixel's taps, in the filter's (ky, kx) order. */
static size_t *pixel_taps(const struct conv_gemm_window *cw, int32_t oy, int32_t ox,
                          size_t *ind) {
    const struct conv_window *w = cw->win;
    for (int32_t ky = 0; ky < cw->filter_h; ky++) {
        const int64_t y = (int64_t)oy * w->stride_h - w->pad_top + (int64_t)ky * w->dilation_h;
        for (int32_t kx = 0; kx < cw->filter_w; kx++) {
            const int64_t x =
                (int64_t)ox * w->stride_w - w->pad_left + (int64_t)kx * w->dilation_w;
            const bool inside = y >= 0 && y < cw->in_h && x >= 0 && x < cw->in_w;
            *ind++ = inside ? ((size_t)y * (size_t)cw->in_w + (size_t)x) * (size_t)cw->in_c
                            : EMBER_IND_ZERO;
        }
    }
    return ind;
}

ember_status conv_gemm_ind_build(ember_context *ctx, const ember_node *node, const char *op,
                                 const struct conv_gemm_window *cw, size_t zero_bytes,
                                 size_t **ind, void **zero) {
    const size_t ks = (size_t)cw->filter_h * (size_t)cw->filter_w;
    const size_t rows = (size_t)cw->out_h * (size_t)cw->out_w;
    if (ks == 0 || rows > SIZE_MAX / sizeof(size_t) / ks)
        return out_of_memory(ctx, node, op);
    /* One block: the buffer, then the zero vector (ember_alloc'd memory starts zeroed). */
    const size_t ind_bytes = rows * ks * sizeof(size_t);
    if (zero_bytes > SIZE_MAX - ind_bytes)
        return out_of_memory(ctx, node, op);
    *ind = ember_alloc(ctx, ind_bytes + zero_bytes);
    if (*ind == NULL)
        return out_of_memory(ctx, node, op);
    *zero = (char *)*ind + ind_bytes;
    size_t *at = *ind;
    for (int32_t oy = 0; oy < cw->out_h; oy++)
        for (int32_t ox = 0; ox < cw->out_w; ox++)
            at = pixel_taps(cw, oy, ox, at);
    return EMBER_STATUS_OK;
}

ember_status conv_gemm_indirect(ember_context *ctx, const ember_node *node, const char *op,
                                struct conv_gemm *g, const struct conv_gemm_window *cw) {
    g->kc = (size_t)cw->in_c;
    g->ks = (size_t)cw->filter_h * (size_t)cw->filter_w;
    g->image_rows = (size_t)cw->out_h * (size_t)cw->out_w;
    g->image_size = (size_t)cw->in_h * (size_t)cw->in_w * (size_t)cw->in_c;
    g->path = g->kc <= CONV_GEMM_GATHER_MAX_KC ? CONV_GEMM_GATHER : CONV_GEMM_INDIRECT;
    if (g->kc > SIZE_MAX / sizeof(float))
        return out_of_memory(ctx, node, op);
    void *zero = NULL;
    ember_status st =
        conv_gemm_ind_build(ctx, node, op, cw, g->kc * sizeof(float), &g->ind, &zero);
    if (st != EMBER_STATUS_OK)
        return st;
    g->zero = zero;
    if (g->path == CONV_GEMM_GATHER) /* one mr x k block of rows per thread */
        ember_request_scratch(ctx, ember_thread_count(ctx) * g->cfg->mr * g->k * sizeof(float));
    return EMBER_STATUS_OK;
}

void conv_gemm_path_name(char *buf, size_t size, enum conv_gemm_path path,
                         const char *name) {
    const char *prefix = path == CONV_GEMM_DIRECT     ? ""
                         : path == CONV_GEMM_INDIRECT ? "i"
                                                      : "gather_";
    const size_t cap = size - 1;
    const size_t plen = strlen(prefix);
    size_t nlen = strlen(name);
    nlen = nlen < cap - plen ? nlen : cap - plen;
    memcpy(buf, prefix, plen);
    memcpy(buf + plen, name, nlen);
    buf[plen + nlen] = '\0';
}

void conv_gemm_name(ember_node *node, struct conv_gemm *g) {
    conv_gemm_path_name(g->variant, sizeof g->variant, g->path, g->cfg->name);
    node->variant = g->variant;
}

/* What the tile tasks read: the node's plan and this eval's tensors. */
struct conv_gemm_run {
    const struct conv_gemm *g;
    const float *a;
    const float *residual; /* NULL, or m x n floats the epilogue adds */
    float *c;
    float *scratch;
};

/* Runs g->epilogue over rows [i, i + count) of columns [j, j + nc), just written: as one run
   when the columns are whole rows (they are contiguous then), else row by row. */
static void epilogue_rows(const struct conv_gemm_run *r, size_t i, size_t count, size_t j,
                          size_t nc) {
    const struct conv_gemm *g = r->g;
    const size_t len = nc == g->n ? count * nc : nc;
    for (size_t row = i; row < i + count; row += len / nc)
        ember_epilogue_f32_row(g->epilogue, r->c + row * g->n + j,
                               r->residual ? r->residual + row * g->n + j : NULL, len);
}

/* Runs the epilogue over the pending rows [done, upto) once they hold
   CONV_GEMM_EPILOGUE_FLOATS or the tile ends (upto == end): a few KB still in cache, rather
   than one call per short row (16 or 24 channels). Returns the rows done. */
static size_t epilogue_after(const struct conv_gemm_run *r, size_t done, size_t upto,
                             size_t end, size_t j, size_t nc) {
    if (r->g->epilogue == NULL || ((upto - done) * nc < CONV_GEMM_EPILOGUE_FLOATS && upto < end))
        return done;
    epilogue_rows(r, done, upto - done, j, nc);
    return upto;
}

static const float *panel_at(const struct conv_gemm *g, size_t j) {
    return g->packed + (j / EMBER_GEMM_NR) * (g->k + 1) * EMBER_GEMM_NR;
}

static void direct_task(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                        size_t j_len) {
    (void)thread;
    const struct conv_gemm_run *r = arg;
    const struct conv_gemm *g = r->g;
    const size_t mr = g->cfg->mr;
    const float *w = panel_at(g, j);
    size_t done = i;
    for (size_t end = i + i_len; i < end; i += mr) {
        const size_t count = end - i < mr ? end - i : mr;
        g->cfg->gemm(count, j_len, g->k, r->a + i * g->a_stride, g->a_stride, w,
                     r->c + i * g->n + j, g->n, &g->clamp);
        done = epilogue_after(r, done, i + count, end, j, j_len);
    }
}

/* The first and the last `width` bytes of a run of len, width <= len <= 2 width. */
static inline void copy_ends(char *dst, const char *src, size_t len, size_t width) {
    memcpy(dst, src, width);
    memcpy(dst + len - width, src + len - width, width);
}

/* memcpy for the short runs of a gather (a filter row of a few channels: 9 bytes for an int8
   3x3 RGB stem, 36 for a float one): overlapping moves of a fixed size, plain loads and stores
   where a library call per run cost more than the copy (the int8 MobileNetV2 stem: 0.19 ->
   0.15-0.16 ms). */
static void copy_run(char *dst, const char *src, size_t len) {
    if (len >= 16 && len <= 64) {
        for (size_t i = 0; i + 16 < len; i += 16)
            memcpy(dst + i, src + i, 16);
        memcpy(dst + len - 16, src + len - 16, 16);
    } else if (len >= 8 && len < 16) {
        copy_ends(dst, src, len, 8);
    } else if (len >= 4 && len < 8) {
        copy_ends(dst, src, len, 4);
    } else {
        memcpy(dst, src, len);
    }
}

/* A tap is only a few elements (kc <= CONV_GEMM_GATHER_MAX_KC), but taps that continue each
   other in the input (a filter row without horizontal dilation) or are all padding go as one
   run. */
void conv_gemm_gather(const size_t *ind, size_t taps, size_t kc, size_t elem,
                      const void *image, int fill, void *rows) {
    const size_t tap_bytes = kc * elem;
    char *out = rows;
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
            memset(out, fill, len * tap_bytes);
        else
            copy_run(out, (const char *)image + at * elem, len * tap_bytes);
        out += len * tap_bytes;
        t += len;
    }
}

/* Runs rows [i, i + count) of one image (first row `row` within it) on columns [j, j + nc). */
static void indirect_rows(const struct conv_gemm_run *r, size_t thread, size_t i, size_t row,
                          size_t count, size_t j, size_t nc) {
    const struct conv_gemm *g = r->g;
    const float *image = r->a + (i / g->image_rows) * g->image_size;
    const size_t *ind = g->ind + row * g->ks;
    float *c = r->c + i * g->n + j;
    if (g->path == CONV_GEMM_INDIRECT) {
        g->cfg->igemm(count, nc, g->kc, g->ks, ind, image, g->zero, panel_at(g, j), c, g->n,
                      &g->clamp);
        return;
    }
    float *rows = r->scratch + thread * g->cfg->mr * g->k;
    conv_gemm_gather(ind, count * g->ks, g->kc, sizeof(float), image, 0, rows);
    g->cfg->gemm(count, nc, g->k, rows, g->k, panel_at(g, j), c, g->n, &g->clamp);
}

/* A microkernel call reads its rows through one image's buffer: never across two. */
size_t conv_gemm_image_block(size_t i, size_t end, size_t mr, size_t image_rows) {
    const size_t left = image_rows - i % image_rows;
    const size_t count = end - i < mr ? end - i : mr;
    return count < left ? count : left;
}

static void indirect_task(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                          size_t j_len) {
    const struct conv_gemm_run *r = arg;
    const struct conv_gemm *g = r->g;
    size_t done = i;
    for (size_t end = i + i_len; i < end;) {
        const size_t count = conv_gemm_image_block(i, end, g->cfg->mr, g->image_rows);
        indirect_rows(r, thread, i, i % g->image_rows, count, j, j_len);
        done = epilogue_after(r, done, i + count, end, j, j_len);
        i += count;
    }
}

static size_t div_up(size_t a, size_t b) {
    return (a + b - 1) / b;
}

/* Tiles of tile_m rows (a multiple of mr) by tile_n columns (a multiple of nr): a tile's
   packed weights stay in L2 while its rows stream past, and with several threads each gets
   about CONV_GEMM_TILES_PER_THREAD tiles. The sums over K are never split, so every output
   is computed the same way whatever the tiles. */
void conv_gemm_tiles(size_t m, size_t n, size_t mr, size_t nr, size_t panel_bytes,
                     size_t threads, size_t *tile_m, size_t *tile_n) {
    size_t nc = div_up(n, nr) * nr;
    while (nc > nr && (nc / nr) * panel_bytes > CONV_GEMM_L2_PANEL_BYTES)
        nc = div_up(nc / nr, 2) * nr;
    const size_t blocks_m = div_up(m, mr);
    size_t tiles_m = 1;
    if (threads > 1) {
        const size_t want = threads * CONV_GEMM_TILES_PER_THREAD;
        while (nc > nr && blocks_m * div_up(n, nc) < want)
            nc = div_up(nc / nr, 2) * nr;
        tiles_m = div_up(want, div_up(n, nc));
        tiles_m = tiles_m > blocks_m ? blocks_m : tiles_m;
    }
    *tile_m = div_up(blocks_m, tiles_m) * mr;
    *tile_n = nc;
}

void conv_gemm_run(ember_context *ctx, const struct conv_gemm *g, const float *a, float *c) {
    conv_gemm_run_epilogue(ctx, g, a, NULL, c);
}

void conv_gemm_run_epilogue(ember_context *ctx, const struct conv_gemm *g, const float *a,
                            const float *residual, float *c) {
    if (g->m == 0 || g->n == 0)
        return;
    size_t tile_m = 0, tile_n = 0;
    const size_t panel_bytes = (g->k + 1) * EMBER_GEMM_NR * sizeof(float);
    conv_gemm_tiles(g->m, g->n, g->cfg->mr, EMBER_GEMM_NR, panel_bytes, ember_thread_count(ctx),
                    &tile_m, &tile_n);
    const struct conv_gemm_run r = {g, a, residual, c, ctx->scratch};
    ember_parallel_2d(ctx, g->path == CONV_GEMM_DIRECT ? direct_task : indirect_task, &r, g->m,
                      tile_m, g->n, tile_n);
}
