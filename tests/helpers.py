"""Shared test helpers: convert an ONNX model, run it in Emberlite and in ONNX Runtime.

Emberlite may store a 4D graph input or output as NHWC where the ONNX model has NCHW; the
converter then records metadata "layout.input.<name>" / "layout.output.<name>" = "NHWC".
run_ember takes and returns arrays in the ONNX model's own layout, so tests compare directly.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.ir import TO_NCHW, TO_NHWC

BIAS = np.array([[0.5, -1.0, 2.0, -3.0, 0.25, 4.0]], dtype=np.float32)


def biased_model(op: str, name: str, batch: int | str = 2, **attrs) -> onnx.ModelProto:
    """y = op(x + BIAS), x and y of shape [batch, 6], as graph `name`: two ops that no pass
    can fuse, with one weight (the runtime and CLI tests' small model)."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "bias"], ["s"]),
         helper.make_node(op, ["s"], ["y"], **attrs)],
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 6])],
        [numpy_helper.from_array(BIAS, "bias")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def biased_softmax(x: np.ndarray) -> np.ndarray:
    """softmax(x + BIAS) over the last axis, in float64: what biased_model("Softmax") gives."""
    s = x.astype(np.float64) + BIAS
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def convert_onnx(model: onnx.ModelProto, **options) -> bytes:
    return Converter.from_onnx(model, **options).convert()


def run_ember(model_bytes: bytes, inputs: list[np.ndarray], num_threads: int = 1,
              interpreter: Interpreter | None = None) -> list[np.ndarray]:
    interp = interpreter or Interpreter(model_content=model_bytes, num_threads=num_threads)
    if interpreter is None:
        interp.allocate_tensors()
    meta = interp.get_metadata()
    for detail, value in zip(interp.get_input_details(), inputs):
        if meta.get(f"layout.input.{detail['name']}") == "NHWC":
            value = np.transpose(value, TO_NHWC)
        # np.require, unlike np.ascontiguousarray, leaves a 0-d (scalar) input 0-d.
        interp.set_tensor(detail["index"], np.require(value, requirements="C"))
    interp.invoke()
    outputs = []
    for detail in interp.get_output_details():
        value = interp.get_tensor(detail["index"])
        if meta.get(f"layout.output.{detail['name']}") == "NHWC":
            value = np.transpose(value, TO_NCHW)
        outputs.append(value)
    return outputs


def run_ort(model: onnx.ModelProto, inputs: list[np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def max_rel_diff(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected| / max |expected| (the issue's agreement measure)."""
    scale = float(np.max(np.abs(expected))) or 1.0
    return float(np.max(np.abs(actual.astype(np.float64) - expected))) / scale


def assert_matches_ort(model: onnx.ModelProto, inputs: list[np.ndarray], tol: float = 1e-4,
                       **options) -> list[np.ndarray]:
    """Converts `model`, runs both runtimes and checks max|diff| <= tol * max|expected|."""
    ember_out = run_ember(convert_onnx(model, **options), inputs)
    ort_out = run_ort(model, inputs)
    assert len(ember_out) == len(ort_out)
    for i, (got, want) in enumerate(zip(ember_out, ort_out)):
        assert got.shape == want.shape, f"output {i}: shape {got.shape} != {want.shape}"
        if np.issubdtype(want.dtype, np.floating):
            err = max_rel_diff(got, want)
            assert err <= tol, f"output {i}: max rel diff {err:.3g} > {tol}"
        else:
            np.testing.assert_array_equal(got, want)
    return ember_out


TORCHVISION_INPUT_SHAPE = (1, 3, 224, 224)


def export_torchvision(name: str, folder: Path, *, fold_constants: bool = True) -> Path:
    """torchvision's `name` with random weights (seed 0), exported by torch to ONNX (opset 17,
    the TorchScript exporter) into folder; skips (fails in CI) without torch/torchvision."""
    from conftest import require_module

    torch = require_module("torch")
    torchvision = require_module("torchvision")
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None).eval()
    path = folder / f"{name}{'' if fold_constants else '_unfolded'}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        # dynamo=False selects the TorchScript exporter, which writes opset 17 directly.
        torch.onnx.export(net, (torch.zeros(TORCHVISION_INPUT_SHAPE),), str(path),
                          opset_version=17, dynamo=False, input_names=["image"],
                          output_names=["logits"], do_constant_folding=fold_constants)
    return path
