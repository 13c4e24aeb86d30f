"""CONCATENATION: float32 against ONNX Runtime (ONNX Concat along every axis, with a constant
input), int8 (the stored bytes move unchanged; every input keeps the output's scale and zero
point) and on .tflite files (CONCATENATION, and PACK, which imports as CONCATENATION) against
LiteRT. CONCATENATION on every element size is in test_data_movement_family.py."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from onnx import helper

from emberlite.converter.ops import OpType
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.errors import InvalidModelError
from tests.importers import keras_int8_misc, keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.data_movement_models import SCALE, X, build, check, onnx_model, random_array
from tests.kernels.fixed_point import run_graph


@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 5)], 1), ([(2, 3, 4), (2, 3, 4)], -1),
    ([(1, 2, 3, 4), (1, 5, 3, 4), (1, 1, 3, 4)], 1), ([(2, 3, 4, 5), (2, 3, 4, 5)], 0),
    ([(2, 3, 4, 5), (2, 3, 1, 5)], 2), ([(3,), (1,), (5,)], 0), ([(4, 2)], 1),
], ids=str)
def test_concat(shapes: list[tuple[int, ...]], axis: int) -> None:
    xs = {f"x{i}": random_array(s, seed=i) for i, s in enumerate(shapes)}
    model = onnx_model([helper.make_node("Concat", list(xs), ["y"], axis=axis)], xs, ["y"])
    check(model, list(xs.values()), "concatenation" if len(shapes) > 1 else None)


def test_concat_with_constant() -> None:
    x = random_array((2, 3))
    c = random_array((2, 2), seed=5)
    model = onnx_model([helper.make_node("Concat", ["x", "c", "x"], ["y"], axis=1)], {"x": x},
                       ["y"], {"c": c})
    check(model, [x], "concatenation")


def test_concatenation_int8() -> None:
    y = np.random.default_rng(1).integers(-128, 128, (2, 3, 4, 2)).astype(np.int8)
    want = np.concatenate([X, y], axis=3)
    g = build(OpType.CONCATENATION, ConcatenationParams(axis=3), {"x": X, "y": y}, want.shape)
    assert np.array_equal(run_graph(g, [X, y])[0], want)
    g.tensors["y"].quant = replace(g.tensors["y"].quant, scale=(SCALE * 2,))
    with pytest.raises(InvalidModelError, match="same scale and zero point"):
        run_graph(g, [X, y])


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """The models of keras_int8_moves.py and keras_int8_misc.py (the names differ)."""
    return {**keras_int8_moves.litert_results(tmp_path_factory),
            **keras_int8_misc.litert_results(tmp_path_factory)}


CASES = ["concat_axis0", "concat_axis1", "concat_axis2", "pack_last", "pack_unpack"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
