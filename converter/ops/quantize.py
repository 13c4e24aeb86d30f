"""QUANTIZE (float32 -> int8 or int16; requantization between int8 and int16; uint8 -> int8
and int8 -> uint8, uint8 being for a graph's inputs and outputs) and DEQUANTIZE (int8 or
int16 -> float32). No params: the integer tensors carry the scales and zero points, which
must be per-tensor (int16: zero point 0)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape
from .facts import CONVERSION, OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node, Tensor


# Zero points each quantized type allows: int16 (16x8) is symmetric.
_ZERO_POINTS = {"INT8": (-128, 127), "INT16": (0, 0), "UINT8": (0, 255)}
# The output types QUANTIZE has a kernel for, by input type.
_QUANTIZE_OUTPUTS = {"FLOAT32": ("INT8", "INT16"), "INT8": ("INT8", "INT16", "UINT8"),
                     "INT16": ("INT8", "INT16"), "UINT8": ("INT8",)}


def _check_quantized_side(node: Node, tensor: Tensor, what: str,
                          allowed: tuple[str, ...]) -> None:
    # Importers attach an output's quantization after shape inference, so a missing one is
    # left to the writer's and the runtime verifier's checks.
    if tensor.dtype.name not in allowed:
        raise fail(node, f"{what} must be {' or '.join(allowed)}, got {tensor.dtype.name}")
    q = tensor.quant
    if q is None:
        return
    if len(q.scale) != 1 or len(q.zero_point) != 1:
        raise fail(node, f"{what} {tensor.name!r} needs one scale and one zero point")
    lo, hi = _ZERO_POINTS[tensor.dtype.name]
    if not q.scale[0] > 0 or not lo <= q.zero_point[0] <= hi:
        raise fail(node, f"{what} {tensor.name!r} needs scale > 0 and zero point in "
                         f"[{lo}, {hi}], got {q.scale[0]} and {q.zero_point[0]}")


def _infer(node: Node, graph: Graph, quantize: bool) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    shape = input_shape(node, graph, 0)
    src, dst = graph.tensors[node.inputs[0]], graph.tensors.get(node.outputs[0])
    if quantize:
        outputs = _QUANTIZE_OUTPUTS.get(src.dtype.name)
        if outputs is None:
            raise fail(node, f"input must be {', '.join(_QUANTIZE_OUTPUTS)}, got "
                             f"{src.dtype.name}")
        if src.dtype.name != "FLOAT32":
            _check_quantized_side(node, src, "input", (src.dtype.name,))
        if dst is not None:
            _check_quantized_side(node, dst, f"output (of a {src.dtype.name} input)", outputs)
    else:
        _check_quantized_side(node, src, "input", ("INT8", "INT16"))
        if dst is not None and dst.dtype.name != "FLOAT32":
            raise fail(node, f"output must be FLOAT32, got {dst.dtype.name}")
    return [shape]


def infer_quantize(node: Node, graph: Graph) -> list[Shape]:
    return _infer(node, graph, quantize=True)


def infer_dequantize(node: Node, graph: Graph) -> list[Shape]:
    return _infer(node, graph, quantize=False)


FACTS = (
    OpFacts(OpType.QUANTIZE, None, infer_quantize, int8=CONVERSION, int16=CONVERSION,
            tflite=("QUANTIZE",),
            onnx=("QuantizeLinear", "DynamicQuantizeLinear"),
            limits="also uint8 <-> int8 at a graph's edges"),
    OpFacts(OpType.DEQUANTIZE, None, infer_dequantize, int8=CONVERSION, int16=CONVERSION,
            tflite=("DEQUANTIZE",), onnx=("DequantizeLinear",),
            limits="also float16 weights (weight-only quantizer)"),
)
