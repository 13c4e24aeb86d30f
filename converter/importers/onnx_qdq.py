"""ONNX's quantized ops: QuantizeLinear and DequantizeLinear (the QDQ models ONNX Runtime's
quantize_static writes), QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger and
DynamicQuantizeLinear (QDQ_OPS, see onnx_ops.py for the signature conventions), and
QdqLowering, which turns the DequantizeLinear -> op -> QuantizeLinear groups of a QDQ model
into Emberlite int8 ops.

Types. A run-time ONNX int8 or uint8 value is an IR tensor of the same type carrying the
Q/DQ node's scale and zero point (QuantParams). The int8 kernels compute in int8 only: a uint8
value is the int8 tensor of the same scale whose stored values and zero point are 128 lower
(exactly the same real numbers), joined by a QUANTIZE. Code that needs the int8 form of a
uint8 tensor made from an int8 one reads that int8 tensor (`int8_view`), so the QUANTIZE to
uint8 that every uint8 QuantizeLinear ends with stays only where a uint8 value is read as such
(a graph output); remove_dead drops the others. int8 kernels take weights of zero point 0:
`w - zero point`, which must fit int8 (uint8 weights rarely do; a group with such weights runs
in float32, a QLinearConv as exact float sums of the integers).

QDQ groups. QdqLowering (hooked into the importer's node loop) lowers an ONNX node to int8
ops when every run-time input comes from a per-tensor DequantizeLinear, every constant input
is a DequantizeLinear of an initializer (Conv, Gemm and MatMul weights per tensor or per output
channel; the int32 bias of scale input x weight scale, as quantize_static writes it; a float
bias is quantized to that scale), and every output is read only by QuantizeLinear nodes of one
scale and zero point. The op is converted by its usual op function on the int8 tensors; the
group is kept only if every IR op that makes has an int8 kernel whose rules hold (at most one
requantizing op, data movement keeping its input's params, the kernel's own checks); a
result whose params still differ from the QuantizeLinear's (a Reshape between two scales, a
Softmax's fixed output params) gets a requantizing QUANTIZE, and Concat's inputs are
requantized to its output's. An element-wise function of one input without an int8 kernel
(Sigmoid, Tanh, HardSigmoid, Gelu, ...) becomes a LOOKUP_TABLE of its 256 values, computed
as ONNX Runtime computes each. Otherwise the node runs in float32 between the group's
DEQUANTIZE and QUANTIZE ops ("float otherwise"); the file's metadata "source.qdq_float_nodes"
says which and why.

Rounding. QUANTIZE rounds ties away from zero (LiteRT's rule) where ONNX rounds them to even,
and the int8 kernels requantize in LiteRT's fixed point with two roundings
(docs/int8-arithmetic.md) where ONNX Runtime rounds the real product once: a value within
2^-shift of a tie can come out one step apart (about 0.2% of a convolution's outputs), and
such steps carry through the layers after it. Per-axis QuantizeLinear, which has no kernel,
is composed of float ops and rounds ties to even, as ONNX does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import onnx

from ..ir import DType, Graph, Node, QuantParams
from ..ops import OPS, OpType
from ..ops.batch_matmul import BatchMatMulParams
from ..ops.binary import BinaryParams
from ..ops.cast import CastParams
from ..ops.clamp import ClampParams
from ..ops.fully_connected import FullyConnectedParams
from ..ops.gather import GatherParams
from ..ops.mean import ReduceParams
from ..ops.quantize_linear import DEQUANTIZE_TYPES, QUANTIZE_TYPES
from .graph_builder import Builder, Invalid, Unsupported, axis_index
from .onnx_nn_ops import conv, matmul
from .onnx_signature import AnyTensor, Operand, signature

__all__ = ["FLOAT_NODES_KEY", "QDQ_OPS", "QdqLowering"]

# Metadata: JSON {node: reason} of the QDQ groups that run in float32.
FLOAT_NODES_KEY = "source.qdq_float_nodes"

_UNSIGNED = {np.dtype(np.int8): False, np.dtype(np.uint8): True}
QUANTIZE_TYPES_IR = tuple(DType[t] for t in QUANTIZE_TYPES)
DEQUANTIZE_TYPES_IR = tuple(DType[t] for t in DEQUANTIZE_TYPES)
_INT32 = (-(2 ** 31), 2 ** 31 - 1)
# The largest integer every float32 sum below it holds exactly: ConvInteger and MatMulInteger
# run as float32 products of integers, exact while every partial sum stays under it.
_EXACT_FLOAT = 2 ** 24
# Which input of a weighted op is the per-output-channel weight, and its output-channel axis.
_WEIGHT_AXIS = {"Conv": (1, 0), "MatMul": (1, 1)}


@dataclass(frozen=True)
class QParams:
    """The scale and zero point of one QuantizeLinear / DequantizeLinear, in ONNX's terms."""
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    unsigned: bool                        # uint8 (else int8)
    axis: int | None = None               # None: one scale for the whole tensor

    def int8(self) -> QuantParams:
        """The per-tensor params of the int8 tensor holding these values."""
        return QuantParams((self.scale[0],), (self.zero_point[0] - 128 * self.unsigned,))

    def stored(self) -> QuantParams:
        """The per-tensor params as the ONNX type stores them (uint8: zero point 0..255)."""
        return QuantParams((self.scale[0],), (self.zero_point[0],))


def read_params(scale: np.ndarray, zero_point: np.ndarray | None, axis: int,
                shape: tuple[int, ...], unsigned: bool | None, what: str = "") -> QParams:
    """The params of a Q/DQ node of a tensor of `shape`; `unsigned` is the quantized type when
    the node fixes it otherwise than by its zero point (None: the zero point's)."""
    if scale.dtype != np.float32:
        raise Unsupported(f"{what}scale of type {scale.dtype}: only float32 scales are supported")
    values = scale.reshape(-1).astype(np.float64)
    if not np.all(np.isfinite(values) & (values > 0)):
        raise Invalid(f"{what}scale must be finite and > 0, got {values.tolist()[:8]}")
    if zero_point is not None:
        if zero_point.dtype not in _UNSIGNED:
            raise Unsupported(f"{what}zero point of type {zero_point.dtype}: int8 and uint8 "
                              f"are supported")
        if unsigned is not None and _UNSIGNED[zero_point.dtype] != unsigned:
            raise Invalid(f"{what}zero point is {zero_point.dtype}, but the quantized tensor is "
                          f"{'uint8' if unsigned else 'int8'}")
        if zero_point.shape != scale.shape:
            raise Invalid(f"{what}zero point shape {list(zero_point.shape)} differs from scale "
                          f"shape {list(scale.shape)}")
        unsigned = _UNSIGNED[zero_point.dtype]
        zps = tuple(int(z) for z in zero_point.reshape(-1))
    else:
        unsigned = True if unsigned is None else unsigned
        zps = (0,) * values.size
    scales = tuple(float(s) for s in scale.reshape(-1))
    if scale.ndim == 0 or (scale.ndim == 1 and scale.size == 1):
        return QParams(scales, zps, unsigned)
    if scale.ndim != 1:
        raise Unsupported(f"{what}scale of shape {list(scale.shape)}: blocked quantization is "
                          f"not supported")
    dim = axis_index(axis, len(shape))
    if shape[dim] != scale.size:
        raise Invalid(f"{what}{scale.size} scales for axis {axis} of size {shape[dim]}")
    return QParams(scales, zps, unsigned, dim)


def _unsigned_of(zero_point: np.ndarray | None, output_dtype: int) -> bool:
    """Whether a QuantizeLinear writes uint8 (its zero point's type, or `output_dtype`)."""
    if zero_point is not None:
        return _UNSIGNED.get(zero_point.dtype, True)
    if output_dtype in (0, onnx.TensorProto.UINT8):
        return True
    if output_dtype == onnx.TensorProto.INT8:
        return False
    raise Unsupported(f"output_dtype {onnx.TensorProto.DataType.Name(output_dtype)}: int8 and "
                      f"uint8 are supported")


# --- int8 tensors -----------------------------------------------------------------------------
def _producer(g: Graph, name: str) -> Node | None:
    return next((n for n in reversed(g.nodes) if name in n.outputs), None)


def _rename(g: Graph, old: str, new: str) -> None:
    tensor = g.tensors.pop(old)
    tensor.name = new
    g.tensors[new] = tensor
    for node in g.nodes:
        node.inputs = [new if i == old else i for i in node.inputs]
        node.outputs = [new if o == old else o for o in node.outputs]


def _set_quant(b: Builder, name: str, quant: QuantParams) -> str:
    b.graph.tensors[name].quant = quant
    return name


def _int8_of_uint8(b: Builder, x: str) -> str:
    """The int8 tensor with x's stored values - 128 (x: a uint8 tensor with params)."""
    src = _producer(b.graph, x)
    if src is not None and src.op == OpType.QUANTIZE and b.dtype(src.inputs[0]) == DType.INT8:
        return src.inputs[0]
    for node in b.graph.nodes:
        if node.op == OpType.QUANTIZE and node.inputs == [x] and \
                b.dtype(node.outputs[0]) == DType.INT8:
            return node.outputs[0]
    q = b.graph.tensors[x].quant
    return _set_quant(b, b.op(OpType.QUANTIZE, [x], dtype=DType.INT8),
                      QuantParams(q.scale, (q.zero_point[0] - 128,)))


def _same(a: QuantParams | None, c: QuantParams | None) -> bool:
    return a is not None and c is not None and a.scale == c.scale and \
        a.zero_point == c.zero_point


def int8_view(b: Builder, x: str, p: QParams) -> str:
    """The int8 tensor holding run-time value `x` read with per-tensor params `p`."""
    t = b.graph.tensors[x]
    if t.dtype not in (DType.INT8, DType.UINT8):
        raise Unsupported(f"input {x!r} is {t.dtype.name.lower()}; int8 or uint8 is supported")
    if (t.dtype == DType.UINT8) != p.unsigned:
        raise Invalid(f"input {x!r} is {t.dtype.name.lower()}, but its zero point is "
                      f"{'uint8' if p.unsigned else 'int8'}")
    want = p.stored()
    if t.quant is None and not t.is_constant:
        t.quant = want  # a graph input: the first reader says what it holds
    if not _same(t.quant, want):
        held = "no params" if t.quant is None else \
            f"scale {t.quant.scale[0]} and zero point {t.quant.zero_point[0]}"
        raise Unsupported(f"{t.dtype.name.lower()} tensor {x!r} holds {held}, but is read with "
                          f"scale {p.scale[0]} and zero point {p.zero_point[0]}")
    return _int8_of_uint8(b, x) if p.unsigned else x


def _stored_int8(b: Builder, x: str) -> str:
    """An int8 tensor with x's stored values (less 128 for uint8), whatever its params."""
    t = b.graph.tensors[x]
    if t.dtype == DType.INT8:
        if t.quant is None:
            t.quant = QuantParams((1.0,), (0,))
        return x
    if t.dtype != DType.UINT8:
        raise Unsupported(f"input {x!r} is {t.dtype.name.lower()}; int8 or uint8 is supported")
    if t.quant is None:
        t.quant = QuantParams((1.0,), (128,))
    return _int8_of_uint8(b, x)


def _as_onnx_type(b: Builder, q8: str, unsigned: bool) -> str:
    """An int8 result as the ONNX value's own type (uint8: a QUANTIZE adding 128)."""
    if not unsigned:
        return q8
    q = b.graph.tensors[q8].quant
    return _set_quant(b, b.op(OpType.QUANTIZE, [q8], dtype=DType.UINT8),
                      QuantParams(q.scale, (q.zero_point[0] + 128,)))


def _channel_shape(p: QParams, rank: int) -> tuple[int, ...]:
    shape = [1] * rank
    shape[p.axis] = len(p.scale)
    return tuple(shape)


# --- QuantizeLinear and DequantizeLinear ------------------------------------------------------
def quantize_linear(b: Builder, x: str, y_scale: Operand,
                    y_zero_point: Operand | None = None, *, axis: int = 1,
                    block_size: int = 0, output_dtype: int = 0, saturate: int = 1,
                    precision: Literal[0, 1] = 0) -> str:
    if block_size:
        return _quantize_blocked(b, x, y_scale, y_zero_point, axis, block_size, output_dtype)
    if not _constant_params(y_scale, y_zero_point) or output_dtype in _FLOAT8 or \
            _quantized_type(b, y_zero_point, output_dtype) not in (DType.INT8, DType.UINT8):
        return _quantize_runtime(b, x, y_scale, y_zero_point, axis, output_dtype, saturate)
    unsigned = _unsigned_of(y_zero_point, output_dtype)
    p = read_params(y_scale, y_zero_point, axis, b.shape(x), unsigned)
    if p.axis is None:
        q8 = _set_quant(b, b.op(OpType.QUANTIZE, [x], dtype=DType.INT8), p.int8())
    else:
        q8 = _quantize_per_axis(b, x, p)
    return _as_onnx_type(b, q8, unsigned)


def _quantize_per_axis(b: Builder, x: str, p: QParams) -> str:
    """ONNX's formula in float ops: saturate(round_half_even(x / scale) + zero point), cast to
    int8 (uint8 values 128 lower); the int8 tensor gets params of scale 1, zero point 0."""
    shape = _channel_shape(p, b.rank(x))
    scale = b.const(np.array(p.scale, np.float32).reshape(shape), name="scale")
    zp = np.array(p.zero_point, np.float32).reshape(shape) - 128 * p.unsigned
    y = b.op(OpType.ROUND, [b.op(OpType.DIV, [x, scale], BinaryParams())])
    y = b.op(OpType.ADD, [y, b.const(zp, name="zero_point")], BinaryParams())
    y = b.op(OpType.CLAMP, [y], ClampParams(-128.0, 127.0))
    return _set_quant(b, b.op(OpType.CAST, [y], dtype=DType.INT8), QuantParams((1.0,), (0,)))


# x is AnyTensor (its type is checked here): the signature kinds have none for int8 / uint8.
def dequantize_linear(b: Builder, x: AnyTensor, x_scale: Operand,
                      x_zero_point: Operand | None = None, *, axis: int = 1,
                      block_size: int = 0, output_dtype: Literal[0, 1] = 0) -> str:
    dtype = b.dtype(x)
    if block_size:
        return _dequantize_blocked(b, x, x_scale, x_zero_point, axis, block_size)
    if not _constant_params(x_scale, x_zero_point) or dtype not in (DType.INT8, DType.UINT8):
        return _dequantize_runtime(b, x, x_scale, x_zero_point, axis)
    if dtype not in (DType.INT8, DType.UINT8):
        raise Unsupported(f"input {x!r} is a run-time {dtype.name.lower()} tensor; int8 and "
                          f"uint8 are supported (int32 only as a constant)")
    p = read_params(x_scale, x_zero_point, axis, b.shape(x), dtype == DType.UINT8)
    if p.axis is None:
        return b.op(OpType.DEQUANTIZE, [int8_view(b, x, p)], dtype=DType.FLOAT32)
    # Per axis: (stored - zero point) x scale in float32, ONNX's own formula.
    shape = _channel_shape(p, b.rank(x))
    y = b.op(OpType.CAST, [_stored_int8(b, x)], dtype=DType.FLOAT32)
    zp = np.array(p.zero_point, np.float32).reshape(shape) - 128 * p.unsigned
    y = b.op(OpType.SUB, [y, b.const(zp, name="zero_point")], BinaryParams())
    scale = b.const(np.array(p.scale, np.float32).reshape(shape), name="scale")
    return b.op(OpType.MUL, [y, scale], BinaryParams())


# --- run-time scale and zero point: QUANTIZE_LINEAR, DEQUANTIZE_LINEAR ---------------------------
_ONNX_INTEGERS = {onnx.TensorProto.INT8: DType.INT8, onnx.TensorProto.UINT8: DType.UINT8,
                  onnx.TensorProto.INT16: DType.INT16, onnx.TensorProto.UINT16: DType.UINT16,
                  onnx.TensorProto.INT4: DType.INT4, onnx.TensorProto.UINT4: DType.UINT4,
                  onnx.TensorProto.INT2: DType.INT2, onnx.TensorProto.UINT2: DType.UINT2,
                  onnx.TensorProto.FLOAT4E2M1: DType.FLOAT4E2M1}
# The sub-byte integers (one element per byte; only CAST reads and writes them): their ranges
# and the 8-bit type that holds each.
_SUB_BYTE = {DType.INT4: (-8, 7, DType.INT8), DType.UINT4: (0, 15, DType.UINT8),
             DType.INT2: (-2, 1, DType.INT8), DType.UINT2: (0, 3, DType.UINT8)}


def _constant_params(scale: Operand, zero_point: Operand | None) -> bool:
    return isinstance(scale, np.ndarray) and \
        (zero_point is None or isinstance(zero_point, np.ndarray))


def _operand_dtype(b: Builder, v: Operand) -> DType:
    return DType.from_numpy(v.dtype) if isinstance(v, np.ndarray) else b.dtype(v)


def _quantized_type(b: Builder, zero_point: Operand | None, output_dtype: int) -> DType | None:
    """QuantizeLinear's output type: output_dtype, else the zero point's, else uint8 (None: a
    type this path does not write)."""
    if output_dtype != 0:
        dtype = _ONNX_INTEGERS.get(output_dtype)
    else:
        dtype = DType.UINT8 if zero_point is None else _operand_dtype(b, zero_point)
    if zero_point is not None and dtype is not None and _operand_dtype(b, zero_point) != dtype:
        raise Invalid(f"zero point is {_operand_dtype(b, zero_point).name.lower()}, but "
                      f"output_dtype is {dtype.name.lower()}")
    return dtype


def _runtime_params(b: Builder, x: str, scale: Operand, zero_point: Operand | None,
                    axis: int) -> list[str | None]:
    """The scale and zero point as IR tensors the kernel reads: one value, or a 1-D scale per
    channel reshaped to x's rank (its size along `axis`, 1 elsewhere)."""
    names = [b.const(v, name=what) if isinstance(v, np.ndarray) else v
             for v, what in ((scale, "scale"), (zero_point, "zero_point")) if v is not None]
    shape, rank = b.shape(names[0]), b.rank(x)
    if b.dtype(names[0]) != DType.FLOAT32:
        raise Unsupported(f"scale of type {b.dtype(names[0]).name.lower()}: float32 scales are "
                          f"supported")
    if len(names) == 2 and b.shape(names[1]) != shape and \
            int(np.prod(shape, dtype=np.int64)) == 1 == int(np.prod(b.shape(names[1]))):
        names[1] = b.reshape(names[1], shape)  # one value of another rank
    if len(names) == 2 and b.shape(names[1]) != shape:
        raise Invalid(f"zero point shape {list(b.shape(names[1]))} differs from scale shape "
                      f"{list(shape)}")
    if int(np.prod(shape, dtype=np.int64)) != 1:
        if len(shape) != 1:
            raise Unsupported(f"scale of shape {list(shape)}: blocked quantization is not "
                              f"supported")
        dim = axis_index(axis, rank)
        if b.shape(x)[dim] != shape[0]:
            raise Invalid(f"{shape[0]} scales for axis {axis} of size {b.shape(x)[dim]}")
        per_axis = tuple(shape[0] if d == dim else 1 for d in range(rank))
        names = [b.reshape(n, per_axis) for n in names]
    return names + [None] * (2 - len(names))


_FLOAT8 = {onnx.TensorProto.FLOAT8E4M3FN: DType.FLOAT8E4M3FN,
           onnx.TensorProto.FLOAT8E4M3FNUZ: DType.FLOAT8E4M3FNUZ,
           onnx.TensorProto.FLOAT8E5M2: DType.FLOAT8E5M2,
           onnx.TensorProto.FLOAT8E5M2FNUZ: DType.FLOAT8E5M2FNUZ}


def _float8_source(b: Builder, v: Operand | None) -> DType | None:
    """The float8 type of a run-time value the float edges (onnx_float_edges.py) widened to
    float32 by a CAST, else None."""
    if v is None or isinstance(v, np.ndarray):
        return None
    node = _producer(b.graph, v)
    if node is None or node.op != OpType.CAST or not node.inputs:
        return None
    source = b.dtype(node.inputs[0])
    return source if source in _FLOAT8.values() else None


def _quantize_float8(b: Builder, x: str, scale: Operand, axis: int, dtype: DType,
                     saturate: int) -> str:
    """ONNX's float8 QuantizeLinear: x / scale cast to the float8 type (rounded to nearest
    even, saturating unless saturate=0); ONNX's reference adds no zero point (it must be 0)."""
    [scale_name, _] = _runtime_params(b, x, scale, None, axis)
    y = b.op(OpType.DIV, [x, scale_name], BinaryParams())
    return b.op(OpType.CAST, [y], CastParams(saturate=bool(saturate)), dtype=dtype)


def _quantize_sub_byte(b: Builder, x: str, scale: Operand, zero_point: Operand | None,
                       axis: int, dtype: DType) -> str:
    """QuantizeLinear to int4, uint4, int2 or uint2 in float ops: saturate(round_half_even(x /
    scale) + zero point) to the type's range, then a CAST (exact: a whole number in range)."""
    scale_name, zp = _runtime_params(b, x, scale, zero_point, axis)
    y = b.op(OpType.ROUND, [b.op(OpType.DIV, [x, scale_name], BinaryParams())])
    if zp is not None:
        y = b.op(OpType.ADD, [y, b.op(OpType.CAST, [zp], dtype=DType.FLOAT32)], BinaryParams())
    lo, hi, _ = _SUB_BYTE[dtype]
    y = b.op(OpType.CLAMP, [y], ClampParams(float(lo), float(hi)))
    return b.op(OpType.CAST, [y], dtype=dtype)


def _quantize_runtime(b: Builder, x: str, scale: Operand, zero_point: Operand | None,
                      axis: int, output_dtype: int, saturate: int = 1) -> str:
    """QuantizeLinear whose scale or zero point is a run-time tensor (or whose output is int16 or
    uint16): QUANTIZE_LINEAR, which reads them at invoke."""
    float8 = _FLOAT8.get(output_dtype) or _float8_source(b, zero_point)
    if float8 is not None:
        return _quantize_float8(b, x, scale, axis, float8, saturate)
    dtype = _quantized_type(b, zero_point, output_dtype)
    if dtype == DType.FLOAT4E2M1:
        return _quantize_float8(b, x, scale, axis, dtype, saturate)
    if dtype in _SUB_BYTE:
        return _quantize_sub_byte(b, x, scale, zero_point, axis, dtype)
    if dtype is None or dtype not in QUANTIZE_TYPES_IR:
        name = onnx.TensorProto.DataType.Name(output_dtype) if output_dtype else \
            _operand_dtype(b, zero_point).name
        raise Unsupported(f"output type {name.lower()}: int8, uint8, int16 and uint16 are "
                          f"supported")
    return b.op(OpType.QUANTIZE_LINEAR, [x, *_runtime_params(b, x, scale, zero_point, axis)],
                dtype=dtype)


def _dequantize_runtime(b: Builder, x: str, scale: Operand, zero_point: Operand | None,
                        axis: int) -> str:
    """DequantizeLinear whose scale or zero point is a run-time tensor (or whose x is int16,
    uint16 or int32): DEQUANTIZE_LINEAR, which reads them at invoke. A float8 x (widened to
    float32 at the graph's edge) is x x scale in float32, its zero point 0 as ONNX's says."""
    if b.dtype(x) == DType.FLOAT4E2M1:
        x = b.op(OpType.CAST, [x], dtype=DType.FLOAT32)
    elif b.dtype(x) in _SUB_BYTE:
        if zero_point is not None and _operand_dtype(b, zero_point) != b.dtype(x):
            raise Invalid(f"zero point is {_operand_dtype(b, zero_point).name.lower()}, but x "
                          f"is {b.dtype(x).name.lower()}")
        wide = _SUB_BYTE[b.dtype(x)][2]
        x = b.op(OpType.CAST, [x], dtype=wide)
        if zero_point is not None:
            zero_point = b.op(OpType.CAST, [_tensor(b, zero_point, "zero_point")], dtype=wide)
    # A float4 x cast above, or a float8 one the graph's edge widened: x x scale.
    producer = _producer(b.graph, x)
    if b.dtype(x) == DType.FLOAT32 and producer is not None and producer.op == OpType.CAST:
        [scale_name, _] = _runtime_params(b, x, scale, None, axis)
        return b.op(OpType.MUL, [x, scale_name], BinaryParams())
    if b.dtype(x) not in DEQUANTIZE_TYPES_IR:
        raise Unsupported(f"input {x!r} of type {b.dtype(x).name.lower()}: int8, uint8, int16, "
                          f"uint16 and int32 are supported")
    if zero_point is not None and _operand_dtype(b, zero_point) != b.dtype(x):
        raise Invalid(f"zero point is {_operand_dtype(b, zero_point).name.lower()}, but x is "
                      f"{b.dtype(x).name.lower()}")
    return b.op(OpType.DEQUANTIZE_LINEAR, [x, *_runtime_params(b, x, scale, zero_point, axis)],
                dtype=DType.FLOAT32)


def _blocked_params(b: Builder, x: str, scale: Operand, zero_point: Operand | None, axis: int,
                    block_size: int) -> list[str]:
    """Blocked quantization's scale (and zero point) repeated block_size times along `axis`
    and cut to x's length there (a GATHER of constant indices): x's shape."""
    if block_size < 0:
        raise Invalid(f"block_size must be >= 0, got {block_size}")
    rank, shape = b.rank(x), b.shape(x)
    dim = axis_index(axis, rank)
    want = tuple(-(-n // block_size) if d == dim else n for d, n in enumerate(shape))
    names = [_tensor(b, v, what) for v, what in ((scale, "scale"), (zero_point, "zero_point"))
             if v is not None]
    if b.dtype(names[0]) != DType.FLOAT32:
        raise Unsupported(f"scale of type {b.dtype(names[0]).name.lower()}: float32 scales are "
                          f"supported")
    for name in names:
        if b.shape(name) != want:
            raise Invalid(f"blocked {name!r} of shape {list(b.shape(name))}: x {list(shape)} "
                          f"in blocks of {block_size} along axis {axis} needs {list(want)}")
    index = b.const(np.arange(shape[dim], dtype=np.int32) // block_size, name="block_index")
    return [b.op(OpType.GATHER, [name, index], GatherParams(dim)) for name in names]


def _quantize_blocked(b: Builder, x: str, scale: Operand, zero_point: Operand | None,
                      axis: int, block_size: int, output_dtype: int) -> str:
    """Blocked QuantizeLinear in float ops: saturate(round_half_even(x / scale) + zero point)
    with each block's scale and zero point."""
    dtype = _quantized_type(b, zero_point, output_dtype)
    if dtype not in QUANTIZE_TYPES_IR:
        raise Unsupported(f"blocked quantization to {dtype.name.lower() if dtype else 'this'} "
                          f"type: int8, uint8, int16 and uint16 are supported")
    params = _blocked_params(b, x, scale, zero_point, axis, block_size)
    y = b.op(OpType.ROUND, [b.op(OpType.DIV, [x, params[0]], BinaryParams())])
    if len(params) == 2:
        zp = b.op(OpType.CAST, [params[1]], dtype=DType.FLOAT32)
        y = b.op(OpType.ADD, [y, zp], BinaryParams())
    info = np.iinfo(dtype.numpy)
    y = b.op(OpType.CLAMP, [y], ClampParams(float(info.min), float(info.max)))
    return b.op(OpType.CAST, [y], dtype=dtype)


def _dequantize_blocked(b: Builder, x: str, scale: Operand, zero_point: Operand | None,
                        axis: int, block_size: int) -> str:
    """Blocked DequantizeLinear in float ops: (x - zero point) x scale per block (exact: 8- and
    16-bit integers are float32 values)."""
    if b.dtype(x) not in QUANTIZE_TYPES_IR:
        raise Unsupported(f"blocked dequantization of {b.dtype(x).name.lower()}: int8, uint8, "
                          f"int16 and uint16 are supported")
    if zero_point is not None and _operand_dtype(b, zero_point) != b.dtype(x):
        raise Invalid(f"zero point is {_operand_dtype(b, zero_point).name.lower()}, but x is "
                      f"{b.dtype(x).name.lower()}")
    params = _blocked_params(b, x, scale, zero_point, axis, block_size)
    y = b.op(OpType.CAST, [x], dtype=DType.FLOAT32)
    if len(params) == 2:
        y = b.op(OpType.SUB, [y, b.op(OpType.CAST, [params[1]], dtype=DType.FLOAT32)],
                 BinaryParams())
    return b.op(OpType.MUL, [y, params[0]], BinaryParams())


def dynamic_quantize_linear(b: Builder, x: str) -> list[str]:
    """ONNX's definition in float ops: the range [min(x, 0), max(x, 0)] over 255 steps, the zero
    point round(-min / scale) saturated to 0..255, y = saturate(round(x / scale) + zero point);
    rounding halves to even. An all-zero x divides by a zero scale, as ONNX's does."""
    all_axes = ReduceParams(tuple(range(b.rank(x))))
    zero = b.scalar(0.0)
    lo = b.op(OpType.MINIMUM, [b.op(OpType.REDUCE_MIN, [x], all_axes), zero])
    hi = b.op(OpType.MAXIMUM, [b.op(OpType.REDUCE_MAX, [x], all_axes), zero])
    scale = b.op(OpType.DIV, [b.op(OpType.SUB, [hi, lo], BinaryParams()), b.scalar(255.0)],
                 BinaryParams())
    zp = b.op(OpType.ROUND, [b.op(OpType.SUB, [zero, b.op(OpType.DIV, [lo, scale],
                                                            BinaryParams())], BinaryParams())])
    zp = b.op(OpType.CLAMP, [zp], ClampParams(0.0, 255.0))
    y = b.op(OpType.ROUND, [b.op(OpType.DIV, [x, scale], BinaryParams())])
    y = b.op(OpType.CLAMP, [b.op(OpType.ADD, [y, zp], BinaryParams())], ClampParams(0.0, 255.0))
    return [_float_to_uint8(b, y), scale, _float_to_uint8(b, zp)]


def _float_to_uint8(b: Builder, v: str) -> str:
    """Whole floats in 0..255 as uint8: cast v - 128 to int8 (scale 1), then add 128."""
    shifted = b.op(OpType.SUB, [v, b.scalar(128.0)], BinaryParams())
    q8 = _set_quant(b, b.op(OpType.CAST, [shifted], dtype=DType.INT8), QuantParams((1.0,), (0,)))
    return _as_onnx_type(b, q8, True)


# --- int8 weights and biases -----------------------------------------------------------------
def _int8_weights(data: np.ndarray, p: QParams, what: str) -> np.ndarray:
    """Weights as int8 with zero point 0: stored value - zero point, which must fit int8."""
    if data.dtype not in _UNSIGNED:
        raise Unsupported(f"{what} of type {data.dtype}: int8 (or uint8) weights are supported")
    zps = np.array(p.zero_point, np.int64)
    if p.axis is not None:
        zps = zps.reshape(_channel_shape(p, data.ndim))
    values = data.astype(np.int64) - zps
    if values.min(initial=0) < -128 or values.max(initial=0) > 127:
        raise Unsupported(f"{what} minus its zero point spans [{values.min()}, {values.max()}]; "
                          f"int8 weights with zero point 0 need [-128, 127]")
    return values.astype(np.int8)


def _weight_quant(p: QParams) -> QuantParams:
    return QuantParams(p.scale, (0,) * len(p.scale), 0)


def _int32_bias(value: np.ndarray, bias_p: QParams | None, x_scale: float,
                w_scales: tuple[float, ...], channels: int) -> np.ndarray:
    """The int32 bias of scale input x weight scale per channel (float32 products, as the
    kernels check them): the stored integers when a DequantizeLinear of that scale gave them,
    else the real bias rounded to that scale."""
    scales = (np.float32(x_scale) * np.array(w_scales, np.float32)).astype(np.float32)
    scales = np.broadcast_to(scales, (channels,))
    if value.size not in (1, channels) or (value.ndim > 1 and value.shape[-1] != value.size):
        raise Unsupported(f"bias of shape {list(value.shape)}: one value per output channel "
                          f"({channels}) is supported")
    value = np.broadcast_to(value.reshape(-1), (channels,))
    if bias_p is not None:
        if any(bias_p.zero_point):
            raise Unsupported("int32 bias with a nonzero zero point")
        got = np.broadcast_to(np.array(bias_p.scale, np.float64), (channels,))
        if np.all(np.abs(got - scales) <= 1e-6 * np.minimum(got, scales)):
            return value.astype(np.int32)
        real = value.astype(np.float64) * got
    else:
        real = value.astype(np.float64)
    return np.clip(np.round(real / scales.astype(np.float64)), *_INT32).astype(np.int32)


# --- checking what an int8 op function made ----------------------------------------------------
def finish_int8(b: Builder, start: int, results: list[str], finals: list[QuantParams],
                weights: QuantParams | None = None) -> list[str]:
    """Gives the int8 tensors the nodes from `start` on made their params and checks each
    node against its int8 kernel's rules (Unsupported names the first that breaks one).
    Params flow forward: data movement keeps its input's, the one requantizing op writes the
    params its kernel fixes (SOFTMAX) or else the result's (`finals`), weights get `weights`.
    A result whose params still differ from its `finals` entry (data movement between two
    scales, a fixed-output op) gets a requantizing QUANTIZE; the results are returned."""
    g = b.graph
    nodes = g.nodes[start:]
    compute = [n for n in nodes if OPS[n.op].int8 is None or not OPS[n.op].int8.shared]
    if len(compute) > 1:
        raise Unsupported(f"it becomes {len(compute)} requantizing ops "
                          f"({', '.join(n.op.name for n in compute)}); int8 needs one")
    for node in nodes:
        _assign_params(g, node, node in compute, dict(zip(results, finals)), weights)
    for node in nodes:
        reason = _int8_problem(g, node)
        if reason:
            raise Unsupported(f"{node.op.name}: {reason}")
    return [_requantized(b, r, p) for r, p in zip(results, finals)]


def _assign_params(g: Graph, node: Node, compute: bool, finals: dict[str, QuantParams],
                   weights: QuantParams | None) -> None:
    facts = OPS[node.op]
    if weights is not None and facts.weights is not None and len(node.inputs) > 1:
        w = g.tensors[node.inputs[facts.weights]]
        if w.dtype == DType.INT8 and w.quant is None:
            w.quant = QuantParams(weights.scale, weights.zero_point,
                                  facts.output_channel_axis(node, g))
    fixed = facts.int8.fixed if facts.int8 is not None else None
    for out in node.outputs:
        t = g.tensors[out]
        if t.dtype != DType.INT8 or t.quant is not None:
            continue
        source = g.tensors[node.inputs[0]].quant if node.inputs and node.inputs[0] else None
        if compute and fixed is not None:
            t.quant = QuantParams((fixed[0],), (fixed[1],))
        elif not compute and source is not None:
            t.quant = source
        elif out in finals or len(set(finals.values())) == 1:
            t.quant = finals.get(out) or next(iter(finals.values()))


def _int8_problem(g: Graph, node: Node) -> str:
    facts = OPS[node.op]
    rule = facts.int8
    if rule is None or node.op in (OpType.QUANTIZE, OpType.DEQUANTIZE, OpType.CAST):
        return "no int8 kernel"
    if not rule.quantizer:
        # DIV, LOG_SOFTMAX: kernels whose extra rules only the TFLite importer checks.
        return "its int8 kernel serves imported TFLite models only"
    if rule.table is not None:
        return "its int8 kernel is a lookup table with fixed output params"
    activations = []
    for i, name in enumerate(node.inputs):
        if not name:
            continue
        t = g.tensors[name]
        if i == facts.bias and rule.weights:
            if t.dtype != DType.INT32 or not t.is_constant:
                return f"bias {name!r} must be a constant int32 tensor"
        elif i == facts.weights and rule.weights:
            if t.dtype != DType.INT8 or not t.is_constant or t.quant is None:
                return f"weights {name!r} must be constant int8 with params"
        elif t.dtype == DType.INT8:
            if t.quant is None or len(t.quant.scale) != 1:
                return f"int8 input {name!r} needs one scale and zero point"
            activations.append(t)
        elif t.dtype not in (DType.INT32, DType.INT64):
            return f"input {name!r} is {t.dtype.name.lower()}"
    outputs = [g.tensors[o] for o in node.outputs]
    if not facts.index_outputs:
        for t in outputs:
            if t.dtype != DType.INT8 or t.quant is None or len(t.quant.scale) != 1:
                return f"output {t.name!r} must be int8 with one scale and zero point"
        shared = activations[:1] + outputs if rule.shared == "first" else \
            activations + outputs if rule.shared == "all" else []
        if any(not _same(t.quant, shared[0].quant) for t in shared[1:]):
            return "its int8 kernel needs the same scale and zero point on input and output"
        if rule.fixed is not None and any(
                abs(t.quant.scale[0] - rule.fixed[0]) > 1e-3 * rule.fixed[0]
                or t.quant.zero_point[0] != rule.fixed[1] for t in outputs):
            return f"int8 output params must be scale {rule.fixed[0]}, zero point {rule.fixed[1]}"
        if rule.min_out_scale and activations and outputs[0].quant.scale[0] < \
                rule.min_out_scale * max(t.quant.scale[0] for t in activations) * 1.001:
            return "output scale too small for the int8 kernel's multiplier"
        if node.op == OpType.SOFTMAX and activations and not float(
                np.float32(node.params.beta)) * activations[0].quant.scale[0] * 2.0 ** 26 > 1:
            return "int8 needs beta x input scale > 2^-26 (the kernel's check)"
    return rule.accepts(node, g) if rule.accepts is not None else ""


def _requantized(b: Builder, x: str, quant: QuantParams) -> str:
    """int8 tensor x requantized to `quant` (CONCATENATION's inputs share its output's)."""
    if _same(b.graph.tensors[x].quant, quant):
        return x
    return _set_quant(b, b.op(OpType.QUANTIZE, [x], dtype=DType.INT8), quant)


# --- QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger ------------------------------------
def _const_int8(b: Builder, data: np.ndarray, quant: QuantParams, name: str) -> str:
    return _set_quant(b, b.const(data, name=name), quant)


Window = dict[str, Any]   # the convolution attributes, passed on to onnx_nn_ops.conv


def qlinear_conv(b: Builder, x: AnyTensor, x_scale: Operand, x_zero_point: Operand,
                 w: Operand, w_scale: Operand, w_zero_point: Operand,
                 y_scale: Operand, y_zero_point: Operand, bias: Operand | None = None,
                 *, auto_pad: Literal["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"] = "NOTSET",
                 dilations: list[int] | None = None, group: int = 1,
                 kernel_shape: list[int] | None = None, pads: list[int] | None = None,
                 strides: list[int] | None = None) -> str:
    """An int8 convolution; weights whose values minus zero points do not fit int8 run as the
    exact float32 convolution of the integers, requantized as ONNX's reference does."""
    window = dict(auto_pad=auto_pad, dilations=dilations, group=group,
                  kernel_shape=kernel_shape, pads=pads, strides=strides)
    operands = (x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point)
    if not all(isinstance(v, np.ndarray) for v in operands + (bias,) if v is not None):
        return _qlinear_conv_runtime(b, x, operands, bias, window)
    if w.dtype not in _UNSIGNED:
        raise Invalid(f"w must be int8 or uint8, got {w.dtype}")
    if bias is not None and bias.dtype != np.int32:
        raise Invalid(f"B must be int32, got {bias.dtype}")
    xp = read_params(x_scale, x_zero_point, 1, b.shape(x), b.dtype(x) == DType.UINT8, "x ")
    wp = read_params(w_scale, w_zero_point, 0, w.shape, _UNSIGNED[w.dtype], "w ")
    yp = read_params(y_scale, y_zero_point, 1, (), None, "y ")
    if wp.axis not in (None, 0):
        raise Unsupported("w must be quantized per tensor or per output channel")
    x8 = int8_view(b, x, xp)
    try:
        weights = _int8_weights(w, wp, "w")
    except Unsupported:
        acc = _integer_conv(b, _integers(b, x8, xp), _integer_weights(w, wp), bias, window)
        return _requantize(b, acc, xp, wp, yp, 1)
    start = len(b.graph.nodes)
    b_name = None if bias is None else b.const(bias.reshape(-1), name="bias")
    y = conv(b, x8, b.const(weights, name="weights"), b_name, **window)
    [y] = finish_int8(b, start, [y], [yp.int8()], _weight_quant(wp))
    return _as_onnx_type(b, y, yp.unsigned)


def qlinear_matmul(b: Builder, a: AnyTensor, a_scale: Operand, a_zero_point: Operand,
                   w: Operand, b_scale: Operand, b_zero_point: Operand,
                   y_scale: Operand, y_zero_point: Operand) -> str:
    """FULLY_CONNECTED for 2-D b whose values minus zero points fit int8, else BATCH_MATMUL
    (b per tensor, as an int8 constant with its zero point); with a run-time b, scale or zero
    point, _qlinear_matmul_runtime."""
    operands = (a_scale, a_zero_point, w, b_scale, b_zero_point, y_scale, y_zero_point)
    if not all(isinstance(v, np.ndarray) for v in operands):
        return _qlinear_matmul_runtime(b, a, *operands)
    if w.dtype not in _UNSIGNED:
        raise Invalid(f"b must be int8 or uint8, got {w.dtype}")
    ap = read_params(a_scale, a_zero_point, 1, b.shape(a), b.dtype(a) == DType.UINT8, "a ")
    wp = read_params(b_scale, b_zero_point, -1, w.shape, _UNSIGNED[w.dtype], "b ")
    yp = read_params(y_scale, y_zero_point, 1, (), None, "y ")
    a8 = int8_view(b, a, ap)
    start = len(b.graph.nodes)
    kernel = None
    if w.ndim == 2 and b.rank(a) >= 2 and wp.axis in (None, 1):
        try:
            kernel = _int8_weights(w, wp, "b").T
        except Unsupported:
            if wp.axis is not None:
                raise
    if kernel is not None:
        y = b.op(OpType.FULLY_CONNECTED, [a8, b.const(kernel, name="weights")],
                 FullyConnectedParams())
        [y] = finish_int8(b, start, [y], [yp.int8()], _weight_quant(wp))
    else:
        if wp.axis is not None:
            raise Unsupported("b quantized per column needs 2-D b")
        b8 = _const_int8(b, (w.astype(np.int16) - 128 * wp.unsigned).astype(np.int8),
                         wp.int8(), "b")
        if b.rank(a8) < 2 or w.ndim < 2:
            raise Unsupported("1-D a or b needs b values minus zero points that fit int8")
        y = b.op(OpType.BATCH_MATMUL, [a8, b8], BatchMatMulParams())
        [y] = finish_int8(b, start, [y], [yp.int8()])
    return _as_onnx_type(b, y, yp.unsigned)


def _tensor(b: Builder, v: Operand, what: str) -> str:
    return b.const(v, name=what) if isinstance(v, np.ndarray) else v


def _minus_zero_point(b: Builder, x: Operand, zero_point: Operand | None, what: str,
                      zp_shape: tuple[int, ...] | None = None) -> str:
    """x - zero point as float32 (exact: both are 8-bit integers); `zp_shape` reshapes a
    zero point of more than one value (per output channel) to broadcast against x."""
    x = _tensor(b, x, what)
    if zero_point is None:
        zero_point = np.zeros((), np.uint8 if b.dtype(x) == DType.UINT8 else np.int8)
    zp = _tensor(b, zero_point, f"{what}_zero_point")
    size = int(np.prod(b.shape(zp), dtype=np.int64))
    if size != 1 and zp_shape is not None:
        if len(b.shape(zp)) != 1 or size != int(np.prod(zp_shape, dtype=np.int64)):
            raise Invalid(f"{what} zero point of shape {list(b.shape(zp))}: one value or one "
                          f"per output channel {list(zp_shape)}")
        zp = b.reshape(zp, zp_shape)
    elif size != 1 and (len(b.shape(zp)) != 1 or b.shape(zp)[0] != b.shape(x)[-1]):
        raise Unsupported(f"{what} zero point of shape {list(b.shape(zp))}: one value or one "
                          f"per column is supported")
    for name in (x, zp):
        if b.dtype(name) not in (DType.INT8, DType.UINT8) or b.graph.tensors[name].quant:
            raise Unsupported(f"{what} operand {name!r} is {b.dtype(name).name.lower()}; int8 "
                              f"and uint8 are supported")
    if b.dtype(zp) != b.dtype(x):
        raise Invalid(f"{what} zero point is {b.dtype(zp).name.lower()}, but {what} is "
                      f"{b.dtype(x).name.lower()}")
    return b.op(OpType.SUB, [b.op(OpType.CAST, [x], dtype=DType.FLOAT32),
                             b.op(OpType.CAST, [zp], dtype=DType.FLOAT32)], BinaryParams())


def _qlinear_matmul_runtime(b: Builder, a: str, a_scale: Operand, a_zero_point: Operand,
                            w: Operand, b_scale: Operand, b_zero_point: Operand,
                            y_scale: Operand, y_zero_point: Operand) -> str:
    """ONNX Runtime's QLinearMatMul with run-time operands: the integer product C of a - a_zp
    and b - b_zp (float32 sums, exact while they stay under 2^24: K x 255 x 255 does), then
    saturate(round_half_even(C x (a_scale x b_scale / y_scale)) + y_zp) with the multiplier
    and its product in float32, as ONNX Runtime requantizes (ONNX's reference multiplies in
    float64: the two can differ by one where the product is within float32's rounding of a
    half)."""
    k = b.shape(a)[-1] if b.rank(a) else 1
    _check_exact(k * 255.0 * 255.0)
    scales = [_tensor(b, v, n) for v, n in ((a_scale, "a_scale"), (b_scale, "b_scale"),
                                            (y_scale, "y_scale"))]
    for name, what in zip(scales, ("a", "b", "y")):
        size = int(np.prod(b.shape(name), dtype=np.int64))
        if b.dtype(name) != DType.FLOAT32:
            raise Unsupported(f"{what} scale of type {b.dtype(name).name.lower()}: float32 "
                              f"scales are supported")
        if size != 1 and (what != "b" or len(b.shape(name)) != 1):
            raise Unsupported(f"{what} scale of shape {list(b.shape(name))}: per tensor (and "
                              f"b per column) is supported")
    if b.shape(_tensor(b, b_zero_point, "b_zp")) != b.shape(scales[1]):
        raise Invalid(f"b zero point shape {list(b.shape(_tensor(b, b_zero_point, 'b_zp')))} "
                      f"differs from b scale shape {list(b.shape(scales[1]))}")
    c = matmul(b, _minus_zero_point(b, a, a_zero_point, "a"),
               _minus_zero_point(b, w, b_zero_point, "b"))
    return _requantize_runtime(b, c, scales, y_zero_point)


def _requantize_runtime(b: Builder, acc: str, scales: list[str], y_zero_point: Operand) -> str:
    """saturate(round_half_even(acc x (x_scale x w_scale / y_scale)) + y_zp), the multiplier
    and its product in float32 as ONNX Runtime's requantization computes them."""
    multiplier = b.op(OpType.DIV, [b.op(OpType.MUL, scales[:2], BinaryParams()), scales[2]],
                      BinaryParams())
    d = b.op(OpType.MUL, [acc, multiplier], BinaryParams())
    y_zp = _tensor(b, y_zero_point, "y_zero_point")
    one = b.const(np.ones(b.shape(y_zp), np.float32), name="one")
    return _quantize_runtime(b, d, one, y_zp, 1, 0)


def _qlinear_conv_runtime(b: Builder, x: str, operands: tuple, bias: Operand | None,
                          window: dict[str, Any]) -> str:
    """QLinearConv with run-time operands, as _qlinear_matmul_runtime: the float32 convolution
    of the integers (exact while every sum, bias included, stays under 2^24), requantized with
    one multiplier per output channel."""
    x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point = operands
    w_name = _tensor(b, w, "w")
    if bias is not None and not isinstance(bias, np.ndarray):
        raise Unsupported("a run-time bias B: its int32 values could pass float32's exact range")
    reach = 0.0 if bias is None else float(np.abs(bias.astype(np.float64)).max(initial=0.0))
    _check_exact(float(np.prod(b.shape(w_name)[1:], dtype=np.int64)) * 255.0 * 255.0 + reach)
    m = b.shape(w_name)[0]
    xf = _minus_zero_point(b, x, x_zero_point, "x", ())
    wf = _minus_zero_point(b, w_name, w_zero_point, "w", (m,) + (1,) * (b.rank(w_name) - 1))
    bias_f = None if bias is None else b.const(bias.reshape(-1).astype(np.float32), name="bias")
    acc = conv(b, xf, wf, bias_f, **window)
    scales = [_tensor(b, v, n) for v, n in ((x_scale, "x_scale"), (w_scale, "w_scale"),
                                            (y_scale, "y_scale"))]
    for name, what in zip(scales, ("x", "w", "y")):
        size = int(np.prod(b.shape(name), dtype=np.int64))
        if b.dtype(name) != DType.FLOAT32:
            raise Unsupported(f"{what} scale of type {b.dtype(name).name.lower()}: float32 "
                              f"scales are supported")
        if size != 1 and (what != "w" or b.shape(name) != (m,)):
            raise Unsupported(f"{what} scale of shape {list(b.shape(name))}: per tensor (and "
                              f"w per output channel) is supported")
    if int(np.prod(b.shape(scales[1]), dtype=np.int64)) != 1:
        scales[1] = b.reshape(scales[1], (m,) + (1,) * (b.rank(acc) - 2))
    return _requantize_runtime(b, acc, scales, y_zero_point)


def _integers(b: Builder, x8: str, p: QParams) -> str:
    """x - zero point as float32 (exact: small integers), from x's int8 tensor."""
    stored = b.op(OpType.CAST, [x8], dtype=DType.FLOAT32)
    return b.op(OpType.SUB, [stored, b.scalar(float(p.int8().zero_point[0]))], BinaryParams())


def _reach(p: QParams) -> int:
    """The largest |x - zero point| of a per-tensor quantized input."""
    z = p.int8().zero_point[0]
    return max(z + 128, 127 - z)


def _integer_weights(w: np.ndarray, p: QParams) -> np.ndarray:
    zps = np.array(p.zero_point, np.int64)
    if p.axis is not None:
        zps = zps.reshape(_channel_shape(p, w.ndim))
    return (w.astype(np.int64) - zps).astype(np.float32)


def _check_exact(bound: float) -> None:
    if bound >= _EXACT_FLOAT:
        raise Unsupported(f"the int32 sums may reach {bound:.0f}; they run as float32 sums of "
                          f"integers, exact below 2^24")


def _integer_conv(b: Builder, xf: str, wf: np.ndarray, bias: np.ndarray | None,
                  window: Window, reach: int = 255) -> str:
    """The int32 sums of a convolution of integers as float32, refused where a sum could
    reach 2^24 (float32 would round it)."""
    total = np.abs(wf).reshape(wf.shape[0], -1).sum(axis=1) * reach
    if bias is not None:
        total = total + np.abs(bias.astype(np.float64)).reshape(-1)
    _check_exact(float(total.max(initial=0.0)))
    bias_name = None if bias is None else b.const(bias.astype(np.float32).reshape(-1), name="bias")
    return conv(b, xf, b.const(wf, name="weights"), bias_name, **window)


def _requantize(b: Builder, acc: str, xp: QParams, wp: QParams, yp: QParams, axis: int) -> str:
    """ONNX's reference requantization in float ops: saturate(round_half_even(acc x x scale x
    w scale / y scale) + y zero point), the multiplier in float32."""
    m = (np.float32(xp.scale[0]) * np.array(wp.scale, np.float32)) / np.float32(yp.scale[0])
    if m.size > 1:
        shape = [1] * b.rank(acc)
        shape[axis] = m.size
        m = m.reshape(shape)
    y = b.op(OpType.ROUND, [b.op(OpType.MUL, [acc, b.const(m.astype(np.float32).reshape(
        m.shape if m.size > 1 else ()), name="multiplier")], BinaryParams())])
    y = b.op(OpType.ADD, [y, b.scalar(float(yp.int8().zero_point[0]))], BinaryParams())
    y = b.op(OpType.CLAMP, [y], ClampParams(-128.0, 127.0))
    q8 = _set_quant(b, b.op(OpType.CAST, [y], dtype=DType.INT8), yp.int8())
    return _as_onnx_type(b, q8, yp.unsigned)


def _integer_params(b: Builder, x: str, zero_point: np.ndarray | None) -> QParams:
    """Scale-1 params of ConvInteger's / MatMulInteger's run-time input."""
    if zero_point is not None and zero_point.size != 1:
        raise Unsupported("a per-row zero point of the run-time input is not supported")
    unsigned = b.dtype(x) == DType.UINT8
    zp = np.zeros((), np.uint8 if unsigned else np.int8) if zero_point is None else zero_point
    return read_params(np.ones(zp.shape, np.float32), zp, 1, b.shape(x), unsigned)


def _weight_params(w: np.ndarray, zero_point: np.ndarray | None, axis: int) -> QParams:
    if w.dtype not in _UNSIGNED:
        raise Invalid(f"the weights must be int8 or uint8, got {w.dtype}")
    zp = np.zeros((), w.dtype) if zero_point is None else zero_point
    return read_params(np.ones(zp.shape, np.float32), zp, axis, w.shape, _UNSIGNED[w.dtype])


def conv_integer(b: Builder, x: AnyTensor, w: Operand, x_zero_point: Operand | None = None,
                 w_zero_point: Operand | None = None, *,
                 auto_pad: Literal["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"] = "NOTSET",
                 dilations: list[int] | None = None, group: int = 1,
                 kernel_shape: list[int] | None = None, pads: list[int] | None = None,
                 strides: list[int] | None = None) -> str:
    """int32 sums of (x - x zero point)(w - w zero point): the float32 convolution of those
    integers (exact while the sums stay below 2^24) cast to int32; run-time w or zero points
    subtract in float32 at invoke (the bound then taken over every 8-bit value)."""
    if not all(isinstance(v, np.ndarray) for v in (w, x_zero_point, w_zero_point)
               if v is not None):
        w_name = _tensor(b, w, "w")
        _check_exact(float(np.prod(b.shape(w_name)[1:], dtype=np.int64)) * 255.0 * 255.0)
        window = dict(auto_pad=auto_pad, dilations=dilations, group=group,
                      kernel_shape=kernel_shape, pads=pads, strides=strides)
        wf = _minus_zero_point(b, w_name, w_zero_point, "w",
                               (b.shape(w_name)[0],) + (1,) * (b.rank(w_name) - 1))
        xf = _minus_zero_point(b, x, x_zero_point, "x", ())
        return b.op(OpType.CAST, [conv(b, xf, wf, **window)], dtype=DType.INT32)
    xp = _integer_params(b, x, x_zero_point)
    xf = _integers(b, int8_view(b, x, xp), xp)
    window = dict(auto_pad=auto_pad, dilations=dilations, group=group,
                  kernel_shape=kernel_shape, pads=pads, strides=strides)
    acc = _integer_conv(b, xf, _integer_weights(w, _weight_params(w, w_zero_point, 0)), None,
                        window, _reach(xp))
    return b.op(OpType.CAST, [acc], dtype=DType.INT32)


def matmul_integer(b: Builder, a: AnyTensor, w: Operand,
                   a_zero_point: Operand | None = None,
                   b_zero_point: Operand | None = None) -> str:
    """As ConvInteger: a float32 product of the integers, cast to int32."""
    if not all(isinstance(v, np.ndarray) for v in (w, a_zero_point, b_zero_point)
               if v is not None):
        _check_exact((b.shape(a)[-1] if b.rank(a) else 1) * 255.0 * 255.0)
        af = _minus_zero_point(b, a, a_zero_point, "a")
        return b.op(OpType.CAST, [matmul(b, af, _minus_zero_point(b, w, b_zero_point, "b"))],
                    dtype=DType.INT32)
    ap = _integer_params(b, a, a_zero_point)
    af = _integers(b, int8_view(b, a, ap), ap)
    wf = _integer_weights(w, _weight_params(w, b_zero_point, w.ndim - 1))
    _check_exact(_reach(ap) * float(np.abs(wf).sum(axis=-2).max(initial=0.0)))
    return b.op(OpType.CAST, [matmul(b, af, b.const(wf, name="weights"))], dtype=DType.INT32)


QDQ_OPS = {
    ("QuantizeLinear", 10): quantize_linear,
    ("DequantizeLinear", 10): dequantize_linear,
    ("QLinearConv", 10): qlinear_conv,
    ("QLinearMatMul", 10): qlinear_matmul,
    ("ConvInteger", 10): conv_integer,
    ("MatMulInteger", 10): matmul_integer,
    ("DynamicQuantizeLinear", 11): dynamic_quantize_linear,
}


# --- QDQ groups -------------------------------------------------------------------------------
class QdqLowering:
    """Lowers the DequantizeLinear -> op -> QuantizeLinear groups of a model to int8 ops while
    the importer converts it (`convert` is called for every node before its usual conversion)."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.producers = {o: n for n in graph.node for o in n.output if o}
        readers: dict[str, list[onnx.NodeProto]] = {}
        for node in graph.node:
            for name in node.input:
                if name:
                    readers.setdefault(name, []).append(node)
        outputs = {o.name for o in graph.output}
        # The QuantizeLinear nodes reading each output of a candidate node.
        self.groups: dict[str, list[list[onnx.NodeProto]]] = {}
        for node in graph.node:
            if node.domain not in ("", "ai.onnx") or node.op_type in _NOT_GROUPED or \
                    not node.output:
                continue
            if not any(self._dq(i) is not None for i in node.input if i):
                continue
            qs = [readers.get(o, []) for o in node.output]
            if all(o and o not in outputs and q and all(
                    r.op_type == "QuantizeLinear" and r.input[0] == o for r in q)
                    for o, q in zip(node.output, qs)):
                self.groups[node.output[0]] = qs
        self.done: dict[str, str] = {}           # float result of a group -> its int8 tensor
        self.named: set[str] = set()             # results renamed after a QuantizeLinear
        self._weights: QParams | None = None     # of the group being lowered
        self.float_nodes: dict[str, str] = {}    # node label -> why it runs in float32

    def _dq(self, name: str) -> onnx.NodeProto | None:
        node = self.producers.get(name)
        return node if node is not None and node.op_type == "DequantizeLinear" else None

    def convert(self, conversion: Any, node: onnx.NodeProto, label: str) -> bool:
        """Converts `node` if it belongs to an int8 group or is a Q/DQ of constants (True),
        else leaves it to the importer (False)."""
        if node.op_type in _FOLDED and node.domain in ("", "ai.onnx") and \
                all(i in conversion.consts for i in node.input if i):
            try:
                conversion.consts[node.output[0]] = _FOLDED[node.op_type](node, [
                    conversion.consts[i] if i else None for i in node.input])
            except (Unsupported, Invalid, ValueError, AttributeError):
                return False  # ONNX's reference evaluator folds it or says why not
            return True
        if node.op_type == "QuantizeLinear" and node.input[0] in self.done:
            return self._result(conversion, node, label)
        if not node.output or node.output[0] not in self.groups:
            return False
        b, g = conversion.b, conversion.b.graph
        start, names = len(g.nodes), set(g.tensors)
        b.begin(label, len(node.output))
        # A table is exact to ONNX Runtime's values, a kernel rounds twice; RELU and CLAMP
        # kernels can fuse into the op before them.
        tries = [self._lower]
        if node.op_type in _TABLE_OPS:
            tries.insert(0 if node.op_type not in ("Relu", "Clip") else 1, self._lower_table)
        for lower in tries:
            try:
                results = lower(conversion, node)
                break
            except (Unsupported, Invalid, ValueError, KeyError, IndexError) as e:
                # Whatever stops the int8 form, the float form converts the node or says
                # why not.
                del g.nodes[start:]
                for name in set(g.tensors) - names:
                    del g.tensors[name]
                reason = str(e)
        else:
            self.float_nodes[label] = reason
            g.metadata[FLOAT_NODES_KEY] = json.dumps(self.float_nodes, sort_keys=True)
            return False
        b.finish()
        self.done.update(zip(node.output, results))
        return True

    def _result(self, conversion: Any, node: onnx.NodeProto, label: str) -> bool:
        """A QuantizeLinear after a lowered group: the group's int8 tensor, as the ONNX type."""
        b, name, source = conversion.b, node.output[0], node.input[0]
        if not self._q_params(conversion, node).unsigned:
            # The int8 result is this value: it takes the ONNX name (a graph output keeps it)
            # unless another QuantizeLinear gave it one.
            if source not in self.named and name not in b.graph.tensors:
                _rename(b.graph, self.done[source], name)
                self.done[source] = name
                self.named.add(source)
            conversion.env[name] = self.done[source]
            return True
        b.begin(label, 1)
        value = _as_onnx_type(b, self.done[source], True)
        b.finish()
        conversion.env[name] = name if b.rename_output(value, name) else value
        return True

    def _q_params(self, conversion: Any, q: onnx.NodeProto) -> QParams:
        consts = conversion.consts
        args = [consts.get(n) if n else None for n in q.input[1:3]]
        if args[0] is None or (len(q.input) > 2 and q.input[2] and args[1] is None):
            raise Unsupported(f"QuantizeLinear {q.name or q.output[0]!r} has a run-time scale "
                              f"or zero point")
        if args[0].size != 1:
            raise Unsupported("a QuantizeLinear per axis reads it")
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in q.attribute}
        unsigned = _unsigned_of(args[1], attrs.get("output_dtype", 0))
        return read_params(args[0], args[1], attrs.get("axis", 1), (), unsigned)

    def _dq_params(self, conversion: Any, dq: onnx.NodeProto, shape: tuple[int, ...],
                   dtype: Any) -> QParams:
        consts = conversion.consts
        scale = consts.get(dq.input[1])
        zp = consts.get(dq.input[2]) if len(dq.input) > 2 and dq.input[2] else None
        if scale is None or (len(dq.input) > 2 and dq.input[2] and zp is None):
            raise Unsupported(f"DequantizeLinear {dq.name or dq.output[0]!r} has a run-time "
                              f"scale or zero point")
        axis = next((a.i for a in dq.attribute if a.name == "axis"), 1)
        if zp is not None and zp.dtype == np.int32:
            return QParams(tuple(float(s) for s in scale.reshape(-1)),
                           tuple(int(z) for z in zp.reshape(-1)), False,
                           None if scale.size == 1 else axis_index(axis, len(shape)))
        return read_params(scale, zp, axis, shape, dtype)

    def _lower(self, conversion: Any, node: onnx.NodeProto) -> list[str]:
        b = conversion.b
        self._weights = None
        finals = [self._q_params(conversion, qs[0]) for qs in self.groups[node.output[0]]]
        for qs, p in zip(self.groups[node.output[0]], finals):
            if any(self._q_params(conversion, q) != p for q in qs[1:]):
                raise Unsupported("its QuantizeLinear readers differ in scale or zero point")
        kwargs = conversion.attributes(node)
        if node.op_type == "Gemm":
            return [self._gemm(conversion, node, finals[0], **kwargs)]
        fn = conversion.op_function(node.op_type)
        if fn is None:
            raise Unsupported("no op function")
        sig = signature(fn)
        args, weights = [], None
        x_scale = None
        for i, name in enumerate(node.input):
            kind = sig.kind(i) if i < len(sig.inputs) or sig.variadic else "float"
            if not name:
                args.append(None)
            elif kind == "constant":
                if name not in conversion.consts:
                    raise Unsupported(f"input {i} must be a constant")
                args.append(conversion.consts[name])
            elif kind == "operand":  # a shape, axes or k: its value when it is constant
                args.append(conversion.consts[name] if name in conversion.consts
                            else conversion._tensor(name))
            elif kind == "indices":
                args.append(conversion._tensor(name))
            else:
                arg, wq = self._operand(conversion, node, i, name, x_scale)
                if i == 0 and b.dtype(arg) == DType.INT8:
                    x_scale = b.graph.tensors[arg].quant.scale[0]
                weights = weights or wq
                args.append(arg)
        if node.op_type == "Concat":
            args = [_requantized(b, arg, finals[0].int8()) for arg in args]
        start = len(b.graph.nodes)
        result = fn(b, *args, **kwargs)
        results = result if isinstance(result, list) else [result]
        if any(isinstance(r, np.ndarray) for r in results):
            raise Unsupported("its result is a constant")
        return finish_int8(b, start, results, [p.int8() for p in finals], weights)

    def _lower_table(self, conversion: Any, node: onnx.NodeProto) -> list[str]:
        """An element-wise function of one int8 input as LOOKUP_TABLE: the node evaluated by
        ONNX's reference on the 256 dequantized input values, quantized as its QuantizeLinear
        (rounding half to even), which is what ONNX Runtime computes value by value."""
        from onnx.reference import ReferenceEvaluator

        b = conversion.b
        dq = self._dq(node.input[0])
        if dq is None or dq.input[0] in conversion.consts:
            raise Unsupported("input 0 is not a dequantized run-time tensor")
        x = conversion._tensor(dq.input[0])
        pin = self._dq_params(conversion, dq, b.shape(x), b.dtype(x) == DType.UINT8)
        if pin.axis is not None:
            raise Unsupported("input 0 is dequantized per axis")
        consts = {n: conversion.consts[n] for n in node.input[1:] if n}
        if len(consts) != len([n for n in node.input[1:] if n]):
            raise Unsupported("its other inputs must be constants")
        [qs] = self.groups[node.output[0]]
        pout = self._q_params(conversion, qs[0]).int8()
        q = np.arange(256, dtype=np.uint8).view(np.int8)
        pq = pin.int8()
        real = np.float32(pq.scale[0]) * (q.astype(np.float32) - np.float32(pq.zero_point[0]))
        one = onnx.helper.make_node(node.op_type, ["x", *node.input[1:]], ["y"])
        one.attribute.extend(node.attribute)
        graph = onnx.helper.make_graph(
            [one], "table", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT,
                                                                [256])],
            [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
            [onnx.numpy_helper.from_array(v, n) for n, v in consts.items()])
        model = onnx.helper.make_model(graph, opset_imports=[
            onnx.helper.make_opsetid("", conversion.opset)])
        with np.errstate(all="ignore"):
            [y] = ReferenceEvaluator(model).run(None, {"x": real})
            y = np.rint(np.asarray(y, np.float32) / np.float32(pout.scale[0]))
        if y.shape != (256,) or np.isnan(y).any():
            raise Unsupported("its value is undefined for some inputs")
        table = np.clip(y + pout.zero_point[0], -128, 127).astype(np.int8)
        x8 = int8_view(b, x, pin)
        t = _const_int8(b, table, pout, "table")
        return [_set_quant(b, b.op(OpType.LOOKUP_TABLE, [x8, t], dtype=DType.INT8), pout)]

    def _operand(self, conversion: Any, node: onnx.NodeProto, i: int, name: str,
                 x_scale: float | None) -> tuple[str, QuantParams | None]:
        """Input `i` of a group's node as an int8 tensor (and the weight params if it is the
        weights of a weighted op)."""
        b = conversion.b
        dq = self._dq(name)
        weight = _WEIGHT_AXIS.get(node.op_type)
        if dq is None:
            if name in conversion.consts and node.op_type == "Conv" and i == 2:
                return self._bias(conversion, node, conversion.consts[name], None, x_scale), None
            raise Unsupported(f"input {i} ({name!r}) is not the output of a DequantizeLinear")
        value = conversion.consts.get(dq.input[0])
        if value is None:
            x = conversion._tensor(dq.input[0])
            p = self._dq_params(conversion, dq, b.shape(x), b.dtype(x) == DType.UINT8)
            if p.axis is not None:
                raise Unsupported(f"input {i} ({name!r}) is dequantized per axis")
            return int8_view(b, x, p), None
        if value.dtype == np.int32:
            p = self._dq_params(conversion, dq, value.shape, None)
            if node.op_type == "Conv" and i == 2:
                return self._bias(conversion, node, value, p, x_scale), None
            raise Unsupported(f"input {i} ({name!r}) is an int32 constant")
        p = self._dq_params(conversion, dq, value.shape, _UNSIGNED.get(value.dtype))
        if weight is not None and i == weight[0] and (node.op_type != "MatMul" or
                                                      value.ndim == 2):
            if p.axis not in (None, weight[1] % max(value.ndim, 1)):
                raise Unsupported(f"weights {name!r} are quantized along axis {p.axis}")
            self._weights = p
            return b.const(_int8_weights(value, p, f"weights {name!r}"), name="weights"), \
                _weight_quant(p)
        if p.axis is not None:
            raise Unsupported(f"constant {name!r} is quantized per axis")
        stored = (value.astype(np.int16) - 128 * p.unsigned).astype(np.int8)
        return _const_int8(b, stored, p.int8(), "const"), None

    def _bias(self, conversion: Any, node: onnx.NodeProto, value: np.ndarray,
              p: QParams | None, x_scale: float | None) -> str:
        w = self._weights
        if x_scale is None or w is None:
            raise Unsupported("the bias comes before the input and weights are known")
        count = len(w.scale) if w.axis is not None else int(value.size)
        return conversion.b.const(_int32_bias(value, p, x_scale, w.scale, count), name="bias")

    def _gemm(self, conversion: Any, node: onnx.NodeProto, out: QParams, *, alpha: float = 1.0,
              beta: float = 1.0, transA: int = 0, transB: int = 0) -> str:
        b = conversion.b
        if alpha != 1.0 or beta != 1.0 or transA:
            raise Unsupported("int8 Gemm needs alpha = beta = 1 and transA = 0")
        self._weights = None
        a, _ = self._operand(conversion, node, 0, node.input[0], None)
        dq = self._dq(node.input[1])
        value = None if dq is None else conversion.consts.get(dq.input[0])
        if value is None or value.ndim != 2 or b.rank(a) != 2:
            raise Unsupported("int8 Gemm needs 2-D A and constant dequantized 2-D B")
        p = self._dq_params(conversion, dq, value.shape, _UNSIGNED.get(value.dtype))
        n_axis = 0 if transB else 1
        if p.axis not in (None, n_axis):
            raise Unsupported(f"B is quantized along axis {p.axis}")
        kernel = _int8_weights(value, p, "B")
        kernel = kernel if transB else kernel.T
        self._weights = p
        x_scale = b.graph.tensors[a].quant.scale[0]
        bias = None
        if len(node.input) > 2 and node.input[2]:
            c = node.input[2]
            cdq = self._dq(c)
            if cdq is not None and cdq.input[0] in conversion.consts:
                cval = conversion.consts[cdq.input[0]]
                cp = self._dq_params(conversion, cdq, cval.shape, None) \
                    if cval.dtype == np.int32 else None
                if cp is None:
                    cval = conversion.consts.get(c)
            elif c in conversion.consts:
                cval, cp = conversion.consts[c], None
            else:
                raise Unsupported("C must be a constant")
            if cval is None:
                raise Unsupported("C must be a constant")
            bias = b.const(_int32_bias(cval, cp, x_scale, p.scale, kernel.shape[0]),
                           name="bias")
        start = len(b.graph.nodes)
        weights = b.const(kernel, name="weights")
        y = b.op(OpType.FULLY_CONNECTED, [a, weights, bias], FullyConnectedParams())
        [y] = finish_int8(b, start, [y], [out.int8()], _weight_quant(p))
        return y


def _fold_params(node: onnx.NodeProto, scale: np.ndarray, zero_point: np.ndarray | None,
                 rank: int) -> tuple[np.ndarray, np.ndarray]:
    """A constant Q/DQ's scale and zero point, shaped to broadcast against its input."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if attrs.get("block_size", 0):
        raise Unsupported("blocked quantization is not supported")
    zp = np.zeros(scale.shape, np.float32) if zero_point is None else \
        zero_point.astype(np.float32)
    if scale.ndim == 1 and scale.size > 1:
        shape = [1] * rank
        shape[axis_index(attrs.get("axis", 1), rank)] = scale.size
        return scale.reshape(shape), zp.reshape(shape)
    return scale.reshape(()), zp.reshape(())


def _fold_dequantize(node: onnx.NodeProto, args: list[np.ndarray | None]) -> np.ndarray:
    """ONNX's DequantizeLinear of constants (a weight, a bias): (x - zero point) x scale."""
    x, scale, zp = (args + [None] * 3)[:3]
    if x.dtype not in (np.int8, np.uint8, np.int32) or scale.dtype != np.float32:
        raise Unsupported(f"DequantizeLinear of a {x.dtype} constant with {scale.dtype} scale")
    scale, zp = _fold_params(node, scale, zp, x.ndim)
    return ((x.astype(np.float32) - zp) * scale).astype(np.float32)


def _fold_quantize(node: onnx.NodeProto, args: list[np.ndarray | None]) -> np.ndarray:
    """ONNX's QuantizeLinear of a constant: saturate(round_half_even(x / scale) + zero point)."""
    x, scale, zp = (args + [None] * 3)[:3]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    dtype = np.uint8 if _unsigned_of(zp, attrs.get("output_dtype", 0)) else np.int8
    if x.dtype != np.float32 or scale.dtype != np.float32:
        raise Unsupported(f"QuantizeLinear of a {x.dtype} constant with {scale.dtype} scale")
    scale, zpf = _fold_params(node, scale, zp, x.ndim)
    info = np.iinfo(dtype)
    return np.clip(np.rint(x / scale) + zpf, info.min, info.max).astype(dtype)


_FOLDED = {"DequantizeLinear": _fold_dequantize, "QuantizeLinear": _fold_quantize}
# Element-wise functions of one input (other inputs constant), lowered as a 256-entry table
# when their group has no int8 kernel.
_TABLE_OPS = {"Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Exp", "Log", "Sqrt", "Erf",
              "Gelu", "Softplus", "Softsign", "Mish", "Elu", "Selu", "Celu", "LeakyRelu",
              "Relu", "Clip", "Abs", "Neg", "Sin", "Cos", "Tan", "Reciprocal", "Floor", "Ceil",
              "Round", "Sign", "ThresholdedRelu", "Shrink", "Atan", "Asin", "Acos", "Sinh",
              "Cosh", "Asinh", "Acosh", "Atanh", "Swish"}
# Nodes never lowered as a group: the Q/DQ ops themselves, and ops that only pass a value on.
_NOT_GROUPED = {"QuantizeLinear", "DequantizeLinear", "Identity", "Dropout", "Shape", "Size",
                "Constant", *(k if isinstance(k, str) else k[0] for k in QDQ_OPS)}
