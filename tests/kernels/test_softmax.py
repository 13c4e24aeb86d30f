"""SOFTMAX in every type:
- float32: ONNX Softmax against ONNX Runtime over every axis of 1D-4D inputs, large logits
  that would overflow a naive exp, and NHWC data after a Conv; beta (from TFLite models), in
  place over its input and not.
- int8 (fixed-point exp, Q12.19 sum, Newton reciprocal; output scale 1/256, zero point -128)
  against a numpy model of LiteRT's reference kernel (fixed_point_exp.py): bit-exact. The
  model itself is checked against float softmax, so a shared misreading of the arithmetic
  would show.
- int8 .tflite files from TFLiteConverter (Keras Dense -> softmax of several depths, Conv ->
  Softmax over the channels): byte for byte LiteRT's reference kernels (BUILTIN_REF) and
  within 1 LSB of its default kernels on >= 99% of the elements; the importer checks the
  output quantization.
- the post-training int8 quantizer on a one-op ONNX Softmax."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from conftest import require_module
from emberlite.converter.importers.tflite_reader import read_tflite
from emberlite.converter.ops import OpType
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import InvalidModelError
from tests.converter.ir_builder import GraphBuilder
from tests.helpers import assert_matches_ort, run_ember
from tests.importers.keras_sets import Built, session_cases
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default, int8_tflite,
                                                random_int8_samples, tflite_ops, uniform)
from tests.kernels import elementwise_qs8_checks
from tests.kernels.fast_paths import check_fast_path, float_node
from tests.kernels.fixed_point import empty_graph, int8_tensor, log_uniform, run_graph, single_op
from tests.kernels.fixed_point_exp import exp_on_negative_values, one_over_one_plus_x, softmax_i8
from tests.kernels.inplace_plans import STAGED, shifted_plan, staged_input
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, single

OPSET = 17

CASES = [
    ((10,), -1),
    ((10,), 0),
    ((3, 7), -1),
    ((3, 7), 1),
    ((3, 7), 0),
    ((1, 1), -1),
    ((2, 5, 3), -1),
    ((2, 5, 3), 1),
    ((2, 5, 3), 0),
    ((2, 5, 3), -2),
    ((2, 3, 4, 5), -1),
    ((2, 3, 4, 5), 1),
    ((2, 3, 4, 5), 2),
    ((2, 3, 4, 5), 0),
    ((1, 1000), -1),
    ((4, 1, 6), 1),
]


def _softmax_model(shape: tuple[int, ...], axis: int) -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], axis=axis)], "softmax_test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("shape,axis", CASES, ids=str)
@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["normal", "large_logits"])
def test_softmax(shape: tuple[int, ...], axis: int, scale: float) -> None:
    rng = np.random.default_rng(len(shape) * 10 + axis)
    x = (rng.standard_normal(shape) * scale).astype(np.float32)
    if scale > 1:
        x += 5000.0  # exp(x) alone would overflow float32 everywhere
    assert_matches_ort(_softmax_model(shape, axis), [x])


def test_equal_logits() -> None:
    x = np.full((3, 8), 123.0, np.float32)
    assert_matches_ort(_softmax_model(x.shape, -1), [x])


@pytest.mark.parametrize("axis", [1, -1], ids=str)
def test_softmax_after_conv(axis: int) -> None:
    """Softmax of a conv output: axis 1 (channels) becomes the NHWC last axis."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 5, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Softmax", ["c"], ["y"], axis=axis)]
    graph = helper.make_graph(
        nodes, "conv_softmax", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 4, 5, 6))],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(model, [x])


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("in_place", [False, True])
def test_softmax_beta(axis: int, in_place: bool) -> None:
    """beta (from TFLite models; ONNX has none) scales the logits before the softmax."""
    b = GraphBuilder()
    y = b.node(OpType.SOFTMAX, [staged_input(b, (3, 4, 5))], SoftmaxParams(axis=axis, beta=0.37))
    b.output(y)
    graph = b.build()
    plan = shifted_plan(graph, y, STAGED, 0) if in_place else plan_memory(graph)
    x = (np.random.default_rng(axis).standard_normal((3, 4, 5)) * 30).astype(np.float32)
    got = run_ember(serialize(graph, plan), [x])[0]
    np.testing.assert_allclose(got, _softmax(0.37 * x.astype(np.float64), axis), atol=1e-6)

OUT_SCALE, OUT_ZP = 1.0 / 256.0, -128


def build(shape: tuple[int, ...], s_in: float, zp_in: int, beta: float, axis: int,
          s_out: float = OUT_SCALE, zp_out: int = OUT_ZP):
    g = empty_graph()
    int8_tensor(g, "x", shape, s_in, zp_in)
    int8_tensor(g, "out", shape, s_out, zp_out)
    return single_op(OpType.SOFTMAX, ["x"], SoftmaxParams(axis=axis, beta=beta), g)


def run(x: np.ndarray, s_in: float, beta: float, axis: int, zp_in: int = 0) -> np.ndarray:
    return run_graph(build(x.shape, s_in, zp_in, beta, axis), [x])[0]


def float_softmax(x: np.ndarray, s_in: float, beta: float, axis: int) -> np.ndarray:
    z = np.float64(np.float32(beta)) * np.float64(np.float32(s_in)) * x.astype(np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 300), rows=st.integers(1, 4),
       beta=st.sampled_from([1.0, 1.0, 0.5, 2.0, 0.37, 3.1]), strided=st.booleans())
def test_softmax_i8(seed: int, depth: int, rows: int, beta: float, strided: bool) -> None:
    rng = np.random.default_rng(seed)
    s_in = float(log_uniform(rng, 1e-3, 0.5))
    # Logits from a narrow or the full int8 range: ties of the max and cut-off tails both occur.
    lo = int(rng.integers(-128, 127))
    x = rng.integers(lo, 128, (rows, depth)).astype(np.int8)
    axis = 1
    if strided:  # softmax over a middle axis (the ONNX side may emit one)
        x = np.ascontiguousarray(np.stack([x, x[::-1]], axis=-1))
    got = run(x, s_in, beta, axis, zp_in=int(rng.integers(-128, 128)))
    want = softmax_i8(x, s_in, beta, axis)
    assert np.array_equal(got, want), np.argwhere(got != want)[:5]
    # Both approximate real softmax to about 1 LSB of 1/256.
    real = float_softmax(x, s_in, beta, axis) * 256.0 - 128.0
    assert np.max(np.abs(want.astype(np.float64) - np.clip(real, -128, 127))) <= 1.5


@pytest.mark.parametrize("s_in,beta", [(0.0371, 1.0), (0.25, 1.0), (1.0 / 16, 1.0),
                                        (0.004, 0.7), (0.9, 2.5), (1.0, 64.0), (2e-3, 1.0)])
def test_softmax_i8_every_difference(s_in: float, beta: float) -> None:
    # Rows holding every int8 value once (every difference to the max 127), shuffled, plus
    # rows of equal values; (1.0, 64.0) hits the multiplier cap of 2^31 - 1.
    rng = np.random.default_rng(7)
    full = np.arange(-128, 128, dtype=np.int8)
    x = np.stack([rng.permutation(full), full, np.full(256, 5, np.int8),
                  np.full(256, -128, np.int8)])
    got = run(x, s_in, beta, 1)
    assert np.array_equal(got, softmax_i8(x, s_in, beta, 1))


def test_fixed_point_model_approximates_exp_and_reciprocal() -> None:
    # The numpy model's primitives against float math: the degree-4 Taylor series leaves
    # ~2e-7 (x^5/120 at |x| = 1/8), the Newton steps ~1e-9; both far below 1/256.
    a = -np.linspace(0, 31.9, 20001)
    raw = np.round(a * 2**26).astype(np.int64)
    got = exp_on_negative_values(raw) / 2**31
    assert np.max(np.abs(got - np.exp(raw / 2**26))) < 5e-7
    x = np.linspace(0, 1 - 2**-31, 20001)
    got = one_over_one_plus_x(np.floor(x * 2**31).astype(np.int64)) / 2**31
    assert np.max(np.abs(got - 1 / (1 + np.floor(x * 2**31) / 2**31))) < 1e-8


@pytest.mark.parametrize("s_out,zp_out", [(1.0 / 256, 0), (1.0 / 128, -128), (0.0039, -128)])
def test_softmax_i8_output_quantization_is_checked(s_out: float, zp_out: int) -> None:
    with pytest.raises(InvalidModelError, match="scale 1/256 and zero point -128"):
        run_graph(build((2, 5), 0.1, 0, 1.0, 1, s_out, zp_out), [np.zeros((2, 5), np.int8)])


def test_softmax_i8_output_scale_tolerance_matches_litert() -> None:
    # LiteRT accepts output scales within 0.1% of 1/256 and computes as if it were 1/256.
    x = np.arange(-60, 60, 3, dtype=np.int8).reshape(2, 20)
    got = run_graph(build(x.shape, 0.05, 0, 1.0, 1, OUT_SCALE * (1 + 5e-4)), [x])[0]
    assert np.array_equal(got, softmax_i8(x, 0.05, 1.0, 1))


def test_softmax_i8_rejects_tiny_beta_times_scale() -> None:
    with pytest.raises(InvalidModelError, match="beta x input scale"):
        run_graph(build((3,), 1e-8, 0, 1.0, 0), [np.zeros(3, np.int8)])


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _quantized_softmax(g, node, x: np.ndarray) -> np.ndarray:
    return softmax_i8(x, g.tensors[node.inputs[0]].quant.scale[0], node.params.beta,
                      node.params.axis)


QUANTIZER_CASES = {"softmax": Case(lambda: single("Softmax", [3, 10], axis=2), (3, 10),
                                   OpType.SOFTMAX, _quantized_softmax)}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- int8 .tflite files (TFLiteConverter) against LiteRT; LiteRT runs in one subprocess --

SAMPLES = 6
# Depths around the edges of the fixed-point paths: one class, tiny, odd, > 256.
DEPTHS = [1, 2, 10, 37, 100, 300]


def _keras_softmax_cases(tf: Any, rng: np.random.Generator
                          ) -> dict[str, tuple[Any, tuple[int, ...]]]:
    """name -> (Keras model, input shape). Weights are random and uneven, and some models
    scale the logits up, so input scales and the share of cut-off differences vary."""
    L = tf.keras.layers

    def model(shape: tuple[int, ...], body: Callable[[Any], Any]) -> Any:
        x = L.Input(shape)
        return tf.keras.Model(x, body(x))

    def dense_softmax(units: int, gain: float) -> Callable[[Any], Any]:
        def body(x: Any) -> Any:
            layer = L.Dense(units)
            y = layer(x)
            w, b = layer.get_weights()
            layer.set_weights([w * rng.uniform(0.2, gain, w.shape).astype(np.float32),
                               rng.normal(0, 0.5, b.shape).astype(np.float32)])
            return L.Softmax()(y)
        return body

    cases = {f"dense{d}_softmax": (model((16,), dense_softmax(d, 1.5 + 3 * (i % 3))), (16,))
             for i, d in enumerate(DEPTHS)}
    cases["conv_softmax_channels"] = (
        model((7, 6, 3), lambda x: L.Softmax(axis=-1)(L.Conv2D(12, 3, padding="same")(x))),
        (7, 6, 3))
    cases["conv_relu_softmax_channels"] = (
        model((5, 5, 4), lambda x: L.Softmax()(L.Conv2D(5, 1, activation="relu")(x))),
        (5, 5, 4))
    return cases


def _litert_models(tf: Any, rng: np.random.Generator) -> Built:
    models, inputs = {}, {}
    for name, (model, shape) in _keras_softmax_cases(tf, rng).items():
        data = int8_tflite(tf, model, uniform(rng, shape))
        assert "SOFTMAX" in tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        # Random int8 inputs plus calibration-like ones, so rows are both flat and peaked.
        quant = read_tflite(data).tensors[read_tflite(data).inputs[0]].quant
        typical = [[np.clip(np.round(uniform(rng, shape)() / np.float32(quant.scale[0]))
                            + quant.zero_point[0], -128, 127).astype(np.int8)]
                   for _ in range(SAMPLES // 2)]
        inputs[name] = random_int8_samples(data, rng, SAMPLES - len(typical)) + typical
    return models, inputs


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return session_cases({}, tmp_path_factory, "int8_softmax", 21, _litert_models)


TFLITE_CASES = [f"dense{d}_softmax" for d in DEPTHS] + ["conv_softmax_channels",
                                                         "conv_relu_softmax_channels"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_softmax_identical_to_litert_reference(results: dict, name: str) -> None:
    ops = [op.op_name for op in read_tflite(results[name]["data"]).operators]
    assert ops[-1] == "SOFTMAX", ops
    # A depth-1 softmax is always 1.0 (127); elsewhere the outputs must not be degenerate.
    values = np.unique(np.concatenate([s[0].reshape(-1) for s in results[name]["ref"]]))
    assert len(values) >= (1 if name == "dense1_softmax" else 8), values
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_softmax_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


def test_softmax_output_quantization_is_checked_on_import() -> None:
    # TFLiteConverter writes scale 1/256 and zero point -128, which the importer accepts;
    # the same file with the output's quantization edited is refused, as LiteRT refuses it.
    from emberlite.converter.importers.tflite_quantized import int8_problems
    from emberlite.converter.importers.tflite_ops import TFLITE_OPS
    from emberlite.converter.ir import QuantParams

    tf = require_module("tensorflow")
    rng = np.random.default_rng(5)
    model = tf.keras.Sequential([tf.keras.layers.Input((6,)), tf.keras.layers.Dense(4),
                                 tf.keras.layers.Softmax()])
    m = read_tflite(int8_tflite(tf, model, uniform(rng, (6,))))
    op = next(o for o in m.operators if o.op_name == "SOFTMAX")
    out = m.tensors[op.outputs[0]]
    assert out.quant.scale == (1.0 / 256,) and out.quant.zero_point == (-128,)
    constant = {i for i, t in enumerate(m.tensors) if t.data is not None}
    assert int8_problems(m, op, TFLITE_OPS[op.code], constant) == []
    for scale, zp in [(1.0 / 128, -128), (1.0 / 256, 0)]:
        out.quant = QuantParams((scale,), (zp,))
        problems = int8_problems(m, op, TFLITE_OPS[op.code], constant)
        assert any("scale 1/256 and zero point -128" in p for p in problems), problems


# (shape, beta): the axis last; row lengths cover every tail of the 8-value steps
FAST_CASES = [((1, 1000), 1.0), ((7, 13), 0.5), ((3, 4, 33), 2.5), ((64, 1), 1.0),
              ((5, 70), -1.0), ((2, 9, 3, 8), 1.0)]


@pytest.mark.parametrize("shape,beta", FAST_CASES, ids=str)
def test_fast_f32_close_to_reference(shape: tuple[int, ...], beta: float) -> None:
    """The vectorised-exp row microkernel (default isa_mask) against the reference loop with
    libm's expf (ISA_NONE): bit-identical on 1 and 2 threads, within 1e-6 relative of the
    reference (the exp approximation's error bound is 1.5e-7, csrc/ukernels/softmax.h)."""
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 6).astype(np.float32)
    model = float_node(OpType.SOFTMAX, SoftmaxParams(axis=len(shape) - 1, beta=beta), shape,
                       shape)
    check_fast_path(model, [x], "softmax", rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("isa_mask,_suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_softmax_i8_exp_table(isa_mask: int, _suffix: str, seed: int) -> None:
    """int8 SOFTMAX with the exps of all 256 differences looked up in tables prepare filled
    (softmax_qs8_lut, any isa_mask but NONE): the reference loop's bytes and the numpy
    model's, depths 1..1000, a middle axis, zero points -128/127, scales over decades and
    betas that cut the tail off, 1 and 2 threads."""
    rng = np.random.default_rng(seed)
    for depth in (1, 2, 17, 256, 1000):
        s_in = float(log_uniform(rng, 1e-3, 1.0))
        beta = float(rng.choice([1.0, 0.37, 3.1, 40.0]))
        x = elementwise_qs8_checks.int8_data(rng, (int(rng.integers(1, 4)), depth, 2))
        axis = int(rng.choice([1, 2])) if depth > 1 else 1
        zp = elementwise_qs8_checks.zero_point(rng)
        elementwise_qs8_checks.check_variant(build(x.shape, s_in, zp, beta, axis), [x],
                                             "softmax", isa_mask, "lut",
                                             softmax_i8(x, s_in, beta, axis))
