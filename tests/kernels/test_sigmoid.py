"""SIGMOID: float32 against ONNX Runtime (several ranks, large inputs, after a Conv, SiLU),
int8 (a lookup in the table the converter builds) against the numpy model of LiteRT's
reference kernel and on .tflite files (LOGISTIC) against LiteRT, and the int8 quantizer on a
SIGMOID model. The hypothesis test over SIGMOID and TANH together is in
test_activation_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.ops import OpType
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_activations
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import (activation_models, elementwise_checks, elementwise_qs8_checks,
                           fixed_point_activations)
from tests.kernels.activation_models import SHAPES, after_conv, param_id
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, io_params, single

SIMPLE = [("Sigmoid", {})]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    activation_models.check_activation(op, attrs, shape)


@pytest.mark.parametrize("op", ["Sigmoid"])
def test_large_inputs(op: str) -> None:
    activation_models.check_large_inputs(op)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    activation_models.check_after_conv(op, attrs)


def test_silu_after_conv() -> None:
    """Sigmoid and a Mul reading both the conv output and the sigmoid (x * sigmoid(x))."""
    model, feeds = after_conv([helper.make_node("Sigmoid", ["c"], ["s"]),
                               helper.make_node("Mul", ["c", "s"], ["y"])], [])
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("op", [OpType.SIGMOID])
def test_table_ops_i8_all_inputs(op: OpType) -> None:
    fixed_point_activations.check_table_op_all_inputs(op)


@pytest.mark.parametrize("op", [OpType.SIGMOID])
def test_table_ops_i8_need_a_256_entry_table(op: OpType) -> None:
    fixed_point_activations.check_table_op_needs_a_256_entry_table(op)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_activations.litert_results(tmp_path_factory)


CASES = ["sigmoid_all_values_0", "sigmoid_all_values_1", "sigmoid_all_values_2",
         "conv_sigmoid"]


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


def test_int8_logistic_needs_litert_output_quantization(results: dict) -> None:
    """An int8 LOGISTIC whose output is not scale 1/256, zero point -128 is refused, with
    the reason, as LiteRT refuses it at Prepare."""
    data = bytearray(results["sigmoid_all_values_0"]["data"])
    scale = np.float32(1.0 / 256).tobytes()
    assert data.count(scale) == 1  # only the output's scale
    at = data.find(scale)
    data[at:at + 4] = np.float32(1.0 / 200).tobytes()
    with pytest.raises(UnsupportedOpsError, match="scale 1/256 and zero point -128"):
        Converter.from_tflite(bytes(data)).convert()


QUANTIZER_CASES = {
    "sigmoid": Case(lambda: single("Sigmoid", [4, 16]), (4, 16), OpType.SIGMOID,
                    lambda g, node, x: fixed_point_activations.table_op_reference(
                        node.op, x, io_params(g, node))),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [None])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: within vunary.h's stated relative error, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.SIGMOID, shape, "vunary_f32_sigmoid_", params)


def test_fast_path_sweep() -> None:
    """[-20, 20] at 1e-4 steps and every binade, against the reference (expf/tanhf based)."""
    elementwise_checks.check_approximation_sweep(OpType.SIGMOID, "vunary_f32_sigmoid_")


# ---- int8 lookup microkernels (csrc/ukernels/vunary_qs8.h) ---------------------------------


@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str) -> None:
    """The vectorised table lookup: the reference loop's bytes, every tail, 1 and 2 threads."""
    elementwise_qs8_checks.check_table_op(OpType.SIGMOID, isa_mask, suffix, 5)
