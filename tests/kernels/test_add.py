"""ADD: float32 against ONNX Runtime (broadcasting, constant operands, fused activations, the
NHWC path after a Conv, a residual add), int8 and int16 (16x8) against numpy models of LiteRT's
reference kernels (bit-exact), and in place over its input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter, InvalidModelError
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.writer import serialize
from tests.converter.ir_builder import GraphBuilder
from tests.helpers import assert_matches_ort
from tests.kernels import (binary_models, elementwise_checks, elementwise_qs8_checks,
                           fixed_point_add_sub, inplace_plans)
from tests.kernels.binary_models import AFTER_CONV, CONSTANT_SHAPES, OPSET, shapes_id
from tests.kernels.fixed_point import empty_graph, log_uniform, run_graph, single_op, snap_pow2
from tests.kernels.fixed_point16 import INT16_MAX, INT16_MIN, add16, int16_tensor

# ---- float32 -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["Add"])
@pytest.mark.parametrize("shapes", binary_models.SHAPES, ids=shapes_id)
def test_broadcast(op: str, shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    binary_models.check_broadcast(op, shapes)


@pytest.mark.parametrize("op", ["Add"])
@pytest.mark.parametrize("const_side", ["a", "b"])
@pytest.mark.parametrize("shapes", CONSTANT_SHAPES, ids=str)
def test_constant_operand(op: str, const_side: str,
                          shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    binary_models.check_constant_operand(op, const_side, shapes)


@pytest.mark.parametrize("op", ["Add"])
@pytest.mark.parametrize("post", ["Relu", "Relu6"])
def test_fused_activation(op: str, post: str) -> None:
    binary_models.check_fused_activation(op, post)


@pytest.mark.parametrize("op", ["Add"])
@pytest.mark.parametrize("other_shape,other_const", AFTER_CONV, ids=str)
def test_after_conv(op: str, other_shape: tuple[int, ...], other_const: bool) -> None:
    binary_models.check_after_conv(op, other_shape, other_const)


def test_conv_residual_add() -> None:
    """Two conv branches added: both operands NHWC activations of the same shape."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    w1 = rng.standard_normal((3, 3, 3, 3)).astype(np.float32) * 0.3
    w2 = rng.standard_normal((3, 3, 1, 1)).astype(np.float32) * 0.3
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w2"], ["c2"]),
             helper.make_node("Add", ["c1", "c2"], ["s"]),
             helper.make_node("Add", ["s", "x"], ["y"])]
    graph = helper.make_graph(
        nodes, "residual", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(model, [x])


# ---- int8 ----------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(fixed_point_add_sub.SHAPES),
       act=st.integers(0, 3))
@pytest.mark.parametrize("op", [OpType.ADD])
def test_matches_numpy_model(op: OpType, seed: int, shapes, act: int) -> None:
    fixed_point_add_sub.check_matches_numpy_model(op, seed, shapes, act)


@pytest.mark.parametrize("op", [OpType.ADD])
def test_all_input_pairs(op: OpType) -> None:
    fixed_point_add_sub.check_all_input_pairs(op)


@pytest.mark.parametrize("op", [OpType.ADD])
def test_rejects_tiny_output_scale(op: OpType) -> None:
    fixed_point_add_sub.check_rejects_tiny_output_scale(op)


# ---- int16 (16x8) --------------------------------------------------------------------------

SHAPES_I16 = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
              ((7,), ()), ((2, 1, 3, 1), (1, 5, 1, 4)), ((4096,), (4096,))]


def _int16(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(INT16_MIN, INT16_MAX + 1, shape).astype(np.int16)


def _add_graph(a_shape, b_shape, q: dict, act: int):
    g = empty_graph()
    int16_tensor(g, "a", a_shape, q["s_a"])
    int16_tensor(g, "b", b_shape, q["s_b"])
    int16_tensor(g, "out", np.broadcast_shapes(a_shape, b_shape), q["s_out"])
    return single_op(OpType.ADD, ["a", "b"], BinaryParams(FusedActivation(act)), g)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(SHAPES_I16), act=st.integers(0, 3))
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


# ---- in place ------------------------------------------------------------------------------

@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.ADD))
def test_exact_alias_runs_in_place(op: OpType, other, oracle) -> None:
    inplace_plans.check_exact_alias_runs_in_place(op, other, oracle)


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.ADD))
def test_partial_overlap_rejected(op: OpType, other, oracle) -> None:
    inplace_plans.check_partial_overlap_rejected(op, other)


def test_broadcast_input_alias_rejected() -> None:
    """An input smaller than the output may not share its offset, even exactly."""
    b = GraphBuilder()
    b.input("x", (5, 6))
    b.input("r", (6,))
    y = b.node(OpType.ADD, ["x", "r"])
    b.output(y)
    graph = b.build()
    with pytest.raises(InvalidModelError, match="overlaps the output"):
        Interpreter(model_content=serialize(graph, inplace_plans.shifted_plan(graph, y, "r", 0)))


# ---- float32 microkernels (csrc/ukernels/vbinary.h) ----------------------------------------


@pytest.mark.parametrize("const", [(), (1,)], ids=["runtime", "const_b"])
@pytest.mark.parametrize("act", [FusedActivation.NONE, FusedActivation.RELU6])
@pytest.mark.parametrize("shapes", elementwise_checks.BINARY_SHAPES,
                         ids=elementwise_checks.shapes_id)
def test_fast_path(shapes: tuple[tuple[int, ...], tuple[int, ...]], act: FusedActivation,
                   const: tuple[int, ...]) -> None:
    """The vbinary microkernels, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_binary(OpType.ADD, shapes, "vbinary_f32_add_",
                                    BinaryParams(act), const)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.BINARY_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """The int8 ADD microkernels (vbinary_qs8): byte for byte the reference loop and the numpy
    model, every tail and broadcast form, zero points at -128/127, scales over four decades,
    1 and 2 threads."""
    elementwise_qs8_checks.check_binary(
        "add", lambda a, b, q, act: fixed_point_add_sub.build(OpType.ADD, a, b, q, act),
        lambda a, b, q, act: fixed_point_add_sub.reference(OpType.ADD, a, b, q, act),
        isa_mask, suffix, seed)
