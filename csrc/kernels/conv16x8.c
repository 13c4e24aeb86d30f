/* The fast 16x8 paths of CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED (kernels/conv16x8.h). */
#include "kernels/conv16x8.h"

#include <math.h>
#include <string.h>

#include "kernels/conv_window.h"
#include "threadpool.h"

/* Bytes of L2 one tile's packed weights may fill. */
#define CONV16X8_L2_PANEL_BYTES (256u * 1024u)
/* Tiles per thread when several threads share the work. */
#define CONV16X8_TILES_PER_THREAD 4

enum conv16x8_path { PATH_GEMM, PATH_IGEMM, PATH_DW };

struct conv16x8 {
    enum conv16x8_path path;
    const ember_gemm_qs16x8_config *gemm;
    const ember_dwconv_qs16x8_config *dw;
    size_t m, n, kc, ks; /* output rows (every image) and columns; taps of kc elements */
    size_t a_stride;     /* GEMM: elements between rows of A */
    /* IGEMM and depthwise: output rows per image, input elements per image, and one image's
       ks tap offsets per output row (EMBER_IND_ZERO: padding, read from `zero`) */
    size_t image_rows, image_size;
    size_t *ind;
    int16_t *zero;
    void *packed;
    /* requantization: CONV2D and DEPTHWISE_CONV2D by the int64 fixed-point multiply
       (mult, shift), FULLY_CONNECTED in double (scale) */
    const int32_t *mult, *shift;
    const double *scale;
    int32_t q_min, q_max;
    /* CONV2D and DEPTHWISE_CONV2D: the multipliers in the form `requant` takes */
    ember_requant_qs16x8_fn requant;
    int64_t *reduced, *total;
    size_t tile_m, tile_n, out_w; /* out_w: depthwise rows are out_w pixels */
    size_t slice;                 /* bytes of scratch per thread */
    char variant[48];
};

static ember_status out_of_memory(ember_context *ctx, const ember_node *node) {
    return ember_fail(ctx, EMBER_STATUS_NO_MEMORY, "node %" PRIu32 " (%s): out of memory",
                      node->index, node->op == EMBER_OP_FULLY_CONNECTED ? "fully_connected"
                                   : node->op == EMBER_OP_CONV2D       ? "conv2d"
                                                                       : "depthwise_conv2d");
}

static size_t div_up(size_t a, size_t b) {
    return (a + b - 1) / b;
}

static bool constant(const ember_tensor *t) {
    return t == NULL || (t->is_constant && t->data != NULL);
}

static void name_plan(ember_node *node, struct conv16x8 *p, const char *prefix, const char *n) {
    ember_format(p->variant, sizeof p->variant, "%s%s", prefix, n);
    node->variant = p->variant;
}

/* Tiles of tile_m rows (a multiple of mr) by tile_n columns (a multiple of NR): a tile's
   packed weights stay in L2 while its rows stream past; with several threads each gets a few
   tiles. The sums are never split, so the tiling does not change any output. */
static void plan_tiles(struct conv16x8 *p, size_t threads) {
    const size_t nr = EMBER_GEMM_QS16X8_NR, mr = p->gemm->mr;
    const size_t panel = ember_gemm_qs16x8_packed_size(p->gemm, nr, p->ks, p->kc);
    size_t nc = div_up(p->n, nr) * nr;
    while (nc > nr && (nc / nr) * panel > CONV16X8_L2_PANEL_BYTES)
        nc = div_up(nc / nr, 2) * nr;
    const size_t blocks_m = div_up(p->m, mr);
    size_t tiles_m = 1;
    if (threads > 1) {
        const size_t want = threads * CONV16X8_TILES_PER_THREAD;
        while (nc > nr && blocks_m * div_up(p->n, nc) < want)
            nc = div_up(nc / nr, 2) * nr;
        tiles_m = div_up(want, div_up(p->n, nc));
        tiles_m = tiles_m > blocks_m ? blocks_m : tiles_m;
    }
    p->tile_m = div_up(blocks_m, tiles_m ? tiles_m : 1) * mr;
    p->tile_n = nc;
    p->slice = mr * nc * sizeof(int64_t);
}

/* Packs [n][ks * kc] weights and the bias for the GEMM path and asks for its scratch. */
static ember_status gemm_plan(ember_context *ctx, ember_node *node, struct conv16x8 *p,
                              const int8_t *w, const int64_t *bias) {
    p->packed = ember_alloc(ctx, ember_gemm_qs16x8_packed_size(p->gemm, p->n, p->ks, p->kc));
    if (p->packed == NULL)
        return out_of_memory(ctx, node);
    ember_pack_gemm_qs16x8(p->gemm, p->n, p->ks, p->kc, w, bias, p->packed);
    plan_tiles(p, ember_thread_count(ctx));
    ember_request_scratch(ctx, ember_thread_count(ctx) * p->slice);
    name_plan(node, p, p->path == PATH_IGEMM ? "i" : "", p->gemm->name);
    return EMBER_STATUS_OK;
}

/* One image's tap offsets (ks per output pixel, in the filter's (ky, kx) order) and, after
   them in the same block, the zero vector of kc elements (ember_alloc'd memory is zeroed). */
static ember_status build_ind(ember_context *ctx, const ember_node *node, struct conv16x8 *p,
                              const struct conv16x8_conv *c) {
    const struct conv_window *w = c->win;
    const int32_t in_h = c->in_h, in_w = c->in_w, kh = c->filter_h, kw = c->filter_w;
    const int32_t out_h = c->out_h, out_w = c->out_w;
    const size_t rows = (size_t)out_h * (size_t)out_w;
    if (p->ks == 0 || rows > SIZE_MAX / sizeof(size_t) / p->ks / 2)
        return out_of_memory(ctx, node);
    const size_t ind_bytes = rows * p->ks * sizeof(size_t);
    p->ind = ember_alloc(ctx, ind_bytes + p->kc * sizeof(int16_t));
    if (p->ind == NULL)
        return out_of_memory(ctx, node);
    p->zero = (int16_t *)(void *)((char *)p->ind + ind_bytes);
    size_t *at = p->ind;
    for (int32_t oy = 0; oy < out_h; oy++)
        for (int32_t ox = 0; ox < out_w; ox++)
            for (int32_t ky = 0; ky < kh; ky++) {
                const int64_t y = (int64_t)oy * w->stride_h - w->pad_top +
                                  (int64_t)ky * w->dilation_h;
                for (int32_t kx = 0; kx < kw; kx++) {
                    const int64_t x = (int64_t)ox * w->stride_w - w->pad_left +
                                      (int64_t)kx * w->dilation_w;
                    const bool inside = y >= 0 && y < in_h && x >= 0 && x < in_w;
                    *at++ = inside ? ((size_t)y * (size_t)in_w + (size_t)x) * p->kc
                                   : EMBER_IND_ZERO;
                }
            }
    p->image_rows = rows;
    p->image_size = (size_t)in_h * (size_t)in_w * p->kc;
    return EMBER_STATUS_OK;
}

/* The per-channel constants of p->requant, from the op's multipliers. */
static ember_status requant_plan(ember_context *ctx, const ember_node *node, struct conv16x8 *p,
                                 ember_requant_qs16x8_fn requant) {
    p->requant = requant;
    p->reduced = ember_alloc(ctx, 2 * p->n * sizeof(int64_t));
    if (p->reduced == NULL)
        return out_of_memory(ctx, node);
    p->total = p->reduced + p->n;
    ember_requant_qs16x8_params(p->n, p->mult, p->shift, p->reduced, p->total);
    return EMBER_STATUS_OK;
}

static struct conv16x8 *new_plan(ember_context *ctx, const ember_node *node) {
    struct conv16x8 *p = ember_alloc(ctx, sizeof(*p));
    if (p == NULL)
        out_of_memory(ctx, node);
    return p;
}

ember_status conv16x8_conv2d_prepare(ember_context *ctx, ember_node *node,
                                     const ember_gemm_qs16x8_config *cfg,
                                     const struct conv16x8_conv *c, struct conv16x8 **plan) {
    *plan = NULL;
    const ember_tensor *filter = ember_input(ctx, node, 1), *bias = ember_input(ctx, node, 2);
    const size_t m = (size_t)c->batch * (size_t)c->out_h * (size_t)c->out_w;
    if (cfg == NULL || !constant(filter) || !constant(bias) || m == 0 || c->out_c == 0 ||
        c->in_c == 0)
        return EMBER_STATUS_OK;
    struct conv16x8 *p = new_plan(ctx, node);
    if (p == NULL)
        return EMBER_STATUS_NO_MEMORY;
    const struct conv_window *w = c->win;
    *p = (struct conv16x8){.gemm = cfg, .m = m, .n = (size_t)c->out_c, .kc = (size_t)c->in_c,
                           .ks = (size_t)c->filter_h * (size_t)c->filter_w, .mult = c->mult,
                           .shift = c->shift, .q_min = c->q_min, .q_max = c->q_max};
    const bool pointwise = c->filter_h == 1 && c->filter_w == 1 && w->stride_h == 1 &&
                           w->stride_w == 1 && w->pad_top == 0 && w->pad_left == 0 &&
                           c->out_h == c->in_h && c->out_w == c->in_w;
    ember_status st = requant_plan(ctx, node, p, cfg->requant);
    if (st == EMBER_STATUS_OK && pointwise) {
        p->path = PATH_GEMM;
        p->a_stride = p->kc;
    } else if (st == EMBER_STATUS_OK) {
        p->path = PATH_IGEMM;
        st = build_ind(ctx, node, p, c);
    }
    if (st == EMBER_STATUS_OK)
        st = gemm_plan(ctx, node, p, filter->data, bias ? bias->data : NULL);
    if (st == EMBER_STATUS_OK)
        *plan = p;
    return st;
}

ember_status conv16x8_fully_connected_prepare(ember_context *ctx, ember_node *node,
                                              const ember_gemm_qs16x8_config *cfg,
                                              const struct conv16x8_fc *f,
                                              struct conv16x8 **plan) {
    *plan = NULL;
    const ember_tensor *weights = ember_input(ctx, node, 1), *bias = ember_input(ctx, node, 2);
    if (cfg == NULL || !constant(weights) || !constant(bias) || f->rows == 0)
        return EMBER_STATUS_OK;
    struct conv16x8 *p = new_plan(ctx, node);
    if (p == NULL)
        return EMBER_STATUS_NO_MEMORY;
    *p = (struct conv16x8){.path = PATH_GEMM, .gemm = cfg, .m = f->rows, .n = f->units,
                           .kc = f->depth, .ks = 1, .a_stride = f->depth, .scale = f->scale,
                           .q_min = f->q_min, .q_max = f->q_max};
    ember_status st = gemm_plan(ctx, node, p, weights->data, bias ? bias->data : NULL);
    if (st == EMBER_STATUS_OK)
        *plan = p;
    return st;
}

ember_status conv16x8_depthwise_prepare(ember_context *ctx, ember_node *node,
                                        const ember_dwconv_qs16x8_config *cfg,
                                        const struct conv16x8_conv *c, struct conv16x8 **plan) {
    *plan = NULL;
    const ember_tensor *filter = ember_input(ctx, node, 1), *bias = ember_input(ctx, node, 2);
    const size_t m = (size_t)c->batch * (size_t)c->out_h * (size_t)c->out_w;
    if (cfg == NULL || !constant(filter) || !constant(bias) || m == 0 || c->out_c == 0)
        return EMBER_STATUS_OK;
    struct conv16x8 *p = new_plan(ctx, node);
    if (p == NULL)
        return EMBER_STATUS_NO_MEMORY;
    *p = (struct conv16x8){.path = PATH_DW, .dw = cfg, .m = m, .n = (size_t)c->out_c,
                           .kc = (size_t)c->in_c,
                           .ks = (size_t)c->filter_h * (size_t)c->filter_w, .mult = c->mult,
                           .shift = c->shift, .q_min = c->q_min, .q_max = c->q_max,
                           .out_w = (size_t)c->out_w};
    ember_status st = requant_plan(ctx, node, p, cfg->requant);
    if (st == EMBER_STATUS_OK)
        st = build_ind(ctx, node, p, c);
    if (st != EMBER_STATUS_OK)
        return st;
    p->packed = ember_alloc(ctx, ember_dwconv_qs16x8_packed_size(p->n, p->ks));
    if (p->packed == NULL)
        return out_of_memory(ctx, node);
    ember_pack_dwconv_qs16x8(p->n, p->ks, filter->data, bias ? bias->data : NULL, p->packed);
    /* Per thread: the tap pointers of one pixel and its row of int64 sums. */
    p->slice = div_up(p->ks * sizeof(int16_t *) + p->n * sizeof(int64_t), 64) * 64;
    ember_request_scratch(ctx, ember_thread_count(ctx) * p->slice);
    name_plan(node, p, "", cfg->name);
    *plan = p;
    return EMBER_STATUS_OK;
}

/* Writes row `count` x nc of outputs from the int64 sums, as the op's reference does. */
static void requantize(const struct conv16x8 *p, const int64_t *acc, size_t count, size_t j,
                       size_t nc, size_t acc_stride, int16_t *out) {
    for (size_t i = 0; i < count; i++, acc += acc_stride, out += p->n) {
        if (p->scale != NULL) {
            for (size_t c = 0; c < nc; c++) {
                double v = round((double)acc[c] * p->scale[j + c]);
                v = v < -65536.0 ? -65536.0 : v > 65536.0 ? 65536.0 : v;
                out[c] = (int16_t)ember_clamp_i32((int32_t)v, p->q_min, p->q_max);
            }
            continue;
        }
        p->requant(nc, acc, p->reduced + j, p->total + j, p->q_min, p->q_max, out);
    }
}

struct run_args {
    const struct conv16x8 *p;
    const int16_t *in;
    int16_t *out;
    char *scratch;
};

/* Output rows [i, i + i_len) x columns [j, j + j_len), mr rows per microkernel call, never
   across two images (the indirection buffer covers one). */
static void gemm_task(const void *arg, size_t thread, size_t i, size_t i_len, size_t j,
                      size_t j_len) {
    const struct run_args *r = arg;
    const struct conv16x8 *p = r->p;
    const size_t mr = p->gemm->mr;
    int64_t *acc = (int64_t *)(void *)(r->scratch + thread * p->slice);
    const void *w = (const char *)p->packed +
                    (j / EMBER_GEMM_QS16X8_NR) *
                        ember_gemm_qs16x8_packed_size(p->gemm, EMBER_GEMM_QS16X8_NR, p->ks, p->kc);
    for (size_t end = i + i_len; i < end;) {
        size_t count = end - i < mr ? end - i : mr;
        if (p->path == PATH_GEMM) {
            p->gemm->gemm(count, j_len, p->kc, r->in + i * p->a_stride, p->a_stride, w, acc,
                          j_len);
        } else {
            const size_t row = i % p->image_rows;
            count = count < p->image_rows - row ? count : p->image_rows - row;
            p->gemm->igemm(count, j_len, p->kc, p->ks, p->ind + row * p->ks,
                           r->in + (i / p->image_rows) * p->image_size, p->zero, w, acc, j_len);
        }
        requantize(p, acc, count, j, j_len, j_len, r->out + i * p->n + j);
        i += count;
    }
}

/* Output rows [begin, end) of out_w pixels each, every channel. */
static void dw_task(const void *arg, size_t thread, size_t begin, size_t end) {
    const struct run_args *r = arg;
    const struct conv16x8 *p = r->p;
    const int16_t **taps = (const int16_t **)(void *)(r->scratch + thread * p->slice);
    int64_t *acc = (int64_t *)(void *)(taps + p->ks);
    for (size_t pix = begin * p->out_w; pix < end * p->out_w; pix++) {
        const int16_t *image = r->in + (pix / p->image_rows) * p->image_size;
        const size_t *ind = p->ind + (pix % p->image_rows) * p->ks;
        for (size_t t = 0; t < p->ks; t++)
            taps[t] = ind[t] == EMBER_IND_ZERO ? p->zero : image + ind[t];
        p->dw->run(p->n, p->ks, taps, p->packed, acc);
        requantize(p, acc, 1, 0, p->n, p->n, r->out + pix * p->n);
    }
}

void conv16x8_run(ember_context *ctx, const struct conv16x8 *p, const int16_t *input,
                  int16_t *output) {
    const struct run_args r = {p, input, output, ctx->scratch};
    if (p->path != PATH_DW) {
        ember_parallel_2d(ctx, gemm_task, &r, p->m, p->tile_m, p->n, p->tile_n);
        return;
    }
    const size_t rows = p->m / p->out_w;
    const size_t tiles = ember_thread_count(ctx) * CONV16X8_TILES_PER_THREAD;
    ember_parallel_1d(ctx, dw_task, &r, rows, div_up(rows, tiles));
}
