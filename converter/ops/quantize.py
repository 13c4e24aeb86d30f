"""QUANTIZE (float32 -> int8, or a requantization int8 -> int8, uint8 -> int8 or int8 ->
uint8, uint8 being for a graph's inputs and outputs) and DEQUANTIZE (int8 -> float32). No
params: the integer tensors carry the scales and zero points, which must be per-tensor."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape

if TYPE_CHECKING:
    from ..ir import Graph, Node, Tensor


_ZERO_POINTS = {"INT8": (-128, 127), "UINT8": (0, 255)}


def _check_int8_side(node: Node, tensor: Tensor, what: str, dtype: str = "INT8") -> None:
    # Importers attach an output's quantization after shape inference, so a missing one is
    # left to the writer's and the runtime verifier's checks.
    if tensor.dtype.name != dtype:
        raise fail(node, f"{what} must be {dtype}, got {tensor.dtype.name}")
    q = tensor.quant
    if q is None:
        return
    lo, hi = _ZERO_POINTS[dtype]
    if len(q.scale) != 1 or len(q.zero_point) != 1:
        raise fail(node, f"{what} {tensor.name!r} needs one scale and one zero point")
    if not q.scale[0] > 0 or not lo <= q.zero_point[0] <= hi:
        raise fail(node, f"{what} {tensor.name!r} needs scale > 0 and zero point in "
                         f"[{lo}, {hi}], got {q.scale[0]} and {q.zero_point[0]}")


def _infer(node: Node, graph: Graph, int8_output: bool) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    shape = input_shape(node, graph, 0)
    src, dst = graph.tensors[node.inputs[0]], graph.tensors.get(node.outputs[0])
    if int8_output:
        if src.dtype.name in _ZERO_POINTS:
            _check_int8_side(node, src, "input", src.dtype.name)
        elif src.dtype.name != "FLOAT32":
            raise fail(node, f"input must be FLOAT32, INT8 or UINT8, got {src.dtype.name}")
        if dst is not None:
            # uint8 only to and from int8
            uint8_out = src.dtype.name == "INT8" and dst.dtype.name == "UINT8"
            _check_int8_side(node, dst, "output", "UINT8" if uint8_out else "INT8")
    else:
        _check_int8_side(node, src, "input")
        if dst is not None and dst.dtype.name != "FLOAT32":
            raise fail(node, f"output must be FLOAT32, got {dst.dtype.name}")
    return [shape]


def infer_quantize(node: Node, graph: Graph) -> list[Shape]:
    return _infer(node, graph, int8_output=True)


def infer_dequantize(node: Node, graph: Graph) -> list[Shape]:
    return _infer(node, graph, int8_output=False)
