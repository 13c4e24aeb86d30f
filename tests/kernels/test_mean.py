"""MEAN against ONNX Runtime: ReduceMean over single, several, negative and all axes, with and
without keepdims, including 1-sized dims and the NHWC spatial mean after a Conv."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from tests.helpers import assert_matches_ort, convert_onnx, run_ember

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
