"""LOG_SOFTMAX along a non-negative axis: y = z - log(sum(exp(z))) with z = beta * x
(SoftmaxParams and the shape rule of softmax.py)."""
from __future__ import annotations

from .facts import OpFacts, QuantRule
from .op_type import OpType
from .softmax import SoftmaxParams, infer_shape

__all__ = ["FACTS", "SoftmaxParams", "infer_shape"]


FACTS = (OpFacts(OpType.LOG_SOFTMAX, SoftmaxParams, infer_shape,
                 int8=QuantRule(quantizer=False), tflite=("LOG_SOFTMAX",),
                 onnx=("LogSoftmax", "SoftmaxCrossEntropyLoss"),
                 limits="int8: imported TFLite models only, output 16/256, 127"),)
