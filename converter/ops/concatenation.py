"""CONCATENATION along a non-negative axis."""
from __future__ import annotations

from dataclasses import dataclass

from . import FusedActivation


@dataclass(frozen=True)
class ConcatenationParams:
    axis: int = 0
    activation: FusedActivation = FusedActivation.NONE
