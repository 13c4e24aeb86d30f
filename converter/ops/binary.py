"""ADD, SUB, MUL, DIV: two inputs with numpy broadcasting, optional fused activation. Plain
integers of every width too, int8 to uint64 without quantization params (no activation): +, -
and * wrap, DIV truncates toward zero, x / 0 is 0 and INT_MIN / -1 is INT_MIN
(csrc/kernels/div.c); integer types never mix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node, Tensor


@dataclass(frozen=True)
class BinaryParams:
    activation: FusedActivation = FusedActivation.NONE


# Plain integers: int8, uint8 and int16 are the quantized types where they carry quantization
# params, and plain integers without them (csrc/kernels/broadcast.c, ember_is_plain_int).
INTEGER_TYPES = ("INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64")
INTEGER_LIMITS = "plain integers of every width too, int8 to uint64 (wrapping)"


def is_plain_integer(tensor: Tensor) -> bool:
    """Whether `tensor` holds plain integers (an integer type, no quantization params)."""
    return tensor.dtype.name in INTEGER_TYPES and tensor.quant is None


def check_integer_types(node: Node, graph: Graph, inputs: int) -> None:
    """A node on plain integer values (input 0 says: an int8 one with quantization params is
    the quantized kernel's): its first `inputs` inputs and its output share the type, and a
    fused activation (a float clamp) is NONE. The runtime refuses quantization params on the
    other tensors of a plain node."""
    names = [*node.inputs[:inputs], *node.outputs[:1]]
    types = [graph.tensors[n].dtype.name for n in names if n in graph.tensors]
    first = graph.tensors.get(node.inputs[0])
    if first is None or not is_plain_integer(first):
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
            int8=QuantRule(min_out_scale=2.0 / 2 ** 20), tflite=("SUB",), onnx=("Sub", "Det"),
            limits=INTEGER_LIMITS),
    OpFacts(OpType.MUL, BinaryParams, infer_shape, int8=QuantRule(), tflite=("MUL",),
            onnx=("Mul", "BatchNormalization"), limits=INTEGER_LIMITS),
    OpFacts(OpType.DIV, BinaryParams, infer_shape, int8=QuantRule(quantizer=False),
            tflite=("DIV",), onnx=("Div",),
            limits="int8: imported TFLite models only; plain integers of every width too "
                   "(truncating; x / 0 gives 0)"),
)
