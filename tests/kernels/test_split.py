"""SPLIT: float32 against ONNX Runtime (ONNX Split with equal and given sizes along every
axis) and int8 on .tflite files (SPLIT, SPLIT_V, and UNPACK, which imports as SPLIT) against
LiteRT. SPLIT on every element size is in test_data_movement_family.py."""
from __future__ import annotations

from typing import Any

import pytest
from onnx import helper

from tests.importers import keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.data_movement_models import check, i64, onnx_model, random_array


@pytest.mark.parametrize("shape,axis,sizes,outputs", [
    ((6, 4), 0, None, 3), ((2, 7, 3), 1, [2, 4, 1], 3), ((2, 3, 8), -1, [3, 5], 2),
    ((1, 6, 4, 4), 1, [2, 2, 2], 3), ((4, 5), 1, [1, 4], 2), ((3, 2), 0, [1, 1, 1], 3),
], ids=str)
def test_split(shape: tuple[int, ...], axis: int, sizes: list[int] | None,
               outputs: int) -> None:
    x = random_array(shape)
    names = [f"y{i}" for i in range(outputs)]
    inputs, consts = ["x"], {}
    if sizes is not None:
        inputs, consts = ["x", "s"], {"s": i64(sizes)}
    model = onnx_model([helper.make_node("Split", inputs, names, axis=axis)], {"x": x}, names,
                       consts)
    check(model, [x], "split")


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_moves.litert_results(tmp_path_factory)


CASES = ["split", "split_v", "unpack_last"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
