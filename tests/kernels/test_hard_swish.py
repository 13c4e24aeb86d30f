"""HARD_SWISH: float32 against ONNX Runtime (several ranks, large inputs, after a Conv), int8
(int16 fixed point) against the numpy model of LiteRT's reference kernel and on .tflite files
against LiteRT, the int8 quantizer on HARD_SWISH models (and the output scale it widens for the
kernel), and in place over its input. Its run back to back with other activations is in
test_activation_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper

from emberlite.converter.ops import OpType
from emberlite.errors import InvalidModelError
from tests.importers import keras_int8_activations
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import (activation_models, elementwise_checks, elementwise_qs8_checks,
                           fixed_point_activations, inplace_plans)
from tests.kernels.activation_models import SHAPES, param_id
from tests.kernels.fixed_point import run_graph
from tests.kernels.fixed_point_activations import build, hard_swish_reference, random_quant
from tests.quantize.int8_op_checks import (Case, check_op_runs_int8_close_to_float, info,
                                           io_params, quantized, single)
from tests.quantize.models import onnx_model, weight

SIMPLE = [("HardSwish", {})]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    activation_models.check_activation(op, attrs, shape)


@pytest.mark.parametrize("op", ["HardSwish"])
def test_large_inputs(op: str) -> None:
    activation_models.check_large_inputs(op)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    activation_models.check_after_conv(op, attrs)


# ---- int8 ----------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from(fixed_point_activations.SHAPES))
def test_hard_swish_i8(seed: int, shape) -> None:
    rng = np.random.default_rng(seed)
    q = random_quant(rng)
    x = rng.integers(-128, 128, shape).astype(np.int8)
    got = run_graph(build(OpType.HARD_SWISH, shape, q), [x])[0]
    assert np.array_equal(got, hard_swish_reference(x, q))


@pytest.mark.parametrize("s_in", [0.002, 0.0117, 0.05, 0.4])  # reluish exponent <0, 0, >0
def test_hard_swish_i8_all_inputs(s_in: float) -> None:
    q = {"s_in": s_in, "s_out": s_in * 0.7, "zp_in": -20, "zp_out": -90}
    x = np.arange(-128, 128, dtype=np.int8)
    got = run_graph(build(OpType.HARD_SWISH, x.shape, q), [x])[0]
    assert np.array_equal(got, hard_swish_reference(x, q))


def test_hard_swish_i8_rejects_tiny_output_scale() -> None:
    q = {"s_in": 0.5, "s_out": 0.001, "zp_in": 0, "zp_out": 0}
    with pytest.raises(InvalidModelError, match="output scale"):
        run_graph(build(OpType.HARD_SWISH, (4,), q), [np.zeros(4, np.int8)])


@pytest.mark.parametrize("op", [OpType.HARD_SWISH])
def test_requantizing_ops_i8_need_int8_quantization(op: OpType) -> None:
    fixed_point_activations.check_needs_int8_quantization(op)


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_activations.py) ---------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_activations.litert_results(tmp_path_factory)


CASES = ["hard_swish_all_values_0", "hard_swish_all_values_1", "hard_swish_all_values_2",
         "conv_hard_swish"]


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_activation_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _mobile_block() -> onnx.ModelProto:
    # Conv -> HardSwish -> depthwise -> Sigmoid gate (squeeze-excite) -> GlobalAveragePool
    # -> Gemm -> Softmax: the ops of MobileNetV3-like heads together.
    rng = np.random.default_rng(2)
    inits = [weight(rng, "w1", 8, 3, 3, 3), weight(rng, "b1", 8),
             weight(rng, "dw", 8, 1, 3, 3), weight(rng, "se", 8, 8, 1, 1),
             weight(rng, "fc", 5, 8), weight(rng, "fcb", 5)]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("HardSwish", ["c"], ["h"], name="hswish"),
             helper.make_node("Conv", ["h", "dw"], ["d"], pads=[1, 1, 1, 1], group=8,
                              name="dw"),
             helper.make_node("ReduceMean", ["d"], ["m"], axes=[2, 3], name="squeeze"),
             helper.make_node("Conv", ["m", "se"], ["e"], name="excite"),
             helper.make_node("Sigmoid", ["e"], ["s"], name="gate"),
             helper.make_node("Mul", ["d", "s"], ["g"], name="apply"),
             helper.make_node("GlobalAveragePool", ["g"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc", "fcb"], ["l"], transB=1, name="fc"),
             helper.make_node("Softmax", ["l"], ["y"], axis=1, name="softmax")]
    return onnx_model(nodes, [info("x", [1, 3, 8, 8])], [info("y", [1, 5])], inits)


QUANTIZER_CASES = {
    "hard_swish": Case(lambda: single("HardSwish", [4, 16]), (4, 16), OpType.HARD_SWISH,
                       lambda g, node, x: hard_swish_reference(x, io_params(g, node))),
    "mobile_block": Case(_mobile_block, (3, 8, 8), OpType.HARD_SWISH),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


def test_hard_swish_output_scale_is_widened_where_the_kernel_needs_it() -> None:
    # Inputs down to -60 but hard-swish outputs within [-0.005, 0] (inputs at or below -2.99):
    # the calibrated output scale is far below the s_in / 128 the int8 kernel needs.
    model = single("HardSwish", [4, 16])
    rng = np.random.default_rng(7)
    data = rng.uniform(-60, -2.99, (8, 1, 4, 16)).astype(np.float32)
    data[:, :, 0] = -2.99
    calib = list(data)
    q = quantized(model, calib)
    s_in, s_out = (q.tensors[n].quant.scale[0] for n in (q.inputs[0], q.outputs[0]))
    assert s_out > s_in / 128
    x = rng.integers(-128, 128, (1, 4, 16)).astype(np.int8)
    [y] = run_graph(q, [x])
    np.testing.assert_array_equal(y, hard_swish_reference(x, io_params(q, q.nodes[0])))


# ---- in place ------------------------------------------------------------------------------

@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.HARD_SWISH))
def test_exact_alias_runs_in_place(op: OpType, other, oracle) -> None:
    inplace_plans.check_exact_alias_runs_in_place(op, other, oracle)


@pytest.mark.parametrize("op,other,oracle", inplace_plans.cases(OpType.HARD_SWISH))
def test_partial_overlap_rejected(op: OpType, other, oracle) -> None:
    inplace_plans.check_partial_overlap_rejected(op, other)


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [None])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.HARD_SWISH, shape, "vunary_f32_hard_swish_", params)


# ---- int8 lookup microkernels (csrc/ukernels/vunary_qs8.h) ---------------------------------


@pytest.mark.parametrize("seed", [7, 8])
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """The table of hard_swish_i8 over every byte, built at prepare, through the vectorised
    lookup: the reference loop's bytes and the numpy model's, every tail, 1 and 2 threads."""
    elementwise_qs8_checks.check_hard_swish(isa_mask, suffix, seed)
