"""QUANTIZE (float32 -> int8 or int16, or requantization between int8 and int16) and
DEQUANTIZE (int8 or int16 -> float32). No params: the integer tensors carry the scales and
zero points, which must be per-tensor (int16: zero point 0)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape

if TYPE_CHECKING:
    from ..ir import Graph, Node, Tensor


# Zero points each quantized type allows: int16 (16x8) is symmetric.
_ZERO_POINTS = {"INT8": (-128, 127), "INT16": (0, 0)}


def _check_int8_side(node: Node, tensor: Tensor, what: str) -> None:
    # Importers attach an output's quantization after shape inference, so a missing one is
    # left to the writer's and the runtime verifier's checks.
    if tensor.dtype.name not in _ZERO_POINTS:
        raise fail(node, f"{what} must be INT8 or INT16, got {tensor.dtype.name}")
    q = tensor.quant
    if q is None:
        return
    if len(q.scale) != 1 or len(q.zero_point) != 1:
        raise fail(node, f"{what} {tensor.name!r} needs one scale and one zero point")
    lo, hi = _ZERO_POINTS[tensor.dtype.name]
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
            _check_int8_side(node, src, "input")
        elif src.dtype.name != "FLOAT32":
            raise fail(node, f"input must be FLOAT32, INT8 or INT16, got {src.dtype.name}")
        if dst is not None:
            _check_int8_side(node, dst, "output")
    else:
        _check_int8_side(node, src, "input")
        if dst is not None and dst.dtype.name != "FLOAT32":
            raise fail(node, f"output must be FLOAT32, got {dst.dtype.name}")
    return [shape]


def infer_quantize(node: Node, graph: Graph) -> list[Shape]:
    return _infer(node, graph, int8_output=True)


def infer_dequantize(node: Node, graph: Graph) -> list[Shape]:
    return _infer(node, graph, int8_output=False)
