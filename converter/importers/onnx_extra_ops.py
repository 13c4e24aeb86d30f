"""ONNX GridSample, CumProd, Acos, Asin, Atan and EyeLike (format 9's GRID_SAMPLE, CUM_PROD,
ACOS, ASIN and ATAN; EyeLike of a known shape is a constant), in the conventions of
onnx_ops.py (annotations are the contract the importer's pre-scan reads).
"""
from __future__ import annotations

from typing import Callable, Literal

import numpy as np
from onnx import helper

from ..ops import OpType
from ..ops.cum_sum import CumSumParams
from ..ops.grid_sample import GridSampleMode, GridSampleParams, GridSamplePadding
from .graph_builder import Builder, Invalid, Unsupported, axis_index
from .onnx_signature import AnyTensor, Compared

_MODES = {"linear": GridSampleMode.LINEAR, "bilinear": GridSampleMode.LINEAR,
          "nearest": GridSampleMode.NEAREST, "cubic": GridSampleMode.CUBIC,
          "bicubic": GridSampleMode.CUBIC}
_PADDING = {"zeros": GridSamplePadding.ZEROS, "border": GridSamplePadding.BORDER,
            "reflection": GridSamplePadding.REFLECTION}


def _grid_sample(b: Builder, x: str, grid: str, mode: str, padding_mode: str,
                 align_corners: int) -> str:
    rank = b.rank(x)
    if rank not in (4, 5):
        raise Unsupported(f"input X of rank {rank}: 4-D (N, C, H, W) and 5-D (N, C, D, H, W) "
                          f"are supported")
    shape, grid_shape = b.shape(x), b.shape(grid)
    if len(grid_shape) != rank or grid_shape[0] != shape[0] or grid_shape[-1] != rank - 2:
        raise Invalid(f"grid must be (N, ..., {rank - 2}) with X's rank and batch {shape[0]}, "
                      f"got {list(grid_shape)} for X {list(shape)}")
    params = GridSampleParams(_MODES[mode], _PADDING[padding_mode], bool(align_corners))
    return b.op(OpType.GRID_SAMPLE, [x, grid], params,
                shapes=[(shape[0], shape[1], *grid_shape[1:-1])])


def grid_sample_16(b: Builder, x: str, grid: str, *, align_corners: int = 0,
                   mode: Literal["bilinear", "nearest", "bicubic"] = "bilinear",
                   padding_mode: Literal["zeros", "border", "reflection"] = "zeros") -> str:
    return _grid_sample(b, x, grid, mode, padding_mode, align_corners)


def grid_sample_20(b: Builder, x: str, grid: str, *, align_corners: int = 0,
                   mode: Literal["linear", "nearest", "cubic"] = "linear",
                   padding_mode: Literal["zeros", "border", "reflection"] = "zeros") -> str:
    return _grid_sample(b, x, grid, mode, padding_mode, align_corners)


def cum_prod(b: Builder, x: Compared, axis: np.ndarray, *, exclusive: int = 0,
             reverse: int = 0) -> str:
    if b.dtype(x).name not in ("FLOAT32", "FLOAT64", "INT32", "INT64"):
        raise Unsupported(f"input x of type {b.dtype(x).name.lower()}: float32, float64, "
                          f"int32 and int64 are supported")
    if b.rank(x) == 0:
        raise Invalid("input x is a scalar: CumProd needs an axis")
    if axis.size != 1 or not np.issubdtype(axis.dtype, np.integer):
        raise Invalid(f"axis must be one integer, got {axis.dtype} of shape "
                      f"{list(axis.shape)}")
    a = axis_index(int(axis.reshape(-1)[0]), b.rank(x))
    return b.op(OpType.CUM_PROD, [x], CumSumParams(a, bool(exclusive), bool(reverse)))


def eye_like(b: Builder, x: AnyTensor, *, dtype: int | None = None, k: int = 0) -> np.ndarray:
    shape = b.shape(x)
    if len(shape) != 2:
        raise Invalid(f"input must be 2-D, got shape {list(shape)}")
    if dtype is None:
        out = b.dtype(x).numpy
    else:
        try:
            out = helper.tensor_dtype_to_np_dtype(dtype)
        except (KeyError, ValueError, TypeError):
            raise Invalid(f"dtype {dtype} is not an ONNX element type") from None
    return np.eye(shape[0], shape[1], k, dtype=out)


def _unary(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, x: str) -> str:
        return b.op(op, [x])
    convert.__name__ = op.name.lower()
    return convert


EXTRA_OPS = {
    ("GridSample", 16): grid_sample_16,
    ("GridSample", 20): grid_sample_20,
    ("CumProd", 26): cum_prod,
    "EyeLike": eye_like,
    "Acos": _unary(OpType.ACOS),
    "Asin": _unary(OpType.ASIN),
    "Atan": _unary(OpType.ATAN),
}
