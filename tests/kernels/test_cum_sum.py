"""CUM_SUM (csrc/kernels/cum_sum.c): ONNX CumSum against ONNX Runtime on float32, int32 and
int64 tensors of ranks 1 to 4 along every axis (negative ones too), with every exclusive and
reverse combination; integer sums wrap as numpy's do (the reference evaluator); malformed
models refused with node and reason. The TFLite CUMSUM form is in tests/importers/
test_tflite_select.py."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import ModelImportError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.cum_sum import CumSumParams
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx
from tests.kernels.select_models import check_onnx, onnx_model, run_ir

SHAPES = [(9,), (3, 5), (2, 3, 4), (2, 1, 3, 5)]
CASES = [(s, axis) for s in SHAPES for axis in range(-len(s), len(s))]


def _cum_sum(x: np.ndarray, axis: np.ndarray, name: str = "", **attrs: int):
    node = helper.make_node("CumSum", ["x", "axis"], ["y"], name=name, **attrs)
    return onnx_model(node, {"x": x}, {"axis": axis}, {"y": x.dtype.type}, 14)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
def test_cum_sum_matches_onnx_runtime(shape: tuple, axis: int, exclusive: int, reverse: int,
                                      dtype: type) -> None:
    rng = np.random.default_rng(len(shape) * 10 + axis)
    if dtype == np.float32:
        x = rng.standard_normal(shape).astype(np.float32)
    else:
        x = rng.integers(-1000, 1000, shape).astype(dtype)
    axis_type = np.int32 if axis % 2 else np.int64  # ONNX allows either
    model = _cum_sum(x, np.array(axis, axis_type), exclusive=exclusive, reverse=reverse)
    check_onnx(model, [x], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.int32, np.int64], ids=lambda t: t.__name__)
def test_integer_sums_wrap(dtype: type) -> None:
    info = np.iinfo(dtype)
    x = np.array([[info.max, 1, info.max, info.min, -1]], dtype)
    wrapped = {(False, False): [info.max, info.min, -1, info.max, info.max - 1],
               (True, True): [-1, -2, info.max, -1, 0]}
    for (exclusive, reverse), sums in wrapped.items():
        got, want = run_ir(OpType.CUM_SUM, [x], [(x.shape, DType.from_numpy(x.dtype))],
                           CumSumParams(1, exclusive, reverse))
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[0][0], np.array(sums, dtype))


def test_onnx_malformed_nodes_are_refused_with_node_and_reason() -> None:
    x = np.zeros((3, 4), np.float32)
    node = helper.make_node("CumSum", ["x", "axis"], ["y"], name="running")
    two_axes = onnx_model(node, {"x": x, "axis": np.array([1, 0], np.int64)}, {},
                          {"y": np.float32}, 14)  # a run-time axis must be one integer
    with pytest.raises(ModelImportError, match=r"'running' \(CumSum\): axis must be one int"):
        convert_onnx(two_axes)
    with pytest.raises(ModelImportError, match=r"'running' \(CumSum\): axis 2 is out of range"):
        convert_onnx(_cum_sum(x, np.array(2, np.int64), "running"))
    with pytest.raises(ModelImportError, match=r"'running' \(CumSum\): axis must be one integer"):
        convert_onnx(_cum_sum(x, np.array([0, 1], np.int64), "running"))


@pytest.mark.parametrize("x,out,params,message", [
    (np.zeros((3, 4), np.float32), ((3, 4), DType.INT32), CumSumParams(1),
     "output 'y0' must be float32, got int32"),
    (np.zeros((3, 4), bool), ((3, 4), DType.BOOL), CumSumParams(1),
     "input 'x0' must be float32, int32 or int64, got bool"),
    (np.zeros((3, 4), np.int32), ((3, 5), DType.INT32), CumSumParams(1),
     "output 'y0' must have the shape of input 'x0'"),
    (np.zeros((3, 4), np.int32), ((3, 4), DType.INT32), CumSumParams(-3),
     "axis must be in \\[-2,2\\), got -3"),
])
def test_c_check_refuses_malformed_nodes(x: np.ndarray, out: tuple, params: CumSumParams,
                                         message: str) -> None:
    with pytest.raises(InvalidModelError, match=f"node 0 \\(cum_sum\\): {message}"):
        run_ir(OpType.CUM_SUM, [x], [out], params)
