/* BATCH_MATMUL in the OpenCL delegate (kernels/matmul.cl): a [..., M, K] x b [..., K, N]
   with numpy-broadcast batch dims, either operand stored transposed (adj_a: [..., K, M],
   adj_b: [..., N, K]); float32 only, as the CPU kernel (csrc/kernels/batch_matmul.c). */
#include "ops_misc.h"

/* An operand's matrix: its two dims as the product reads them and their element strides. */
typedef struct matrix {
    int32_t rows, cols;
    int32_t row_stride, col_stride;
} matrix;

/* The last two dims of t, read transposed when `adj`. */
static matrix matrix_of(const ember_tensor_info *t, bool adj) {
    const int32_t r = t->dims[t->rank - 2], c = t->dims[t->rank - 1];
    return adj ? (matrix){c, r, 1, c} : (matrix){r, c, c, 1};
}

/* Element stride of t along output batch dim `d` (of `batch` dims), right-aligned: 0 where t
   has no such dim or a size-1 one. */
static int32_t batch_stride(const ember_tensor_info *t, uint32_t batch, uint32_t d) {
    const uint32_t own = t->rank - 2;
    if (d + own < batch)
        return 0;
    const uint32_t at = d + own - batch;
    if (t->dims[at] == 1)
        return 0;
    int32_t step = t->dims[t->rank - 2] * t->dims[t->rank - 1];
    for (uint32_t j = at + 1; j < own; j++)
        step *= t->dims[j];
    return step;
}

static bool matmul_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    if (api->node_io_count(ip, node, 0) != 2 || api->node_io_count(ip, node, 1) != 1)
        return cld_why(why, why_size, "expected 2 inputs and 1 output");
    if (!misc_supports_float(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info a, b, out;
    if (!cld_io(api, ip, node, 0, 0, &t, &a) || !cld_io(api, ip, node, 0, 1, &t, &b) ||
        !cld_io(api, ip, node, 1, 0, &t, &out) || a.rank < 2 || b.rank < 2 || out.rank < 2)
        return cld_why(why, why_size, "operands of rank 2 or more");
    return true;
}

static ember_status matmul_encode(cld_plan *plan, uint32_t node) {
    const ember_core_api *api = cld_api(plan);
    ember_interp *ip = cld_interp(plan);
    misc_tensor a, b, out;
    if (!misc_io(plan, node, 0, 0, &a) || !misc_io(plan, node, 0, 1, &b) ||
        !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    if (a.info.rank < 2 || b.info.rank < 2 || out.info.rank < 2)
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL,
                        "node %u (batch_matmul): operands of rank below 2", (unsigned)node);
    const matrix ma = matrix_of(&a.info, cld_param_int(api, ip, node, "adj_a") != 0);
    const matrix mb = matrix_of(&b.info, cld_param_int(api, ip, node, "adj_b") != 0);
    const uint32_t batch = out.info.rank - 2;
    if (ma.cols != mb.rows || out.info.dims[batch] != ma.rows ||
        out.info.dims[batch + 1] != mb.cols)
        return cld_fail(plan, EMBER_STATUS_INVALID_MODEL,
                        "node %u (batch_matmul): [%d,%d] x [%d,%d] into [%d,%d]",
                        (unsigned)node, (int)ma.rows, (int)ma.cols, (int)mb.rows,
                        (int)mb.cols, (int)out.info.dims[batch], (int)out.info.dims[batch + 1]);
    int32_t tab[1 + 3 * EMBER_MAX_RANK];
    tab[0] = (int32_t)batch;
    for (uint32_t d = 0; d < batch; d++) {
        tab[1 + 3 * d] = out.info.dims[d];
        tab[2 + 3 * d] = batch_stride(&a.info, batch, d);
        tab[3 + 3 * d] = batch_stride(&b.info, batch, d);
    }
    cl_kernel k = cld_kernel(plan, "matmul_batched");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, a.index));
    cld_arg_ref(&args, cld_tensor(plan, b.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_ref(&args, misc_table(plan, tab, 1 + 3 * (size_t)batch));
    cld_arg_int(&args, (int32_t)out.count);
    cld_arg_int(&args, ma.rows);
    cld_arg_int(&args, mb.cols);
    cld_arg_int(&args, ma.cols);
    cld_arg_int(&args, ma.row_stride);
    cld_arg_int(&args, ma.col_stride);
    cld_arg_int(&args, mb.row_stride);
    cld_arg_int(&args, mb.col_stride);
    misc_launch(plan, k, out.count);
    return cld_status(plan);
}

const cld_op misc_op_batch_matmul = {"batch_matmul", matmul_supports, matmul_encode};
