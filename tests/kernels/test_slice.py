"""SLICE: float32 against ONNX Runtime (ONNX Slice with negative steps and clamped ends),
int8 (the stored bytes move unchanged; the output keeps the input's scale and zero point) and
on .tflite files (STRIDED_SLICE with negative strides, masks and shrink_axis, SLICE) against
LiteRT. SLICE on every element size is in test_data_movement_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import helper

from emberlite.converter.ops import OpType
from tests.importers import keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import data_movement_models
from tests.kernels.data_movement_models import check, i64, int8_cases, onnx_model, random_array

BIG = np.iinfo(np.int64).max


@pytest.mark.parametrize("shape,starts,ends,axes,steps", [
    ((10,), [2], [8], None, None),
    ((10,), [8], [2], [0], [-1]),
    ((10,), [9], [-100], [0], [-2]),
    ((10,), [-3], [BIG], None, None),
    ((5, 6), [1, 0], [4, 6], [0, 1], [1, 2]),
    ((5, 6), [0], [100], [1], [3]),
    ((4, 5, 6), [-3], [1000], [-1], [1]),
    ((4, 5, 6), [3, 4], [0, 0], [0, 2], [-1, -2]),
    ((2, 3, 4, 5), [0, 1], [2, 3], [1, 3], [1, 1]),
    ((2, 3, 4, 5), [-1], [-BIG], [3], [-1]),
    ((3, 8), [1], [2], [0], None),
    ((2, 3, 7), [0, 6], [2, -BIG], [0, 2], [1, -3]),
], ids=str)
def test_slice(shape: tuple[int, ...], starts: list[int], ends: list[int],
               axes: list[int] | None, steps: list[int] | None) -> None:
    x = random_array(shape)
    consts = {"starts": i64(starts), "ends": i64(ends)}
    if axes is not None:
        consts["axes"] = i64(axes)
    if steps is not None:
        consts["steps"] = i64(steps)
    model = onnx_model([helper.make_node("Slice", ["x", *consts], ["y"])], {"x": x}, ["y"],
                       consts)
    check(model, [x], "slice")


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.SLICE))
def test_moves_int8(op: OpType, params: object, expect) -> None:
    data_movement_models.check_moves_int8(op, params, expect)


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.SLICE))
def test_rejects_requantizing_move(op: OpType, params: object, expect) -> None:
    data_movement_models.check_rejects_requantizing_move(op, params, expect)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_moves.litert_results(tmp_path_factory)


CASES = ["strided_slice_reverse", "strided_slice_bounds", "strided_slice_shrink",
         "strided_slice_shrink2", "slice"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
