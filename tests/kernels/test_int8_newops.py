"""int8 MAXIMUM, MINIMUM, PRELU, ARG_MAX, ARG_MIN and CAST against numpy models of LiteRT's
kernels (docs/int8-arithmetic.md sections 1, 5, 6; CAST as C's casts): bit-exact, with
hypothesis over scales, zero points, shapes and values."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ir import DType, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, mbqm,
                                       quantize_multiplier, run_graph, single_op, snap_pow2)

BROADCASTS = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
              ((7,), ()), ((2, 1, 3, 1), (1, 5, 1, 4))]


def _q(rng: np.random.Generator) -> tuple[float, int]:
    return float(log_uniform(rng, 1e-3, 0.5)), int(rng.integers(-128, 128))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(BROADCASTS),
       op=st.sampled_from([OpType.MAXIMUM, OpType.MINIMUM]))
def test_maximum_minimum_i8_compare_stored_values(seed: int, shapes, op: OpType) -> None:
    rng = np.random.default_rng(seed)
    s, zp = _q(rng)
    a = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    b = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    g = empty_graph()
    int8_tensor(g, "a", a.shape, s, zp)
    int8_tensor(g, "b", b.shape, s, zp)
    int8_tensor(g, "out", np.broadcast_shapes(a.shape, b.shape), s, zp)
    got = run_graph(single_op(op, ["a", "b"], None, g), [a, b])[0]
    want = (np.maximum if op == OpType.MAXIMUM else np.minimum)(a, b)
    assert np.array_equal(got, want)


def test_maximum_i8_refuses_different_quantization() -> None:
    g = empty_graph()
    int8_tensor(g, "a", (4,), 0.1, 0)
    int8_tensor(g, "b", (4,), 0.2, 0)
    int8_tensor(g, "out", (4,), 0.1, 0)
    with pytest.raises(InvalidModelError, match="same scale"):
        run_graph(single_op(OpType.MAXIMUM, ["a", "b"], None, g), [np.zeros(4, np.int8)] * 2)


def prelu_reference(x: np.ndarray, alpha: np.ndarray, q: dict) -> np.ndarray:
    """Section 6: two multipliers from float32 ratios; the negative branch multiplies by the
    centred alpha before requantizing."""
    f32 = np.float32
    m1 = quantize_multiplier(float(f32(f32(q["s_x"]) / f32(q["s_out"]))))
    m2 = quantize_multiplier(float(f32(f32(f32(q["s_x"]) * f32(q["s_a"])) / f32(q["s_out"]))))
    v = x.astype(np.int64) - q["zp_x"]
    va = np.broadcast_to(alpha.astype(np.int64) - q["zp_a"], v.shape)
    y = np.where(v >= 0, mbqm(v, *m1), mbqm(v * va, *m2))
    return np.clip(y + q["zp_out"], -128, 127).astype(np.int8)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       shapes=st.sampled_from([((1, 4, 5, 3), (3,)), ((1, 4, 5, 3), (1, 1, 3)),
                               ((2, 6, 4), (6, 4)), ((9,), (1,))]))
def test_prelu_i8(seed: int, shapes) -> None:
    rng = np.random.default_rng(seed)
    q = snap_pow2(rng, {"s_x": float(log_uniform(rng, 1e-3, 0.2)),
                        "s_a": float(log_uniform(rng, 1e-3, 0.05)),
                        "s_out": float(log_uniform(rng, 1e-3, 0.2)),
                        "zp_x": int(rng.integers(-128, 128)), "zp_a": int(rng.integers(-128, 128)),
                        "zp_out": int(rng.integers(-128, 128))})
    x = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    alpha = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, q["s_x"], q["zp_x"])
    int8_tensor(g, "alpha", alpha.shape, q["s_a"], q["zp_a"], data=alpha)
    int8_tensor(g, "out", x.shape, q["s_out"], q["zp_out"])
    got = run_graph(single_op(OpType.PRELU, ["x", "alpha"], None, g), [x])[0]
    assert np.array_equal(got, prelu_reference(x, alpha, q))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), axis=st.integers(0, 2),
       op=st.sampled_from([OpType.ARG_MAX, OpType.ARG_MIN]),
       dtype=st.sampled_from([DType.INT32, DType.INT64]))
def test_arg_i8_first_index_wins(seed: int, axis: int, op: OpType, dtype: DType) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, (3, 4, 5)).astype(np.int8)  # many ties
    fn = np.argmax if op == OpType.ARG_MAX else np.argmin
    want = fn(x, axis=axis).astype(dtype.numpy)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, *_q(rng))
    g.tensors["out"] = Tensor("out", dtype, want.shape)
    got = run_graph(single_op(op, ["x"], ArgParams(axis), g), [x])[0]
    assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("dst", [DType.INT32, DType.FLOAT32, DType.INT64])
def test_cast_from_int8_takes_the_stored_integer(dst: DType) -> None:
    x = np.arange(-128, 128, dtype=np.int8)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, 0.25, 7)  # ignored: LiteRT's CAST is a static_cast
    g.tensors["out"] = Tensor("out", dst, x.shape)
    got = run_graph(single_op(OpType.CAST, ["x"], None, g), [x])[0]
    assert got.dtype == dst.numpy and np.array_equal(got, x.astype(dst.numpy))


@pytest.mark.parametrize("src", [DType.INT32, DType.FLOAT32])
def test_cast_to_int8_truncates_and_wraps(src: DType) -> None:
    x = np.array([-300, -129, -128, -2.7, -0.5, 0, 0.9, 1.5, 127, 128, 255, 1000],
                 dtype=src.numpy)
    g = empty_graph()
    g.tensors["x"] = Tensor("x", src, x.shape)
    int8_tensor(g, "out", x.shape, 0.5, -3)
    got = run_graph(single_op(OpType.CAST, ["x"], None, g), [x])[0]
    want = np.trunc(x.astype(np.float64)).astype(np.int64).astype(np.int8)
    assert np.array_equal(got, want)
