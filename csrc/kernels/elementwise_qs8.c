/* The int8 element-wise microkernels over a node's tensors (see elementwise_qs8.h). */
#include "kernels/elementwise_qs8.h"
#include "threadpool.h"

void ember_binary_qs8_select(ember_context *ctx, ember_node *node, ember_vbinary_op op, bool ok,
                             ember_binary_qs8 *k) {
    k->ops = ok ? ember_vbinary_qs8_select(ctx, op) : NULL;
    k->lut = NULL;
    if (k->ops == NULL)
        return;
    ember_vbinary_qs8_swap(&k->p, &k->swapped);
    k->lut = ember_vlut_qs8_select(ctx);
    node->variant = k->ops->name;
}

/* A repeated operand's row at least this long runs as a table lookup: filling the table costs
   256 outputs of the vs kernel, a lookup a fraction of one per byte. */
#define LUT_MIN_ROW 1024

/* out[i] = vs(a[i], b[0]) through the table of vs over every byte. */
static void run_row_lut(const ember_binary_qs8 *k, const ember_vbinary_qs8_params *p,
                        int8_t *out, const int8_t *a, const int8_t *b, size_t n) {
    int8_t bytes[256], table[256];
    for (int v = 0; v < 256; v++)
        bytes[v] = (int8_t)v;
    k->ops->vs(256, bytes, b, table, p);
    k->lut->fn(n, a, out, table);
}

struct binary_task {
    const ember_broadcast *bc;
    const ember_binary_qs8 *k;
    const int8_t *a, *b;
    int8_t *out;
};

/* One row; steps are 0 or 1, both 0 only for a one-element row (see broadcast.h). */
static void run_row(const ember_binary_qs8 *k, int8_t *out, const int8_t *a, size_t a_step,
                    const int8_t *b, size_t b_step, size_t n) {
    if (n >= LUT_MIN_ROW && k->lut != NULL && (a_step == 0 || b_step == 0)) {
        if (b_step == 0)
            run_row_lut(k, &k->p, out, a, b, n);
        else
            run_row_lut(k, &k->swapped, out, b, a, n);
    } else if (b_step == 0)
        k->ops->vs(n, a, b, out, &k->p);
    else if (a_step == 0)
        k->ops->vs(n, b, a, out, &k->swapped);
    else
        k->ops->vv(n, a, b, out, &k->p);
}

/* Elements [begin, end) of a broadcast that collapsed to one row. */
static void run_flat(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct binary_task *t = arg;
    const size_t as = t->bc->a_stride[0], bs = t->bc->b_stride[0];
    run_row(t->k, t->out + begin, t->a + begin * as, as, t->b + begin * bs, bs, end - begin);
}

/* Rows [begin, end) of the outer odometer; the first row's offsets come from its index. */
static void run_rows(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct binary_task *t = arg;
    const ember_broadcast *bc = t->bc;
    const uint32_t inner = bc->rank - 1;
    const size_t n = bc->dims[inner];
    size_t idx[EMBER_MAX_RANK] = {0};
    size_t ao = 0, bo = 0, rest = begin;
    for (uint32_t d = inner; d-- > 0;) {
        idx[d] = rest % bc->dims[d];
        rest /= bc->dims[d];
        ao += idx[d] * bc->a_stride[d];
        bo += idx[d] * bc->b_stride[d];
    }
    for (size_t r = begin; r < end; r++) {
        run_row(t->k, t->out + r * n, t->a + ao, bc->a_stride[inner], t->b + bo,
                bc->b_stride[inner], n);
        /* the odometer: the next row's offsets */
        for (uint32_t d = inner; d-- > 0;) {
            ao += bc->a_stride[d];
            bo += bc->b_stride[d];
            if (++idx[d] < bc->dims[d])
                break;
            idx[d] = 0;
            ao -= bc->a_stride[d] * bc->dims[d];
            bo -= bc->b_stride[d] * bc->dims[d];
        }
    }
}

void ember_binary_qs8_run(ember_context *ctx, const ember_broadcast *bc,
                          const ember_binary_qs8 *k, const int8_t *a, const int8_t *b,
                          int8_t *out) {
    if (bc->count == 0)
        return;
    const struct binary_task task = {bc, k, a, b, out};
    const size_t n = bc->dims[bc->rank - 1];
    const size_t rows = bc->count / n;
    const bool parallel = ember_elementwise_parallel(ctx, bc->count);
    const size_t tile = ember_elementwise_tile(ctx, bc->count);
    if (bc->rank == 1) {
        if (parallel)
            ember_parallel_1d(ctx, run_flat, &task, n, tile);
        else
            run_flat(&task, 0, 0, n);
    } else if (parallel) {
        ember_parallel_1d(ctx, run_rows, &task, rows, n >= tile ? 1 : tile / n);
    } else {
        run_rows(&task, 0, 0, rows);
    }
}

struct lut_task {
    ember_vlut_qs8_fn fn;
    const int8_t *in, *table;
    int8_t *out;
};

static void run_lut(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct lut_task *t = arg;
    t->fn(end - begin, t->in + begin, t->out + begin, t->table);
}

/* A lookup costs a fraction of an ADD per byte: tiles four times the float32 ones. */
void ember_vlut_qs8_run(ember_context *ctx, ember_vlut_qs8_fn fn, size_t n, const int8_t *in,
                        int8_t *out, const int8_t *table) {
    const struct lut_task t = {fn, in, table, out};
    if (ember_elementwise_parallel(ctx, n / 4))
        ember_parallel_1d(ctx, run_lut, &t, n, 4 * ember_elementwise_tile(ctx, n / 4));
    else
        run_lut(&t, 0, 0, n);
}

bool ember_lut_qs8_begin(ember_context *ctx, ember_node *node, ember_lut_qs8 *l,
                         int8_t bytes[256]) {
    l->lut = ember_vlut_qs8_select(ctx);
    if (l->lut == NULL)
        return false;
    for (int v = 0; v < 256; v++)
        bytes[v] = (int8_t)v;
    node->variant = l->lut->name;
    return true;
}

bool ember_lut_qs8_eval(ember_context *ctx, const ember_node *node, const ember_lut_qs8 *l) {
    if (l->lut == NULL)
        return false;
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_vlut_qs8_run(ctx, l->lut->fn, in->count, in->data, ember_output(ctx, node, 0)->data,
                       l->table);
    return true;
}
