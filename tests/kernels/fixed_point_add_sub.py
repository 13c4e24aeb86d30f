"""numpy model of LiteRT's int8 ADD and SUB reference kernels, bit-exact (two rescales to a
common scale with 20 bits of headroom, the sum or difference requantized; broadcasting, fused
activations), the one-node graphs it is compared on, and the checks tests/kernels/test_add.py
and test_sub.py share."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import Graph
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (activation_range, empty_graph, int8_tensor,
                                       log_uniform, mbqm, quantize_multiplier, run_graph,
                                       single_op, snap_pow2)

COMBINE = {OpType.ADD: np.add, OpType.SUB: np.subtract}

SHAPES = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
          ((7,), ()), ((), (6,)), ((2, 1, 3, 1), (1, 5, 1, 4)), ((256,), (256,))]


def reference(op: OpType, a: np.ndarray, b: np.ndarray, q: dict, act: int) -> np.ndarray:
    """Section 4: rescale both inputs to 2 x max scale << 20, combine, requantize."""
    s1, s2, so = (float(np.float32(q[k])) for k in ("s_a", "s_b", "s_out"))
    twice_max = 2 * max(s1, s2)
    x = mbqm((a.astype(np.int64) - q["zp_a"]) * 2**20, *quantize_multiplier(s1 / twice_max))
    y = mbqm((b.astype(np.int64) - q["zp_b"]) * 2**20, *quantize_multiplier(s2 / twice_max))
    result = mbqm(COMBINE[op](x, y), *quantize_multiplier(twice_max / (2**20 * so)))
    lo, hi = activation_range(act, so, q["zp_out"])
    return np.clip(result + q["zp_out"], lo, hi).astype(np.int8)


def build(op: OpType, a_shape, b_shape, q: dict, act: int) -> Graph:
    g = empty_graph()
    int8_tensor(g, "a", a_shape, q["s_a"], q["zp_a"])
    int8_tensor(g, "b", b_shape, q["s_b"], q["zp_b"])
    int8_tensor(g, "out", np.broadcast_shapes(a_shape, b_shape), q["s_out"], q["zp_out"])
    return single_op(op, ["a", "b"], BinaryParams(activation=FusedActivation(act)), g)


def check_matches_numpy_model(op: OpType, seed: int, shapes, act: int) -> None:
    rng = np.random.default_rng(seed)
    s_a = float(log_uniform(rng, 1e-3, 0.2))
    s_b = float(s_a * log_uniform(rng, 0.1, 10.0))
    q = snap_pow2(rng, {"s_a": s_a, "s_b": s_b,
                        "s_out": max(s_a, s_b) * float(log_uniform(rng, 0.5, 3.0)),
                        "zp_a": int(rng.integers(-128, 128)), "zp_b": int(rng.integers(-128, 128)),
                        "zp_out": int(rng.integers(-128, 128))})
    a = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    b = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    got = run_graph(build(op, a.shape, b.shape, q, act), [a, b])[0]
    assert np.array_equal(got, reference(op, a, b, q, act))


def check_all_input_pairs(op: OpType) -> None:
    # Every (a, b) pair of int8 values once, with unrelated scales and zero points; for SUB
    # the order of the operands matters.
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256)
    q = {"s_a": 0.0371, "s_b": 0.0129, "s_out": 0.0533, "zp_a": -7, "zp_b": 33, "zp_out": 12}
    got = run_graph(build(op, a.shape, b.shape, q, 0), [a, b])[0]
    assert np.array_equal(got, reference(op, a, b, q, 0))


def check_rejects_tiny_output_scale(op: OpType) -> None:
    q = {"s_a": 0.5, "s_b": 0.5, "s_out": 1e-7, "zp_a": 0, "zp_b": 0, "zp_out": 0}
    with pytest.raises(InvalidModelError, match=f"{op.name.lower()}.*output scale"):
        run_graph(build(op, (4,), (4,), q, 0), [np.zeros(4, np.int8)] * 2)
