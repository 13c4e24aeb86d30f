"""TANH: float32 against ONNX Runtime (several ranks, large inputs, after a Conv), int8 (a
lookup in the table the converter builds) against the numpy model of LiteRT's reference kernel
and on .tflite files against LiteRT, the int8 quantizer on a TANH model, and in place over its
input. The hypothesis test over SIGMOID and TANH together is in test_activation_family.py."""
from __future__ import annotations

from typing import Any

import pytest

from emberlite.converter.ops import OpType
from tests.importers import keras_int8_activations
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import (activation_models, elementwise_checks, elementwise_qs8_checks,
                           fixed_point_activations, inplace_plans)
from tests.kernels.activation_models import SHAPES, param_id
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, io_params, single

SIMPLE = [("Tanh", {})]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    activation_models.check_activation(op, attrs, shape)


@pytest.mark.parametrize("op", ["Tanh"])
def test_large_inputs(op: str) -> None:
    activation_models.check_large_inputs(op)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    activation_models.check_after_conv(op, attrs)


@pytest.mark.parametrize("op", [OpType.TANH])
def test_table_ops_i8_all_inputs(op: OpType) -> None:
    fixed_point_activations.check_table_op_all_inputs(op)


@pytest.mark.parametrize("op", [OpType.TANH])
def test_table_ops_i8_need_a_256_entry_table(op: OpType) -> None:
    fixed_point_activations.check_table_op_needs_a_256_entry_table(op)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_activations.litert_results(tmp_path_factory)


CASES = ["tanh_all_values_0", "tanh_all_values_1", "tanh_all_values_2", "conv_tanh"]


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


QUANTIZER_CASES = {
    "tanh": Case(lambda: single("Tanh", [4, 16]), (4, 16), OpType.TANH,
                 lambda g, node, x: fixed_point_activations.table_op_reference(
                     node.op, x, io_params(g, node))),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.TANH))
def test_exact_alias_runs_in_place(op: OpType, other, oracle) -> None:
    inplace_plans.check_exact_alias_runs_in_place(op, other, oracle)


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.TANH))
def test_partial_overlap_rejected(op: OpType, other, oracle) -> None:
    inplace_plans.check_partial_overlap_rejected(op, other)


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [None])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: within vunary.h's stated relative error, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.TANH, shape, "vunary_f32_tanh_", params)


def test_fast_path_sweep() -> None:
    """[-20, 20] at 1e-4 steps and every binade, against the reference (expf/tanhf based)."""
    elementwise_checks.check_approximation_sweep(OpType.TANH, "vunary_f32_tanh_")


# ---- int8 lookup microkernels (csrc/ukernels/vunary_qs8.h) ---------------------------------


@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str) -> None:
    """The vectorised table lookup: the reference loop's bytes, every tail, 1 and 2 threads."""
    elementwise_qs8_checks.check_table_op(OpType.TANH, isa_mask, suffix, 6)
