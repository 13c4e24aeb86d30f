"""MINIMUM: float32 (broadcasting) against numpy and the reference evaluator, int8 on a .tflite
file against LiteRT, and the int8 quantizer on a MINIMUM graph. The int8 hypothesis test
drawing MAXIMUM or MINIMUM is in test_extremum_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from emberlite.converter.ops import OpType
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_checks
from tests.kernels.extremum_models import FLOAT_SHAPES, check_maximum_minimum_broadcast
from tests.quantize.int8_op_checks import check_ir_op_runs_int8_close_to_float, ir_case, stored

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("op, fn", [(OpType.MINIMUM, np.minimum)])
@pytest.mark.parametrize("shapes", FLOAT_SHAPES)
def test_maximum_minimum_broadcast(op: OpType, fn, shapes: tuple) -> None:
    check_maximum_minimum_broadcast(op, fn, shapes, RNG)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


@pytest.mark.parametrize("name", ["minimum"])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", ["minimum"])
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# MINIMUM compares stored values: input, constant and output share params.
IR_CASES = {
    "minimum": (lambda: ir_case(OpType.MINIMUM, np.linspace(-1, 3, 16)),
                lambda g, node, x: np.minimum(*stored(g, node, x))),
}


@pytest.mark.parametrize("name", list(IR_CASES))
def test_ir_op_runs_int8_close_to_float(name: str) -> None:
    check_ir_op_runs_int8_close_to_float(*IR_CASES[name])


# ---- float32 microkernels (csrc/ukernels/vbinary.h) ----------------------------------------


@pytest.mark.parametrize("shapes", elementwise_checks.BINARY_SHAPES,
                         ids=elementwise_checks.shapes_id)
def test_fast_path(shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    """The vbinary microkernels, threaded: the reference's bits (NaN kept from input 0)."""
    elementwise_checks.check_binary(OpType.MINIMUM, shapes, "vbinary_f32_minimum_")
