"""The I/O contract of a converted ONNX model: by default its inputs and outputs keep the ONNX
model's own layout (an ONNX Runtime user's NCHW preprocessing keeps working); io_layout="nhwc"
(ember convert --io-layout nhwc) stores 4-D ones channels-last and says so in the metadata."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter
from emberlite.converter.errors import ModelImportError
from tests.helpers import run_ort


def _cnn(vector: bool = True) -> onnx.ModelProto:
    """A 3x3 convolution with an image output (its ReLU) and, with `vector`, a pooled one."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["image"])]
    outputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 4, 6, 5])]
    if vector:
        nodes += [helper.make_node("GlobalAveragePool", ["c"], ["p"]),
                  helper.make_node("Flatten", ["p"], ["vector"])]
        outputs.append(helper.make_tensor_value_info("vector", TensorProto.FLOAT, [1, 4]))
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 5])],
        outputs, [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(data: bytes, x: np.ndarray) -> tuple[Interpreter, list[np.ndarray]]:
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp, [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def test_default_keeps_the_onnx_layout() -> None:
    model = _cnn()
    x = np.random.default_rng(1).standard_normal((1, 3, 6, 5)).astype(np.float32)
    interp, got = _run(Converter.from_onnx(model).convert(), x)
    assert [list(d["shape"]) for d in interp.get_input_details()] == [[1, 3, 6, 5]]
    assert not any(k.startswith("layout.") for k in interp.get_metadata())
    for g, w in zip(got, run_ort(model, [x])):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_nhwc_stores_images_channels_last() -> None:
    model = _cnn(vector=False)
    x = np.random.default_rng(2).standard_normal((1, 3, 6, 5)).astype(np.float32)
    data = Converter.from_onnx(model, io_layout="nhwc").convert()
    interp, got = _run(data, np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
    meta = interp.get_metadata()
    assert meta["layout.input.x"] == "NHWC" and meta["layout.output.image"] == "NHWC"
    assert [list(d["shape"]) for d in interp.get_input_details()] == [[1, 6, 5, 3]]
    np.testing.assert_allclose(got[0], run_ort(model, [x])[0].transpose(0, 2, 3, 1),
                               rtol=1e-5, atol=1e-5)
    # Channels-last edges need no layout transposes inside the file; ONNX ones need two.
    assert "transpose" not in interp.node_ops()
    default = Interpreter(model_content=Converter.from_onnx(model).convert())
    assert default.node_ops().count("transpose") == 2


def test_unknown_io_layout_is_refused() -> None:
    with pytest.raises(ModelImportError, match="io_layout must be one of onnx, nhwc"):
        Converter.from_onnx(_cnn(), io_layout="nchw")


def test_cli_io_layout(tmp_path: Path) -> None:
    src, out = tmp_path / "cnn.onnx", tmp_path / "cnn.ember"
    onnx.save(_cnn(), str(src))
    assert main(["convert", str(src), "-o", str(out), "--io-layout", "nhwc"]) == 0
    assert Interpreter(model_path=str(out)).get_metadata()["layout.input.x"] == "NHWC"
    assert main(["convert", str(src), "-o", str(out)]) == 0
    assert "layout.input.x" not in Interpreter(model_path=str(out)).get_metadata()
