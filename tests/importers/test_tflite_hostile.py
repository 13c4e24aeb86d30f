"""Hostile .tflite files (issue 9), written without TensorFlow: clear errors naming what is
wrong (the folded-constant budget is tested in tests/converter/test_budget_limits.py)."""
from __future__ import annotations

import numpy as np
import pytest
from tflite.BuiltinOperator import BuiltinOperator

from emberlite.converter import Converter, ModelImportError
from emberlite.converter.errors import SizeLimitError, UnsupportedOpsError
from helpers import run_ember
from malformed_models import tflite_bytes


def _gather(indices: list[int]) -> bytes:
    i = np.array(indices, np.int32)
    return tflite_bytes([("x", [5, 2], None), ("i", [len(indices)], i),
                         ("y", [len(indices), 2], None)],
                        [(BuiltinOperator.GATHER, [0, 1], [2])], [0], [2])


@pytest.mark.parametrize("indices, bad", [([1, 7], 7), ([-6], -6)])
def test_constant_gather_index_out_of_range(indices: list[int], bad: int) -> None:
    with pytest.raises(ModelImportError, match=rf"operator 0 \(GATHER\): index {bad} .*out of "
                                               rf"range \[-5, 5\) for axis 0 of size 5"):
        Converter.from_tflite(_gather(indices)).convert()


def test_constant_gather_in_range_converts() -> None:
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    [y] = run_ember(Converter.from_tflite(_gather([4, 0])).convert(), [x])
    np.testing.assert_array_equal(y, x[[4, 0]])


def test_huge_input_is_refused_by_the_arena_budget() -> None:
    n = (1 << 31) - 1
    data = tflite_bytes([("x", [n, n], None), ("y", [n, n], None)],
                        [(BuiltinOperator.RELU, [0], [1])], [0], [1])
    with pytest.raises(SizeLimitError, match=r"graph input 'x' \[2147483647, 2147483647\]"):
        Converter.from_tflite(data).convert()


def test_quantize_to_float32_is_refused_by_name() -> None:
    # Found by the importer fuzzer: a QUANTIZE whose output is float32 became an int8 node
    # with no scale, a file the runtime refused.
    data = tflite_bytes([("x", [1, 4], None), ("y", [1, 4], None)],
                        [(BuiltinOperator.QUANTIZE, [0], [1])], [0], [1])
    message = (r"operator 0 \(QUANTIZE\): a QUANTIZE must write an int8, uint8 or int16 "
               r"tensor .*output 'y' is float32 without quantization")
    with pytest.raises(UnsupportedOpsError, match=message):
        Converter.from_tflite(data).convert()


def test_quantize_without_an_output_is_refused_by_name() -> None:
    data = tflite_bytes([("x", [1, 4], None), ("y", [1, 4], None)],
                        [(BuiltinOperator.RELU, [0], [1]), (BuiltinOperator.QUANTIZE, [1], [])],
                        [0], [1])
    with pytest.raises(UnsupportedOpsError,
                       match=r"operator 1 \(QUANTIZE\): expected 1 output, got 0"):
        Converter.from_tflite(data).convert()
