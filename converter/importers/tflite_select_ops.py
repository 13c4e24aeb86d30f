"""TFLite TOPK_V2, CUMSUM, ONE_HOT and FLOOR_MOD (format 8's TOP_K, CUM_SUM, ONE_HOT and
MOD), entries of the TFLite op table in tflite_ops.py's conventions. k, the axis, the depth
and the on/off values are constants: shapes are fixed at conversion.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

from ..ir import DType
from ..ops import OpType
from ..ops.cum_sum import CumSumParams
from ..ops.mod import ModParams
from ..ops.one_hot import OneHotParams
from ..ops.top_k import TopKParams
from .graph_builder import Invalid, axis_index
from .tflite_op import TFLiteOp

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

_INDEX = (TensorType.INT32, TensorType.INT64)
_NUMERIC = (TensorType.FLOAT32, *_INDEX)
_ONE_HOT_OUT = (*_NUMERIC, TensorType.BOOL)
_IR_TYPES = {TensorType.FLOAT32: DType.FLOAT32, TensorType.INT32: DType.INT32,
             TensorType.INT64: DType.INT64, TensorType.BOOL: DType.BOOL}


def _one(value: np.ndarray, what: str) -> Any:
    if value.size != 1:
        raise Invalid(f"{what} must be a scalar, got shape {list(value.shape)}")
    return value.reshape(-1)[0]


def _integer(value: np.ndarray, what: str) -> int:
    if not np.issubdtype(value.dtype, np.integer):
        raise Invalid(f"{what} must be an integer, got {value.dtype}")
    return int(_one(value, what))


def top_k_v2(c: Ctx) -> list[str]:
    """The k largest along the last axis, ties to the lower index (as LiteRT)."""
    x = c.input(0)
    dims = c.b.shape(x)
    k = _integer(c.const(1), "k")
    if not dims or not 1 <= k <= dims[-1]:
        raise Invalid(f"k={k} must be in [1, {dims[-1] if dims else 0}] (the last axis of "
                      f"{list(dims)})")
    out = dims[:-1] + (k,)
    return c.b.node(OpType.TOP_K, [x], TopKParams(len(dims) - 1, True), shapes=[out, out],
                    dtype=[c.b.dtype(x), _IR_TYPES[c.out_type(1)]], outputs=2)


def cumsum(c: Ctx) -> list[str]:
    x = c.input(0)
    axis = axis_index(_integer(c.const(1), "axis"), len(c.b.shape(x)))
    exclusive, reverse = (bool(getattr(c.options, f)()) if c.options is not None else False
                          for f in ("Exclusive", "Reverse"))
    return [c.b.op(OpType.CUM_SUM, [x], CumSumParams(axis, exclusive, reverse))]


def one_hot(c: Ctx) -> list[str]:
    """Negative indices give off everywhere (LiteRT compares each position with the index)."""
    indices = c.input(0)
    depth = _integer(c.const(1), "depth")
    if not 1 <= depth <= 2**31 - 1:
        raise Invalid(f"depth {depth} must be in [1, {2**31 - 1}]")
    out_type = _IR_TYPES[c.out_type()]
    on, off = (_one(c.const(i), what) for i, what in ((2, "on_value"), (3, "off_value")))
    pair = c.b.const(np.array([off, on], out_type.numpy), name="values")
    dims = c.b.shape(indices)
    axis = c.options.Axis() if c.options is not None else -1
    a = axis_index(axis, len(dims) + 1)
    out = dims[:a] + (depth,) + dims[a:]
    return [c.b.op(OpType.ONE_HOT, [indices, pair], OneHotParams(a, False), shapes=[out],
                   dtype=out_type)]


def floor_mod(c: Ctx) -> list[str]:
    return [c.b.op(OpType.MOD, [c.input(0), c.input(1)], ModParams(fmod=False))]


SELECT_OPS = {
    Op.TOPK_V2: TFLiteOp(top_k_v2, 2, const_inputs=(1,), in_types=_NUMERIC, out_types=_NUMERIC),
    Op.CUMSUM: TFLiteOp(cumsum, 2, const_inputs=(1,), in_types=_NUMERIC, out_types=_NUMERIC),
    Op.ONE_HOT: TFLiteOp(one_hot, 4, const_inputs=(1, 2, 3), index_inputs=(0,),
                         out_types=_ONE_HOT_OUT),
    Op.FLOOR_MOD: TFLiteOp(floor_mod, 2, in_types=_NUMERIC, out_types=_NUMERIC),
}
