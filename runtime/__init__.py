"""Emberlite runtime: run verified .ember models through the C interpreter.

This package needs only numpy and cffi. The converter lives in emberlite.converter and is
installed with the `convert` extra; nothing here imports it.

Interpreter runs a model and load_delegate makes a delegate (Delegate) that runs parts of it
elsewhere, a GPU; ISA_NONE, ISA_AVX2, ISA_AVX512F, ISA_AVX512VNNI, ISA_AVX512VBMI, ISA_NEON,
ISA_NEONDOT, ISA_NEONFP16, ISA_NEONI8MM, ISA_SHA, ISA_ARMDSP, ISA_MVE and ISA_ALL are the bits of
the Interpreter's isa_mask (the C header's EMBER_ISA_* values); the error classes are one per C
status.
"""
from __future__ import annotations

from typing import Any

from .errors import (ArenaTooSmallError, BadSignatureError, EmberRuntimeError, EvalError,
                     HashMismatchError, InvalidArgumentError, InvalidModelError, MisuseError,
                     NoMemoryError, RollbackError, UnsignedModelError, UnsupportedError,
                     VersionError)

__version__ = "0.9.0"

_FROM_INTERPRETER = ("Interpreter", "SignatureRunner", "runtime_version", "verify_model",
                     "ISA_NONE", "ISA_AVX2", "ISA_AVX512F", "ISA_AVX512VNNI", "ISA_AVX512VBMI",
                     "ISA_NEON", "ISA_NEONDOT", "ISA_NEONFP16", "ISA_NEONI8MM", "ISA_SHA",
                     "ISA_ARMDSP", "ISA_MVE", "ISA_ALL")
_FROM_DELEGATES = ("Delegate", "load_delegate")

__all__ = [
    "ArenaTooSmallError", "BadSignatureError", "EmberRuntimeError", "EvalError",
    "HashMismatchError", "InvalidArgumentError", "InvalidModelError", "MisuseError",
    "NoMemoryError", "RollbackError", "UnsignedModelError", "UnsupportedError",
    "VersionError", *_FROM_INTERPRETER, *_FROM_DELEGATES,
]


def __getattr__(name: str) -> Any:
    # The compiled extension loads on first use, so `import emberlite.converter` (and the
    # error classes) work without it; the ISA_* constants come from it too.
    if name in _FROM_INTERPRETER:
        from . import interpreter
        return getattr(interpreter, name)
    if name in _FROM_DELEGATES:
        from . import delegates
        return getattr(delegates, name)
    raise AttributeError(f"module 'emberlite' has no attribute {name!r}")
