"""SUM over `axes` (non-negative, ascending) or run-time axes (input 1, float32 only): MEAN's
params table and shape rule, without the division by the count."""
from __future__ import annotations

from .facts import OpFacts, QuantRule
from .mean import ReduceParams, float_axes_only, infer_shape
from .op_type import OpType

__all__ = ["FACTS", "ReduceParams", "infer_shape"]


FACTS = (OpFacts(OpType.SUM, ReduceParams, infer_shape, int8=QuantRule(accepts=float_axes_only),
                 tflite=("SUM",),
                 onnx=("ReduceSum", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
                       "LpNormalization"),
                 limits="run-time axes (input 1): float32 only"),)
