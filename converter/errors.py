"""Errors the converter raises. All derive from EmberError."""
from __future__ import annotations


class EmberError(Exception):
    """Base class of every converter error."""


class ModelImportError(EmberError):
    """The source model is malformed or inconsistent."""


class UnsupportedOpsError(EmberError):
    """The model uses ops (or attributes) Emberlite cannot convert; all are listed."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems  # (node name, op type, reason)
        lines = [f"  {name or '<unnamed>'} ({op}): {why}" for name, op, why in problems]
        super().__init__(f"{len(problems)} unsupported node(s):\n" + "\n".join(lines))


class ShapeError(EmberError):
    """Shapes cannot be inferred or do not agree."""


class SizeLimitError(EmberError):
    """A folded constant or the planned arena exceeds the conversion's byte budget
    (converter/limits.py); the message says how to raise it."""


class QuantizationError(EmberError):
    """Quantization failed."""


class MetadataWarning(UserWarning):
    """Optional metadata of the source model (labels, normalization ...) is malformed; the
    converter skips the part it cannot read and converts the model without it."""
