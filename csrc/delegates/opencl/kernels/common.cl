/* Shared by every kernel file (concatenated first into the one program). The build options
   define REAL: float, or half with CLD_FP16 (half only as storage: values are loaded into float
   registers and every computation is in float, so no cl_khr_fp16 is needed). */

#ifdef CLD_FP16
#define LOAD(ptr, i) vload_half((size_t)(i), (ptr))
#define STORE(ptr, i, v) vstore_half((float)(v), (size_t)(i), (ptr))
#else
#define LOAD(ptr, i) ((float)(ptr)[(i)])
#define STORE(ptr, i, v) ((ptr)[(i)] = (float)(v))
#endif

/* The schema's FusedActivation values. */
#define CLD_ACT_NONE 0
#define CLD_ACT_RELU 1
#define CLD_ACT_RELU6 2
#define CLD_ACT_RELU_N1_TO_1 3
#define CLD_ACT_SILU 4
#define CLD_ACT_HARD_SWISH 5

/* The fused activation `act` applied to x, as the CPU kernels do (SILU x * sigmoid(x),
   HARD_SWISH x * relu6(x + 3) / 6). */
float cld_act(float x, int act) {
    switch (act) {
    case CLD_ACT_RELU:
        return fmax(x, 0.0f);
    case CLD_ACT_RELU6:
        return clamp(x, 0.0f, 6.0f);
    case CLD_ACT_RELU_N1_TO_1:
        return clamp(x, -1.0f, 1.0f);
    case CLD_ACT_SILU:
        return x / (1.0f + exp(-x));
    case CLD_ACT_HARD_SWISH:
        return x * clamp(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
    default:
        return x;
    }
}

/* The NHWC coordinates (batch, y, x, channel) of element i of a [*][height][width][channels]
   tensor, for kernels with one work item per output cell. */
int4 cld_nhwc_cell(int i, int channels, int width, int height) {
    const int c = i % channels;
    int rest = i / channels;
    const int x = rest % width;
    rest /= width;
    return (int4)(rest / height, rest % height, x, c);
}

/* Adds to *a and *b the offsets of flat index `rest` of a broadcast table t (the rank, then
   per dim, outermost first, its size and the element strides of a and b along it), as the
   element-wise and batched matmul kernels lay out their operands. */
void cld_broadcast_offsets(__global const int *t, int rest, int *a, int *b) {
    for (int d = t[0] - 1; d >= 0; d--) {
        const int size = t[1 + 3 * d];
        const int k = rest % size;
        rest /= size;
        *a += k * t[2 + 3 * d];
        *b += k * t[3 + 3 * d];
    }
}
