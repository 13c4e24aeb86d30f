"""RESHAPE: copies data; the output tensor's shape is the new shape."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReshapeParams:
    pass
