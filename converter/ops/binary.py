"""ADD, SUB, MUL, DIV: two inputs with numpy broadcasting, optional fused activation. Plain
int32 and int64 too (no activation): +, - and * wrap, DIV truncates toward zero, x / 0 is 0
and INT_MIN / -1 is INT_MIN (csrc/kernels/div.c); int32 and int64 never mix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class BinaryParams:
    activation: FusedActivation = FusedActivation.NONE


INTEGER_TYPES = ("INT32", "INT64")
INTEGER_LIMITS = "int32 and int64 too (wrapping)"


def check_integer_types(node: Node, graph: Graph, inputs: int) -> None:
    """A node on plain int32/int64 values: its first `inputs` inputs and its output share the
    type, and a fused activation (a float clamp) is NONE."""
    names = [*node.inputs[:inputs], *node.outputs[:1]]
    types = [graph.tensors[n].dtype.name for n in names if n in graph.tensors]
    if not any(t in INTEGER_TYPES for t in types):
        return
    if len(set(types)) != 1:
        raise fail(node, f"integer inputs and output must share one type, got "
                         f"{', '.join(t.lower() for t in types)}")
    activation = getattr(node.params, "activation", FusedActivation.NONE)
    if activation != FusedActivation.NONE:
        raise fail(node, f"integer tensors take no fused activation, got {activation.name}")


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    params_of(node, BinaryParams)
    check_integer_types(node, graph, 2)
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


# ADD and SUB move both inputs to twice the larger input scale with 20 bits (int8) or 15
# bits (int16) of headroom: the output scale must exceed 2 x that scale / 2^20 (2^15).
FACTS = (
    OpFacts(OpType.ADD, BinaryParams, infer_shape,
            int8=QuantRule(min_out_scale=2.0 / 2 ** 20),
            int16=QuantRule(min_out_scale=2.0 / 2 ** 15),
            tflite=("ADD",), onnx=("Add", "BatchNormalization", "Gemm", "Sum", "Mean"),
            limits=f"int16: no power-of-two (pot_scale_int16) path; {INTEGER_LIMITS}"),
    OpFacts(OpType.SUB, BinaryParams, infer_shape,
            int8=QuantRule(min_out_scale=2.0 / 2 ** 20), tflite=("SUB",), onnx=("Sub",),
            limits=INTEGER_LIMITS),
    OpFacts(OpType.MUL, BinaryParams, infer_shape, int8=QuantRule(), tflite=("MUL",),
            onnx=("Mul", "BatchNormalization"), limits=INTEGER_LIMITS),
    OpFacts(OpType.DIV, BinaryParams, infer_shape, int8=QuantRule(quantizer=False),
            tflite=("DIV",), onnx=("Div",),
            limits="int8: imported TFLite models only; int32 and int64 too (truncating; "
                   "x / 0 gives 0)"),
)
