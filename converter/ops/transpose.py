"""TRANSPOSE: output dim i is input dim perm[i]."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TransposeParams:
    perm: tuple[int, ...] = ()
