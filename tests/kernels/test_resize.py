"""RESIZE against ONNX Runtime: nearest with every rounding mode and linear, each with every
coordinate transform, for x2 upsampling, non-integer scales, downsampling, output sizes given
by `sizes`, and 1-pixel outputs."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from tests.helpers import assert_matches_ort, convert_onnx

OPSET = 17

TRANSFORMS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]
ROUNDINGS = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]

# (input NCHW, scales for H and W or None, output sizes H and W or None)
CASES = [
    ((1, 3, 4, 5), (2.0, 2.0), None),
    ((2, 2, 5, 7), (1.5, 2.5), None),
    ((1, 1, 3, 3), (4.0, 3.0), None),
    ((1, 3, 8, 9), (0.5, 0.75), None),
    ((1, 3, 4, 5), None, (7, 3)),
    ((1, 2, 5, 6), None, (1, 4)),
    ((1, 4, 1, 1), None, (3, 2)),
    ((1, 5, 6, 6), None, (6, 6)),
]


def _model(shape: tuple[int, ...], scales: tuple[float, float] | None,
           sizes: tuple[int, int] | None, **attrs: str) -> onnx.ModelProto:
    consts = []
    if scales is not None:
        consts.append(numpy_helper.from_array(np.array([1, 1, *scales], np.float32), "scales"))
        inputs = ["x", "", "scales"]
    else:
        consts.append(numpy_helper.from_array(np.array([*shape[:2], *sizes], np.int64), "sizes"))
        inputs = ["x", "", "", "sizes"]
    graph = helper.make_graph(
        [helper.make_node("Resize", inputs, ["y"], **attrs)], "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_empty_tensor_value_info("y")], consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def _check(model: onnx.ModelProto, shape: tuple[int, ...]) -> None:
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert "resize" in ops, ops
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    assert_matches_ort(model, [x])


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("shape,scales,sizes", CASES, ids=str)
def test_resize_nearest(shape: tuple[int, ...], scales: tuple[float, float] | None,
                        sizes: tuple[int, int] | None, transform: str, rounding: str) -> None:
    model = _model(shape, scales, sizes, mode="nearest",
                   coordinate_transformation_mode=transform, nearest_mode=rounding)
    _check(model, shape)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("shape,scales,sizes", CASES, ids=str)
def test_resize_linear(shape: tuple[int, ...], scales: tuple[float, float] | None,
                       sizes: tuple[int, int] | None, transform: str) -> None:
    model = _model(shape, scales, sizes, mode="linear", coordinate_transformation_mode=transform)
    _check(model, shape)


def test_resize_defaults() -> None:
    """No attributes: nearest, half_pixel, round_prefer_floor."""
    _check(_model((1, 2, 3, 4), (2.0, 3.0), None), (1, 2, 3, 4))


def test_upsample_after_conv() -> None:
    """A U-Net style x2 upsampling of a conv feature map (NHWC inside Emberlite)."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 3, 6, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    scales = np.array([1, 1, 2, 2], np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Resize", ["c", "", "scales"], ["y"], mode="linear")]
    graph = helper.make_graph(
        nodes, "conv_resize", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(scales, "scales")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(onnx.shape_inference.infer_shapes(model, strict_mode=True), [x])
