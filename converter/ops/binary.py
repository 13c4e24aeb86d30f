"""ADD, SUB, MUL, DIV: two inputs with numpy broadcasting, optional fused activation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class BinaryParams:
    activation: FusedActivation = FusedActivation.NONE


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    params_of(node, BinaryParams)
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


# ADD and SUB move both inputs to twice the larger input scale with 20 bits (int8) or 15
# bits (int16) of headroom: the output scale must exceed 2 x that scale / 2^20 (2^15).
FACTS = (
    OpFacts(OpType.ADD, BinaryParams, infer_shape,
            int8=QuantRule(min_out_scale=2.0 / 2 ** 20),
            int16=QuantRule(min_out_scale=2.0 / 2 ** 15),
            tflite=("ADD",), onnx=("Add", "BatchNormalization", "Gemm", "Sum", "Mean"),
            limits="int16: no power-of-two (pot_scale_int16) path"),
    OpFacts(OpType.SUB, BinaryParams, infer_shape,
            int8=QuantRule(min_out_scale=2.0 / 2 ** 20), tflite=("SUB",), onnx=("Sub",)),
    OpFacts(OpType.MUL, BinaryParams, infer_shape, int8=QuantRule(), tflite=("MUL",),
            onnx=("Mul", "BatchNormalization")),
    OpFacts(OpType.DIV, BinaryParams, infer_shape, int8=QuantRule(quantizer=False),
            tflite=("DIV",), onnx=("Div",), limits="int8: imported TFLite models only"),
)
