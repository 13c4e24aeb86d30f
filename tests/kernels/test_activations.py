"""RELU, RELU6, CLAMP, LEAKY_RELU, SIGMOID, TANH, HARD_SIGMOID, HARD_SWISH against ONNX
Runtime, on plain inputs of several ranks and on NHWC data after a Conv."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

OPSET = 17
SHAPES = [(7,), (2, 3), (1, 1, 1), (2, 3, 4, 5), (3, 1, 5, 2, 3)]

# (ONNX op, attributes); attributes left out take ONNX's defaults.
SIMPLE = [
    ("Relu", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("HardSwish", {}),
    ("LeakyRelu", {}),
    ("LeakyRelu", {"alpha": 0.2}),
    ("LeakyRelu", {"alpha": 1.5}),
    ("LeakyRelu", {"alpha": -0.3}),
    ("HardSigmoid", {}),
    ("HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}),
    ("HardSigmoid", {"alpha": 0.5, "beta": 0.1}),
    ("HardSigmoid", {"alpha": -0.3, "beta": 0.7}),
]

# Clip bounds; None leaves that input out.
CLIP_BOUNDS = [(0.0, 6.0), (-1.0, 1.0), (None, 2.0), (-0.5, None), (None, None), (2.0, -1.0)]


def _model(nodes: list[onnx.NodeProto], x_shape: tuple[int, ...], y_shape: tuple[int, ...],
           inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "activation_test", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return model


def _clip_node(src: str, dst: str, lo: float | None, hi: float | None
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


def _input(shape: tuple[int, ...], seed: int, scale: float = 4.0) -> np.ndarray:
    """Wide enough to reach every saturated and linear piece of the hard activations."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=lambda v: str(v) if v else "default")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    model = _model([helper.make_node(op, ["x"], ["y"], **attrs)], shape, shape, [])
    assert_matches_ort(model, [_input(shape, len(shape))])


@pytest.mark.parametrize("op", ["Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "LeakyRelu"])
def test_large_inputs(op: str) -> None:
    x = np.concatenate([np.linspace(-120, 120, 241), [0.0, -0.0, 1e-30, -1e-30, 88.5, -88.5]])
    x = x.astype(np.float32)
    model = _model([helper.make_node(op, ["x"], ["y"])], x.shape, x.shape, [])
    assert_matches_ort(model, [x])


@pytest.mark.parametrize("bounds", CLIP_BOUNDS, ids=str)
@pytest.mark.parametrize("shape", [(9,), (2, 3, 4, 5)], ids=str)
def test_clip(bounds: tuple[float | None, float | None], shape: tuple[int, ...]) -> None:
    node, inits = _clip_node("x", "y", *bounds)
    model = _model([node], shape, shape, inits)
    assert_matches_ort(model, [_input(shape, 1)])


def _after_conv(tail: list[onnx.NodeProto], tail_inits: list[onnx.TensorProto]
                ) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """x [1,3,9,7] -> Conv(5 channels, bias) -> tail (reads "c", writes "y"), NHWC inside."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((1, 3, 9, 7)).astype(np.float32)
    w = (rng.standard_normal((5, 3, 3, 3)) * 0.8).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    conv = helper.make_node("Conv", ["x", "w", "bias"], ["c"], pads=[1, 1, 1, 1])
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(bias, "bias")] + tail_inits
    return _model([conv] + tail, x.shape, (1, 5, 9, 7), inits), [x]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=lambda v: str(v) if v else "default")
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    model, feeds = _after_conv([helper.make_node(op, ["c"], ["y"], **attrs)], [])
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("bounds", [(0.0, 6.0), (-1.0, 1.0), (None, 0.5)], ids=str)
def test_clip_after_conv(bounds: tuple[float | None, float | None]) -> None:
    node, inits = _clip_node("c", "y", *bounds)
    model, feeds = _after_conv([node], inits)
    assert_matches_ort(model, feeds)


def test_silu_after_conv() -> None:
    """Sigmoid and a Mul reading both the conv output and the sigmoid (x * sigmoid(x))."""
    model, feeds = _after_conv([helper.make_node("Sigmoid", ["c"], ["s"]),
                                helper.make_node("Mul", ["c", "s"], ["y"])], [])
    assert_matches_ort(model, feeds)


def test_chain_after_conv() -> None:
    """Activations back to back, each able to run in place on the previous one's output."""
    model, feeds = _after_conv([helper.make_node("HardSwish", ["c"], ["h"]),
                                helper.make_node("Tanh", ["h"], ["t"]),
                                helper.make_node("LeakyRelu", ["t"], ["l"], alpha=0.3),
                                helper.make_node("HardSigmoid", ["l"], ["y"])], [])
    assert_matches_ort(model, feeds)
