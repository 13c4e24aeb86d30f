"""16x8 ADD (int16 activations with zero point 0) against the numpy model of LiteRT's
reference arithmetic in fixed_point16.py: bit-exact. The 16x8 tests of CONV2D,
DEPTHWISE_CONV2D, FULLY_CONNECTED, MAX_POOL2D, QUANTIZE and DEQUANTIZE are in their
tests/kernels/test_<op>.py."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from tests.kernels.fixed_point import empty_graph, log_uniform, run_graph, single_op, snap_pow2
from tests.kernels.fixed_point16 import INT16_MAX, INT16_MIN, add16, int16_tensor


def _int16(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(INT16_MIN, INT16_MAX + 1, shape).astype(np.int16)


SHAPES = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
          ((7,), ()), ((2, 1, 3, 1), (1, 5, 1, 4)), ((4096,), (4096,))]


def _add_graph(a_shape, b_shape, q: dict, act: int):
    g = empty_graph()
    int16_tensor(g, "a", a_shape, q["s_a"])
    int16_tensor(g, "b", b_shape, q["s_b"])
    int16_tensor(g, "out", np.broadcast_shapes(a_shape, b_shape), q["s_out"])
    return single_op(OpType.ADD, ["a", "b"], BinaryParams(FusedActivation(act)), g)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(SHAPES), act=st.integers(0, 3))
def test_add_i16(seed: int, shapes, act: int) -> None:
    rng = np.random.default_rng(seed)
    s_a = float(log_uniform(rng, 1e-5, 1e-2))
    s_b = float(s_a * log_uniform(rng, 0.1, 10.0))
    q = snap_pow2(rng, {"s_a": s_a, "s_b": s_b,
                        "s_out": max(s_a, s_b) * float(log_uniform(rng, 0.5, 3.0))})
    a, b = _int16(rng, shapes[0]), _int16(rng, shapes[1])
    got = run_graph(_add_graph(a.shape, b.shape, q, act), [a, b])[0]
    assert np.array_equal(got, add16(a, b, q["s_a"], q["s_b"], q["s_out"], act))


def test_add_i16_extremes() -> None:
    """Every combination of the int16 limits and values around 0, with equal and unequal
    scales (the rescaled sums come closest to the int32 headroom)."""
    v = np.array([INT16_MIN, INT16_MIN + 1, -1, 0, 1, INT16_MAX - 1, INT16_MAX], np.int16)
    a, b = np.meshgrid(v, v)
    for q in ({"s_a": 1e-3, "s_b": 1e-3, "s_out": 1e-3}, {"s_a": 3e-4, "s_b": 1e-3,
                                                         "s_out": 2.5e-3}):
        got = run_graph(_add_graph(a.shape, b.shape, q, 0), [a, b])[0]
        assert np.array_equal(got, add16(a, b, q["s_a"], q["s_b"], q["s_out"], 0))
