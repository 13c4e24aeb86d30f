"""SUB: float32 against ONNX Runtime (broadcasting, constant operands, fused activations, the
NHWC path after a Conv), int8 against a numpy model of LiteRT's reference kernel (bit-exact)
and on .tflite files against LiteRT, the int8 quantizer on SUB models, and in place over its
input."""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from tests.importers import keras_int8_arith
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import binary_models, elementwise_checks, fixed_point_add_sub, inplace_plans
from tests.kernels.binary_models import AFTER_CONV, CONSTANT_SHAPES, shapes_id
from tests.quantize.int8_op_checks import (Case, binary, check_op_runs_int8_close_to_float,
                                           const, info, single)
from tests.quantize.models import onnx_model, weight

# ---- float32 -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["Sub"])
@pytest.mark.parametrize("shapes", binary_models.SHAPES, ids=shapes_id)
def test_broadcast(op: str, shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    binary_models.check_broadcast(op, shapes)


@pytest.mark.parametrize("op", ["Sub"])
@pytest.mark.parametrize("const_side", ["a", "b"])
@pytest.mark.parametrize("shapes", CONSTANT_SHAPES, ids=str)
def test_constant_operand(op: str, const_side: str,
                          shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    binary_models.check_constant_operand(op, const_side, shapes)


@pytest.mark.parametrize("op", ["Sub"])
@pytest.mark.parametrize("post", ["Relu", "Relu6"])
def test_fused_activation(op: str, post: str) -> None:
    binary_models.check_fused_activation(op, post)


@pytest.mark.parametrize("op", ["Sub"])
@pytest.mark.parametrize("other_shape,other_const", AFTER_CONV, ids=str)
def test_after_conv(op: str, other_shape: tuple[int, ...], other_const: bool) -> None:
    binary_models.check_after_conv(op, other_shape, other_const)


# ---- int8 ----------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(fixed_point_add_sub.SHAPES),
       act=st.integers(0, 3))
@pytest.mark.parametrize("op", [OpType.SUB])
def test_matches_numpy_model(op: OpType, seed: int, shapes, act: int) -> None:
    fixed_point_add_sub.check_matches_numpy_model(op, seed, shapes, act)


@pytest.mark.parametrize("op", [OpType.SUB])
def test_all_input_pairs(op: OpType) -> None:
    fixed_point_add_sub.check_all_input_pairs(op)


@pytest.mark.parametrize("op", [OpType.SUB])
def test_rejects_tiny_output_scale(op: OpType) -> None:
    fixed_point_add_sub.check_rejects_tiny_output_scale(op)


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_arith.litert_results(tmp_path_factory)


CASES = ["sub_branches", "sub_relu", "sub_two_inputs", "sub_broadcast", "sub_constant"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


@pytest.mark.parametrize("name, op, act", [("sub_relu", "SUB", "RELU")])
def test_activation_is_fused_into_the_op(results: dict, name: str, op: str, act: str) -> None:
    keras_int8_arith.check_activation_is_fused_into_the_op(results, name, op, act)


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _residual_sub_mul() -> onnx.ModelProto:
    # conv branches with different ranges meet in SUB and MUL (the inputs' scales differ).
    rng = np.random.default_rng(1)
    inits = [weight(rng, "w1", 6, 3, 3, 3), weight(rng, "w2", 6, 3, 1, 1),
             const("k", rng.uniform(0.5, 3.0, (1, 6, 1, 1)))]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1], name="conv_a"),
             helper.make_node("Conv", ["x", "w2"], ["b"], name="conv_b"),
             helper.make_node("Mul", ["b", "k"], ["bk"], name="scale"),
             helper.make_node("Sub", ["a", "bk"], ["d"], name="diff"),
             helper.make_node("Mul", ["d", "a"], ["y"], name="gate")]
    return onnx_model(nodes, [info("x", [1, 3, 6, 6])], [info("y", [1, 6, 6, 6])], inits)


QUANTIZER_CASES = {
    "sub": Case(lambda: single("Sub", [4, 16], [const("c", np.linspace(-3, 1, 16))], ["c"]),
                (4, 16), OpType.SUB,
                binary(partial(fixed_point_add_sub.reference, OpType.SUB))),
    "residual_sub_mul": Case(_residual_sub_mul, (3, 6, 6), OpType.SUB),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- in place ------------------------------------------------------------------------------

@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.SUB))
def test_exact_alias_runs_in_place(op: OpType, other, oracle) -> None:
    inplace_plans.check_exact_alias_runs_in_place(op, other, oracle)


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.SUB))
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
    elementwise_checks.check_binary(OpType.SUB, shapes, "vbinary_f32_sub_",
                                    BinaryParams(act), const)
