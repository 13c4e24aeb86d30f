"""MINIMUM: y = min(a, b) element-wise with numpy broadcasting; no params."""
from __future__ import annotations

from .maximum import infer_shape

__all__ = ["infer_shape"]
