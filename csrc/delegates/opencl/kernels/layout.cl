/* Layout kernels (ops_layout.c, ops_resize.c): RESHAPE (a copy), CONCATENATION, TRANSPOSE,
   SLICE and SPLIT (a strided view), GATHER, PAD and RESIZE. One work item per output element;
   launches are rounded up, so each kernel first checks its index against n. Index tables come
   as int32 buffers (tab, tab_off), float values in them as their bits (as_float), so they keep
   float32 precision in fp16 plans too. */

__kernel void layout_copy(__global REAL *in, int in_off, __global REAL *out, int out_off,
                          int n) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    STORE(out, out_off + i, LOAD(in, in_off + i));
}

/* One input of a concatenation: element i lies in chunk i / chunk (the product of the dims
   before the axis) at i % chunk, which the output holds out_chunk apart from `start` on;
   then the fused activation's clamp (as the CPU's, NaN passing). */
__kernel void layout_concat(__global REAL *in, int in_off, __global REAL *out, int out_off,
                            int n, int chunk, int out_chunk, int start, float lo, float hi) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    const float v = LOAD(in, in_off + i);
    const float low_cut = v < lo ? lo : v;
    STORE(out, out_off + start + (i / chunk) * out_chunk + i % chunk,
          low_cut > hi ? hi : low_cut);
}

/* out[i] = in[first + sum of index_d * stride_d] over the output's dims. tab: the rank r,
   then per output dim, outermost first, its size and the input element stride it steps. */
__kernel void layout_strided(__global REAL *in, int in_off, __global REAL *out, int out_off,
                             __global const int *tab, int tab_off, int n, int first) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    __global const int *t = tab + tab_off;
    int rest = i, src = in_off + first;
    for (int d = t[0] - 1; d >= 0; d--) {
        const int size = t[1 + 2 * d];
        src += (rest % size) * t[2 + 2 * d];
        rest /= size;
    }
    STORE(out, out_off + i, LOAD(in, src));
}

/* GATHER by constant indices: output cell (o, k, j) is input cell (o, tab[k], j), o before
   the axis, k the index's position, j the cells after the axis (tab: the indices, made
   non-negative). */
__kernel void layout_pick(__global REAL *in, int in_off, __global REAL *out, int out_off,
                          __global const int *tab, int tab_off, int n, int picks,
                          int axis_dim, int inner) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    const int j = i % inner, rest = i / inner;
    const int src = (rest / picks * axis_dim + tab[tab_off + rest % picks]) * inner + j;
    STORE(out, out_off + i, LOAD(in, in_off + src));
}

/* PAD: tab holds the rank r, then per dim, outermost first, the output size, the input
   size, the pad before and the input stride. Outside the input a cell is the constant, the
   mirror image without the edge (mode 1) or the edge (mode 2). */
__kernel void layout_pad(__global REAL *in, int in_off, __global REAL *out, int out_off,
                         __global const int *tab, int tab_off, int n, int mode, float value) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    __global const int *t = tab + tab_off;
    int rest = i, src = in_off;
    for (int d = t[0] - 1; d >= 0; d--) {
        __global const int *e = t + 1 + 4 * d;
        const int o = rest % e[0];
        rest /= e[0];
        int k = o - e[2];
        if (k < 0 || k >= e[1]) {
            if (mode == 0) {
                STORE(out, out_off + i, value);
                return;
            }
            k = mode == 2 ? (k < 0 ? 0 : e[1] - 1) : (k < 0 ? -k : 2 * (e[1] - 1) - k);
        }
        src += k * e[3];
    }
    STORE(out, out_off + i, LOAD(in, src));
}

/* RESIZE of NHWC, nearest (linear 0) or bilinear (linear 1), from per-axis tables the host
   filled with the CPU kernel's coordinate arithmetic: tab holds for the rows (out_h each)
   the low cell, the high cell and the weight of the high one, then the same for the columns
   (out_w each). */
__kernel void layout_resize(__global REAL *in, int in_off, __global REAL *out, int out_off,
                            __global const int *tab, int tab_off, int n, int channels,
                            int in_h, int in_w, int out_h, int out_w, int linear) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    __global const int *t = tab + tab_off;
    const int4 cell = cld_nhwc_cell(i, channels, out_w, out_h);
    const int b = cell.s0, oy = cell.s1, ox = cell.s2, c = cell.s3;
    __global const int *cols = t + 3 * out_h;
    const int image = in_off + b * in_h * in_w * channels + c;
    const int r0 = image + t[oy] * in_w * channels, x0 = cols[ox] * channels;
    if (!linear) {
        STORE(out, out_off + i, LOAD(in, r0 + x0));
        return;
    }
    const int r1 = image + t[out_h + oy] * in_w * channels, x1 = cols[out_w + ox] * channels;
    const float wy = as_float(t[2 * out_h + oy]), wx = as_float(cols[2 * out_w + ox]);
    const float a = LOAD(in, r0 + x0), top = a + wx * (LOAD(in, r0 + x1) - a);
    const float d = LOAD(in, r1 + x0), bottom = d + wx * (LOAD(in, r1 + x1) - d);
    STORE(out, out_off + i, top + wy * (bottom - top));
}

/* RESIZE through general separable filters (cubic, antialias, crop-and-resize): tab holds,
   for the rows, ky cells per output row (a first cell of -1: the source lies off the image,
   the output is `extrapolation`), then their ky weights each, then the same for the columns
   with kx. */
__kernel void layout_resize_taps(__global REAL *in, int in_off, __global REAL *out,
                                 int out_off, __global const int *tab, int tab_off, int n,
                                 int channels, int in_h, int in_w, int out_h, int out_w,
                                 int ky, int kx, float extrapolation) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    __global const int *t = tab + tab_off;
    const int4 cell = cld_nhwc_cell(i, channels, out_w, out_h);
    const int b = cell.s0, oy = cell.s1, ox = cell.s2, c = cell.s3;
    __global const int *cy = t + oy * ky;
    __global const int *wy = t + out_h * ky + oy * ky;
    __global const int *cx = t + 2 * out_h * ky + ox * kx;
    __global const int *wx = t + 2 * out_h * ky + out_w * kx + ox * kx;
    if (cy[0] < 0 || cx[0] < 0) {
        STORE(out, out_off + i, extrapolation);
        return;
    }
    const int image = in_off + b * in_h * in_w * channels + c;
    float acc = 0.0f;
    for (int a = 0; a < ky; a++) {
        const int row = image + cy[a] * in_w * channels;
        float inner = 0.0f;
        for (int k = 0; k < kx; k++)
            inner += as_float(wx[k]) * LOAD(in, row + cx[k] * channels);
        acc += as_float(wy[a]) * inner;
    }
    STORE(out, out_off + i, acc);
}
