"""SPLIT along a non-negative axis; sizes are the output tensors' shapes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SplitParams:
    axis: int = 0
