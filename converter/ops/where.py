"""WHERE (format 7): y = x where cond else other, numpy broadcasting of the three inputs
(cond BOOL; x, other and y of one type, which int8/int16 ones share with their quantization);
no params."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, fail, input_shape
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 3, 3)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    cond, x, other = (graph.tensors[name].dtype.name for name in node.inputs)
    if cond != "BOOL":
        raise fail(node, f"input 0 (the condition) must be BOOL, got {cond}")
    if x != other:
        raise fail(node, f"inputs 1 and 2 must share one type, got {x} and {other}")
    shape = broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))
    return [broadcast(node, shape, input_shape(node, graph, 2))]


FACTS = (OpFacts(OpType.WHERE, None, infer_shape,
                 onnx=("Where", "ThresholdedRelu", "Shrink", "Expand", "Trilu",
                       "NegativeLogLikelihoodLoss", "PRelu"),
                 tflite=("SELECT", "SELECT_V2")),)
