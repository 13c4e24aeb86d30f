"""TRANSPOSE: float32 against ONNX Runtime (ranks 2 to 5, perms that the NHWC layout pass may
absorb), int8 (the stored bytes move unchanged; the output keeps the input's scale and zero
point) and on .tflite files against LiteRT. TRANSPOSE on every element size is in
test_data_movement_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import helper

from emberlite.converter.ops import OpType
from emberlite.converter.ops.transpose import TransposeParams
from tests.importers import keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import data_movement_models
from tests.kernels.data_movement_models import check, int8_cases, onnx_model, random_array
from tests.kernels.fast_paths import check_fast_path, float_node


@pytest.mark.parametrize("shape,perm", [
    ((3, 4), None), ((2, 3), (0, 1)), ((2, 3, 4), (0, 2, 1)), ((2, 3, 4), (2, 0, 1)),
    ((2, 3, 4), (1, 2, 0)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 3, 4, 5), (0, 3, 1, 2)),
    ((2, 3, 4, 5), (3, 2, 1, 0)), ((1, 3, 1, 5), (2, 0, 3, 1)), ((2, 3, 4, 5, 6), (4, 0, 2, 1, 3)),
    ((1, 3, 64, 64), (0, 2, 3, 1)),
], ids=str)
def test_transpose(shape: tuple[int, ...], perm: tuple[int, ...] | None) -> None:
    x = random_array(shape)
    attrs = {} if perm is None else {"perm": list(perm)}
    model = onnx_model([helper.make_node("Transpose", ["x"], ["y"], **attrs)], {"x": x}, ["y"])
    # A 4D transpose may be absorbed by the NHWC layout pass, so only check the result there.
    check(model, [x], "transpose" if len(shape) != 4 and perm != (0, 1) else None)


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.TRANSPOSE))
def test_moves_int8(op: OpType, params: object, expect) -> None:
    data_movement_models.check_moves_int8(op, params, expect)


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.TRANSPOSE))
def test_rejects_requantizing_move(op: OpType, params: object, expect) -> None:
    data_movement_models.check_rejects_requantizing_move(op, params, expect)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_moves.litert_results(tmp_path_factory)


CASES = ["transpose", "transpose_3d"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# (float32 input, perm) whose copy is a 2-D transpose per outer index (NHWC <-> NCHW and
# the like), with sizes around the 8 x 8 blocks
FAST_CASES = [((1, 5, 7, 13), (0, 3, 1, 2)), ((2, 9, 17, 3), (0, 3, 1, 2)),
              ((2, 19, 6, 5), (0, 2, 3, 1)), ((3, 37), (1, 0)), ((16, 24), (1, 0)),
              ((2, 3, 8, 16), (0, 1, 3, 2))]


@pytest.mark.parametrize("shape,perm", FAST_CASES, ids=str)
def test_fast_2d_transpose_matches_reference(shape: tuple[int, ...],
                                             perm: tuple[int, ...]) -> None:
    """The tiled 2-D transpose (default isa_mask) gives the reference walk's bytes (ISA_NONE),
    on 1 and 2 threads, and numpy's transpose (tests/kernels/fast_paths.py)."""
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    out = tuple(shape[p] for p in perm)
    got, = check_fast_path(float_node(OpType.TRANSPOSE, TransposeParams(perm), shape, out), [x],
                           "transpose")
    np.testing.assert_array_equal(got, np.transpose(x, perm))
