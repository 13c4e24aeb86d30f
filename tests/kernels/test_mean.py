"""MEAN in every type:
- float32: ONNX ReduceMean against ONNX Runtime over single, several, negative and all axes,
  with and without keepdims, including 1-sized dims and the NHWC spatial mean after a Conv.
- int8 (int32 sum of the stored values, zero-point correction, one requantization with 1/n
  folded into the multiplier) against a numpy model of LiteRT's reference kernel
  (int8_oracles.py): bit-exact, over reduced axis sets, kept and dropped dims, and equal or
  different quant.
- int8 .tflite files from TFLiteConverter (Keras global average pools and reduce_mean,
  tests/importers/keras_int8_arith.py): byte for byte LiteRT's reference kernels
  (BUILTIN_REF) and within 1 LSB of its default kernels on >= 99% of the elements.
- the post-training int8 quantizer on one-op ONNX models (ReduceMean, GlobalAveragePool)."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter.ops import OpType
from emberlite.converter.ops.mean import ReduceParams
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember
from tests.importers import keras_int8_arith
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_qs8_checks
from tests.kernels.fixed_point import empty_graph, int8_tensor, log_uniform, run_graph, \
    single_op, snap_pow2
from tests.kernels.fast_paths import check_fast_path, float_node
from tests.kernels.int8_oracles import mean_reference
from tests.quantize.int8_op_checks import (Case, check_op_runs_int8_close_to_float, io_params,
                                           single)

OPSET = 17

CASES = [
    ((7,), [0]),
    ((3, 5), [1]),
    ((3, 5), [0]),
    ((3, 5), [0, 1]),
    ((2, 3, 4, 5), [1]),
    ((2, 3, 4, 5), [2, 3]),
    ((2, 3, 4, 5), [0, 2]),
    ((2, 3, 4, 5), [1, 3]),
    ((2, 3, 4, 5), [-1]),
    ((2, 3, 4, 5), [-3, -1]),
    ((2, 3, 4, 5), [0, 1, 2, 3]),
    ((3, 1, 4), [1]),
    ((1, 1, 5), [0, 2]),
    ((4, 6, 1, 3, 2), [1, 3, 4]),
    ((1, 64, 15, 15), [2, 3]),
    ((2, 1000), [1]),
]


def _model(shape: tuple[int, ...], axes: list[int] | None, keepdims: int) -> onnx.ModelProto:
    attrs = {"keepdims": keepdims}
    if axes is not None:
        attrs["axes"] = axes
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["x"], ["y"], **attrs)], "mean",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_empty_tensor_value_info("y")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("keepdims", [1, 0], ids=["keepdims", "dropdims"])
@pytest.mark.parametrize("shape,axes", CASES, ids=str)
def test_reduce_mean(shape: tuple[int, ...], axes: list[int], keepdims: int) -> None:
    rng = np.random.default_rng(len(shape) * 100 + sum(axes))
    x = (rng.standard_normal(shape) + 0.5).astype(np.float32)
    model = _model(shape, axes, keepdims)
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert "mean" in ops, ops
    assert_matches_ort(model, [x])


@pytest.mark.parametrize("keepdims", [1, 0], ids=["keepdims", "dropdims"])
def test_reduce_mean_all_axes_by_default(keepdims: int) -> None:
    x = np.random.default_rng(3).standard_normal((3, 4, 2)).astype(np.float32)
    assert_matches_ort(_model(x.shape, None, keepdims), [x])


def test_large_reduction_keeps_accuracy() -> None:
    """A million values with a large common offset: a float32 running sum would drift."""
    x = (np.random.default_rng(5).random((1, 1024, 1024)) + 1000.0).astype(np.float32)
    got = run_ember(convert_onnx(_model(x.shape, [1, 2], 1)), [x])[0]
    want = x.astype(np.float64).mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("keepdims", [1, 0], ids=["keepdims", "dropdims"])
def test_spatial_mean_after_conv(keepdims: int) -> None:
    """ReduceMean over H, W of a conv output: in NHWC this reduces the middle axes."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("ReduceMean", ["c"], ["y"], axes=[2, 3], keepdims=keepdims)]
    graph = helper.make_graph(
        nodes, "conv_mean", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(onnx.shape_inference.infer_shapes(model, strict_mode=True), [x])


def build(shape: tuple[int, ...], axes: tuple[int, ...], keep: bool, q: dict):
    g = empty_graph()
    int8_tensor(g, "x", shape, q["s_in"], q["zp_in"])
    out = tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)
    int8_tensor(g, "out", out, q["s_out"], q["zp_out"])
    return single_op(OpType.MEAN, ["x"], ReduceParams(axes), g)


I8_CASES = [((1, 7, 9, 16), (1, 2)), ((2, 5, 6, 3), (1,)), ((2, 5, 6, 3), (3,)),
            ((3, 4, 5), (0, 2)), ((1, 1, 1, 8), (1, 2)), ((4, 33), (1,)),
            ((1, 16, 16, 4), (1, 2)), ((2, 3, 4, 5), (0, 1, 2, 3)), ((1, 1, 300), (2,))]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), case=st.sampled_from(I8_CASES), keep=st.booleans(),
       same=st.booleans())
def test_mean_i8(seed: int, case, keep: bool, same: bool) -> None:
    rng = np.random.default_rng(seed)
    shape, axes = case
    s_in = float(log_uniform(rng, 1e-3, 0.5))
    q = {"s_in": s_in, "zp_in": int(rng.integers(-128, 128))}
    if same:  # a Keras global average pool keeps the input's quantization
        q |= {"s_out": s_in, "zp_out": q["zp_in"]}
    else:
        q |= {"s_out": s_in * float(log_uniform(rng, 0.05, 4.0)),
              "zp_out": int(rng.integers(-128, 128))}
    q = snap_pow2(rng, q)
    x = rng.integers(-128, 128, shape).astype(np.int8)
    got = run_graph(build(shape, axes, keep, q), [x])[0]
    assert np.array_equal(got, mean_reference(x, axes, keep, q))


def test_mean_i8_rejects_per_channel_output() -> None:
    q = {"s_in": 0.1, "zp_in": 0, "s_out": 0.1, "zp_out": 0}
    graph = build((1, 4, 4, 2), (1, 2), True, q)
    out = graph.tensors["out"]
    graph.tensors["out"] = type(out)(out.name, out.dtype, out.shape, None,
                                     type(out.quant)((0.1, 0.2), (0, 0), 3))
    with pytest.raises(InvalidModelError, match="one scale"):
        run_graph(graph, [np.zeros((1, 4, 4, 2), np.int8)])


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _quantized_mean(g, node, x: np.ndarray) -> np.ndarray:
    keep = len(g.tensors[node.outputs[0]].shape) == x.ndim
    return mean_reference(x, node.params.axes, keep, io_params(g, node))


QUANTIZER_CASES = {
    "mean": Case(lambda: single("ReduceMean", [2, 6, 10], axes=[3], keepdims=0), (2, 6, 10),
                 OpType.MEAN, _quantized_mean),
    "global_average_pool": Case(lambda: single("GlobalAveragePool", [6, 5, 7]),
                                (6, 5, 7), OpType.MEAN),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_arith.litert_results(tmp_path_factory)


TFLITE_CASES = ["gap_keepdims", "gap_flat", "mean_axis1", "mean_last_keep", "mean_axis12_keep"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# (NHWC or [batch, rows, channels] input, axes): the reduced axes lie between a batch and the
# channels, which the channel-sum microkernel runs; odd channel counts cover its tails
FAST_CASES = [((1, 7, 7, 67), (1, 2)), ((2, 5, 3, 45), (1, 2)), ((1, 112, 112, 32), (1, 2)),
              ((3, 2, 1, 13), (1, 2)), ((2, 9, 17), (1,)), ((1, 4, 6, 2), (1, 2)),
              ((2, 3, 4, 5, 7), (1, 2, 3))]


@pytest.mark.parametrize("keep", [True, False], ids=["keepdims", "dropdims"])
@pytest.mark.parametrize("shape,axes", FAST_CASES, ids=str)
def test_fast_f32_matches_reference(shape: tuple[int, ...], axes: tuple[int, ...],
                                    keep: bool) -> None:
    """The channel-sum microkernel (default isa_mask) equals the reference's double sums
    (ISA_NONE) bit for bit, on 1 and 2 threads (tests/kernels/fast_paths.py)."""
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) + 0.5).astype(np.float32)
    out = tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)
    got, = check_fast_path(float_node(OpType.MEAN, ReduceParams(axes), shape, out), [x], "mean")
    np.testing.assert_allclose(got, x.astype(np.float64).mean(axis=axes).reshape(out),
                               rtol=1e-6, atol=1e-7)


# ---- int8 microkernels (csrc/ukernels/pool_qs8.h) -------------------------------------------


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """MEAN over H, W (and H alone) of NHWC int8 through the channel-sum microkernels: channel
    counts around the 16/8-channel steps, 2 to 400 summed rows, zero points -128/127, output
    scales from 1/20 to 4 of the input's (left shifts), kept or dropped dims: the reference
    loop's bytes and the numpy model's, 1 and 2 threads."""
    rng = np.random.default_rng(seed)
    for c in (2, 7, 8, 16, 17, 33, 64, 100):  # one channel or one pixel: not a channel sum
        shape = (int(rng.integers(1, 3)), int(rng.integers(2, 21)), int(rng.integers(2, 21)), c)
        axes = (1, 2) if rng.random() < 0.75 else (1,)
        keep = bool(rng.random() < 0.5)
        s_in = float(log_uniform(rng, 1e-3, 0.5))
        q = {"s_in": s_in, "zp_in": elementwise_qs8_checks.zero_point(rng),
             "s_out": s_in * float(log_uniform(rng, 0.05, 4.0)),
             "zp_out": elementwise_qs8_checks.zero_point(rng)}
        x = elementwise_qs8_checks.int8_data(rng, shape)
        elementwise_qs8_checks.check_variant(build(shape, axes, keep, q), [x], "mean", isa_mask,
                                             suffix, mean_reference(x, axes, keep, q))
