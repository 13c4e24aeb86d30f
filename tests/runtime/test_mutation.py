"""Mutation test of the loader: thousands of corrupted models, each must load or fail cleanly.

A worker subprocess loads mutants in sequence; when it dies (a crash) or stalls (a hang) the
parent records the mutant and restarts the worker after it, so every crash is reported.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import Converter
from tests.helpers import convert_onnx

MUTANTS = int(os.environ.get("EMBER_MUTANTS", "5000"))
WORKER = Path(__file__).with_name("mutate_worker.py")
STALL_SECONDS = 60


def _cnn() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    init = [numpy_helper.from_array(rng.normal(size=s).astype(np.float32), n) for n, s in [
        ("w1", (8, 3, 3, 3)), ("b1", (8,)), ("wd", (8, 1, 3, 3)), ("w2", (16, 8, 1, 1)),
        ("fc", (10, 16)), ("fcb", (10,))]]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "wd"], ["d1"], group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["d1", "r1"], ["a1"]),
        helper.make_node("MaxPool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"]),
        helper.make_node("Sigmoid", ["c2"], ["s2"]),
        helper.make_node("Concat", ["s2", "c2"], ["cat"], axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Slice", ["f", "st", "en", "ax"], ["fs"]),
        helper.make_node("Gemm", ["fs", "fc", "fcb"], ["y0"], transB=1),
        helper.make_node("Softmax", ["y0"], ["y"], axis=1),
    ]
    init += [numpy_helper.from_array(np.array([0], np.int64), "st"),
             numpy_helper.from_array(np.array([16], np.int64), "en"),
             numpy_helper.from_array(np.array([1], np.int64), "ax")]
    graph = helper.make_graph(
        nodes, "mutation_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _mlp() -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    init = [numpy_helper.from_array(rng.normal(size=(6, 4)).astype(np.float32), "w"),
            numpy_helper.from_array(np.array([2, 3, 4], np.int64), "shape")]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Tanh", ["h"], ["t"]),
             helper.make_node("Transpose", ["t"], ["tt"], perm=[1, 0]),
             helper.make_node("Reshape", ["tt", "shape"], ["y"])]
    graph = helper.make_graph(
        nodes, "mutation_mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])], init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run_mutants(model_path: Path, seed: int, count: int) -> tuple[dict[str, int], list[str]]:
    outcomes: dict[str, int] = {}
    failures: list[str] = []
    start = 0
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    while start < count:
        proc = subprocess.Popen([sys.executable, str(WORKER), str(model_path), str(seed), str(start),
                                 str(count - start)], stdout=subprocess.PIPE, text=True, env=env)
        current = None
        try:
            out, _ = proc.communicate(timeout=STALL_SECONDS * max(1, (count - start) // 500))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        for line in out.splitlines():
            word, index, *rest = line.split()
            if word == "try":
                current = int(index)
            elif rest:
                outcomes[rest[0]] = outcomes.get(rest[0], 0) + 1
                current = None
        if current is None:
            if proc.returncode != 0:
                failures.append(f"worker exited with {proc.returncode} between mutants")
            break
        failures.append(f"mutant {current} of seed {seed}: returncode {proc.returncode}")
        start = current + 1
    return outcomes, failures


# The weight-only forms add int8 per-channel and float16 weights read through DEQUANTIZE
# nodes computed at prepare (tensors with neither buffer nor arena offset).
FILES = {"cnn": lambda: convert_onnx(_cnn()), "mlp": lambda: convert_onnx(_mlp()),
         "cnn_dynamic": lambda: Converter.from_onnx(_cnn()).quantize("dynamic").convert(),
         "cnn_fp16": lambda: Converter.from_onnx(_cnn()).quantize("fp16").convert()}


@pytest.mark.parametrize("name", sorted(FILES))
def test_mutated_models_load_or_fail_cleanly(name: str, tmp_path: Path) -> None:
    path = tmp_path / "model.ember"
    path.write_bytes(FILES[name]())
    outcomes, failures = _run_mutants(path, seed=1234, count=MUTANTS)
    print(f"{name}: {MUTANTS} mutants -> {dict(sorted(outcomes.items()))}")
    assert not failures, "\n".join(failures[:20])
    assert sum(outcomes.values()) == MUTANTS
    assert "EmptyMessage" not in outcomes
    # The mutations must reach past the first check, not just fail on the identifier.
    assert outcomes.get("InvalidModelError", 0) > MUTANTS // 10
