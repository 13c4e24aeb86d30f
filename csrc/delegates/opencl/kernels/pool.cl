/* Pooling and reduction kernels (ops_pool.c): MAX_POOL2D and AVERAGE_POOL2D on NHWC, the
   reductions (MEAN, SUM, REDUCE_MAX/MIN/PROD), SOFTMAX / LOG_SOFTMAX and L2_NORMALIZATION.
   One work item per output element (per row for softmax and L2); launches are rounded up,
   so each kernel first checks its index. The *_group kernels do the same reductions with one
   work-group per output (or row), for long reductions with few outputs, which one work item
   each would run nearly serially. Each follows its CPU reference kernel's arithmetic
   (csrc/kernels/). */

#define POOL_MAX 0
#define POOL_AVERAGE 1

#define RED_MEAN 0
#define RED_SUM 1
#define RED_MAX 2
#define RED_MIN 3
#define RED_PROD 4

/* The most work items of a *_group kernel's work-group: the size of its __local arrays
   (ops_pool.c picks a power of two up to it). */
#define RED_GROUP 256

/* acc combined with x by MAX, MIN or PROD. MAX and MIN let a NaN through and keep it, as the
   CPU's kernels do. */
float red_step(float acc, float x, int op) {
    if (op == RED_MAX)
        return x > acc || isnan(x) ? x : acc;
    if (op == RED_MIN)
        return x < acc || isnan(x) ? x : acc;
    return acc * x;
}

/* The work-group's values x (one per work item) combined by red_step, lower work items'
   values first, in a tree in `part` (RED_GROUP floats); every work item gets the result.
   Called by every work item of the group (barriers). */
float group_combine(__local float *part, float x, int op) {
    const int lid = get_local_id(0);
    part[lid] = x;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = get_local_size(0) / 2; width > 0; width /= 2) {
        if (lid < width)
            part[lid] = red_step(part[lid], part[lid + width], op);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float result = part[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* everyone has read part[0] before part is reused */
    return result;
}

/* The work-group's sum of the values sum + err (one pair per work item, err a compensation
   term) in a tree that keeps each addition's rounding error (TwoSum) in `errs`, so the result
   is as accurate as the work items' compensated sums. Called by every work item. */
float group_sum(__local float *sums, __local float *errs, float sum, float err) {
    const int lid = get_local_id(0);
    sums[lid] = sum;
    errs[lid] = err;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = get_local_size(0) / 2; width > 0; width /= 2) {
        if (lid < width) {
            const float a = sums[lid], b = sums[lid + width];
            const float t = a + b, b_part = t - a;
            /* an infinite sum has no rounding error, and TwoSum's would be NaN */
            const float rounding = isfinite(t) ? (a - (t - b_part)) + (b - b_part) : 0.0f;
            sums[lid] = t;
            errs[lid] += errs[lid + width] + rounding;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float result = sums[0] + errs[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return result;
}

/* One step of a compensated (Kahan) sum: *sum + *comp's correction + x. The exact total is
   about *sum - *comp. Once the sum is infinite the compensation stays 0 (inf - inf would make
   it NaN, and the sum with it, where the CPU's double sum stays infinite). */
void kahan_add(float *sum, float *comp, float x) {
    const float y = x - *comp;
    const float t = *sum + y;
    *comp = isfinite(t) ? (t - *sum) - y : 0.0f;
    *sum = t;
}

/* The first input element of reduction output i: i numbered over the kept groups (sizes k*,
   element strides ks*, outermost first). */
int red_base(int i, int k0, int k1, int k2, int k3, int ks0, int ks1, int ks2, int ks3) {
    int rest = i;
    int base = (rest % k3) * ks3;
    rest /= k3;
    base += (rest % k2) * ks2;
    rest /= k2;
    base += (rest % k1) * ks1;
    return base + (rest / k1 % k0) * ks0;
}

float red_start(int op) {
    return op == RED_MAX ? -INFINITY : op == RED_MIN ? INFINITY : op == RED_PROD ? 1.0f : 0.0f;
}

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
    const int base = in_off + red_base(i, k0, k1, k2, k3, ks0, ks1, ks2, ks3);
    float acc = red_start(op);
    float comp = 0.0f;
    for (int a = 0; a < r0; a++)
        for (int b = 0; b < r1; b++)
            for (int c = 0; c < r2; c++)
                for (int d = 0; d < r3; d++) {
                    const float x = LOAD(in, base + a * rs0 + b * rs1 + c * rs2 + d * rs3);
                    if (op == RED_MEAN || op == RED_SUM)
                        kahan_add(&acc, &comp, x);
                    else
                        acc = red_step(acc, x, op);
                }
    if (op == RED_MEAN)
        acc = count > 0 ? acc / (float)count : NAN;
    STORE(out, out_off + i, acc);
}

/* reduce_axes with one work-group per output (the group id): the work items take every
   local-size-th of the `count` reduced cells, then combine their partial results in __local
   memory. Launched with exactly n groups, so the check on i leaves whole groups. */
__kernel void reduce_axes_group(__global REAL *in, int in_off, __global REAL *out,
                                int out_off, int n, int op, int count, int k0, int k1, int k2,
                                int k3, int ks0, int ks1, int ks2, int ks3, int r0, int r1,
                                int r2, int r3, int rs0, int rs1, int rs2, int rs3) {
    __local float part[RED_GROUP], errs[RED_GROUP];
    const int i = get_group_id(0), lid = get_local_id(0), step = get_local_size(0);
    if (i >= n)
        return;
    const int base = in_off + red_base(i, k0, k1, k2, k3, ks0, ks1, ks2, ks3);
    float acc = red_start(op);
    float comp = 0.0f;
    for (int j = lid; j < count; j += step) {
        int rest = j;
        int at = base + (rest % r3) * rs3;
        rest /= r3;
        at += (rest % r2) * rs2;
        rest /= r2;
        at += (rest % r1) * rs1;
        at += (rest / r1 % r0) * rs0;
        const float x = LOAD(in, at);
        if (op == RED_MEAN || op == RED_SUM)
            kahan_add(&acc, &comp, x);
        else
            acc = red_step(acc, x, op);
    }
    acc = op == RED_MEAN || op == RED_SUM ? group_sum(part, errs, acc, -comp)
                                          : group_combine(part, acc, op);
    if (op == RED_MEAN)
        acc = count > 0 ? acc / (float)count : NAN;
    if (lid == 0)
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
        kahan_add(&sum, &comp, x * x);
    }
    const float norm = fmax(sqrt(sum), 1e-6f);
    for (int j = 0; j < n; j++)
        STORE(out, out_off + first + j, LOAD(in, in_off + first + j) / norm);
}

/* softmax_rows with one work-group per row (the group id), each pass strided over the work
   items and combined in __local memory (the sum of exps compensated). */
__kernel void softmax_rows_group(__global REAL *in, int in_off, __global REAL *out,
                                 int out_off, int rows, int n, int inner, float beta,
                                 int log_softmax) {
    __local float part[RED_GROUP], errs[RED_GROUP];
    const int r = get_group_id(0), lid = get_local_id(0), step = get_local_size(0);
    if (r >= rows)
        return;
    const int first = (r / inner) * n * inner + r % inner;
    /* a NaN input makes every output NaN either way: through the max here, through the sum
       in softmax_rows */
    float m = -INFINITY;
    for (int j = lid; j < n; j += step)
        m = red_step(m, beta * LOAD(in, in_off + first + j * inner), RED_MAX);
    m = group_combine(part, m, RED_MAX);
    float sum = 0.0f, comp = 0.0f;
    for (int j = lid; j < n; j += step)
        kahan_add(&sum, &comp, exp(beta * LOAD(in, in_off + first + j * inner) - m));
    sum = group_sum(part, errs, sum, -comp);
    const float inv = 1.0f / sum, log_sum = log(sum);
    for (int j = lid; j < n; j += step) {
        const float d = beta * LOAD(in, in_off + first + j * inner) - m;
        STORE(out, out_off + first + j * inner, log_softmax ? d - log_sum : exp(d) * inv);
    }
}

/* l2_rows with one work-group per row (the group id). */
__kernel void l2_rows_group(__global REAL *in, int in_off, __global REAL *out, int out_off,
                            int rows, int n) {
    __local float part[RED_GROUP], errs[RED_GROUP];
    const int r = get_group_id(0), lid = get_local_id(0), step = get_local_size(0);
    if (r >= rows)
        return;
    const int first = r * n;
    float sum = 0.0f, comp = 0.0f;
    for (int j = lid; j < n; j += step) {
        const float x = LOAD(in, in_off + first + j);
        kahan_add(&sum, &comp, x * x);
    }
    const float norm = fmax(sqrt(group_sum(part, errs, sum, -comp)), 1e-6f);
    for (int j = lid; j < n; j += step)
        STORE(out, out_off + first + j, LOAD(in, in_off + first + j) / norm);
}
