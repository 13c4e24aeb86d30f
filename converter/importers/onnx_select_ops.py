"""ONNX TopK, CumSum, OneHot and Mod (format 8's TOP_K, CUM_SUM, ONE_HOT and MOD), in the
conventions of onnx_ops.py (annotations are the contract the importer's pre-scan reads). k,
CumSum's axis and OneHot's depth may be run-time tensors (converter/ops/operands.py): the
kernel reads them at invoke and checks them against the output shapes the model declares.
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..ir import DType
from ..ops import OpType
from ..ops.cum_sum import CumSumParams
from ..ops.binary import INTEGER_TYPES
from ..ops.mod import ModParams
from ..ops.one_hot import OneHotParams
from ..ops.top_k import TopKParams
from .graph_builder import Builder, Invalid, Unsupported, axis_index, runtime_output_shape
from .onnx_signature import Compared, Operand

# Run-time element types each op computes on (the signature's Compared also lets bool in).
_NUMERIC = (DType.FLOAT32, DType.INT32, DType.INT64)
_ONE_HOT_OUT = {np.dtype(np.float32): DType.FLOAT32, np.dtype(np.int32): DType.INT32,
                np.dtype(np.int64): DType.INT64, np.dtype(np.bool_): DType.BOOL}
_INT32_MAX = 2**31 - 1


def _numeric(b: Builder, x: str, what: str) -> None:
    if b.dtype(x) not in _NUMERIC:
        raise Unsupported(f"{what} of type {b.dtype(x).name.lower()}: float32, int32 and int64 "
                          f"are supported")


def _integer(value: np.ndarray, what: str) -> int:
    """A constant that must hold one integer (k, an axis)."""
    if value.size != 1 or not np.issubdtype(value.dtype, np.integer):
        raise Invalid(f"{what} must be one integer, got {value.dtype} of shape "
                      f"{list(value.shape)}")
    return int(value.reshape(-1)[0])


def _top_k(b: Builder, x: str, k: int | str, axis: int, largest: int) -> list[str]:
    """k is a number, or a run-time tensor that must be the declared outputs' k."""
    _numeric(b, x, "input X")
    dims = b.shape(x)
    axis = axis_index(axis, len(dims))
    operand = None
    if isinstance(k, str):
        operand = _runtime_scalar(b, k, "K", (DType.INT64,))
        declared = runtime_output_shape(b, k)
        if len(declared) != len(dims):
            raise Invalid(f"the declared values shape {list(declared)} must have the input's "
                          f"rank {len(dims)}")
        k = declared[axis]
    if not 0 <= k <= dims[axis]:
        raise Invalid(f"k={k} must be in [0, {dims[axis]}] (the size of axis {axis} of "
                      f"{list(dims)})")
    out = dims[:axis] + (k,) + dims[axis + 1:]
    inputs = [x, operand] if operand else [x]
    return b.node(OpType.TOP_K, inputs, TopKParams(axis, bool(largest)), shapes=[out, out],
                  dtype=[b.dtype(x), DType.INT64], outputs=2)


def top_k_1(b: Builder, x: Compared, *, axis: int = -1, k: int) -> list[str]:
    return _top_k(b, x, k, axis, 1)


def _k(k: np.ndarray | str) -> int | str:
    return k if isinstance(k, str) else _integer(k, "K")


def top_k_10(b: Builder, x: Compared, k: Operand, *, axis: int = -1) -> list[str]:
    return _top_k(b, x, _k(k), axis, 1)


def top_k_11(b: Builder, x: Compared, k: Operand, *, axis: int = -1, largest: int = 1,
             sorted: int = 1) -> list[str]:
    # sorted=0 leaves the order to the runtime: Emberlite's is the sorted one.
    return _top_k(b, x, _k(k), axis, largest)


def cum_sum(b: Builder, x: Compared, axis: Operand, *, exclusive: int = 0,
            reverse: int = 0) -> str:
    _numeric(b, x, "input x")
    if b.rank(x) == 0:
        raise Invalid("input x is a scalar: CumSum needs an axis")
    if isinstance(axis, str):  # the output is x's shape whatever the axis: read at invoke
        operand = _runtime_scalar(b, axis, "axis", (DType.INT32, DType.INT64))
        return b.op(OpType.CUM_SUM, [x, operand], CumSumParams(0, bool(exclusive), bool(reverse)))
    a = axis_index(_integer(axis, "axis"), b.rank(x))
    return b.op(OpType.CUM_SUM, [x], CumSumParams(a, bool(exclusive), bool(reverse)))


def _depth(depth: np.ndarray) -> int:
    if depth.size != 1 or not np.issubdtype(depth.dtype, np.number):
        raise Invalid(f"depth must be one number, got {depth.dtype} of shape "
                      f"{list(depth.shape)}")
    value = float(depth.reshape(-1)[0])
    if not 1 <= value <= _INT32_MAX:
        raise Invalid(f"depth {value} must be in [1, {_INT32_MAX}]")
    return int(value)  # a float depth truncates, as ONNX Runtime reads it


def _runtime_scalar(b: Builder, t: str, what: str, types: tuple[DType, ...]) -> str:
    """Run-time operand `t`, one element of one of `types` (a float32 one is cast to int64,
    truncating as ONNX Runtime does), as an int32 or int64 tensor."""
    if b.dtype(t) not in types or math.prod(b.shape(t)) != 1 or b.rank(t) > 1:
        raise Invalid(f"{what} must be one {' or '.join(d.name.lower() for d in types)}, got "
                      f"{b.dtype(t).name.lower()} of shape {list(b.shape(t))}")
    return t if b.dtype(t) in (DType.INT32, DType.INT64) else \
        b.op(OpType.CAST, [t], dtype=DType.INT64)


def one_hot(b: Builder, indices: Compared, depth: Operand, values: Operand, *,
            axis: int = -1) -> str:
    """depth is a constant, or a run-time tensor that must be the declared output's depth;
    values (off, on) a constant or a run-time tensor."""
    if b.dtype(indices) == DType.BOOL:
        raise Unsupported("indices of type bool: float32, int32 and int64 are supported")
    shape = b.shape(values) if isinstance(values, str) else values.shape
    if math.prod(shape) != 2:
        raise Invalid(f"values must hold 2 elements [off, on], got shape {list(shape)}")
    value_type = np.dtype(b.dtype(values).numpy if isinstance(values, str) else values.dtype)
    out_type = _ONE_HOT_OUT.get(value_type)
    if out_type is None:
        raise Unsupported(f"values of type {value_type}: float32, int32, int64 and bool "
                          f"are supported")
    dims = b.shape(indices)
    a = axis_index(axis, len(dims) + 1)
    operand = None
    if isinstance(depth, str):
        operand = _runtime_scalar(b, depth, "depth", _NUMERIC)
        declared = runtime_output_shape(b, depth)
        if len(declared) != len(dims) + 1:
            raise Invalid(f"the declared output shape {list(declared)} must have rank "
                          f"{len(dims) + 1}")
        n = declared[a]
    else:
        n = _depth(depth)
    if b.dtype(indices) == DType.FLOAT32:
        # ONNX Runtime truncates float indices to integers.
        indices = b.op(OpType.CAST, [indices], dtype=DType.INT64)
    pair = b.reshape(values, (2,)) if isinstance(values, str) else \
        b.const(values.reshape(2), name="values")
    out = dims[:a] + (n,) + dims[a:]
    return b.op(OpType.ONE_HOT, [indices, pair] + ([operand] if operand else []),
                OneHotParams(a, True), shapes=[out],
                dtype=out_type)


def mod(b: Builder, x: Compared, y: Compared, *, fmod: Literal[0, 1] = 0) -> str:
    if b.dtype(x).name not in INTEGER_TYPES:  # plain integers of every width, float32
        _numeric(b, x, "input A")
    if b.dtype(y) != b.dtype(x):
        raise Invalid(f"inputs A and B must share one type, got {b.dtype(x).name.lower()} "
                      f"and {b.dtype(y).name.lower()}")
    return b.op(OpType.MOD, [x, y], ModParams(bool(fmod)))


SELECT_OPS = {
    "TopK": top_k_1,
    ("TopK", 10): top_k_10,
    ("TopK", 11): top_k_11,
    ("CumSum", 11): cum_sum,
    ("OneHot", 9): one_hot,
    ("Mod", 10): mod,
}
