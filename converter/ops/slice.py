"""SLICE: per axis a non-negative begin and a non-zero step; the output shape gives counts."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SliceParams:
    begin: tuple[int, ...] = ()
    step: tuple[int, ...] = ()
