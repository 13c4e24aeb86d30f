"""What the TFLite op tables (tflite_ops.py and the modules it gathers) say about an operator:
the function emitting its IR nodes and the structural rules the importer checks first."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tflite.TensorType import TensorType

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

Result = list[Any]  # per TFLite output: IR tensor name or np.ndarray


@dataclass(frozen=True)
class TFLiteOp:
    fn: Callable[[Ctx], Result]
    min_inputs: int = 1
    const_inputs: tuple[int, ...] = ()       # positions that must be constant
    index_inputs: tuple[int, ...] = ()       # positions holding int32/int64 indices
    # (options, tensors, operator) -> a reason the operator cannot be converted, or "".
    check: Callable[[Any, list, Any], str] | None = None
    # TensorTypes a float model's run-time inputs and outputs may have (besides const and
    # index inputs): ARG_MAX writes integer indices, CAST converts between types.
    in_types: tuple[int, ...] = (TensorType.FLOAT32,)
    out_types: tuple[int, ...] = (TensorType.FLOAT32,)
