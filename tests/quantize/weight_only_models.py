"""Models and measures shared by the weight-only quantization tests (test_dynamic.py,
test_fp16.py): one small ONNX model per weighted op whose output channels differ in scale by
four orders of magnitude (so weights quantized along any axis but the output channels' lose
the small channels), and the comparison of a quantized file with
the float one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from tests.helpers import run_ember



def _channel_scales(n: int) -> np.ndarray:
    return np.logspace(-3, 1, n).astype(np.float32)


def _weights(rng: np.random.Generator, shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Random weights whose slices along `axis` (the output channels) range over 1e-3..10."""
    scale_shape = [1] * len(shape)
    scale_shape[axis] = shape[axis]
    w = rng.standard_normal(shape).astype(np.float32)
    return w * _channel_scales(shape[axis]).reshape(scale_shape)


def _model(node: onnx.NodeProto, x_shape: list[int], y_shape: list[int],
           inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    graph = helper.make_graph([node], "weighted_op",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@dataclass(frozen=True)
class WeightedOp:
    """An ONNX model of one weighted op; `op` names the Emberlite kernel it becomes, `axis`
    the output-channel axis of its IR weights, `channel_axis` that of its ONNX output."""
    model: onnx.ModelProto
    op: str
    axis: int
    channel_axis: int


def weighted_ops() -> dict[str, WeightedOp]:
    rng = np.random.default_rng(3)
    num = numpy_helper.from_array
    conv_w, conv_b = _weights(rng, (6, 3, 3, 3), 0), rng.standard_normal(6).astype(np.float32)
    dw_w = _weights(rng, (5, 1, 3, 3), 0)
    tc_w = _weights(rng, (3, 4, 3, 3), 1)            # ONNX ConvTranspose: [Cin, Cout, kh, kw]
    fc_w = _weights(rng, (7, 12), 0)                 # Gemm transB: [N, K]
    bmm_w = _weights(rng, (2, 12, 5), 2)             # MatMul [batch, K, N]
    return {
        "conv2d": WeightedOp(_model(
            helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1]),
            [1, 3, 8, 8], [1, 6, 8, 8], [num(conv_w, "w"), num(conv_b, "b")]), "conv2d", 0, 1),
        "depthwise_conv2d": WeightedOp(_model(
            helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], group=5),
            [1, 5, 8, 8], [1, 5, 8, 8], [num(dw_w, "w")]), "depthwise_conv2d", 3, 1),
        "transpose_conv2d": WeightedOp(_model(
            helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2]),
            [1, 3, 5, 5], [1, 4, 11, 11], [num(tc_w, "w")]), "transpose_conv2d", 0, 1),
        "fully_connected": WeightedOp(_model(
            helper.make_node("Gemm", ["x", "w"], ["y"], transB=1),
            [3, 12], [3, 7], [num(fc_w, "w")]), "fully_connected", 0, 1),
        "batch_matmul": WeightedOp(_model(
            helper.make_node("MatMul", ["x", "w"], ["y"]),
            [2, 4, 12], [2, 4, 5], [num(bmm_w, "w")]), "batch_matmul", 2, 2),
    }


def worst_channel_error(got: np.ndarray, want: np.ndarray, axis: int) -> float:
    """Largest over output channels of max|got - want| / max|want| within the channel."""
    g = np.moveaxis(got, axis, 0).reshape(got.shape[axis], -1)
    w = np.moveaxis(want, axis, 0).reshape(want.shape[axis], -1)
    return float(np.max(np.abs(g - w).max(axis=1) / np.abs(w).max(axis=1)))


@dataclass(frozen=True)
class Comparison:
    cosine: float            # least over the inputs
    size_ratio: float        # quantized file / float file
    arena: int
    float_arena: int


def arena_size(model: bytes) -> int:
    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    return interp.arena_size


def compare(model: onnx.ModelProto, mode: str, inputs: list[np.ndarray]) -> Comparison:
    """Float and `mode` conversions of `model` run on the same inputs."""
    float_file = Converter.from_onnx(model).convert()
    quant_file = Converter.from_onnx(model).quantize(mode).convert()
    cosines = []
    for x in inputs:
        [want] = run_ember(float_file, [x])
        [got] = run_ember(quant_file, [x])
        want, got = want.ravel().astype(np.float64), got.ravel().astype(np.float64)
        cosines.append(float(want @ got / (np.linalg.norm(want) * np.linalg.norm(got))))
    return Comparison(min(cosines), len(quant_file) / len(float_file), arena_size(quant_file),
                      arena_size(float_file))
