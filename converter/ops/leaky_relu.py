"""LEAKY_RELU: y = x if x >= 0 else alpha * x."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LeakyReluParams:
    alpha: float = 0.01
