"""MOD (format 8): the remainder of two inputs of one type (FLOAT32 or a plain integer), numpy
broadcasting. `fmod`: C's fmod (the dividend's sign); else the floor remainder (the
divisor's sign, Python's % and numpy's mod). An integer divisor of 0 gives 0."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .binary import INTEGER_TYPES, check_integer_types
from .common import Shape, broadcast, check_arity, fail, input_shape, params_of
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

MOD_TYPES = (*INTEGER_TYPES, "FLOAT32")


@dataclass(frozen=True)
class ModParams:
    fmod: bool = False


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    params_of(node, ModParams)
    types = [graph.tensors[name].dtype.name for name in node.inputs]
    out = graph.tensors.get(node.outputs[0])
    if out is not None:
        types.append(out.dtype.name)
    if types[0] not in MOD_TYPES or len(set(types)) != 1:
        raise fail(node, f"inputs and output must share one type of {', '.join(MOD_TYPES)}, "
                         f"got {types}")
    check_integer_types(node, graph, 2)
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


FACTS = (OpFacts(OpType.MOD, ModParams, infer_shape, onnx=("Mod",), tflite=("FLOOR_MOD",),
                 limits="plain integers of every width too; an integer divisor of 0 gives 0"),)
