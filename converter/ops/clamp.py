"""CLAMP: y = min(max(x, min), max)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClampParams:
    min: float = 0.0
    max: float = 0.0
