"""float32 activation models for tests/kernels/test_<activation>.py: one ONNX node on plain
inputs of several ranks, or on NHWC data after a Conv, compared with ONNX Runtime."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

OPSET = 17
SHAPES = [(7,), (2, 3), (1, 1, 1), (2, 3, 4, 5), (3, 1, 5, 2, 3)]

# Clip bounds; None leaves that input out.
CLIP_BOUNDS = [(0.0, 6.0), (-1.0, 1.0), (None, 2.0), (-0.5, None), (None, None), (2.0, -1.0)]


def param_id(value: object) -> str:
    """The id of an (ONNX op, attributes) parameter: attributes left out read "default"."""
    return str(value) if value else "default"


def model(nodes: list[onnx.NodeProto], x_shape: tuple[int, ...], y_shape: tuple[int, ...],
          inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "activation_test", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    result = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(result)
    return result


def clip_node(src: str, dst: str, lo: float | None, hi: float | None
              ) -> tuple[onnx.NodeProto, list[onnx.TensorProto]]:
    names, inits = [src], []
    for name, bound in (("lo", lo), ("hi", hi)):
        if bound is None:
            names.append("")
        else:
            names.append(name)
            inits.append(numpy_helper.from_array(np.array(bound, np.float32), name))
    while names[-1] == "":
        names.pop()
    return helper.make_node("Clip", names, [dst]), inits


def random_input(shape: tuple[int, ...], seed: int, scale: float = 4.0) -> np.ndarray:
    """Wide enough to reach every saturated and linear piece of the hard activations."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def after_conv(tail: list[onnx.NodeProto], tail_inits: list[onnx.TensorProto]
               ) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """x [1,3,9,7] -> Conv(5 channels, bias) -> tail (reads "c", writes "y"), NHWC inside."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((1, 3, 9, 7)).astype(np.float32)
    w = (rng.standard_normal((5, 3, 3, 3)) * 0.8).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    conv = helper.make_node("Conv", ["x", "w", "bias"], ["c"], pads=[1, 1, 1, 1])
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(bias, "bias")] + tail_inits
    return model([conv] + tail, x.shape, (1, 5, 9, 7), inits), [x]


def check_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    onnx_model = model([helper.make_node(op, ["x"], ["y"], **attrs)], shape, shape, [])
    assert_matches_ort(onnx_model, [random_input(shape, len(shape))])


def check_large_inputs(op: str) -> None:
    x = np.concatenate([np.linspace(-120, 120, 241), [0.0, -0.0, 1e-30, -1e-30, 88.5, -88.5]])
    x = x.astype(np.float32)
    onnx_model = model([helper.make_node(op, ["x"], ["y"])], x.shape, x.shape, [])
    assert_matches_ort(onnx_model, [x])


def check_after_conv(op: str, attrs: dict[str, float]) -> None:
    onnx_model, feeds = after_conv([helper.make_node(op, ["c"], ["y"], **attrs)], [])
    assert_matches_ort(onnx_model, feeds)


def check_clip(bounds: tuple[float | None, float | None], shape: tuple[int, ...]) -> None:
    """Clip with these bounds (0..6 imports as RELU6, 0..inf as RELU, others as CLAMP)."""
    node, inits = clip_node("x", "y", *bounds)
    onnx_model = model([node], shape, shape, inits)
    assert_matches_ort(onnx_model, [random_input(shape, 1)])


def check_clip_after_conv(bounds: tuple[float | None, float | None]) -> None:
    node, inits = clip_node("c", "y", *bounds)
    onnx_model, feeds = after_conv([node], inits)
    assert_matches_ort(onnx_model, feeds)
