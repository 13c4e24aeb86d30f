"""BATCH_MATMUL int8 (int32 sums of zero-point-corrected products, one per-tensor
requantization by double(s_a) * double(s_b) / double(s_out), full int8 clamp; batch
broadcasting and adjoint flags) against a numpy model of LiteRT's reference kernel:
bit-exact."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import OpType
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, mbqm,
                                       quantize_multiplier, run_graph, single_op, snap_pow2)


def reference(a: np.ndarray, b: np.ndarray, adj_a: bool, adj_b: bool, q: dict) -> np.ndarray:
    x = a.astype(np.int64) - q["zp_a"]
    y = b.astype(np.int64) - q["zp_b"]
    if adj_a:
        x = np.swapaxes(x, -1, -2)
    if adj_b:
        y = np.swapaxes(y, -1, -2)
    s_a, s_b, s_out = (float(np.float32(q[k])) for k in ("s_a", "s_b", "s_out"))
    out = mbqm(np.matmul(x, y), *quantize_multiplier(s_a * s_b / s_out)) + q["zp_out"]
    return np.clip(out, -128, 127).astype(np.int8)


def build(a_shape, b_shape, out_shape, adj_a: bool, adj_b: bool, q: dict):
    g = empty_graph()
    int8_tensor(g, "a", a_shape, q["s_a"], q["zp_a"])
    int8_tensor(g, "b", b_shape, q["s_b"], q["zp_b"])
    int8_tensor(g, "out", out_shape, q["s_out"], q["zp_out"])
    return single_op(OpType.BATCH_MATMUL, ["a", "b"], BatchMatMulParams(adj_a, adj_b), g)


# (batch dims of a, batch dims of b, M, K, N)
SHAPES = [((), (), 3, 5, 4), ((2,), (2,), 4, 7, 3), ((2, 3), (1,), 2, 6, 5),
          ((1, 4), (3, 1), 3, 2, 2), ((), (3,), 1, 16, 8), ((2,), (), 5, 33, 1)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(SHAPES), adj_a=st.booleans(),
       adj_b=st.booleans())
def test_batch_matmul_i8(seed: int, shapes, adj_a: bool, adj_b: bool) -> None:
    rng = np.random.default_rng(seed)
    ba, bb, m, k, n = shapes
    a_shape = (*ba, *((k, m) if adj_a else (m, k)))
    b_shape = (*bb, *((n, k) if adj_b else (k, n)))
    s_a = float(log_uniform(rng, 1e-3, 0.5))
    s_b = float(log_uniform(rng, 1e-3, 0.5))
    q = snap_pow2(rng, {"s_a": s_a, "s_b": s_b,
                        "s_out": s_a * s_b * float(log_uniform(rng, 1.0, 3000.0)),
                        "zp_a": int(rng.integers(-128, 128)), "zp_b": int(rng.integers(-128, 128)),
                        "zp_out": int(rng.integers(-128, 128))})
    a = rng.integers(-128, 128, a_shape).astype(np.int8)
    b = rng.integers(-128, 128, b_shape).astype(np.int8)
    want = reference(a, b, adj_a, adj_b, q)
    got = run_graph(build(a_shape, b_shape, want.shape, adj_a, adj_b, q), [a, b])[0]
    assert np.array_equal(got, want)
