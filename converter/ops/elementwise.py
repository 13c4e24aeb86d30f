"""RELU, RELU6, SIGMOID, TANH, HARD_SWISH: one input, no params, output shape = input shape.
The int8 SIGMOID and TANH take a second input, their constant 256-entry int8 lookup table
(lookup_table.py). LOOKUP_TABLE is that lookup alone, int8 only: the fuse_int8_lookups pass
makes it of int8 element-wise chains that depend on one input byte. (CLAMP, LEAKY_RELU and
HARD_SIGMOID have params and their own modules.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape
from .facts import OpFacts, QuantRule
from .lookup_table import TABLE_SIZE, sigmoid_f32, tanh_f32
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    return [input_shape(node, graph, 0)]


def infer_lookup_shape(node: Node, graph: Graph) -> list[Shape]:
    """SIGMOID and TANH: float32 with one input, int8 with the table as input 1; LOOKUP_TABLE:
    int8 with the table."""
    check_arity(node, 2 if node.op == OpType.LOOKUP_TABLE else 1, 2)
    if len(node.inputs) == 2:
        x, table = (graph.tensors.get(name) for name in node.inputs)
        if x is None or x.dtype.name != "INT8":
            raise fail(node, "a lookup table (input 1) needs an int8 input 0")
        if (table is None or table.data is None or table.dtype.name != "INT8"
                or table.data.size != TABLE_SIZE):
            raise fail(node, f"input 1 must be a constant int8 table of {TABLE_SIZE} entries")
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    return [input_shape(node, graph, 0)]


FACTS = (
    OpFacts(OpType.RELU, None, infer_shape, int8=QuantRule(), tflite=("RELU",),
            onnx=("Relu", "Clip")),
    OpFacts(OpType.RELU6, None, infer_shape, int8=QuantRule(), tflite=("RELU6",),
            onnx=("Clip",)),
    OpFacts(OpType.SIGMOID, None, infer_lookup_shape,
            int8=QuantRule(fixed=(1.0 / 256, -128), table=sigmoid_f32), tflite=("LOGISTIC",),
            onnx=("Sigmoid", "Swish"), limits="int8: a 256-entry table, output 1/256, -128"),
    OpFacts(OpType.TANH, None, infer_lookup_shape,
            int8=QuantRule(fixed=(1.0 / 128, 0), table=tanh_f32), tflite=("TANH",),
            onnx=("Tanh",), limits="int8: a 256-entry table, output 1/128, 0"),
    OpFacts(OpType.LOOKUP_TABLE, None, infer_lookup_shape, int8=QuantRule(quantizer=False),
            limits="int8 only, made by the converter (x * sigmoid(x)): a 256-entry table"),
    # The int8 kernel's multiplier needs an output scale of at least s_in / 128.
    OpFacts(OpType.HARD_SWISH, None, infer_shape, int8=QuantRule(min_out_scale=1.0 / 128),
            tflite=("HARD_SWISH",), onnx=("HardSwish",)),
)
