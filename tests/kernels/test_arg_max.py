"""ARG_MAX: float32 input, int32/int64 output (the first index wins ties; the axis kept when
the output keeps it) against numpy and the reference evaluator, int8 on .tflite files against
LiteRT, and the int8 quantizer on an ARG_MAX graph. The int8 hypothesis test drawing ARG_MAX
or ARG_MIN is in test_extremum_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import assert_identical_to_reference
from tests.kernels.extremum_models import check_arg_first_index_wins_ties
from tests.kernels.single_node import run_node
from tests.quantize.int8_op_checks import check_ir_op_runs_int8_close_to_float, ir_case

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("op", [OpType.ARG_MAX])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("dtype", [DType.INT32, DType.INT64])
def test_arg_first_index_wins_ties(op: OpType, axis: int, dtype: DType) -> None:
    check_arg_first_index_wins_ties(op, axis, dtype, RNG)


def test_arg_max_keeps_axis_when_the_output_does() -> None:
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    got, _ = run_node(OpType.ARG_MAX, [x], (3, 1), DType.INT32, ArgParams(1))
    np.testing.assert_array_equal(got, np.argmax(x, axis=1)[:, None])


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


# An index output has no int8 elements to compare with LiteRT's default kernels.
@pytest.mark.parametrize("name", ["arg_max"])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


IR_CASES = {
    "arg_max": (lambda: ir_case(OpType.ARG_MAX, None, ArgParams(2), DType.INT32),
                lambda g, node, x: np.argmax(x, axis=2).astype(np.int32)),
}


@pytest.mark.parametrize("name", list(IR_CASES))
def test_ir_op_runs_int8_close_to_float(name: str) -> None:
    check_ir_op_runs_int8_close_to_float(*IR_CASES[name])


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims", [(0, 1), (1, 0), (-1, 1), (-2, 0)])
def test_onnx_arg_matches_onnx_runtime(op: str, axis: int, keepdims: int) -> None:
    """int64 indices; a few distinct values so that ties (first index wins) are common."""
    shape = (3, 4, 5)
    out = list(shape)
    out[axis] = 1
    if not keepdims:
        del out[axis]
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], axis=axis, keepdims=keepdims)], "arg",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.INT64, out)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    x = np.random.default_rng(2).integers(0, 3, shape).astype(np.float32)
    got, = run_ember(convert_onnx(model), [x])
    want, = run_ort(model, [x])
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
