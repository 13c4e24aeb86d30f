"""MAX_POOL2D and AVERAGE_POOL2D against ONNX Runtime: MaxPool, AveragePool (pads, strides,
dilations, ceil_mode, count_include_pad), GlobalAveragePool and GlobalMaxPool."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite import Interpreter
from emberlite.converter.errors import UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember, run_ort

OPSET = 17


def _model(op: str, shape: tuple[int, ...], **attrs: Any) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    y = helper.make_empty_tensor_value_info("y")
    graph = helper.make_graph([helper.make_node(op, ["x"], ["y"], **attrs)], "pool", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    return run_ember(convert_onnx(model), [x])[0]


def _check(model: onnx.ModelProto, x: np.ndarray, kernel: str) -> None:
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert kernel in ops, f"expected a {kernel} node, got {ops}"
    assert_matches_ort(model, [x])


# (input NCHW, kernel_shape, strides, pads [t, l, b, r], dilations, ceil_mode)
MAX_CASES = [
    ((1, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1), 0),
    ((2, 5, 7, 9), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 0),
    ((1, 4, 7, 7), (3, 3), (1, 1), (0, 1, 2, 1), (1, 1), 0),
    ((1, 3, 9, 10), (2, 3), (1, 2), (0, 0, 0, 0), (1, 1), 0),
    ((1, 2, 10, 11), (3, 3), (2, 2), (2, 2, 2, 2), (2, 2), 0),
    ((1, 2, 9, 8), (2, 3), (1, 2), (1, 0, 1, 2), (3, 2), 0),
    ((1, 3, 7, 8), (3, 3), (2, 2), (0, 0, 0, 0), (1, 1), 1),
    ((1, 3, 6, 6), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 0),
    ((1, 7, 5, 1), (5, 1), (1, 1), (0, 0, 0, 0), (1, 1), 0),
    ((1, 16, 56, 56), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 0),
]


@pytest.mark.parametrize("shape,kernel,strides,pads,dilations,ceil", MAX_CASES, ids=str)
def test_max_pool(shape: tuple[int, ...], kernel: tuple[int, int], strides: tuple[int, int],
                  pads: tuple[int, ...], dilations: tuple[int, int], ceil: int) -> None:
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    x = rng.standard_normal(shape).astype(np.float32)
    model = _model("MaxPool", shape, kernel_shape=kernel, strides=strides, pads=list(pads),
                   dilations=dilations, ceil_mode=ceil)
    _check(model, x, "max_pool2d")


def test_max_pool_padding_never_wins() -> None:
    """All inputs negative: a padded zero must not become a window's maximum."""
    rng = np.random.default_rng(7)
    x = (-1.0 - rng.random((1, 3, 6, 5))).astype(np.float32)
    model = _model("MaxPool", x.shape, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    out = _run(model, x)
    assert np.all(out < 0)
    assert_matches_ort(model, [x])


def _past_padding(size: int, kernel: int, stride: int, before: int, after: int) -> bool:
    """Whether ceil_mode's last window (ONNX Runtime's rule) ends beyond the declared pads."""
    span = size + before + after - kernel
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + before:
        out -= 1
    return (out - 1) * stride + kernel > size + before + after


# (input NCHW, kernel_shape, strides, pads [t, l, b, r], ceil_mode)
AVG_CASES = [
    ((1, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0), 0),
    ((2, 5, 7, 9), (3, 3), (2, 2), (1, 1, 1, 1), 0),
    ((1, 4, 7, 7), (3, 3), (1, 1), (0, 1, 2, 1), 0),
    ((1, 3, 9, 10), (2, 3), (1, 2), (1, 0, 1, 2), 0),
    ((1, 3, 7, 8), (3, 3), (2, 2), (0, 0, 0, 0), 1),
    ((1, 3, 6, 6), (3, 3), (2, 2), (1, 1, 1, 1), 1),
    ((1, 2, 5, 6), (2, 2), (3, 3), (1, 1, 1, 1), 1),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 0),
    ((1, 32, 14, 14), (3, 3), (1, 1), (1, 1, 1, 1), 0),
]


@pytest.mark.parametrize("count_include_pad", [0, 1], ids=["exclude_pad", "include_pad"])
@pytest.mark.parametrize("shape,kernel,strides,pads,ceil", AVG_CASES, ids=str)
def test_average_pool(shape: tuple[int, ...], kernel: tuple[int, int],
                      strides: tuple[int, int], pads: tuple[int, ...], ceil: int,
                      count_include_pad: int) -> None:
    past = (_past_padding(shape[2], kernel[0], strides[0], pads[0], pads[2])
            or _past_padding(shape[3], kernel[1], strides[1], pads[1], pads[3]))
    if ceil and count_include_pad and past:
        # ONNX Runtime divides by the cells inside input + declared pads; a window that ceil_mode
        # pushes past both has no such divisor in Pool2DParams, and the importer refuses it.
        with pytest.raises(UnsupportedOpsError, match="ceil_mode"):
            convert_onnx(_model("AveragePool", shape, kernel_shape=kernel, strides=strides,
                                pads=list(pads), ceil_mode=1, count_include_pad=1))
        return
    rng = np.random.default_rng(sum(shape) * 3 + sum(kernel))
    x = rng.standard_normal(shape).astype(np.float32)
    model = _model("AveragePool", shape, kernel_shape=kernel, strides=strides, pads=list(pads),
                   ceil_mode=ceil, count_include_pad=count_include_pad)
    _check(model, x, "average_pool2d")


def test_average_pool_divisor_counts_real_cells() -> None:
    """Ones in, pads excluded: every output is exactly 1, so a wrong divisor shows."""
    x = np.ones((1, 2, 5, 5), np.float32)
    model = _model("AveragePool", x.shape, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    out = _run(model, x)
    np.testing.assert_allclose(out, run_ort(model, [x])[0], rtol=1e-6)
    np.testing.assert_allclose(out, 1.0, rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 8, 7, 7), (2, 3, 1, 1), (1, 5, 13, 4)], ids=str)
@pytest.mark.parametrize("op,kernel", [("GlobalAveragePool", ("average_pool2d", "mean")),
                                       ("GlobalMaxPool", ("max_pool2d",))], ids=str)
def test_global_pool(op: str, kernel: tuple[str, ...], shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    model = _model(op, shape)
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert any(k in ops for k in kernel), f"expected one of {kernel}, got {ops}"
    assert_matches_ort(model, [x])
