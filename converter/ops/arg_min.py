"""ARG_MIN along a non-negative axis: the index of the first smallest value (ArgParams and
the shape rule of arg_max.py)."""
from __future__ import annotations

from .arg_max import ArgParams, infer_shape
from .facts import OpFacts, QuantRule
from .op_type import OpType

__all__ = ["FACTS", "ArgParams", "infer_shape"]


FACTS = (OpFacts(OpType.ARG_MIN, ArgParams, infer_shape, int8=QuantRule(),
                 index_outputs=True, tflite=("ARG_MIN",), onnx=("ArgMin",),
                 limits="int32 or int64 indices out"),)
