"""ARG_MIN: float32 input, int32/int64 output (the first index wins ties) against numpy and the
reference evaluator, and int8 on a .tflite file against LiteRT. The int8 hypothesis test
drawing ARG_MAX or ARG_MIN is in test_extremum_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import assert_identical_to_reference
from tests.kernels.extremum_models import check_arg_first_index_wins_ties

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("op", [OpType.ARG_MIN])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("dtype", [DType.INT32, DType.INT64])
def test_arg_first_index_wins_ties(op: OpType, axis: int, dtype: DType) -> None:
    check_arg_first_index_wins_ties(op, axis, dtype, RNG)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


# An index output has no int8 elements to compare with LiteRT's default kernels.
@pytest.mark.parametrize("name", ["arg_min"])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])
