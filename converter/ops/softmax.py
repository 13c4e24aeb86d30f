"""SOFTMAX along a non-negative axis; beta scales the logits."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SoftmaxParams:
    axis: int = 0
    beta: float = 1.0
