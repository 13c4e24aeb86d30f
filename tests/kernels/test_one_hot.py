"""ONE_HOT (csrc/kernels/one_hot.c): ONNX OneHot against ONNX Runtime (ONNX's reference
evaluator for the type combinations ONNX Runtime has no kernel for) with int32, int64 and
float32 (truncated) indices of ranks 1 to 3, every output axis (negative ones too), indices
in [-depth, depth) and outside it (all off), float32, int32, int64 and bool outputs; the
TFLite rule (negative indices all off) against the reference evaluator; malformed models
refused with node and reason. The TFLite ONE_HOT form is in tests/importers/
test_tflite_select.py."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.one_hot import OneHotParams
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember
from tests.kernels.select_models import check_onnx, onnx_model, oracle, run_ir

SHAPES = [(6,), (3, 4), (2, 3, 2)]
CASES = [(s, axis) for s in SHAPES for axis in range(-len(s) - 1, len(s) + 1)]
DEPTH = 5


def _one_hot(indices: np.ndarray, values: np.ndarray, depth: np.ndarray = np.array(DEPTH),
             name: str = "", **attrs: int):
    node = helper.make_node("OneHot", ["indices", "depth", "values"], ["y"], name=name,
                            **attrs)
    return onnx_model(node, {"indices": indices}, {"depth": depth, "values": values},
                      {"y": values.dtype.type}, 11)


def _indices(dtype: type, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """In [-depth - 2, depth + 2): negative ones from the end, and out of range both ways."""
    return np.random.default_rng(seed).integers(-DEPTH - 2, DEPTH + 2, shape).astype(dtype)


@pytest.mark.parametrize("out", [np.float32, np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("index", [np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
def test_one_hot_matches_the_oracle(shape: tuple, axis: int, index: type, out: type) -> None:
    indices = _indices(index, shape, len(shape) * 10 + axis)
    values = np.array([-2, 7], out)
    y, = check_onnx(_one_hot(indices, values, axis=axis), [indices])
    assert y.shape[axis] == DEPTH


def test_float_indices_truncate_as_onnx_runtime_does() -> None:
    indices = np.array([[0.0, 2.7, -1.0, -4.2], [4.9, 5.0, -6.0, 3.0]], np.float32)
    # The depth's type picks among ONNX Runtime's kernels: float32 for float32 values.
    for out, depth in ((np.float32, np.float32), (np.int64, np.int64)):
        model = _one_hot(indices, np.array([0, 3], out), np.array(DEPTH, depth), axis=1)
        check_onnx(model, [indices])


def test_bool_output_is_the_int64_one_cast() -> None:
    indices = _indices(np.int64, (3, 4), 1)
    got, = run_ember(convert_onnx(_one_hot(indices, np.array([False, True]))), [indices])
    want, = oracle(_one_hot(indices, np.array([0, 1], np.int64)), [indices])
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, want.astype(bool))


@pytest.mark.parametrize("negative_from_end", [False, True])
def test_negative_indices_are_off_unless_counted_from_the_end(negative_from_end: bool) -> None:
    indices = np.array([[0, -1, 4, -5, -6, 5]], np.int32)
    values = np.array([0.5, 9.0], np.float32)
    (got,), (want,) = run_ir(OpType.ONE_HOT, [indices, values], [((1, 6, 5), DType.FLOAT32)],
                             OneHotParams(2, negative_from_end), const=(1,))
    np.testing.assert_array_equal(got, want)
    hot = np.argwhere(got[0] == 9.0).tolist()
    assert hot == ([[0, 0], [1, 4], [2, 4], [3, 0]] if negative_from_end else [[0, 0], [2, 4]])


def test_onnx_malformed_nodes_are_refused_with_node_and_reason() -> None:
    indices = np.zeros((3,), np.int64)
    values = np.array([0.0, 1.0], np.float32)
    node = helper.make_node("OneHot", ["indices", "depth", "values"], ["y"], name="hot")
    run_time_depth = onnx_model(node, {"indices": indices, "depth": np.array(4, np.int64)},
                                {"values": values}, {"y": np.float32}, 11)
    with pytest.raises(UnsupportedOpsError,
                       match=r"hot.*'depth' is a run-time tensor and the output's shape is not"):
        convert_onnx(run_time_depth)
    with pytest.raises(ModelImportError, match=r"'hot' \(OneHot\): values must hold 2 elements"):
        convert_onnx(_one_hot(indices, np.zeros(3, np.float32), name="hot"))
    with pytest.raises(ModelImportError, match=r"'hot' \(OneHot\): depth 0.0 must be in"):
        convert_onnx(_one_hot(indices, values, np.array(0), name="hot"))
    with pytest.raises(ModelImportError, match=r"'hot' \(OneHot\): axis 2 is out of range"):
        convert_onnx(_one_hot(indices, values, name="hot", axis=2))
    with pytest.raises(UnsupportedOpsError, match=r"hot.*values of type float64"):
        convert_onnx(_one_hot(indices, values.astype(np.float64), name="hot"))


@pytest.mark.parametrize("indices,values,out,message", [
    (np.zeros(3, np.float32), np.zeros(2, np.float32), ((3, 4), DType.FLOAT32),
     "indices 'x0' must be int32 or int64, got float32"),
    (np.zeros(3, np.int32), np.zeros(3, np.float32), ((3, 4), DType.FLOAT32),
     "values 'x1' must hold 2 elements \\[off, on\\], got 3"),
    (np.zeros(3, np.int32), np.zeros(2, np.float32), ((3, 4), DType.INT32),
     "values 'x1' must be int32, got float32"),
    (np.zeros(3, np.int32), np.zeros(2, np.float32), ((4, 4), DType.FLOAT32),
     "output 'y0' must be the shape of indices 'x0' with the depth inserted at axis 1"),
])
def test_c_check_refuses_malformed_nodes(indices: np.ndarray, values: np.ndarray, out: tuple,
                                         message: str) -> None:
    with pytest.raises(InvalidModelError, match=f"node 0 \\(one_hot\\): {message}"):
        run_ir(OpType.ONE_HOT, [indices, values], [out], OneHotParams(1), const=(1,))
