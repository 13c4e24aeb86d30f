"""The per-layer quantization report: its numbers against SNR and cosine computed in numpy from
separately converted and run models (the whole model, and the model cut after an inner layer,
which calibrates to the same min-max ranges), its order, its JSON and the CLI's --report."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite.cli import main
from emberlite.converter import Converter
from tests.quantize.models import gated_cnn, outputs, weight


def _two_convs(cut: bool = False) -> onnx.ModelProto:
    """x -> Conv+Relu -> Conv -> y; with `cut` the model ends at the first conv's output."""
    rng = np.random.default_rng(5)
    inits = [weight(rng, "w1", 6, 3, 3, 3), weight(rng, "b1", 6),
             weight(rng, "w2", 4, 6, 3, 3), weight(rng, "b2", 4)]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1],
                              name="conv1"),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1")]
    if not cut:
        nodes.append(helper.make_node("Conv", ["r1", "w2", "b2"], ["y"], pads=[1, 1, 1, 1],
                                      name="conv2"))
    out = "r1" if cut else "y"
    shape = [1, 6, 6, 6] if cut else [1, 4, 6, 6]
    graph = helper.make_graph(
        nodes, "convs", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, shape)],
        inits[:2] if cut else inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _snr_cosine(want: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    f, q = want.astype(np.float64).ravel(), got.astype(np.float64).ravel()
    snr = 10 * math.log10(np.sum(f * f) / np.sum((f - q) ** 2))
    return snr, float(np.sum(f * q) / np.sqrt(np.sum(f * f) * np.sum(q * q)))


def _quantized_vs_float(model: onnx.ModelProto, calib: np.ndarray, io: str
                        ) -> tuple[float, float]:
    q = Converter.from_onnx(model, io_layout="nhwc").quantize("int8", dataset=list(calib),
                                                              io=io).convert()
    return _snr_cosine(outputs(Converter.from_onnx(model, io_layout="nhwc").convert(), calib),
                       outputs(q, calib))


@pytest.mark.parametrize("io", ["int8", "uint8", "float"])
def test_report_matches_separately_run_models(io: str) -> None:
    rng = np.random.default_rng(6)
    calib = rng.standard_normal((24, 3, 6, 6)).astype(np.float32)
    converter = Converter.from_onnx(_two_convs(), io_layout="nhwc").quantize(
        "int8", dataset=iter(list(calib)), io=io, report=True)
    converter.convert()
    report = converter.report
    assert report.samples == 24
    by_layer = {e.layer: e for e in report.layers}
    assert set(by_layer) == {"conv1", "conv2"}
    # The output, and the inner conv1 (relu fused) measured with the real int8 model cut there.
    for layer, model in (("conv2", _two_convs()), ("conv1", _two_convs(cut=True))):
        snr, cosine = _quantized_vs_float(model, calib, io)
        print(f"\n{layer}: report {by_layer[layer].snr_db:.4f} dB, separate {snr:.4f} dB")
        assert by_layer[layer].snr_db == pytest.approx(snr, rel=1e-6)
        assert by_layer[layer].cosine == pytest.approx(cosine, rel=1e-9)
    assert report.outputs == [by_layer["conv2"]]
    assert by_layer["conv2"].input_snr_db == by_layer["conv1"].snr_db
    assert (by_layer["conv1"].input_snr_db == math.inf) == (io == "float")
    assert [e.snr_db for e in report.layers] == sorted(e.snr_db for e in report.layers)
    assert converter.convert() == Converter.from_onnx(_two_convs(), io_layout="nhwc").quantize(
        "int8", dataset=list(calib), io=io).convert()


def test_report_json_and_float_layers(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    calib = list(rng.standard_normal((16, 3, 8, 8)).astype(np.float32))
    path = tmp_path / "report.json"
    converter = Converter.from_onnx(gated_cnn(), io_layout="nhwc").quantize(
        "int8", dataset=calib, io="float", keep_float=["conv2"], report=path)
    data = converter.convert()
    report = converter.report
    saved = json.loads(path.read_text())
    assert saved == json.loads(report.to_json())
    assert [e["layer"] for e in saved["layers"]] == [e.layer for e in report.layers]
    assert saved["samples"] == 16 and saved["budget"] is None
    precision = {e.layer: e.precision for e in report.layers}
    assert {k for k, v in precision.items() if v == "float32"} == {"gate", "conv2", "scale",
                                                                   "squash"}
    assert set(report.float_layers) == {"gate", "conv2", "scale", "squash"}
    assert precision["conv1"] == precision["fc"] == "int8"
    # The graph input is exact with float io: JSON writes its missing SNR as null.
    conv1 = next(e for e in saved["layers"] if e["layer"] == "conv1")
    assert conv1["input_snr_db"] is None
    assert abs(report.size_bytes - len(data)) < 1024  # the converter adds source metadata
    table = report.table()
    assert all(e.layer in table for e in report.layers) and "outputs:" in table


def test_cli_report(tmp_path: Path, capsys) -> None:
    source, calib, out = tmp_path / "m.onnx", tmp_path / "calib.npz", tmp_path / "m.ember"
    onnx.save(gated_cnn(), str(source))
    rng = np.random.default_rng(8)
    np.savez(calib, x=rng.standard_normal((12, 1, 3, 8, 8)).astype(np.float32))
    report = tmp_path / "report.json"
    assert main(["convert", str(source), "-o", str(out), "--quantize", "int8",
                 "--calibration", str(calib), "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    saved = json.loads(report.read_text())
    assert saved["layers"][0]["layer"] in printed and "worst first" in printed
    assert out.read_bytes() == Converter.from_onnx(gated_cnn()).quantize(
        "int8", dataset=calib).convert()
    assert main(["convert", str(source), "--report", str(report)]) == 2
    assert "only used with --quantize" in capsys.readouterr().err
