"""The OpenCL delegate's long reductions (csrc/delegates/opencl/ops_pool.c; kernels/pool.cl's
*_group kernels): a reduced length of 256 or more into few outputs runs one work-group per
output (or row), its work items striding over the length and combining in __local memory.
Each case is long and has few outputs; the oracle is the CPU interpreter on the same file
(opencl_checks.check_ops: fp32 within 1e-4 x max|CPU output|, fp16 within 1e-2), and every
node must have run on the delegate. Short reductions: test_opencl_ops.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from onnx import helper

from emberlite.converter.ops import OpType
from tests.delegates.opencl_checks import check_file, check_ops, ir_model, onnx_model, random_inputs

REDUCE_OPS = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "reduce_max",
              "ReduceMin": "reduce_min", "ReduceProd": "reduce_prod"}


def check_reduce(onnx_op: str, x: np.ndarray, axes: list[int], keepdims: int,
                 make_opencl_delegate: Callable[..., Any]) -> None:
    # opset 18: axes are an input (here a constant, stored as params)
    model = onnx_model([helper.make_node(onnx_op, ["x", "axes"], ["y"], keepdims=keepdims)],
                       {"x": x.shape}, {"axes": np.array(axes, np.int64)}, opset=18)
    check_ops(model, [x], make_opencl_delegate, REDUCE_OPS[onnx_op])


def test_mean_squeeze_excite(make_opencl_delegate: Callable[..., Any]) -> None:
    """EfficientNet-B0's first squeeze-excite: the spatial mean of a 112x112 map with 32
    channels (NHWC [1,112,112,32]): 32 outputs of 12,544 cells, all positive as after SiLU,
    so the sums are far from zero."""
    x = random_inputs([(1, 32, 112, 112)], 3, 0.0, 2.0)[0]
    check_reduce("ReduceMean", x, [2, 3], 1, make_opencl_delegate)


def test_sum_long_vector(make_opencl_delegate: Callable[..., Any]) -> None:
    """One output from 50,000 values with a nonzero mean (cancellation and a large sum)."""
    x = random_inputs([(1, 50000)], 4)[0] + 0.25
    check_reduce("ReduceSum", x, [1], 0, make_opencl_delegate)


def test_sum_split_axes(make_opencl_delegate: Callable[..., Any]) -> None:
    """Reduced axes that are not adjacent ([64, 8, 64] over 0 and 2): each work item finds its
    cells through two reduced groups of strides."""
    x = random_inputs([(64, 8, 64)], 5)[0]
    check_reduce("ReduceSum", x, [0, 2], 1, make_opencl_delegate)


@pytest.mark.parametrize("length", [100, 3000], ids=["serial", "group"])
def test_mean_with_infinity(length: int, make_opencl_delegate: Callable[..., Any]) -> None:
    """An infinity amid a mean's cells gives infinity as on the CPU, not the NaN a compensated
    sum makes of inf - inf; the other row stays finite. A short row (the serial kernel) and a
    long one."""
    x = random_inputs([(2, length)], 6)[0]
    x[0, length // 3] = np.inf
    check_reduce("ReduceMean", x, [1], 0, make_opencl_delegate)


@pytest.mark.parametrize("onnx_op", ["ReduceMax", "ReduceMin"])
def test_max_min_nan(onnx_op: str, make_opencl_delegate: Callable[..., Any]) -> None:
    """NaNs in the middle of a row, at its end, and none: a NaN wins wherever it sits (the
    CPU's rule), in whichever work item and tree step it lands."""
    x = random_inputs([(3, 5000)], 7)[0]
    x[0, 2500] = np.nan
    x[1, 4999] = np.nan
    check_reduce(onnx_op, x, [1], 0, make_opencl_delegate)


def test_prod_near_one(make_opencl_delegate: Callable[..., Any]) -> None:
    """Products of 4096 values near 1 (1 + k/1024, exact in half, so fp16 storage changes no
    input)."""
    rng = np.random.default_rng(8)
    x = (1.0 + rng.integers(-6, 7, (2, 4096)) / 1024.0).astype(np.float32)
    check_reduce("ReduceProd", x, [1], 0, make_opencl_delegate)


@pytest.mark.parametrize("onnx_op,shape", [("Softmax", (1, 10000)), ("LogSoftmax", (2, 5000))],
                         ids=["softmax_1x10000", "log_softmax_2x5000"])
def test_softmax_long_row(onnx_op: str, shape: tuple[int, ...],
                          make_opencl_delegate: Callable[..., Any]) -> None:
    model = onnx_model([helper.make_node(onnx_op, ["x"], ["y"], axis=-1)], {"x": shape})
    x = random_inputs([shape], 9)[0] * 3
    check_ops(model, [x], make_opencl_delegate,
              "softmax" if onnx_op == "Softmax" else "log_softmax")


def test_softmax_long_strided_axis(make_opencl_delegate: Callable[..., Any]) -> None:
    """Softmax along the middle axis of [2, 600, 3]: rows of 600 elements 3 apart."""
    model = onnx_model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], {"x": (2, 600, 3)})
    check_ops(model, [random_inputs([(2, 600, 3)], 10)[0] * 3], make_opencl_delegate,
              "softmax")


def test_l2_normalization_long_row(make_opencl_delegate: Callable[..., Any]) -> None:
    x = random_inputs([(2, 3000)], 11)[0]
    model = ir_model(OpType.L2_NORMALIZATION, {"x": x.shape}, {})
    check_file(model, [x], make_opencl_delegate, "l2_normalization")
