"""CUM_PROD (csrc/kernels/cum_prod.c): ONNX CumProd against ONNX Runtime on float32, int32 and
int64 tensors of ranks 1 to 4 along every axis (negative ones too), with every exclusive and
reverse combination, and with the axis given at invoke; float64 and wrapping integer products
against the numpy reference through the IR; malformed models refused with node and reason.
TFLite has no such op."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.cum_sum import CumSumParams
from emberlite.errors import EvalError, InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.select_models import check_onnx, onnx_model, run_ir

SHAPES = [(9,), (3, 5), (2, 3, 4), (2, 1, 3, 5)]
CASES = [(s, axis) for s in SHAPES for axis in range(-len(s), len(s))]


def _cum_prod(x: np.ndarray, axis: np.ndarray, name: str = "", **attrs: int):
    node = helper.make_node("CumProd", ["x", "axis"], ["y"], name=name, **attrs)
    return onnx_model(node, {"x": x}, {"axis": axis}, {"y": x.dtype.type}, 26)


def _values(shape: tuple, dtype: type, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype in (np.float32, np.float64):  # near 1, so long runs neither vanish nor overflow
        return (rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype(dtype)
    return rng.integers(-4, 5, shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
def test_cum_prod_matches_onnx_runtime(shape: tuple, axis: int, exclusive: int, reverse: int,
                                       dtype: type) -> None:
    x = _values(shape, dtype, len(shape) * 10 + axis)
    axis_type = np.int32 if axis % 2 else np.int64  # ONNX allows either
    model = _cum_prod(x, np.array(axis, axis_type), exclusive=exclusive, reverse=reverse)
    check_onnx(model, [x], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_float64_matches_the_reference(exclusive: bool, reverse: bool) -> None:
    x = _values((3, 7, 2), np.float64, 4)
    got, want = run_ir(OpType.CUM_PROD, [x], [(x.shape, DType.FLOAT64)],
                       CumSumParams(1, exclusive, reverse))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
    assert got[0].dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int32, np.int64], ids=lambda t: t.__name__)
def test_integer_products_wrap(dtype: type) -> None:
    info = np.iinfo(dtype)
    x = np.array([[info.max, 3, -1, info.min, 2]], dtype)
    for exclusive, reverse in [(False, False), (True, True)]:
        got, want = run_ir(OpType.CUM_PROD, [x], [(x.shape, DType.from_numpy(x.dtype))],
                           CumSumParams(1, exclusive, reverse))
        np.testing.assert_array_equal(got[0], want[0])
    wrapped = np.array([info.max, info.max * 3, -(info.max * 3), info.min, 0], object)
    bits = 8 * np.dtype(dtype).itemsize  # the exact products modulo 2^bits, signed
    expect = [((int(v) + 2**(bits - 1)) % 2**bits) - 2**(bits - 1) for v in wrapped]
    got, _ = run_ir(OpType.CUM_PROD, [x], [(x.shape, DType.from_numpy(x.dtype))],
                    CumSumParams(1))
    np.testing.assert_array_equal(got[0][0], np.array(expect, dtype))


@pytest.mark.parametrize("axis_type", [np.int32, np.int64], ids=lambda t: t.__name__)
def test_run_time_axis_matches_onnx_runtime(axis_type: type) -> None:
    """One file, every axis (negative ones too) given at invoke; one out of range fails
    invoke naming the node."""
    x = _values((2, 3, 4), np.float32, 7)
    node = helper.make_node("CumProd", ["x", "axis"], ["y"], name="running", exclusive=1)
    model = onnx_model(node, {"x": x, "axis": np.array(0, axis_type)}, {}, {"y": np.float32},
                       26)
    data = convert_onnx(model)
    for axis in range(-3, 3):
        a = np.array(axis, axis_type)
        np.testing.assert_allclose(run_ember(data, [x, a])[0], run_ort(model, [x, a])[0],
                                   rtol=1e-6, atol=1e-6)
    with pytest.raises(EvalError, match=r"node 0 \(cum_prod\): the run-time axis 3 is out"):
        run_ember(data, [x, np.array(3, axis_type)])


def test_onnx_malformed_nodes_are_refused_with_node_and_reason() -> None:
    x = np.zeros((3, 4), np.float32)
    node = helper.make_node("CumProd", ["x", "axis"], ["y"], name="running")
    two_axes = onnx_model(node, {"x": x, "axis": np.array([0, 1], np.int64)}, {},
                          {"y": np.float32}, 26)
    with pytest.raises(ModelImportError, match=r"'running' \(CumProd\): axis must be one int32"):
        convert_onnx(two_axes)
    with pytest.raises(ModelImportError, match=r"'running' \(CumProd\): axis 2 is out of range"):
        convert_onnx(_cum_prod(x, np.array(2, np.int64), "running"))
    with pytest.raises(ModelImportError, match=r"'running' \(CumProd\): axis must be one integer"):
        convert_onnx(_cum_prod(x, np.array([0, 1], np.int64), "running"))
    with pytest.raises(UnsupportedOpsError, match=r"running.*bool"):
        convert_onnx(_cum_prod(x.astype(bool), np.array(0, np.int64), "running"))


@pytest.mark.parametrize("x,out,params,message", [
    (np.zeros((3, 4), np.float32), ((3, 4), DType.INT32), CumSumParams(1),
     "output 'y0' must be float32, got int32"),
    (np.zeros((3, 4), bool), ((3, 4), DType.BOOL), CumSumParams(1),
     "input 'x0' must be float32, float64, int32 or int64, got bool"),
    (np.zeros((3, 4), np.int32), ((3, 5), DType.INT32), CumSumParams(1),
     "output 'y0' must have the shape of input 'x0'"),
    (np.zeros((3, 4), np.int32), ((3, 4), DType.INT32), CumSumParams(-3),
     "axis must be in \\[-2,2\\), got -3"),
])
def test_c_check_refuses_malformed_nodes(x: np.ndarray, out: tuple, params: CumSumParams,
                                         message: str) -> None:
    with pytest.raises(InvalidModelError, match=f"node 0 \\(cum_prod\\): {message}"):
        run_ir(OpType.CUM_PROD, [x], [out], params)
