"""ONNX DFT and STFT as constant-matrix products (converter/importers/spectral.py): every
variant against ONNX's reference evaluator (whose DFT is numpy's; ONNX Runtime lacks several
variants), STFT also against ONNX Runtime, and malformed nodes refused with the reason."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember

RNG = np.random.default_rng(23)


def _model(node: onnx.NodeProto, x_shape: tuple[int, ...], inits: dict[str, np.ndarray],
           opset: int) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node], "spectral", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(v, n) for n, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _dft(x_shape: tuple[int, ...], axis: int, length: int | None, opset: int,
         **attrs: int) -> onnx.ModelProto:
    inits = {} if length is None else {"n": np.array(length, np.int64)}
    inputs = ["x", "n" if length is not None else ""]
    if opset >= 20:
        inits["axis"] = np.array(axis, np.int64)
        node = helper.make_node("DFT", inputs + ["axis"], ["y"], **attrs)
    else:
        node = helper.make_node("DFT", inputs, ["y"], axis=axis, **attrs)
    return _model(node, x_shape, inits, opset)


def _against_reference(model: onnx.ModelProto, x: np.ndarray) -> None:
    got, = run_ember(convert_onnx(model), [x])
    want, = ReferenceEvaluator(model).run(None, {"x": x})
    scale = float(np.abs(want).max()) or 1.0
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6 * scale * want.shape[-2])


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("x_shape,axis,length,attrs", [
    ((2, 12, 1), 1, None, {}),                           # real to complex
    ((3, 7, 5, 2), 1, None, {}),                         # complex, an odd length
    ((3, 7, 5, 2), -2, None, {"inverse": 1}),            # the last signal axis, inverse
    ((2, 16, 1), 1, None, {"onesided": 1}),              # rfft
    ((2, 15, 3, 1), 1, 9, {"onesided": 1}),              # rfft of a cut signal
    ((2, 6, 3, 2), 1, 20, {}),                           # zero-padded
    ((2, 9, 2), 1, None, {"inverse": 1, "onesided": 1}),  # irfft to 16 points
    ((2, 9, 2), 1, 17, {"inverse": 1, "onesided": 1}),    # irfft to an odd length
])
def test_dft_matches_the_reference(opset: int, x_shape: tuple[int, ...], axis: int,
                                   length: int | None, attrs: dict) -> None:
    model = _dft(x_shape, axis, length, opset, **attrs)
    _against_reference(model, RNG.standard_normal(x_shape).astype(np.float32))


@pytest.mark.parametrize("window", [False, True])
def test_stft_matches_onnx_runtime(window: bool) -> None:
    inits = {"step": np.array(6, np.int64), "length": np.array(20, np.int64)}
    inputs = ["x", "step", "", "length"]
    if window:
        inits["window"] = np.hanning(20).astype(np.float32)
        inputs[2] = "window"
    model = _model(helper.make_node("STFT", inputs, ["y"]), (2, 100, 1), inits, 17)
    assert_matches_ort(model, [RNG.standard_normal((2, 100, 1)).astype(np.float32)], tol=1e-5)


@pytest.mark.parametrize("make,message", [
    (lambda: _dft((2, 8, 1), 2, None, 17), "the .real, imaginary. dimension"),
    (lambda: _dft((2, 8, 2), 1, None, 17, onesided=1), "onesided needs a real input"),
    (lambda: _dft((2, 8, 3), 1, None, 17), "must end in a dimension of 1 .real. or 2"),
    (lambda: _dft((2, 8, 1), 1, 5000, 17), "dft_length 5000: 1 to 4096"),
    (lambda: _model(helper.make_node("STFT", ["x", "step", "w"], ["y"]), (1, 64, 1),
                    {"step": np.array(4, np.int64), "w": np.ones(80, np.float32)}, 17),
     "frame no longer than the signal"),
    (lambda: _model(helper.make_node("STFT", ["x", "step", "w"], ["y"]), (1, 2, 64, 1),
                    {"step": np.array(4, np.int64), "w": np.ones(8, np.float32)}, 17),
     r"signal must be \[batch, length, 1 or 2\], got \[1, 2, 64, 1\]"),
])
def test_malformed_transforms_are_refused(make, message: str) -> None:
    with pytest.raises((UnsupportedOpsError, ModelImportError), match=message):
        convert_onnx(make())
