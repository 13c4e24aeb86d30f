"""RELU: float32 against ONNX Runtime (several ranks, after a Conv), int8 (requantize, then
clamp) against the numpy model of LiteRT's reference kernel and on .tflite files against
LiteRT, the int8 quantizer on a RELU model, and in place over its input. The hypothesis test
over RELU, RELU6 and CLAMP together is in test_activation_family.py."""
from __future__ import annotations

import math
from typing import Any

import pytest

from emberlite.converter.ops import OpType
from tests.importers import keras_int8_activations
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_qs8_checks
from tests.kernels import (activation_models, elementwise_checks, fixed_point_activations,
                           inplace_plans)
from tests.kernels.activation_models import SHAPES, param_id
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, io_params, single

SIMPLE = [("Relu", {})]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    activation_models.check_activation(op, attrs, shape)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    activation_models.check_after_conv(op, attrs)


@pytest.mark.parametrize("op", [OpType.RELU])
def test_requantizing_ops_i8_need_int8_quantization(op: OpType) -> None:
    fixed_point_activations.check_needs_int8_quantization(op)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_activations.litert_results(tmp_path_factory)


CASES = ["relu_all_values_0", "conv_relu"]


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


QUANTIZER_CASES = {
    "relu": Case(lambda: single("Relu", [4, 16]), (4, 16), OpType.RELU,
                 lambda g, node, x: fixed_point_activations.relu_x_reference(
                     x, io_params(g, node), 0.0, math.inf)),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.RELU))
def test_exact_alias_runs_in_place(op: OpType, other, oracle) -> None:
    inplace_plans.check_exact_alias_runs_in_place(op, other, oracle)


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.RELU))
def test_partial_overlap_rejected(op: OpType, other, oracle) -> None:
    inplace_plans.check_partial_overlap_rejected(op, other)


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [None])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.RELU, shape, "vunary_f32_clamp_", params)


# ---- int8 lookup microkernels (csrc/ukernels/vunary_qs8.h) ---------------------------------


@pytest.mark.parametrize("seed", [7, 8])
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """The requantization's table over every byte, built at prepare, through the vectorised
    lookup: the reference loop's bytes and the numpy model's, every tail, 1 and 2 threads,
    zero points at -128 and 127."""
    elementwise_qs8_checks.check_lookup(
        "relu", lambda shape, q: (fixed_point_activations.build(OpType.RELU, shape, q), q),
        isa_mask, suffix, seed,
        lambda x, q: fixed_point_activations.relu_x_reference(x, q, 0.0, float("inf")))
