/* The int8 plumbing that runs CONV2D and FULLY_CONNECTED on the int8 GEMM microkernels
   (csrc/ukernels/gemm_qs8.h), the twin of the float32 one (kernels/conv_gemm.h, whose paths,
   indirection buffer, gather and tiles it shares): weights packed once at prepare with the
   input zero point folded into the bias, the output split into tiles over the thread pool.

   - direct: A is the NHWC input itself (a 1x1 stride-1 unpadded convolution, FULLY_CONNECTED).
   - indirect (IGEMM): ks taps of kc input channels per row through the indirection buffer;
     padding taps read a zero vector of kc bytes equal to the input zero point.
   - gather: the same taps copied to per-thread scratch, then a plain GEMM over K = ks * kc
     (few input channels: an RGB first layer).
   The requantization is the microkernels' own (LiteRT's fixed-point multipliers, exact), or,
   when `finish` is set, the op's: the microkernels then give the int32 sums (gemm_i32) and
   finish turns them into bytes (FULLY_CONNECTED's double rescale). */
#ifndef EMBER_KERNELS_CONV_GEMM_QS8_H
#define EMBER_KERNELS_CONV_GEMM_QS8_H

#include "kernels/conv_gemm.h"
#include "ukernels/gemm_qs8.h"

/* Writes row `row`'s outputs of columns [j, j + nc) from their int32 sums (bias included). */
typedef void (*conv_gemm_qs8_finish_fn)(const void *arg, const int32_t *acc, size_t row,
                                        size_t j, size_t nc, int8_t *out);

struct conv_gemm_qs8 {
    const ember_gemm_qs8_config *cfg; /* NULL: the op runs its reference loop */
    enum conv_gemm_path path;
    size_t m, n, k;        /* rows of C (every image), columns, sum length */
    size_t a_stride;       /* direct: bytes between rows of A */
    /* indirect and gather: rows per image (the buffer covers one image), bytes per input
       image, taps per row and channels per tap; ind holds image_rows x ks entries */
    size_t image_rows, image_size, ks, kc;
    size_t *ind;
    int8_t *zero;          /* kc bytes equal to zp_in, the padding taps' input */
    void *packed;          /* the weights in the microkernel's panels */
    size_t panel_bytes;    /* bytes of packed weights per EMBER_GEMM_QS8_NR columns */
    int32_t zp_in;
    ember_qs8_params params;
    conv_gemm_qs8_finish_fn finish; /* NULL: the microkernels requantize */
    const void *finish_arg;
    char variant[48];      /* node->variant points here: path and microkernel */
};

/* Sets g up for the direct path (rows m, row stride k) with cfg, the input zero point and the
   output's zero point and clamp range. */
void conv_gemm_qs8_init(struct conv_gemm_qs8 *g, const ember_gemm_qs8_config *cfg, size_t m,
                        size_t n, size_t k, int32_t zp_in, int32_t out_zp, int32_t qmin,
                        int32_t qmax);
/* Switches a convolution (k = taps x in_c) to the indirect or gather path: builds the
   indirection buffer of one image and the zero vector, and asks for the gather's scratch. */
ember_status conv_gemm_qs8_window(ember_context *ctx, const ember_node *node, const char *op,
                                  struct conv_gemm_qs8 *g, const struct conv_gemm_window *cw);
/* Runs the sums through `finish` instead of the microkernels' requantization (the direct and
   gather paths only; call before conv_gemm_qs8_pack, which then packs no multipliers). */
void conv_gemm_qs8_finish(struct conv_gemm_qs8 *g, conv_gemm_qs8_finish_fn finish,
                          const void *arg);
/* Packs W given as [n][k] (OHWI filters, FULLY_CONNECTED weights) with the bias (NULL: 0) and
   the per-column multipliers mult/shift (ember_quantize_multiplier's form) into ember_alloc'd
   memory, in the layout of g's path. A shift above 31 (which the microkernels cannot apply)
   leaves g->cfg NULL: the op keeps its reference loop. */
ember_status conv_gemm_qs8_pack(ember_context *ctx, const ember_node *node, const char *op,
                                struct conv_gemm_qs8 *g, const int8_t *w, const int32_t *bias,
                                const int32_t *mult, const int32_t *shift);
/* The two halves of conv_gemm_qs8_pack, for weights that change between invokes
   (BATCH_MATMUL's run-time b): alloc, at prepare, takes the packed weights' memory (and the
   scratch the run needs); repack, at eval, packs W (shifts <= 31 or finish set) into it. */
ember_status conv_gemm_qs8_alloc(ember_context *ctx, const ember_node *node, const char *op,
                                 struct conv_gemm_qs8 *g);
void conv_gemm_qs8_repack(const struct conv_gemm_qs8 *g, const int8_t *w, const int32_t *bias,
                          const int32_t *mult, const int32_t *shift);
/* Records the microkernel and path in node->variant ("gemm_qs8_...", "igemm_qs8_...",
   "gather_gemm_qs8_..."). */
void conv_gemm_qs8_name(ember_node *node, struct conv_gemm_qs8 *g);
/* Computes C for the whole node, split over the thread pool. */
void conv_gemm_qs8_run(ember_context *ctx, const struct conv_gemm_qs8 *g, const int8_t *a,
                       int8_t *c);

#endif /* EMBER_KERNELS_CONV_GEMM_QS8_H */
