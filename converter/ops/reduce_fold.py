"""REDUCE_MAX, REDUCE_MIN and REDUCE_PROD over `axes` (format 7): MEAN's params table and
shape rule; float32, and int8 MAX/MIN comparing stored values of an input and output quantized
alike. Over no cells MAX gives -inf, MIN +inf and PROD 1; a NaN propagates through MAX/MIN.
Format 9: MAX and MIN of bool (any, all; false and true over no cells), and run-time axes
(input 1) as MEAN's, float32 or bool."""
from __future__ import annotations

from .facts import OpFacts, QuantRule
from .mean import ReduceParams, float_axes_only, infer_shape
from .op_type import OpType

__all__ = ["FACTS", "ReduceParams"]

RUNTIME_AXES = "run-time axes (input 1): float32 only"


def _bool_fold(what: str) -> str:
    return f"bool too ({what}); run-time axes (input 1): float32 and bool"


FACTS = (
    OpFacts(OpType.REDUCE_MAX, ReduceParams, infer_shape,
            int8=QuantRule(shared="first", accepts=float_axes_only), tflite=("REDUCE_MAX",),
            onnx=("ReduceMax", "ReduceLogSumExp"), limits=_bool_fold("any")),
    OpFacts(OpType.REDUCE_MIN, ReduceParams, infer_shape,
            int8=QuantRule(shared="first", accepts=float_axes_only), tflite=("REDUCE_MIN",),
            onnx=("ReduceMin",), limits=_bool_fold("all")),
    OpFacts(OpType.REDUCE_PROD, ReduceParams, infer_shape, tflite=("REDUCE_PROD",),
            onnx=("ReduceProd",), limits=RUNTIME_AXES),
)
