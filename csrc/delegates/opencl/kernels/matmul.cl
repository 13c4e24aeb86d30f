/* BATCH_MATMUL (ops_matmul.c): out[..., m, n] = sum over k of a[..., m, k] * b[..., k, n],
   one work item per output element, n fastest so neighbours read neighbouring b and share
   a's row. The operands' layouts come as element strides (a_m, a_k, b_k, b_n), so a
   transposed operand (adj_a, adj_b) costs nothing; tab holds the batch dims as
   ew_binary_strided's does: the rank, then per dim its size and a's and b's strides. */
__kernel void matmul_batched(__global REAL *a, int a_off, __global REAL *b, int b_off,
                             __global REAL *out, int out_off, __global const int *tab,
                             int tab_off, int count, int m_size, int n_size, int k_size,
                             int a_m, int a_k, int b_k, int b_n) {
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int n = i % n_size;
    int rest = i / n_size;
    const int m = rest % m_size;
    rest /= m_size;
    int ai = a_off + m * a_m, bi = b_off + n * b_n;
    cld_broadcast_offsets(tab + tab_off, rest, &ai, &bi);
    float acc = 0.0f;
    for (int k = 0; k < k_size; k++)
        acc += LOAD(a, ai + k * a_k) * LOAD(b, bi + k * b_k);
    STORE(out, out_off + i, acc);
}
