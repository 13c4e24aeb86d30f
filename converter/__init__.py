"""Emberlite converter (host only): ONNX -> IR -> passes -> memory plan -> .ember bytes.

    from emberlite.converter import Converter
    Converter.from_onnx("model.onnx").save("model.ember")
"""
from __future__ import annotations

from .converter import Converter
from .errors import (EmberError, MetadataWarning, ModelImportError, QuantizationError,
                     ShapeError, SizeLimitError, UnsupportedOpsError)

__all__ = ["Converter", "EmberError", "MetadataWarning", "ModelImportError", "QuantizationError",
           "ShapeError", "SizeLimitError", "UnsupportedOpsError"]
