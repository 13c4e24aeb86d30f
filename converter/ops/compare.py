"""The comparisons and logic of format 7, numpy broadcasting, a BOOL output, no params:
EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL (two inputs of one type: FLOAT32,
a plain integer type (int8 to uint64, no quantization params) or BOOL; NaN is unequal to
everything), LOGICAL_AND, LOGICAL_OR, LOGICAL_XOR (two BOOL inputs) and LOGICAL_NOT (one).
WHERE, which selects by a BOOL, is where.py."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .binary import INTEGER_TYPES
from .common import Shape, broadcast, check_arity, fail, input_shape
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

COMPARED_TYPES = ("FLOAT32", *INTEGER_TYPES, "BOOL")


def _check_types(node: Node, graph: Graph, allowed: tuple[str, ...]) -> None:
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    types = [graph.tensors[name].dtype.name for name in node.inputs]
    if types[0] not in allowed or len(set(types)) != 1:
        raise fail(node, f"inputs must share one type of {', '.join(allowed)}, got {types}")
    if any(graph.tensors[name].quant is not None for name in node.inputs):
        raise fail(node, "inputs must be plain values (no quantization params)")
    out = graph.tensors.get(node.outputs[0])
    if out is not None and out.dtype.name != "BOOL":
        raise fail(node, f"output must be BOOL, got {out.dtype.name}")


def infer_compare(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    _check_types(node, graph, COMPARED_TYPES)
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


def infer_logical(node: Node, graph: Graph) -> list[Shape]:
    if node.op == OpType.LOGICAL_NOT:
        check_arity(node, 1, 1)
        _check_types(node, graph, ("BOOL",))
        return [input_shape(node, graph, 0)]
    check_arity(node, 2, 2)
    _check_types(node, graph, ("BOOL",))
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


FACTS = (
    OpFacts(OpType.EQUAL, None, infer_compare, onnx=("Equal", "IsInf"), tflite=("EQUAL",)),
    OpFacts(OpType.NOT_EQUAL, None, infer_compare, onnx=("IsNaN",), tflite=("NOT_EQUAL",)),
    OpFacts(OpType.LESS, None, infer_compare, onnx=("Less",), tflite=("LESS",)),
    OpFacts(OpType.LESS_EQUAL, None, infer_compare, onnx=("LessOrEqual",),
            tflite=("LESS_EQUAL",)),
    OpFacts(OpType.GREATER, None, infer_compare, onnx=("Greater",), tflite=("GREATER",)),
    OpFacts(OpType.GREATER_EQUAL, None, infer_compare, onnx=("GreaterOrEqual",),
            tflite=("GREATER_EQUAL",)),
    OpFacts(OpType.LOGICAL_NOT, None, infer_logical, onnx=("Not",), tflite=("LOGICAL_NOT",)),
    OpFacts(OpType.LOGICAL_AND, None, infer_logical, onnx=("And",), tflite=("LOGICAL_AND",)),
    OpFacts(OpType.LOGICAL_OR, None, infer_logical, onnx=("Or",), tflite=("LOGICAL_OR",)),
    OpFacts(OpType.LOGICAL_XOR, None, infer_logical, onnx=("Xor",)),
)
