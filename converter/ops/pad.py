"""PAD: pads = [before_0..before_{r-1}, after_0..after_{r-1}]."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class PadMode(enum.IntEnum):
    CONSTANT = 0
    REFLECT = 1
    EDGE = 2


@dataclass(frozen=True)
class PadParams:
    pads: tuple[int, ...] = ()
    mode: PadMode = PadMode.CONSTANT
    value: float = 0.0
