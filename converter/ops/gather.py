"""GATHER: data, indices (INT32/INT64, negative counts from the end) along `axis`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GatherParams:
    axis: int = 0
