"""MUL: float32 against ONNX Runtime (broadcasting, constant operands, fused activations, the
NHWC path after a Conv, both inputs the same tensor), int8 against a numpy model of LiteRT's
reference kernel (product of the zero-point-corrected inputs, one requantization by the
float32 ratio s_a * s_b / s_out; bit-exact) and on .tflite files against LiteRT, the int8
quantizer on a MUL model, and in place over its input."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from emberlite.converter.ir import Graph
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_arith
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import binary_models, elementwise_checks, elementwise_qs8_checks, inplace_plans
from tests.kernels.binary_models import AFTER_CONV, CONSTANT_SHAPES, OPSET, shapes_id
from tests.kernels.fixed_point import (activation_range, empty_graph, int8_tensor, mbqm,
                                       product_quant, quantize_multiplier, run_graph, single_op)
from tests.quantize.int8_op_checks import (Case, binary, check_op_runs_int8_close_to_float,
                                           const, single)

# ---- float32 -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["Mul"])
@pytest.mark.parametrize("shapes", binary_models.SHAPES, ids=shapes_id)
def test_broadcast(op: str, shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    binary_models.check_broadcast(op, shapes)


@pytest.mark.parametrize("op", ["Mul"])
@pytest.mark.parametrize("const_side", ["a", "b"])
@pytest.mark.parametrize("shapes", CONSTANT_SHAPES, ids=str)
def test_constant_operand(op: str, const_side: str,
                          shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    binary_models.check_constant_operand(op, const_side, shapes)


@pytest.mark.parametrize("op", ["Mul"])
@pytest.mark.parametrize("post", ["Relu", "Relu6"])
def test_fused_activation(op: str, post: str) -> None:
    binary_models.check_fused_activation(op, post)


@pytest.mark.parametrize("op", ["Mul"])
@pytest.mark.parametrize("other_shape,other_const", AFTER_CONV, ids=str)
def test_after_conv(op: str, other_shape: tuple[int, ...], other_const: bool) -> None:
    binary_models.check_after_conv(op, other_shape, other_const)


def test_same_input_twice() -> None:
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "x"], ["y"])], "square",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(model, [x])


# ---- int8 ----------------------------------------------------------------------------------

def reference(a: np.ndarray, b: np.ndarray, q: dict, act: int) -> np.ndarray:
    """Section 4: the multiplier is QM of a float32 ratio (float32 product, float32 division)."""
    s1, s2, so = (np.float32(q[k]) for k in ("s_a", "s_b", "s_out"))
    ratio = float(np.float32(np.float32(s1 * s2) / so))
    product = (a.astype(np.int64) - q["zp_a"]) * (b.astype(np.int64) - q["zp_b"])
    out = mbqm(product, *quantize_multiplier(ratio)) + q["zp_out"]
    lo, hi = activation_range(act, float(so), q["zp_out"])
    return np.clip(out, lo, hi).astype(np.int8)


def build(a_shape, b_shape, q: dict, act: int) -> Graph:
    g = empty_graph()
    int8_tensor(g, "a", a_shape, q["s_a"], q["zp_a"])
    int8_tensor(g, "b", b_shape, q["s_b"], q["zp_b"])
    int8_tensor(g, "out", np.broadcast_shapes(a_shape, b_shape), q["s_out"], q["zp_out"])
    return single_op(OpType.MUL, ["a", "b"], BinaryParams(activation=FusedActivation(act)), g)


SHAPES = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
          ((7,), ()), ((), (6,)), ((2, 1, 3, 1), (1, 5, 1, 4)), ((256,), (256,))]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(SHAPES), act=st.integers(0, 3))
def test_mul_i8(seed: int, shapes, act: int) -> None:
    rng = np.random.default_rng(seed)
    # Output scales both below and above s_a * s_b: multipliers < 1 and > 1 (left shifts).
    q = product_quant(rng, 0.3, 300.0)
    a = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    b = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    got = run_graph(build(a.shape, b.shape, q, act), [a, b])[0]
    assert np.array_equal(got, reference(a, b, q, act))


def test_mul_i8_all_input_pairs() -> None:
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256)
    q = {"s_a": 0.0371, "s_b": 0.0129, "s_out": 0.0533, "zp_a": -7, "zp_b": 33, "zp_out": 12}
    got = run_graph(build(a.shape, b.shape, q, 0), [a, b])[0]
    assert np.array_equal(got, reference(a, b, q, 0))


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_arith.litert_results(tmp_path_factory)


CASES = ["mul_branches", "mul_relu6", "mul_two_inputs", "mul_broadcast", "mul_gap_gate",
         "mul_constant"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


@pytest.mark.parametrize("name, op, act", [("mul_relu6", "MUL", "RELU6")])
def test_activation_is_fused_into_the_op(results: dict, name: str, op: str, act: str) -> None:
    keras_int8_arith.check_activation_is_fused_into_the_op(results, name, op, act)


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

QUANTIZER_CASES = {
    "mul": Case(lambda: single("Mul", [4, 16], [const("c", np.linspace(-2, 3, 16))], ["c"]),
                (4, 16), OpType.MUL, binary(reference)),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- in place ------------------------------------------------------------------------------

@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.MUL))
def test_exact_alias_runs_in_place(op: OpType, other, oracle) -> None:
    inplace_plans.check_exact_alias_runs_in_place(op, other, oracle)


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.MUL))
def test_partial_overlap_rejected(op: OpType, other, oracle) -> None:
    inplace_plans.check_partial_overlap_rejected(op, other)


# ---- float32 microkernels (csrc/ukernels/vbinary.h) ----------------------------------------


@pytest.mark.parametrize("const", [(), (1,)], ids=["runtime", "const_b"])
@pytest.mark.parametrize("act", [FusedActivation.NONE, FusedActivation.RELU6])
@pytest.mark.parametrize("shapes", elementwise_checks.BINARY_SHAPES,
                         ids=elementwise_checks.shapes_id)
def test_fast_path(shapes: tuple[tuple[int, ...], tuple[int, ...]], act: FusedActivation,
                   const: tuple[int, ...]) -> None:
    """The vbinary microkernels, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_binary(OpType.MUL, shapes, "vbinary_f32_mul_",
                                    BinaryParams(act), const)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.BINARY_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """The int8 MUL microkernels (vbinary_qs8): byte for byte the reference loop and the numpy
    model, every tail and broadcast form, zero points at -128/127, output multipliers from
    1e-3 to 1e3 of the product's scale (left shifts included), 1 and 2 threads."""
    elementwise_qs8_checks.check_binary("mul", build, reference, isa_mask, suffix, seed)
