"""SOFTMAX against ONNX Runtime: every axis of 1D-4D inputs, large logits that would overflow a
naive exp, and NHWC data after a Conv."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

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
