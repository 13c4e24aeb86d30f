/* Pooling and reduction kernels (ops_pool.c): MAX_POOL2D and AVERAGE_POOL2D on NHWC, the
   reductions (MEAN, SUM, REDUCE_MAX/MIN/PROD), SOFTMAX / LOG_SOFTMAX and L2_NORMALIZATION.
   One work item per output element (per row for softmax and L2); launches are rounded up,
   so each kernel first checks its index. Each follows its CPU reference kernel's arithmetic
   (csrc/kernels/). */

#define POOL_MAX 0
#define POOL_AVERAGE 1

#define RED_MEAN 0
#define RED_SUM 1
#define RED_MAX 2
#define RED_MIN 3
#define RED_PROD 4

/* Output cell (b, oy, ox, c), NHWC. Padded taps are skipped: they never win a max, and the
   average divides by the in-image taps unless count_include_pad counts the whole window.
   A window of padding only gives -FLT_MAX (max) or 0 (average), then the clamp. */
__kernel void pool_2d(__global REAL *in, int in_off, __global REAL *out, int out_off, int n,
                      int channels, int in_h, int in_w, int out_h, int out_w, int filter_h,
                      int filter_w, int stride_h, int stride_w, int dilation_h,
                      int dilation_w, int pad_top, int pad_left, int mode,
                      int count_include_pad, float lo, float hi) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    const int4 cell = cld_nhwc_cell(i, channels, out_w, out_h);
    const int b = cell.s0, oy = cell.s1, ox = cell.s2, c = cell.s3;
    const int y0 = oy * stride_h - pad_top, x0 = ox * stride_w - pad_left;
    const int image = in_off + b * in_h * in_w * channels + c;
    float acc = mode == POOL_MAX ? -FLT_MAX : 0.0f;
    int taps = 0;
    for (int ky = 0; ky < filter_h; ky++) {
        const int y = y0 + ky * dilation_h;
        if (y < 0 || y >= in_h)
            continue;
        for (int kx = 0; kx < filter_w; kx++) {
            const int x = x0 + kx * dilation_w;
            if (x < 0 || x >= in_w)
                continue;
            const float v = LOAD(in, image + (y * in_w + x) * channels);
            acc = mode == POOL_MAX ? (v > acc ? v : acc) : acc + v;
            taps++;
        }
    }
    if (mode == POOL_AVERAGE) {
        const int count = count_include_pad ? filter_h * filter_w : taps;
        acc *= count > 0 ? 1.0f / (float)count : 0.0f;
    }
    const float low_cut = acc < lo ? lo : acc;
    STORE(out, out_off + i, low_cut > hi ? hi : low_cut);
}

/* Output cell i of a reduction. The input is seen as up to four kept groups of axes (k*: size
   and element stride, outermost first, padded with size 1) that number the outputs, and up
   to four reduced groups (r*) walked for each. MEAN and SUM add with a compensation term
   (the CPU sums in double); MAX and MIN let a NaN through, as the CPU's. */
__kernel void reduce_axes(__global REAL *in, int in_off, __global REAL *out, int out_off,
                          int n, int op, int count, int k0, int k1, int k2, int k3, int ks0,
                          int ks1, int ks2, int ks3, int r0, int r1, int r2, int r3, int rs0,
                          int rs1, int rs2, int rs3) {
    const int i = get_global_id(0);
    if (i >= n)
        return;
    int rest = i;
    int base = in_off + (rest % k3) * ks3;
    rest /= k3;
    base += (rest % k2) * ks2;
    rest /= k2;
    base += (rest % k1) * ks1;
    base += (rest / k1 % k0) * ks0;
    float acc = op == RED_MAX ? -INFINITY : op == RED_MIN ? INFINITY : op == RED_PROD ? 1.0f
                                                                                     : 0.0f;
    float comp = 0.0f;
    for (int a = 0; a < r0; a++)
        for (int b = 0; b < r1; b++)
            for (int c = 0; c < r2; c++)
                for (int d = 0; d < r3; d++) {
                    const float x = LOAD(in, base + a * rs0 + b * rs1 + c * rs2 + d * rs3);
                    if (op == RED_MAX)
                        acc = x > acc || isnan(x) ? x : acc;
                    else if (op == RED_MIN)
                        acc = x < acc || isnan(x) ? x : acc;
                    else if (op == RED_PROD)
                        acc *= x;
                    else {
                        const float y = x - comp;
                        const float t = acc + y;
                        comp = (t - acc) - y;
                        acc = t;
                    }
                }
    if (op == RED_MEAN)
        acc = count > 0 ? acc / (float)count : NAN;
    STORE(out, out_off + i, acc);
}

/* Row r of a softmax along an axis of n elements `inner` apart: max of beta * x, then the
   sum of exp(beta * x - max), then the outputs (exps recomputed rather than stored, which in
   half storage would lose precision before the division). */
__kernel void softmax_rows(__global REAL *in, int in_off, __global REAL *out, int out_off,
                           int rows, int n, int inner, float beta, int log_softmax) {
    const int r = get_global_id(0);
    if (r >= rows)
        return;
    const int first = (r / inner) * n * inner + r % inner;
    float m = -INFINITY;
    for (int j = 0; j < n; j++) {
        const float z = beta * LOAD(in, in_off + first + j * inner);
        m = z > m ? z : m;
    }
    float sum = 0.0f;
    for (int j = 0; j < n; j++)
        sum += exp(beta * LOAD(in, in_off + first + j * inner) - m);
    const float inv = 1.0f / sum, log_sum = log(sum);
    for (int j = 0; j < n; j++) {
        const float d = beta * LOAD(in, in_off + first + j * inner) - m;
        STORE(out, out_off + first + j * inner, log_softmax ? d - log_sum : exp(d) * inv);
    }
}

/* Row r of L2_NORMALIZATION along the last axis (n elements): x / max(sqrt(sum x^2), 1e-6),
   the sum compensated as reduce_axes' (the CPU sums in double). */
__kernel void l2_rows(__global REAL *in, int in_off, __global REAL *out, int out_off,
                      int rows, int n) {
    const int r = get_global_id(0);
    if (r >= rows)
        return;
    const int first = r * n;
    float sum = 0.0f, comp = 0.0f;
    for (int j = 0; j < n; j++) {
        const float x = LOAD(in, in_off + first + j);
        const float y = x * x - comp;
        const float t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    const float norm = fmax(sqrt(sum), 1e-6f);
    for (int j = 0; j < n; j++)
        STORE(out, out_off + first + j, LOAD(in, in_off + first + j) / norm);
}
