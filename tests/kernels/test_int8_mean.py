"""MEAN int8 (int32 sum of the stored values, zero-point correction, one requantization with
1/n folded into the multiplier) against a numpy model of LiteRT's reference kernel:
bit-exact, over reduced axis sets, kept and dropped dims, and equal or different quant."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import OpType
from emberlite.converter.ops.mean import ReduceParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, mbqm,
                                       quantize_multiplier, run_graph, single_op, snap_pow2)


def mean_multiplier(s_in: float, s_out: float, n: int) -> tuple[int, int]:
    """Section 5: QM(s_in / s_out), mantissa scaled by 2^k then divided by n."""
    m, e = quantize_multiplier(float(np.float32(s_in)) / float(np.float32(s_out)))
    k = min(n.bit_length() - 1, 32, 31 + e)
    return (m << k) // n, e - k


def reference(x: np.ndarray, axes: tuple[int, ...], keep: bool, q: dict) -> np.ndarray:
    n = int(np.prod([x.shape[a] for a in axes]))
    total = np.sum(x.astype(np.int64), axis=axes, keepdims=keep) - q["zp_in"] * n
    out = mbqm(total, *mean_multiplier(q["s_in"], q["s_out"], n)) + q["zp_out"]
    return np.clip(out, -128, 127).astype(np.int8)


def build(shape: tuple[int, ...], axes: tuple[int, ...], keep: bool, q: dict):
    g = empty_graph()
    int8_tensor(g, "x", shape, q["s_in"], q["zp_in"])
    out = tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)
    int8_tensor(g, "out", out, q["s_out"], q["zp_out"])
    return single_op(OpType.MEAN, ["x"], ReduceParams(axes), g)


CASES = [((1, 7, 9, 16), (1, 2)), ((2, 5, 6, 3), (1,)), ((2, 5, 6, 3), (3,)),
         ((3, 4, 5), (0, 2)), ((1, 1, 1, 8), (1, 2)), ((4, 33), (1,)), ((1, 16, 16, 4), (1, 2)),
         ((2, 3, 4, 5), (0, 1, 2, 3)), ((1, 1, 300), (2,))]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), case=st.sampled_from(CASES), keep=st.booleans(),
       same=st.booleans())
def test_mean_i8(seed: int, case, keep: bool, same: bool) -> None:
    rng = np.random.default_rng(seed)
    shape, axes = case
    s_in = float(log_uniform(rng, 1e-3, 0.5))
    q = {"s_in": s_in, "zp_in": int(rng.integers(-128, 128))}
    if same:  # a Keras global average pool keeps the input's quantization
        q |= {"s_out": s_in, "zp_out": q["zp_in"]}
    else:
        q |= {"s_out": s_in * float(log_uniform(rng, 0.05, 4.0)),
              "zp_out": int(rng.integers(-128, 128))}
    q = snap_pow2(rng, q)
    x = rng.integers(-128, 128, shape).astype(np.int8)
    got = run_graph(build(shape, axes, keep, q), [x])[0]
    assert np.array_equal(got, reference(x, axes, keep, q))


def test_mean_i8_rejects_per_channel_output() -> None:
    q = {"s_in": 0.1, "zp_in": 0, "s_out": 0.1, "zp_out": 0}
    graph = build((1, 4, 4, 2), (1, 2), True, q)
    out = graph.tensors["out"]
    graph.tensors["out"] = type(out)(out.name, out.dtype, out.shape, None,
                                     type(out.quant)((0.1, 0.2), (0, 0), 3))
    with pytest.raises(InvalidModelError, match="one scale"):
        run_graph(graph, [np.zeros((1, 4, 4, 2), np.int8)])
