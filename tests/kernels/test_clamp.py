"""CLAMP: float32 against ONNX Runtime (ONNX Clip with bounds other than 0..6 and 0..inf,
alone and after a Conv), int8 (requantize, then clamp) against the numpy model of LiteRT's
reference kernel and on .tflite files (RELU_N1_TO_1) against LiteRT, and the int8 quantizer on
a CLAMP model. The hypothesis test over RELU, RELU6 and CLAMP together is in
test_activation_family.py."""
from __future__ import annotations

from typing import Any

import pytest

from emberlite.converter.ops import OpType
from emberlite.converter.ops.clamp import ClampParams
from tests.importers import keras_int8_activations
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_qs8_checks
from tests.kernels import activation_models, elementwise_checks, fixed_point_activations
from tests.kernels.activation_models import CLIP_BOUNDS
from tests.quantize.int8_op_checks import (Case, check_op_runs_int8_close_to_float, const,
                                           io_params, single)


@pytest.mark.parametrize("bounds", [b for b in CLIP_BOUNDS if b != (0.0, 6.0)], ids=str)
@pytest.mark.parametrize("shape", [(9,), (2, 3, 4, 5)], ids=str)
def test_clip(bounds: tuple[float | None, float | None], shape: tuple[int, ...]) -> None:
    activation_models.check_clip(bounds, shape)


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (None, 0.5)], ids=str)
def test_clip_after_conv(bounds: tuple[float | None, float | None]) -> None:
    activation_models.check_clip_after_conv(bounds)


@pytest.mark.parametrize("op", [OpType.CLAMP])
def test_requantizing_ops_i8_need_int8_quantization(op: OpType) -> None:
    fixed_point_activations.check_needs_int8_quantization(op)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_activations.litert_results(tmp_path_factory)


CASES = ["relu_n1_to_1_all_values_0", "conv_relu_n1_to_1"]


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


QUANTIZER_CASES = {
    "clamp": Case(lambda: single("Clip", [4, 16], [const("lo", -1.0), const("hi", 2.5)],
                                 ["lo", "hi"]), (4, 16), OpType.CLAMP,
                  lambda g, node, x: fixed_point_activations.relu_x_reference(
                      x, io_params(g, node), -1.0, 2.5)),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [ClampParams(-1.5, 2.25), ClampParams(0.0, float("inf")), ClampParams(3.0, -1.0)])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.CLAMP, shape, "vunary_f32_clamp_", params)


# ---- int8 lookup microkernels (csrc/ukernels/vunary_qs8.h) ---------------------------------


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (-0.5, 3.0), (0.0, float("inf")), (2.0, -1.0),
                                    (-float("inf"), 0.25)], ids=str)
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, bounds: tuple[float, float]) -> None:
    """The requantization and clamp's table over every byte, built at prepare, through the
    vectorised lookup: the reference loop's bytes and the numpy model's (min > max gives max),
    every tail, 1 and 2 threads, zero points at -128 and 127."""
    lo, hi = bounds
    elementwise_qs8_checks.check_lookup(
        "clamp", lambda shape, q: (fixed_point_activations.build(OpType.CLAMP, shape, q,
                                                                  ClampParams(lo, hi)), q),
        isa_mask, suffix, 11, lambda x, q: fixed_point_activations.relu_x_reference(x, q, lo, hi))
