"""SUM over `axes` (non-negative, ascending): MEAN's params table and shape rule, without
the division by the count."""
from __future__ import annotations

from .mean import ReduceParams, infer_shape

__all__ = ["ReduceParams", "infer_shape"]
