"""Run-time shape-like operands: ONNX inputs that models usually hold constant (a Reshape's
shape, a Squeeze's axes, TopK's k, a Split's sizes, a Slice's starts, a Pad's pads) kept as
optional run-time inputs of the IR op. The output shapes are fixed at conversion (ONNX shape
inference); the kernel reads the operand at invoke and fails, naming the node, when it gives
other shapes. Passes that rewrite an op's axes leave such nodes alone, and a model with
dynamic dims refuses them (its shapes follow the inputs, the operand's value does not).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import fail
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

# Op -> the index of its first run-time operand input; those from it on are optional.
FIRST_OPERAND = {OpType.RESHAPE: 1, OpType.TOP_K: 1, OpType.ONE_HOT: 2, OpType.CUM_SUM: 1,
                 OpType.SPLIT: 1, OpType.SLICE: 1, OpType.PAD: 1,
                 # the reductions' axes (mean.py)
                 OpType.MEAN: 1, OpType.SUM: 1, OpType.REDUCE_MAX: 1, OpType.REDUCE_MIN: 1,
                 OpType.REDUCE_PROD: 1}


def runtime_operands(node: Node) -> list[str]:
    """The run-time operand inputs `node` has (none for most nodes)."""
    first = FIRST_OPERAND.get(node.op)
    return [] if first is None else [name for name in node.inputs[first:] if name]


def check_operand(node: Node, graph: Graph, i: int, max_len: int = 8) -> None:
    """Input i is an int32 or int64 scalar or vector of at most `max_len` elements."""
    t = graph.tensors.get(node.inputs[i])
    if t is None:
        raise fail(node, f"input {i} {node.inputs[i]!r} is not a tensor of the graph")
    shape = tuple(t.shape or ())
    count = 1 if not shape else shape[0]
    if t.dtype.name not in ("INT32", "INT64") or len(shape) > 1 or count > max_len:
        raise fail(node, f"input {i} must be an int32 or int64 scalar or vector of at most "
                         f"{max_len} elements, got {t.dtype.name.lower()} of shape {list(shape)}")
