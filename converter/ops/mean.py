"""MEAN over `axes` (non-negative, ascending); the output shape says whether dims are kept."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReduceParams:
    axes: tuple[int, ...] = ()
