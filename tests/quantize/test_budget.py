"""The accuracy budget on a model built to quantize badly (tests/quantize/models.outlier_cnn):
without it the output SNR (or a user metric) misses the target; with it the model, run on its
own afterwards, meets it, and the report names the layers kept in float and their size cost."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest

from emberlite.cli import main
from emberlite.converter import Converter, QuantizationError
from tests.quantize.models import outlier_cnn, outputs

TARGET_DB = 30.0


def _snr_db(want: np.ndarray, got: np.ndarray) -> float:
    f, q = want.astype(np.float64).ravel(), got.astype(np.float64).ravel()
    noise = np.sum((f - q) ** 2)
    return math.inf if noise == 0 else 10 * math.log10(np.sum(f * f) / noise)


def _relative_error(float_outputs: dict, quant_outputs: dict) -> float:
    f, q = float_outputs["y"], quant_outputs["y"]
    return float(np.linalg.norm(q - f) / np.linalg.norm(f))


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(10)
    return rng.standard_normal((40, 4, 8, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def float_out(data: np.ndarray) -> np.ndarray:
    return outputs(Converter.from_onnx(outlier_cnn(), io_layout="nhwc").convert(), data)


def _quantize(data: np.ndarray, **options) -> tuple[Converter, bytes]:
    converter = Converter.from_onnx(outlier_cnn(), io_layout="nhwc").quantize(
        "int8", dataset=iter(list(data[:20])), io="float", **options)
    return converter, converter.convert()


def test_output_snr_budget_keeps_the_outlier_layers(data, float_out) -> None:
    plain, plain_bytes = _quantize(data, report=True)
    before = _snr_db(float_out, outputs(plain_bytes, data))
    assert plain.report.outputs[0].snr_db < TARGET_DB and before < TARGET_DB
    fitted, fitted_bytes = _quantize(data, accuracy_budget=TARGET_DB)
    budget = fitted.report.budget
    after = _snr_db(float_out, outputs(fitted_bytes, data))
    print(f"\noutput SNR {before:.2f} dB -> {after:.2f} dB (held-out too), kept "
          f"{budget.kept_float}, +{budget.size_cost_bytes} bytes")
    assert budget.met and after >= TARGET_DB
    assert budget.before == pytest.approx(plain.report.outputs[0].snr_db)
    assert budget.after == fitted.report.outputs[0].snr_db >= TARGET_DB
    # conv1's output is the tensor to keep float: its producer and its reader both.
    assert sorted(budget.kept_float) == ["conv1", "conv2"]
    assert set(fitted.report.float_layers) == {"conv1", "conv2"}
    assert budget.size_cost_bytes == len(fitted_bytes) - len(plain_bytes) > 0
    assert "conv1" in fitted.report.table() and "met" in fitted.report.table()
    # Later conversions reuse the kept layers without measuring again.
    assert fitted.convert() == fitted_bytes
    assert fitted_bytes == Converter.from_onnx(outlier_cnn(), io_layout="nhwc").quantize(
        "int8", dataset=list(data[:20]), io="float", keep_float=budget.kept_float).convert()


def test_user_metric_with_tolerance(data, float_out) -> None:
    seen = []

    def relative_error(float_outputs: dict, quant_outputs: dict) -> float:
        seen.append((float_outputs["y"].shape, quant_outputs["y"].dtype))
        return _relative_error(float_outputs, quant_outputs)

    tolerance = 0.05
    _, plain_bytes = _quantize(data)
    assert _relative_error({"y": float_out}, {"y": outputs(plain_bytes, data)}) > tolerance
    fitted, fitted_bytes = _quantize(data, accuracy_budget=tolerance, metric=relative_error)
    budget = fitted.report.budget
    assert budget.metric == "relative_error" and budget.met
    assert budget.before > tolerance >= budget.after
    assert _relative_error({"y": float_out}, {"y": outputs(fitted_bytes, data)}) <= tolerance
    assert budget.kept_float and set(budget.kept_float) <= {"conv1", "conv2", "conv3"}
    # The metric sees every calibration sample, in the source layout (NCHW).
    assert set(seen) == {((20, 4, 8, 8), np.dtype(np.float32))}


def test_met_budget_keeps_nothing_and_unmet_one_keeps_everything(data) -> None:
    _, plain_bytes = _quantize(data)
    loose, loose_bytes = _quantize(data, accuracy_budget=-10.0)
    assert loose.report.budget.met and loose.report.budget.kept_float == []
    assert loose.report.budget.size_cost_bytes == 0 and loose_bytes == plain_bytes
    # int8 io: the input's quantization stays, so 200 dB cannot be reached; every layer ends
    # in float and the report says the budget is not met.
    strict = Converter.from_onnx(outlier_cnn(), io_layout="nhwc").quantize(
        "int8", dataset=list(data[:20]), accuracy_budget=200.0)
    strict.convert()
    assert not strict.report.budget.met
    assert sorted(strict.report.budget.kept_float) == ["conv1", "conv2", "conv3"]
    with pytest.raises(QuantizationError, match="accuracy_budget"):
        Converter.from_onnx(outlier_cnn(), io_layout="nhwc").quantize(
            "int8", dataset=list(data), metric=_relative_error)


def test_cli_accuracy_budget(data, tmp_path: Path, capsys) -> None:
    source, calib = tmp_path / "m.onnx", tmp_path / "calib.npz"
    onnx.save(outlier_cnn(), str(source))
    np.savez(calib, x=data[:20, None])
    out, report = tmp_path / "m.ember", tmp_path / "report.json"
    assert main(["convert", str(source), "-o", str(out), "--io-layout", "nhwc",
                 "--quantize", "int8", "--float-io",
                 "--calibration", str(calib), "--accuracy-budget", str(TARGET_DB),
                 "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "accuracy budget output_snr_db >= 30: met" in printed and "conv1" in printed
    assert '"kept_float"' in report.read_text()
    assert out.read_bytes() == _quantize(data, accuracy_budget=TARGET_DB)[1]
