"""POW (format 7): y = a ^ b element-wise with numpy broadcasting, float32; no params."""
from __future__ import annotations

from .facts import OpFacts
from .maximum import infer_shape
from .op_type import OpType

FACTS = (OpFacts(OpType.POW, None, infer_shape, onnx=("Pow",), tflite=("POW",)),)
