"""TFLite GATHER_ND and SCATTER_ND (format 8's GATHER_ND and SCATTER_ND), entries of the TFLite
op table in tflite_ops.py's conventions. SCATTER_ND's output shape is a constant: it scatters
into zeros with the ADD reduction, as LiteRT sums the updates of repeated indices.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

from ..ir import DType
from ..ops import OpType
from ..ops.gather_nd import GatherNDParams
from ..ops.scatter_nd import ScatterParams, ScatterReduction
from .graph_builder import Invalid, Unsupported
from .onnx_index_ops import check_tuples
from .tflite_op import TFLiteOp

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

_INDEX = (TensorType.INT32, TensorType.INT64)
_NUMERIC = (TensorType.FLOAT32, *_INDEX)


def gather_nd(c: Ctx) -> list[str]:
    data, indices = c.input(0), c.input(1)
    check_tuples(c.b, data, indices, 0)
    return [c.b.op(OpType.GATHER_ND, [data, indices], GatherNDParams(0))]


def scatter_nd(c: Ctx) -> list[str]:
    indices, updates = c.input(0), c.input(1)
    if c.b.dtype(updates) not in (DType.FLOAT32, DType.INT32, DType.INT64):
        raise Unsupported(f"SCATTER_ND of {c.b.dtype(updates).name} updates: float32, int32 "
                          f"and int64 are supported")
    shape = c.const(2)
    if shape.ndim != 1 or not np.issubdtype(shape.dtype, np.integer) or np.any(shape < 1):
        raise Invalid(f"shape must be a 1-D vector of positive integers, got {shape.tolist()}")
    dims = tuple(int(d) for d in shape)
    c.b.reserve(dims, c.b.dtype(updates).numpy)
    zeros = c.b.const(np.zeros(dims, c.b.dtype(updates).numpy), name="zeros")
    check_tuples(c.b, zeros, indices, 0)
    return [c.b.op(OpType.SCATTER_ND, [zeros, indices, updates],
                   ScatterParams(0, ScatterReduction.ADD))]


INDEX_OPS = {
    Op.GATHER_ND: TFLiteOp(gather_nd, 2, index_inputs=(1,), in_types=_NUMERIC,
                           out_types=_NUMERIC),
    Op.SCATTER_ND: TFLiteOp(scatter_nd, 3, const_inputs=(2,), index_inputs=(0,),
                            in_types=_NUMERIC, out_types=_NUMERIC),
}
