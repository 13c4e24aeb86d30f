"""ADD, SUB, MUL, DIV: two inputs with numpy broadcasting, optional fused activation."""
from __future__ import annotations

from dataclasses import dataclass

from . import FusedActivation


@dataclass(frozen=True)
class BinaryParams:
    activation: FusedActivation = FusedActivation.NONE
