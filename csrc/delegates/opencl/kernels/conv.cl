/* The convolution family: CONV2D (a GEMM for 1x1 stride-1 unpadded filters, a window kernel
   for the rest), DEPTHWISE_CONV2D, TRANSPOSE_CONV2D and FULLY_CONNECTED (the same GEMM, or
   fc_gemv for 1 to 3 rows, with a layout of its own).
   Activations are NHWC. A work item computes a block of 4 output channels, so ops_conv.c
   repacks each filter so that a block's weights of one input channel are one vector, and the
   blocks of one group side by side: [groups][KH][KW][Cin/groups][blocks][4] with blocks =
   ceil((Cout/groups) / 4), zero past a group's last channel. Neighbouring work items (along
   dimension 0, the blocks) then read neighbouring vectors of weights and the same input
   values. Each bias is padded to [groups][blocks * 4]. Sums stay in float whatever REAL
   stores. */

#ifdef CLD_FP16
#define CONV_LOAD4(p, i) vload_half4(0, (p) + (i))
#else
#define CONV_LOAD4(p, i) vload4(0, (p) + (i))
#endif

/* Adds x[k] * w[k] over `depth` input channels to acc: x one pixel's channels, w[k] the 4
   weights of a block at w + k * w_step. */
float4 conv_dot4(float4 acc, const __global REAL *x, const __global REAL *w, int depth,
                 int w_step) {
    int k = 0;
    for (; k + 4 <= depth; k += 4, w += 4 * w_step) {
        const float4 v = CONV_LOAD4(x, k);
        acc += v.x * CONV_LOAD4(w, 0) + v.y * CONV_LOAD4(w, w_step) +
               v.z * CONV_LOAD4(w, 2 * w_step) + v.w * CONV_LOAD4(w, 3 * w_step);
    }
    for (; k < depth; k++, w += w_step)
        acc += LOAD(x, k) * CONV_LOAD4(w, 0);
    return acc;
}

/* conv_dot4 for 4 pixels at once, each weight vector loaded once for all four. A pixel whose
   `live` is 0 adds nothing (its pointer must still be a valid row). */
void conv_dot4x4(float4 *acc, const __global REAL *x0, const __global REAL *x1,
                 const __global REAL *x2, const __global REAL *x3, int4 live,
                 const __global REAL *w, int depth, int w_step) {
    int k = 0;
    for (; k + 4 <= depth; k += 4, w += 4 * w_step) {
        const float4 w0 = CONV_LOAD4(w, 0), w1 = CONV_LOAD4(w, w_step);
        const float4 w2 = CONV_LOAD4(w, 2 * w_step), w3 = CONV_LOAD4(w, 3 * w_step);
        const float4 v0 = live.x ? CONV_LOAD4(x0, k) : (float4)(0.0f);
        const float4 v1 = live.y ? CONV_LOAD4(x1, k) : (float4)(0.0f);
        const float4 v2 = live.z ? CONV_LOAD4(x2, k) : (float4)(0.0f);
        const float4 v3 = live.w ? CONV_LOAD4(x3, k) : (float4)(0.0f);
        acc[0] += v0.x * w0 + v0.y * w1 + v0.z * w2 + v0.w * w3;
        acc[1] += v1.x * w0 + v1.y * w1 + v1.z * w2 + v1.w * w3;
        acc[2] += v2.x * w0 + v2.y * w1 + v2.z * w2 + v2.w * w3;
        acc[3] += v3.x * w0 + v3.y * w1 + v3.z * w2 + v3.w * w3;
    }
    for (; k < depth; k++, w += w_step) {
        const float4 wk = CONV_LOAD4(w, 0);
        acc[0] += (live.x ? LOAD(x0, k) : 0.0f) * wk;
        acc[1] += (live.y ? LOAD(x1, k) : 0.0f) * wk;
        acc[2] += (live.z ? LOAD(x2, k) : 0.0f) * wk;
        acc[3] += (live.w ? LOAD(x3, k) : 0.0f) * wk;
    }
}

/* out[at] = act(v + res[at]) (the residual only with has_res), as the CPU's epilogue. */
void conv_store1(__global REAL *out, int at, float v, const __global REAL *res, int has_res,
                 int act) {
    const float r = has_res ? LOAD(res, at) : 0.0f;
    STORE(out, at, cld_act(v + r, act));
}

/* Writes the first `lanes` (1 to 4) channels of v at out[at...]. Spelled out lane by lane:
   a vector indexed by a run-time lane would leave the registers on GPUs. */
void conv_store4(__global REAL *out, int at, float4 v, int lanes, const __global REAL *res,
                 int has_res, int act) {
    conv_store1(out, at, v.x, res, has_res, act);
    if (lanes > 1)
        conv_store1(out, at + 1, v.y, res, has_res, act);
    if (lanes > 2)
        conv_store1(out, at + 2, v.z, res, has_res, act);
    if (lanes > 3)
        conv_store1(out, at + 3, v.w, res, has_res, act);
}

/* out[m][n] = act(sum_k in[m][k] w[n][k] + bias[n] + res[m][n]) over `rows` rows of `depth`:
   FULLY_CONNECTED and the pointwise CONV2D (rows = pixels). Work item (block, tile): channels
   4 * block.. and rows 4 * tile..; rows past the end read the last row and store nothing. */
__kernel void conv_gemm(__global const REAL *in, int in_off, __global const REAL *w, int w_off,
                        __global const REAL *bias, int bias_off, __global const REAL *res,
                        int res_off, __global REAL *out, int out_off, int rows, int depth,
                        int channels, int has_res, int act) {
    const int block = get_global_id(0);
    const int row0 = get_global_id(1) * 4;
    in += in_off;
    out += out_off;
    res += res_off;
    const float4 b = CONV_LOAD4(bias + bias_off, 4 * block);
    float4 acc[4] = {b, b, b, b};
    conv_dot4x4(acc, in + min(row0, rows - 1) * depth, in + min(row0 + 1, rows - 1) * depth,
                in + min(row0 + 2, rows - 1) * depth, in + min(row0 + 3, rows - 1) * depth,
                (int4)(1), w + w_off + 4 * block, depth, (channels + 3) / 4 * 4);
    const int lanes = min(4, channels - 4 * block);
    for (int j = 0; j < 4; j++) /* a fixed count, which compilers unroll */
        if (row0 + j < rows)
            conv_store4(out, (row0 + j) * channels + 4 * block, acc[j], lanes, res, has_res,
                        act);
}

/* x[k] and, while under depth, x[k + 1] and x[k + 2]; zero past depth: fc_gemv's last,
   partial block of 4 inputs, read without passing the row's end. */
float4 fc_tail4(const __global REAL *x, int k, int depth) {
    return (float4)(LOAD(x, k), k + 1 < depth ? LOAD(x, k + 1) : 0.0f,
                    k + 2 < depth ? LOAD(x, k + 2) : 0.0f, 0.0f);
}

/* FULLY_CONNECTED of 1 to 3 rows (a batch-1 classifier head), where conv_gemm's tile of 4
   rows would waste most of each work item: work item n computes channel n of every row over
   the whole depth. ops_conv.c packs the weights [ceil(depth / 4)][channels][4], zero past
   depth, so that at each step neighbouring work items read neighbouring vectors (a warp's
   loads coalesce) and all of them the same input values. The bias is [channels]. Rows past
   `rows` read the last row and store nothing. */
__kernel void fc_gemv(__global const REAL *in, int in_off, __global const REAL *w, int w_off,
                      __global const REAL *bias, int bias_off, __global REAL *out,
                      int out_off, int rows, int depth, int channels, int act) {
    const int n = get_global_id(0);
    const __global REAL *x0 = in + in_off;
    const __global REAL *x1 = x0 + min(1, rows - 1) * depth;
    const __global REAL *x2 = x0 + min(2, rows - 1) * depth;
    const __global REAL *wn = w + w_off + 4 * n;
    const int full = depth / 4 * 4;
    float4 acc0 = (float4)(0.0f), acc1 = (float4)(0.0f), acc2 = (float4)(0.0f);
    for (int k = 0; k < full; k += 4, wn += 4 * channels) {
        const float4 wk = CONV_LOAD4(wn, 0);
        acc0 += CONV_LOAD4(x0, k) * wk;
        acc1 += CONV_LOAD4(x1, k) * wk;
        acc2 += CONV_LOAD4(x2, k) * wk;
    }
    if (full < depth) {
        const float4 wk = CONV_LOAD4(wn, 0);
        acc0 += fc_tail4(x0, full, depth) * wk;
        acc1 += fc_tail4(x1, full, depth) * wk;
        acc2 += fc_tail4(x2, full, depth) * wk;
    }
    const float b = LOAD(bias + bias_off, n);
    const float4 one = (float4)(1.0f);
    out += out_off;
    conv_store1(out, n, dot(acc0, one) + b, out, 0, act);
    if (rows > 1)
        conv_store1(out, channels + n, dot(acc1, one) + b, out, 0, act);
    if (rows > 2)
        conv_store1(out, 2 * channels + n, dot(acc2, one) + b, out, 0, act);
}

/* CONV2D with any window: output [N,OH,OW,Cout] from input [N,H,W,Cin], zero padding,
   strides, dilations and groups (group_in, group_out channels each). Work item (group and
   block, column tile, batch and row): 4 channels x 4 output columns. The window arguments
   are the same eight ints in all three window kernels, in one order. */
__kernel void conv2d_window(__global const REAL *in, int in_off, __global const REAL *w,
                            int w_off, __global const REAL *bias, int bias_off,
                            __global const REAL *res, int res_off, __global REAL *out,
                            int out_off, int in_h, int in_w, int in_c, int out_h, int out_w,
                            int out_c, int stride_h, int stride_w, int dilation_h,
                            int dilation_w, int pad_top, int pad_left, int filter_h,
                            int filter_w, int group_in, int group_out, int has_res, int act) {
    const int blocks = (group_out + 3) / 4;
    const int g = get_global_id(0) / blocks, block = get_global_id(0) % blocks;
    const int ox0 = get_global_id(1) * 4;
    const int n = get_global_id(2) / out_h, oy = get_global_id(2) % out_h;
    const int w_step = blocks * 4; /* from one input channel's weights to the next */
    const __global REAL *wb =
        w + w_off + g * filter_h * filter_w * group_in * w_step + 4 * block;
    const __global REAL *src = in + in_off + n * in_h * in_w * in_c + g * group_in;
    const float4 b = CONV_LOAD4(bias + bias_off, 4 * (g * blocks + block));
    float4 acc[4] = {b, b, b, b};
    for (int ky = 0; ky < filter_h; ky++) {
        const int iy = oy * stride_h - pad_top + ky * dilation_h;
        if (iy < 0 || iy >= in_h)
            continue;
        const __global REAL *row = src + iy * in_w * in_c;
        for (int kx = 0; kx < filter_w; kx++) {
            const int4 ix = (ox0 + (int4)(0, 1, 2, 3)) * stride_w - pad_left + kx * dilation_w;
            const int4 live = ix >= 0 && ix < in_w;
            const int4 at = clamp(ix, 0, in_w - 1) * in_c;
            conv_dot4x4(acc, row + at.x, row + at.y, row + at.z, row + at.w, live,
                        wb + (ky * filter_w + kx) * group_in * w_step, group_in, w_step);
        }
    }
    const int lanes = min(4, group_out - 4 * block);
    const int oc = g * group_out + 4 * block;
    for (int j = 0; j < 4; j++) {
        const int at = ((n * out_h + oy) * out_w + ox0 + j) * out_c + oc;
        if (ox0 + j < out_w)
            conv_store4(out + out_off, at, acc[j], lanes, res + res_off, has_res, act);
    }
}

/* DEPTHWISE_CONV2D: output channel oc = c * multiplier + m reads input channel c. Weights
   [KH][KW][padded] and bias [padded], padded = Cout rounded up to 4. Work item (block,
   column, batch and row): 4 consecutive output channels of one pixel. the window as above. */
__kernel void depthwise_conv2d(__global const REAL *in, int in_off, __global const REAL *w,
                               int w_off, __global const REAL *bias, int bias_off,
                               __global REAL *out, int out_off, int in_h, int in_w, int in_c,
                               int out_h, int out_w, int out_c, int stride_h, int stride_w,
                               int dilation_h, int dilation_w, int pad_top, int pad_left,
                               int filter_h, int filter_w, int multiplier, int act) {
    const int oc = get_global_id(0) * 4;
    const int ox = get_global_id(1);
    const int n = get_global_id(2) / out_h, oy = get_global_id(2) % out_h;
    const int padded = (out_c + 3) / 4 * 4;
    /* Each lane's input channel; lanes past the last channel read a valid one. */
    const int4 ic = min(oc + (int4)(0, 1, 2, 3), out_c - 1) / multiplier;
    const bool contiguous = multiplier == 1 && oc + 4 <= in_c;
    const __global REAL *src = in + in_off + n * in_h * in_w * in_c;
    float4 acc = CONV_LOAD4(bias + bias_off, oc);
    for (int ky = 0; ky < filter_h; ky++) {
        const int iy = oy * stride_h - pad_top + ky * dilation_h;
        if (iy < 0 || iy >= in_h)
            continue;
        for (int kx = 0; kx < filter_w; kx++) {
            const int ix = ox * stride_w - pad_left + kx * dilation_w;
            if (ix < 0 || ix >= in_w)
                continue;
            const __global REAL *p = src + (iy * in_w + ix) * in_c;
            const float4 v = contiguous ? CONV_LOAD4(p, oc)
                                        : (float4)(LOAD(p, ic.x), LOAD(p, ic.y), LOAD(p, ic.z),
                                                   LOAD(p, ic.w));
            acc += v * CONV_LOAD4(w + w_off, (ky * filter_w + kx) * padded + oc);
        }
    }
    conv_store4(out + out_off, ((n * out_h + oy) * out_w + ox) * out_c + oc, acc,
                min(4, out_c - oc), out, 0, act);
}

/* TRANSPOSE_CONV2D (ONNX ConvTranspose) as a gather: output pixel (oy, ox) sums input pixel
   (iy, ix) through tap (ky, kx) where iy * stride_h - pad_top + ky * dilation_h = oy (and
   likewise along x). Weights packed as conv2d_window's (the filter is OHWI too). Work item
   (group and block, column, batch and row): 4 channels of one pixel. */
__kernel void transpose_conv2d(__global const REAL *in, int in_off, __global const REAL *w,
                               int w_off, __global const REAL *bias, int bias_off,
                               __global REAL *out, int out_off, int in_h, int in_w, int in_c,
                               int out_h, int out_w, int out_c, int stride_h, int stride_w,
                               int dilation_h, int dilation_w, int pad_top, int pad_left,
                               int filter_h, int filter_w, int group_in, int group_out,
                               int act) {
    const int blocks = (group_out + 3) / 4;
    const int g = get_global_id(0) / blocks, block = get_global_id(0) % blocks;
    const int ox = get_global_id(1);
    const int n = get_global_id(2) / out_h, oy = get_global_id(2) % out_h;
    const int w_step = blocks * 4;
    const __global REAL *wb =
        w + w_off + g * filter_h * filter_w * group_in * w_step + 4 * block;
    const __global REAL *src = in + in_off + n * in_h * in_w * in_c + g * group_in;
    float4 acc = CONV_LOAD4(bias + bias_off, 4 * (g * blocks + block));
    for (int ky = 0; ky < filter_h; ky++) {
        const int ty = oy + pad_top - ky * dilation_h;
        if (ty < 0 || ty % stride_h != 0 || ty / stride_h >= in_h)
            continue;
        for (int kx = 0; kx < filter_w; kx++) {
            const int tx = ox + pad_left - kx * dilation_w;
            if (tx < 0 || tx % stride_w != 0 || tx / stride_w >= in_w)
                continue;
            acc = conv_dot4(acc, src + ((ty / stride_h) * in_w + tx / stride_w) * in_c,
                            wb + (ky * filter_w + kx) * group_in * w_step, group_in, w_step);
        }
    }
    const int oc = g * group_out + 4 * block;
    conv_store4(out + out_off, ((n * out_h + oy) * out_w + ox) * out_c + oc, acc,
                min(4, group_out - 4 * block), out, 0, act);
}
