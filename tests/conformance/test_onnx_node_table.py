"""scripts/onnx_node_table.py (docs/onnx-node-tests.md): its classification of a few ONNX node
test cases, and its worker pool's isolation of a crash and of a hang."""
from __future__ import annotations

import copy
import faulthandler
import importlib.util
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("onnx_node_table",
                                               ROOT / "scripts" / "onnx_node_table.py")
table = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(table)


@pytest.fixture(scope="module")
def cases() -> dict:
    return {c.name: c for c in table.node_cases()}


def test_relu_passes_in_both(cases) -> None:
    result = table.classify(cases["test_relu"])
    assert result["op"] == "Relu"
    assert result["emberlite"]["status"] == "pass"
    assert result["onnxruntime"]["status"] == "pass"


def test_unclaimed_op_is_refused_with_its_reason(cases) -> None:
    result = table.classify(cases["test_unique_not_sorted_without_axis"])
    assert result["emberlite"] == {"status": "refused",
                                   "detail": "Unique: op not supported (opset 28)"}
    assert result["onnxruntime"]["status"] == "pass"


def test_sequence_input_is_refused_by_the_importer(cases) -> None:
    result = table.classify(cases["test_identity_sequence"])
    assert result["emberlite"]["status"] == "refused"
    assert "not a tensor" in result["emberlite"]["detail"]


def test_wrong_expected_output_fails_both(cases) -> None:
    case = copy.deepcopy(cases["test_relu"])
    inputs, (expected,) = case.data_sets[0]
    case.data_sets[0] = (inputs, [expected + np.float32(1)])
    result = table.classify(case)
    assert result["emberlite"]["status"] == "wrong"
    assert result["emberlite"]["detail"].startswith("output 0: Mismatched elements")
    assert result["onnxruntime"]["status"] == "fail"


def test_expanded_case_goes_under_an_op_of_its_body(cases) -> None:
    # Softmax is not in the function body; no op of the body is named by the case name.
    assert table.main_op(cases["test_softmax_example_expanded"]) == "ReduceMax"
    assert table.main_op(cases["test_constant"]) == "Constant"


def _crash_or_hang(task: str) -> str:
    if task == "crash":
        faulthandler.disable()  # pytest's handler would print this expected crash's stack
        os.kill(os.getpid(), signal.SIGSEGV)
    if task == "hang":
        time.sleep(60)
    return task.upper()


def test_crash_and_hang_are_one_task_each() -> None:
    results = table.run_isolated(["a", "crash", "b", "hang", "c"], _crash_or_hang, jobs=1,
                                 timeout_s=1)
    assert results == {"a": "A", "crash": ("died", "crashed: SIGSEGV"), "b": "B",
                       "hang": ("died", "timed out after 1 s"), "c": "C"}
