"""`ember compare`: a .ember beside its source model in ONNX Runtime or LiteRT, outputs and
(--layers) intermediate tensors; exit status 0 on agreement, 1 on a mismatch, 2 on bad input."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import require_module
from emberlite.cli import main
from emberlite.compare import agreement, compare
from emberlite.converter import Converter

RNG = np.random.default_rng(5)
CONV_W = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
CONV_B = RNG.standard_normal(4).astype(np.float32)
GEMM_W = RNG.standard_normal((5, 4 * 4 * 4)).astype(np.float32)


def _model(conv_w: np.ndarray = CONV_W, gemm_w: np.ndarray = GEMM_W) -> onnx.ModelProto:
    """x [1,3,8,8] -> Conv -> Relu -> MaxPool -> Flatten -> Gemm -> y [1,5], and
    label = ArgMax(y): an NCHW input that Emberlite stores NHWC, and an integer output."""
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["conv"], ["relu"]),
         helper.make_node("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Flatten", ["pool"], ["flat"]),
         helper.make_node("Gemm", ["flat", "g"], ["y"], transB=1),
         helper.make_node("ArgMax", ["y"], ["label"], axis=1, keepdims=0)],
        "compare_model",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5]),
         helper.make_tensor_value_info("label", TensorProto.INT64, [1])],
        [numpy_helper.from_array(conv_w, "w"), numpy_helper.from_array(CONV_B, "b"),
         numpy_helper.from_array(gemm_w, "g")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _changed(weights: np.ndarray) -> np.ndarray:
    changed = weights.copy()
    changed.flat[0] += 3.0
    return changed


@pytest.fixture
def models(tmp_path: Path) -> dict[str, str]:
    """The source model, its .ember, and two sources with one weight changed."""
    paths = {name: str(tmp_path / f"{name}.onnx") for name in ("source", "conv", "gemm")}
    onnx.save(_model(), paths["source"])
    onnx.save(_model(conv_w=_changed(CONV_W)), paths["conv"])
    onnx.save(_model(gemm_w=_changed(GEMM_W)), paths["gemm"])
    paths["ember"] = str(tmp_path / "model.ember")
    Path(paths["ember"]).write_bytes(Converter.from_onnx(paths["source"]).convert())
    return paths


def _one_error_line(capsys: pytest.CaptureFixture, *needles: str) -> None:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("ember: error: "), err
    for needle in needles:
        assert needle in err, err


def test_the_source_model_passes(models: dict[str, str], capsys) -> None:
    assert main(["compare", models["source"], models["ember"]]) == 0
    out = capsys.readouterr().out
    assert "ONNX Runtime" in out and "x: [1,3,8,8] float32 (random, seed 0)" in out
    assert "matched by name" in out
    assert out.strip().splitlines()[-1].startswith("PASS: 2 output(s) agree")
    result = compare(models["source"], models["ember"])
    y, label = result["outputs"]
    assert y["name"] == "y" and y["max_rel"] <= 1e-4 and y["differing"] is None
    assert label["name"] == "label" and label["differing"] == 0


def test_given_inputs_are_used(tmp_path: Path, models: dict[str, str], capsys) -> None:
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "x.npz", x=x)
    for flags in (["-i", f"x={tmp_path / 'x.npy'}"], ["--inputs", str(tmp_path / "x.npz")]):
        assert main(["compare", models["source"], models["ember"], *flags]) == 0
        assert "x: [1,3,8,8] float32 (from file)" in capsys.readouterr().out


def test_other_weights_fail(models: dict[str, str], capsys) -> None:
    assert main(["compare", models["gemm"], models["ember"]]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("FAIL: ") and "y" in last


def test_layers_name_the_first_divergence(models: dict[str, str], capsys) -> None:
    assert main(["compare", models["source"], models["ember"], "--layers"]) == 0
    out = capsys.readouterr().out
    assert "first divergence: none" in out
    # relu and pool are held in NHWC under Emberlite's own names; flat keeps NHWC's element
    # order (its transpose went into the Gemm weights), so it is skipped, not flagged.
    assert "Emberlite relu_pre (NHWC)" in out and "(NHWC)" in out.split("pool", 1)[1]
    assert "1 in NHWC element order" in out
    result = compare(models["source"], models["ember"], layers=True)
    assert [row["name"] for row in result["layers"]] == ["relu", "pool", "y", "label"]

    assert main(["compare", models["conv"], models["ember"], "--layers"]) == 1
    out = capsys.readouterr().out
    assert "first divergence: relu (node 1)" in out  # node 0: the NCHW input's transpose
    assert "<- first divergence" in next(line for line in out.splitlines() if "relu_pre" in line)

    result = compare(models["gemm"], models["ember"], layers=True)
    rows = {row["name"]: row for row in result["layers"]}
    assert rows["relu"]["ok"] and rows["pool"]["ok"] and not rows["y"]["ok"]
    assert result["first_divergence"]["name"] == "y" and not result["passed"]


def test_agreement_measures() -> None:
    want = np.array([1.0, -4.0, np.nan], np.float32)
    row = agreement(np.array([1.0, -3.0, np.nan], np.float32), want, 0.3)
    assert row["max_abs"] == 1.0 and row["max_rel"] == 0.25 and row["ok"]
    assert not agreement(np.array([1.0, -4.0, 0.0], np.float32), want, 0.3)["ok"]
    ints = agreement(np.array([1, 2, 3], np.int32), np.array([1, 5, 3], np.int64), 1.0)
    assert ints["differing"] == 1 and not ints["ok"]
    assert "shape" in agreement(np.zeros(2), np.zeros(3), 1.0)["problem"]


@pytest.mark.parametrize("argv, needles", [
    (["compare", "{tmp}/none.onnx", "{ember}"], ["no such file"]),
    (["compare", "{source}", "{tmp}/none.ember"], ["no such file"]),
    (["compare", "{ember}", "{ember}"], [".onnx or .tflite"]),
    (["compare", "{source}", "{ember}", "-i", "z={tmp}/x.npy"], ["no input named 'z'", "['x']"]),
    (["compare", "{source}", "{ember}", "-i", "{tmp}/none.npy"], ["none.npy"]),
    (["compare", "{source}", "{ember}", "-i", "{tmp}/small.npy"], ["shape [1, 3, 4, 4]"]),
    (["compare", "{source}", "{ember}", "--tol", "-1"], ["--tol"]),
])
def test_bad_usage_exits_2(tmp_path: Path, models: dict[str, str], capsys, argv: list[str],
                           needles: list[str]) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 8, 8), np.float32))
    np.save(tmp_path / "small.npy", np.zeros((1, 3, 4, 4), np.float32))
    names = {"tmp": str(tmp_path), "source": models["source"], "ember": models["ember"]}
    assert main([arg.format(**names) for arg in argv]) == 2
    _one_error_line(capsys, *needles)


def test_a_missing_runtime_is_named(models: dict[str, str], monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    assert main(["compare", models["source"], models["ember"]]) == 2
    _one_error_line(capsys, "pip install onnxruntime")


def test_tflite_source_in_litert(tmp_path: Path, capsys) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf: Any = require_module("tensorflow")
    require_module("ai_edge_litert.interpreter")
    kernel = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
    dense = RNG.standard_normal((4 * 4 * 4, 5)).astype(np.float32)

    def fn(x: Any) -> Any:
        h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME")), 2, 2, "VALID")
        return tf.matmul(tf.reshape(h, [1, -1]), dense)

    concrete = tf.function(fn).get_concrete_function(tf.TensorSpec((1, 8, 8, 3), tf.float32))
    source, ember = tmp_path / "m.tflite", tmp_path / "m.ember"
    source.write_bytes(tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert())
    ember.write_bytes(Converter.from_tflite(source.read_bytes()).convert())
    assert main(["compare", str(source), str(ember), "--layers"]) == 0
    out = capsys.readouterr().out
    assert "LiteRT" in out and "first divergence: none" in out
    assert out.strip().splitlines()[-1].startswith("PASS: 1 output(s) agree")
    result = compare(str(source), str(ember), layers=True)
    assert len(result["layers"]) >= 3 and all(row["ok"] for row in result["layers"])
