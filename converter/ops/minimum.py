"""MINIMUM: y = min(a, b) element-wise with numpy broadcasting; no params."""
from __future__ import annotations

from .facts import OpFacts, QuantRule
from .maximum import infer_shape
from .op_type import OpType

__all__ = ["FACTS", "infer_shape"]


FACTS = (OpFacts(OpType.MINIMUM, None, infer_shape, int8=QuantRule(shared="all"),
                 tflite=("MINIMUM",), onnx=("Min",), limits="int32 and int64 too"),)
