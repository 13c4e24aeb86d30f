"""HARD_SIGMOID: y = clamp(alpha * x + beta, 0, 1)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HardSigmoidParams:
    alpha: float = 0.2
    beta: float = 0.5
