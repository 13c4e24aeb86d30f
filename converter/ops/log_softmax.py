"""LOG_SOFTMAX along a non-negative axis: y = z - log(sum(exp(z))) with z = beta * x
(SoftmaxParams and the shape rule of softmax.py)."""
from __future__ import annotations

from .softmax import SoftmaxParams, infer_shape

__all__ = ["SoftmaxParams", "infer_shape"]
