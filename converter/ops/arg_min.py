"""ARG_MIN along a non-negative axis: the index of the first smallest value (ArgParams and
the shape rule of arg_max.py)."""
from __future__ import annotations

from .arg_max import ArgParams, infer_shape

__all__ = ["ArgParams", "infer_shape"]
