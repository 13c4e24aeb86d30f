/* The float32 plumbing that runs CONV2D, FULLY_CONNECTED and BATCH_MATMUL on the packed GEMM
   microkernels (csrc/ukernels/gemm.h): weights packed once at prepare, the indirection buffer
   of a convolution, the split of the output into tiles over the thread pool
   (csrc/kernels/conv_gemm.c).

   Three ways to feed rows of A to the microkernel:
   - direct: A is a plain matrix (FULLY_CONNECTED's input, a 1x1 stride-1 convolution's NHWC
     input, BATCH_MATMUL's left operand): row i at a + i * a_stride.
   - indirect (IGEMM): row i of one image is ks taps of kc input channels found through the
     indirection buffer (element offsets within the image, EMBER_IND_ZERO for padding).
   - gather: the same taps copied into per-thread scratch, then a plain GEMM over K = ks * kc;
     for convolutions with few input channels (RGB first layers), where the IGEMM's inner
     loop over kc would be too short to run at speed. */
#ifndef EMBER_KERNELS_CONV_GEMM_H
#define EMBER_KERNELS_CONV_GEMM_H

#include "kernels/conv_window.h"
#include "kernels/kernels.h"
#include "ukernels/gemm.h"

enum conv_gemm_path { CONV_GEMM_DIRECT, CONV_GEMM_INDIRECT, CONV_GEMM_GATHER };

/* Input channels up to which a KxK convolution gathers its rows instead of running IGEMM. */
#define CONV_GEMM_GATHER_MAX_KC 4

struct conv_gemm {
    const ember_gemm_f32_config *cfg; /* NULL: the op runs its reference loop */
    enum conv_gemm_path path;
    size_t m, n, k;        /* rows of C (every image), columns, sum length */
    size_t a_stride;       /* direct: floats between rows of A */
    /* indirect and gather: rows per image (the buffer covers one image), floats per input
       image, taps per row and floats per tap; ind holds image_rows x ks entries */
    size_t image_rows, image_size, ks, kc;
    size_t *ind;
    float *zero;           /* kc zeros, the padding taps' input */
    float *packed;         /* the weights with the bias, in the microkernel's panels */
    ember_minmax_f32 clamp;
    /* NULL, or what each tile's rows run after the microkernel (a residual, SILU, HARD_SWISH;
       kernels/epilogue.h), while they are still in cache; clamp is then +-inf */
    const struct ember_epilogue_f32 *epilogue;
    char variant[48];      /* node->variant points here: path and microkernel */
};

/* The window of a forward convolution over one image, for conv_gemm_indirect. */
struct conv_gemm_window {
    const struct conv_window *win;
    int32_t in_h, in_w, in_c, filter_h, filter_w, out_h, out_w;
};

/* Sets g up for the direct path (rows m, row stride k) without packed weights: the caller
   packs them per invoke into scratch and points g->packed there (a non-constant operand). */
void conv_gemm_direct(struct conv_gemm *g, const ember_gemm_f32_config *cfg, size_t m,
                      size_t n, size_t k, float lo, float hi);
/* Packs W given as [n][k] (with the bias, which may be NULL) for g->cfg into ember_alloc'd
   memory and sets g's GEMM sizes, clamp range and direct path (rows m, row stride k). */
ember_status conv_gemm_pack_nk(ember_context *ctx, const ember_node *node, const char *op,
                               struct conv_gemm *g, size_t m, size_t n, size_t k,
                               const float *w, const float *bias, float lo, float hi);
/* The same for W given as [k][n] (rows of n floats, w_row_stride apart). */
ember_status conv_gemm_pack_kn(ember_context *ctx, const ember_node *node, const char *op,
                               struct conv_gemm *g, size_t m, size_t n, size_t k,
                               const float *w, size_t w_row_stride, float lo, float hi);
/* Switches a packed convolution (k = taps x in_c) to the indirect or gather path: builds the
   indirection buffer of one image and the zero vector, and asks for the gather's scratch. */
ember_status conv_gemm_indirect(ember_context *ctx, const ember_node *node, const char *op,
                                struct conv_gemm *g, const struct conv_gemm_window *cw);
/* The shared parts of the float32 and int8 (kernels/conv_gemm_qs8.h) plans: */
/* Allocates and fills the indirection buffer of one image (out_h x out_w rows of ks taps),
   followed in the same block by zero_bytes of zeroed memory for the zero vector. */
ember_status conv_gemm_ind_build(ember_context *ctx, const ember_node *node, const char *op,
                                 const struct conv_gemm_window *cw, size_t zero_bytes,
                                 size_t **ind, void **zero);
/* Copies `taps` taps of kc elements of `elem` bytes from image (offsets in ind, in elements)
   to rows, one after the other; padding taps (EMBER_IND_ZERO) become bytes equal to fill. */
void conv_gemm_gather(const size_t *ind, size_t taps, size_t kc, size_t elem,
                      const void *image, int fill, void *rows);
/* Rows from i (below end) that one microkernel call of up to mr rows can take without
   crossing from one image's indirection buffer (image_rows rows) into the next. */
size_t conv_gemm_image_block(size_t i, size_t end, size_t mr, size_t image_rows);
/* The tile sizes of an m x n output whose packed weights take panel_bytes per nr columns. */
void conv_gemm_tiles(size_t m, size_t n, size_t mr, size_t nr, size_t panel_bytes,
                     size_t threads, size_t *tile_m, size_t *tile_n);
/* "name", "i" + name or "gather_" + name (path), cut to fit `size` bytes with its NUL. */
void conv_gemm_path_name(char *buf, size_t size, enum conv_gemm_path path, const char *name);
/* Records which microkernel and path the node runs in node->variant ("gemm_...",
   "igemm_...", "gather_gemm_..."), a string kept in g (which lives as long as the node). */
void conv_gemm_name(ember_node *node, struct conv_gemm *g);
/* Computes C = clamp(A x W + bias) for the whole node, split over the thread pool. */
void conv_gemm_run(ember_context *ctx, const struct conv_gemm *g, const float *a, float *c);
/* The same, then g->epilogue (if any) on each tile, adding `residual` (m x n, may be NULL). */
void conv_gemm_run_epilogue(ember_context *ctx, const struct conv_gemm *g, const float *a,
                            const float *residual, float *c);

#endif /* EMBER_KERNELS_CONV_GEMM_H */
