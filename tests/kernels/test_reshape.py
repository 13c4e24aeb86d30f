"""RESHAPE: float32 against ONNX Runtime (ONNX Reshape, Flatten, Squeeze and Unsqueeze all
import as RESHAPE), int8 (the stored bytes move unchanged; the output keeps the input's scale
and zero point) and on .tflite files (RESHAPE, SQUEEZE, EXPAND_DIMS) against LiteRT. RESHAPE
on every element size is in test_data_movement_family.py."""
from __future__ import annotations

from typing import Any

import pytest
from onnx import helper

from emberlite.converter.ops import OpType
from tests.importers import keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import data_movement_models
from tests.kernels.data_movement_models import check, i64, int8_cases, onnx_model, random_array


@pytest.mark.parametrize("shape,target", [
    ((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((2, 3, 4), (0, -1)), ((1, 12), (3, 1, 4)),
    ((5,), (1, 5, 1)), ((2, 3, 4, 5), (2, 60)),
], ids=str)
def test_reshape(shape: tuple[int, ...], target: tuple[int, ...]) -> None:
    x = random_array(shape)
    model = onnx_model([helper.make_node("Reshape", ["x", "s"], ["y"])], {"x": x}, ["y"],
                       {"s": i64(target)})
    check(model, [x], "reshape")


@pytest.mark.parametrize("shape,axis", [
    ((2, 3, 4, 5), 0), ((2, 3, 4, 5), 1), ((2, 3, 4, 5), 2), ((2, 3, 4, 5), -1), ((3, 1), 1),
], ids=str)
def test_flatten(shape: tuple[int, ...], axis: int) -> None:
    x = random_array(shape)
    model = onnx_model([helper.make_node("Flatten", ["x"], ["y"], axis=axis)], {"x": x}, ["y"])
    check(model, [x], None)


@pytest.mark.parametrize("shape,axes", [((1, 3, 1, 4), [0, 2]), ((1, 3, 1, 4), None),
                                        ((5, 1), [-1])], ids=str)
def test_squeeze(shape: tuple[int, ...], axes: list[int] | None) -> None:
    x = random_array(shape)
    inputs, consts = ["x"], {}
    if axes is not None:
        inputs, consts = ["x", "a"], {"a": i64(axes)}
    model = onnx_model([helper.make_node("Squeeze", inputs, ["y"])], {"x": x}, ["y"], consts)
    check(model, [x], "reshape")


@pytest.mark.parametrize("shape,axes", [((3, 4), [0, 3]), ((3, 4), [-1]), ((7,), [0])],
                         ids=str)
def test_unsqueeze(shape: tuple[int, ...], axes: list[int]) -> None:
    x = random_array(shape)
    model = onnx_model([helper.make_node("Unsqueeze", ["x", "a"], ["y"])], {"x": x}, ["y"],
                       {"a": i64(axes)})
    check(model, [x], "reshape")


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.RESHAPE))
def test_moves_int8(op: OpType, params: object, expect) -> None:
    data_movement_models.check_moves_int8(op, params, expect)


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.RESHAPE))
def test_rejects_requantizing_move(op: OpType, params: object, expect) -> None:
    data_movement_models.check_rejects_requantizing_move(op, params, expect)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_moves.litert_results(tmp_path_factory)


CASES = ["squeeze", "expand_dims", "reshape_dynamic_batch"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
