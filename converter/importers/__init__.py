"""Importers: one module per source format, each turning a model into an IR Graph."""
from __future__ import annotations

from .onnx import import_onnx

__all__ = ["import_onnx"]
