"""QUANTIZE_LINEAR and DEQUANTIZE_LINEAR (format 9): ONNX's QuantizeLinear and DequantizeLinear
whose scale and zero point are run-time tensors, read by the kernel at every invoke
(csrc/kernels/quantize_linear.c); QUANTIZE and DEQUANTIZE (quantize.py) keep the stored,
constant params. Inputs: x, a float32 scale, an optional zero point of the integer side's type
(absent: 0). The scale holds one value, or has x's rank with one dim equal to x's and the
others 1 (the importer reshapes ONNX's 1-D per-axis scale); the zero point has the scale's
shape. No params.
  QUANTIZE_LINEAR: float32 x -> int8, uint8, int16 or uint16:
    saturate(round_half_even(x / scale) + zero_point), dividing as ONNX does; NaN -> zero point.
  DEQUANTIZE_LINEAR: int8, uint8, int16, uint16 or int32 x -> float32:
    float32(x - zero_point) * scale."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .common import Shape, check_arity, fail, has_input, input_shape
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

# The integer side: QUANTIZE_LINEAR's output, DEQUANTIZE_LINEAR's input.
QUANTIZE_TYPES = ("INT8", "UINT8", "INT16", "UINT16")
DEQUANTIZE_TYPES = QUANTIZE_TYPES + ("INT32",)


def scale_axis(x: Shape, scale: Shape) -> int | None:
    """The axis a scale of shape `scale` runs along for an x of shape `x` (None: one scale);
    raises ValueError when the shape fits neither."""
    if int(np.prod(scale, dtype=np.int64)) == 1:
        return None
    if len(scale) != len(x):
        raise ValueError
    axes = [d for d, n in enumerate(scale) if n != 1]
    if len(axes) != 1 or scale[axes[0]] != x[axes[0]]:
        raise ValueError
    return axes[0]


def _check_integer(node: Node, graph: Graph, name: str, what: str,
                   allowed: tuple[str, ...]) -> str:
    t = graph.tensors[name]
    if t.dtype.name not in allowed:
        raise fail(node, f"{what} {name!r} must be {', '.join(d.lower() for d in allowed)}, "
                         f"got {t.dtype.name.lower()}")
    if t.quant is not None:
        raise fail(node, f"{what} {name!r} must carry no stored quantization params (the scale "
                         f"and zero point are inputs)")
    return t.dtype.name


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 3)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    quantize = node.op == OpType.QUANTIZE_LINEAR
    x, scale = input_shape(node, graph, 0), input_shape(node, graph, 1)
    floats = node.inputs[0] if quantize else node.outputs[0]
    ints = node.outputs[0] if quantize else node.inputs[0]
    if floats in graph.tensors and graph.tensors[floats].dtype.name != "FLOAT32":
        raise fail(node, f"{'input' if quantize else 'output'} {floats!r} must be float32, got "
                         f"{graph.tensors[floats].dtype.name.lower()}")
    int_type = None
    if ints in graph.tensors:
        int_type = _check_integer(node, graph, ints, "output" if quantize else "input",
                                  QUANTIZE_TYPES if quantize else DEQUANTIZE_TYPES)
    if graph.tensors[node.inputs[1]].dtype.name != "FLOAT32":
        raise fail(node, f"scale {node.inputs[1]!r} must be float32, got "
                         f"{graph.tensors[node.inputs[1]].dtype.name.lower()}")
    try:
        scale_axis(x, scale)
    except ValueError:
        raise fail(node, f"scale {node.inputs[1]!r} of shape {list(scale)} must hold one value "
                         f"or have the shape of x {list(x)} with all dims but one 1") from None
    if has_input(node, 2):
        zp = node.inputs[2]
        if input_shape(node, graph, 2) != scale:
            raise fail(node, f"zero point {zp!r} of shape {list(input_shape(node, graph, 2))} "
                             f"must have the scale's shape {list(scale)}")
        zp_type = _check_integer(node, graph, zp, "zero point", DEQUANTIZE_TYPES)
        if int_type is not None and zp_type != int_type:
            raise fail(node, f"zero point {zp!r} is {zp_type.lower()}, but the quantized "
                             f"tensor is {int_type.lower()}")
    return [x]


def quantize(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None,
             dtype: np.dtype) -> np.ndarray:
    """ONNX's QuantizeLinear in numpy (scale and zero point broadcast against x)."""
    info = np.iinfo(dtype)
    zp = np.zeros(1, np.float32) if zero_point is None else zero_point.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.rint(x.astype(np.float32) / scale.astype(np.float32)) + zp
    q = np.where(np.isnan(q), zp, q)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None) -> np.ndarray:
    """ONNX's DequantizeLinear in numpy: float32(x - zero point) * scale."""
    zp = np.zeros(1, np.int64) if zero_point is None else zero_point.astype(np.int64)
    return (x.astype(np.int64) - zp).astype(np.float32) * scale.astype(np.float32)


def reference(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """numpy's result of the node on `args` (converter/reference.py)."""
    x, scale = np.asarray(args[0]), np.asarray(args[1], np.float32)
    zp = np.asarray(args[2]) if len(args) > 2 and args[2] is not None else None
    scale = scale.reshape(scale.shape if scale.ndim == x.ndim else ())
    if zp is not None:
        zp = zp.reshape(scale.shape)
    if node.op == OpType.DEQUANTIZE_LINEAR:
        return [dequantize(x, scale, zp)]
    return [quantize(x, scale, zp, graph.tensors[node.outputs[0]].dtype.numpy)]


FACTS = (
    OpFacts(OpType.QUANTIZE_LINEAR, None, infer_shape, onnx=("QuantizeLinear",),
            limits="run-time scale and zero point; float32 to int8, uint8, int16, uint16"),
    OpFacts(OpType.DEQUANTIZE_LINEAR, None, infer_shape, onnx=("DequantizeLinear",),
            limits="run-time scale and zero point; int8 to int32 and uint8, uint16 to float32"),
)
