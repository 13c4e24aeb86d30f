"""LEAKY_RELU: float32 against ONNX Runtime (several alphas and ranks, large inputs, after a
Conv), int8 (one multiplier per sign) against the numpy model of LiteRT's reference kernel and
on .tflite files against LiteRT, and the int8 quantizer on a LEAKY_RELU model."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import OpType
from emberlite.converter.ops.leaky_relu import LeakyReluParams
from tests.importers import keras_int8_activations
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_qs8_checks
from tests.kernels import activation_models, elementwise_checks, fixed_point_activations
from tests.kernels.activation_models import SHAPES, param_id
from tests.kernels.fixed_point import run_graph
from tests.kernels.fixed_point_activations import build, leaky_relu_reference, random_quant
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, io_params, single

SIMPLE = [("LeakyRelu", {}), ("LeakyRelu", {"alpha": 0.2}), ("LeakyRelu", {"alpha": 1.5}),
          ("LeakyRelu", {"alpha": -0.3})]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    activation_models.check_activation(op, attrs, shape)


@pytest.mark.parametrize("op", ["LeakyRelu"])
def test_large_inputs(op: str) -> None:
    activation_models.check_large_inputs(op)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    activation_models.check_after_conv(op, attrs)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from(fixed_point_activations.SHAPES),
       alpha=st.sampled_from([0.01, 0.1, 0.2, 0.3333, 1.0, 2.5, -0.25, 0.0]))
def test_leaky_relu_i8(seed: int, shape, alpha: float) -> None:
    rng = np.random.default_rng(seed)
    q = random_quant(rng)
    x = rng.integers(-128, 128, shape).astype(np.int8)
    got = run_graph(build(OpType.LEAKY_RELU, shape, q, LeakyReluParams(alpha)), [x])[0]
    assert np.array_equal(got, leaky_relu_reference(x, q, alpha))


@pytest.mark.parametrize("op", [OpType.LEAKY_RELU])
def test_requantizing_ops_i8_need_int8_quantization(op: OpType) -> None:
    fixed_point_activations.check_needs_int8_quantization(op)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_activations.litert_results(tmp_path_factory)


CASES = ["leaky_relu_all_values_0", "leaky_relu_all_values_1", "conv_leaky_relu"]


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


QUANTIZER_CASES = {
    "leaky_relu": Case(lambda: single("LeakyRelu", [4, 16], alpha=0.1), (4, 16),
                       OpType.LEAKY_RELU,
                       lambda g, node, x: leaky_relu_reference(x, io_params(g, node), 0.1)),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [LeakyReluParams(0.1), LeakyReluParams(-0.3)])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.LEAKY_RELU, shape, "vunary_f32_leaky_relu_", params)


# ---- int8 lookup microkernels (csrc/ukernels/vunary_qs8.h) ---------------------------------


@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.0, 2.5, -0.25, 0.0])
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, alpha: float) -> None:
    """Both slopes' requantization in one table over every byte, built at prepare, through the
    vectorised lookup: the reference loop's bytes and the numpy model's, every tail, 1 and 2
    threads, zero points at -128 and 127, negative and zero alpha."""
    elementwise_qs8_checks.check_lookup(
        "leaky_relu", lambda shape, q: (build(OpType.LEAKY_RELU, shape, q,
                                              LeakyReluParams(alpha)), q),
        isa_mask, suffix, 5, lambda x, q: leaky_relu_reference(x, q, alpha))
