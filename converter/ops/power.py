"""POW (format 7): y = a ^ b element-wise with numpy broadcasting; no params. float32, or any
of float32, int32 and int64 for each input (the output has the base's type), computed in double
as ONNX Runtime does: an integer power truncated, INT_MIN where it does not fit
(csrc/kernels/pow.c)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .binary import INTEGER_TYPES
from .common import Shape, broadcast, check_arity, fail, input_shape
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

NUMERIC = ("FLOAT32", "INT32", "INT64")


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    types = [graph.tensors[n].dtype.name for n in (*node.inputs, node.outputs[0])
             if n in graph.tensors]
    exponent_ok = types[1] in NUMERIC + INTEGER_TYPES
    if any(t not in NUMERIC for t in types[::2]) or not exponent_ok or \
            (len(types) == 3 and types[2] != types[0]):
        raise fail(node, f"base and output must be float32, int32 or int64, the output of the "
                         f"base's type, the exponent those or a plain integer, got "
                         f"{', '.join(t.lower() for t in types)}")
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


FACTS = (OpFacts(OpType.POW, None, infer_shape, onnx=("Pow", "LRN"), tflite=("POW",),
                 limits="int32 and int64 base and exponent too, mixed with float32; an "
                        "exponent of any plain integer type"),)
