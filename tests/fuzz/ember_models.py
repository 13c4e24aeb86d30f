"""Random but valid .ember models for the structure-aware fuzzer (tests/fuzz/fuzz_ember.py).

Each model is a small IR graph (one to four nodes) built with the converter's own IR, planned
by its planner and written by its writer, so the content hash is right and the deeper checks
see the values. Every OpType has a generator below (GENERATORS; a new op without one fails
`check_coverage`), drawing:
  - types: float32, int8 (per-tensor, and per-channel where the op takes weights) and int16
    where kernels exist, plus the integer types of the copying ops;
  - shapes: 0, 1, 2, 3, 5, 7, 13 and other primes, one axis up to ~700 with the others tiny,
    and empty tensors whose other dims are huge (2^31 - 1);
  - params from valid and edge ranges: strides, dilations, pads, axes, coordinate
    transforms, fused activations;
  - bounded dynamic shapes (a quarter of the models, _dynamize): input dims that follow
    symbols, which tests/c/fuzz_ember_run.c resizes to their minima and a drawn size.
A fraction of the models is then made hostile after planning (arena offsets, arena_size,
param values, quantization, shapes, types, symbols and dim_symbols): still correctly
hashed, but the values are the verifier's to refuse. A model the runtime refuses is not a
finding; a crash, a hang, a sanitizer report or two invokes that disagree are.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from emberlite.converter.branches import mark_branches
from emberlite.converter.errors import EmberError
from emberlite.converter.ir import (DType, Graph, Node, QuantParams, Symbol, Tensor,
                                    constant_array)
from emberlite.converter.ops import OPS, FusedActivation, OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.bitwise import BitShiftParams, ShiftDirection
from emberlite.converter.ops.cast import CastParams
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.cum_sum import CumSumParams
from emberlite.converter.ops.grid_sample import (GridSampleMode, GridSampleParams,
                                                 GridSamplePadding)
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.gather_nd import GatherNDParams
from emberlite.converter.ops.hard_sigmoid import HardSigmoidParams
from emberlite.converter.ops.leaky_relu import LeakyReluParams
from emberlite.converter.ops.lookup_table import int8_lookup_table, sigmoid_f32, tanh_f32
from emberlite.converter.ops.math_unary import (SELU_ALPHA, SELU_GAMMA, EluParams, GeluParams,
                                                 SeluParams)
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.mod import ModParams
from emberlite.converter.ops.one_hot import OneHotParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.resize import (CoordinateTransform, NearestRounding, ResizeMode,
                                            ResizeParams)
from emberlite.converter.ops.scatter_nd import ScatterParams, ScatterReduction
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.top_k import TopKParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from emberlite.converter.planner import MemoryPlan, plan_memory
from emberlite.converter.writer import serialize

HUGE = 2**31 - 1
PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 97, 101,
          127, 199)
MAX_TENSOR_BYTES = 8 << 20     # one tensor
MAX_ARENA_BYTES = 48 << 20     # the planned arena
MAX_WORK = 20_000_000          # multiply-adds (or window reads) of one node, so ASan runs stay fast
SHAPE_PROFILES = ("small", "small", "small", "long", "long", "empty")


class Reject(Exception):
    """The drawn combination is not a model (shapes do not fit, too large): draw again."""


@dataclass
class Model:
    name: str                  # e.g. "resize-i8" or "conv2d-f32+relu-f32"
    ops: list[OpType]
    data: bytes
    hostile: str = ""          # what was mutated after planning, or ""
    graph: Graph | None = None  # the graph written (after the mutation)


@dataclass
class Builder:
    rng: np.random.Generator
    profile: str = "small"
    tensors: dict[str, Tensor] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    work: int = 0
    scale_of_x: float = 1.0    # the scale of the quantized input a bias is made for

    # ---- random draws -------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, seq: Any) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def small(self) -> int:
        return int(self.pick((1, 1, 1, 2, 2, 3, 3, 4, 5, 7, 8, 13)))

    def dim(self) -> int:
        r = self.rng.random()
        if self.profile == "empty" and r < 0.25:
            return 0
        if self.profile == "empty" and r < 0.4:
            return HUGE
        if r < 0.75:
            return self.small()
        if r < 0.95:
            return int(self.pick(PRIMES))
        return int(self.rng.integers(14, 64))

    def long(self) -> int:
        """One long axis: up to ~700."""
        return int(self.pick((int(self.rng.integers(64, 701)), int(self.pick(PRIMES)), 650,
                              512, 199, 257)))

    def shape(self, rank: int) -> tuple[int, ...]:
        dims = [self.dim() for _ in range(rank)]
        if self.profile == "long" and rank:
            dims = [self.pick((1, 1, 2, 3)) for _ in range(rank)]
            dims[int(self.rng.integers(rank))] = self.long()
        if HUGE in dims and 0 not in dims:   # huge dims only on empty tensors
            dims[self.pick([i for i, d in enumerate(dims) if d != HUGE] or [0])] = 0
        return tuple(dims)

    def rank(self, lo: int = 0, hi: int = 5) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def scale(self) -> float:
        return float(np.float32(2.0 ** self.rng.uniform(-12, 2)))

    def quant(self, dtype: DType, channels: int = 0, axis: int = 0,
              symmetric: bool = False) -> QuantParams | None:
        if dtype not in (DType.INT8, DType.INT16, DType.UINT8):
            return None
        n = channels if channels > 1 else 1
        if n > 4096:
            raise Reject(f"{n} quantization channels")
        scales = tuple(self.scale() for _ in range(n))
        if symmetric or dtype == DType.INT16:
            zps = (0,) * n
        elif dtype == DType.UINT8:
            zps = tuple(int(self.rng.integers(0, 256)) for _ in range(n))
        else:
            zps = tuple(int(self.rng.integers(-128, 128)) for _ in range(n))
        return QuantParams(scales, zps, axis)

    def activation(self, dtype: DType | None = None) -> FusedActivation:
        """A fused activation; SILU and HARD_SWISH only where `dtype` is float32 (the float32
        conv, depthwise and fully connected nodes pass theirs: no other op has them)."""
        acts = [a for a in FusedActivation if dtype == DType.FLOAT32 or a <= 3]
        return self.pick(acts) if self.chance(0.4) else FusedActivation.NONE

    # ---- graph building -----------------------------------------------------------------
    def _name(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name, i = f"{base}_{i}", i + 1
        return name

    def add_input(self, shape: tuple[int, ...], dtype: DType,
                  quant: QuantParams | None = None) -> str:
        name = self._name("x")
        self._check_size(shape, dtype)
        self.tensors[name] = Tensor(name, dtype, shape, quant=quant)
        self.inputs.append(name)
        return name

    def add_const(self, shape: tuple[int, ...], dtype: DType, quant: QuantParams | None = None,
                  data: np.ndarray | None = None, base: str = "w") -> str:
        name = self._name(base)
        self._check_size(shape, dtype)
        if math.prod(d for d in shape if d) >= 2**60:
            raise Reject(f"numpy cannot hold an empty constant of shape {shape}")
        if data is None:
            data = self.random_data(shape, dtype)
        self.tensors[name] = Tensor(name, dtype, shape, constant_array(data), quant)
        return name

    def random_data(self, shape: tuple[int, ...], dtype: DType) -> np.ndarray:
        if dtype in (DType.FLOAT32, DType.FLOAT16):
            return self.rng.standard_normal(shape).astype(dtype.numpy)
        if dtype == DType.BOOL:
            return self.rng.integers(0, 2, shape).astype(bool)
        info = np.iinfo(dtype.numpy)
        lo, hi = max(info.min, -(1 << 20)), min(info.max, 1 << 20)
        return self.rng.integers(lo, hi, shape, endpoint=True).astype(dtype.numpy)

    def _check_size(self, shape: tuple[int, ...], dtype: DType) -> None:
        if math.prod(shape) * dtype.numpy.itemsize > MAX_TENSOR_BYTES:
            raise Reject(f"tensor {shape} too large")

    def node(self, op: OpType, inputs: list[str], params: Any, dtype: DType,
             quant: QuantParams | None = None, shape: tuple[int, ...] | None = None,
             outputs: int = 1, shapes: list[tuple[int, ...]] | None = None,
             work: int = 0, trust: bool = False) -> str:
        """Adds `op` with outputs of `dtype`; shapes come from the converter's infer_shape
        unless given (ops whose output shape is the output tensor's: RESHAPE, SLICE...).
        trust: the given shapes are used as they are, for what the runtime takes but the
        converter's shape rules refuse (a per-channel DEQUANTIZE of a run-time input)."""
        names = []
        for s in shapes or [shape] * outputs:
            names.append(self._name(op.name.lower()))
            self.tensors[names[-1]] = Tensor(names[-1], dtype, s, quant=quant)
        node = Node(op, f"n{len(self.nodes)}_{op.name.lower()}", inputs, names, params)
        try:
            if trust:
                inferred = shapes or [shape] * outputs
            else:
                inferred = OPS[op].infer_shape(node, self.graph([]))
        except EmberError as e:
            for name in names:
                del self.tensors[name]
            raise Reject(str(e)) from None
        for name, s in zip(names, inferred):
            if any(d > HUGE for d in s):
                raise Reject(f"output {s} has a dim above int32")
            self._check_size(s, dtype)
            self.tensors[name].shape = tuple(s)
        self.work += work or max(math.prod(s) for s in inferred)
        if self.work > MAX_WORK:
            raise Reject("too much work")
        self.nodes.append(node)
        return names[0]

    def graph(self, outputs: list[str]) -> Graph:
        return Graph(dict(self.tensors), list(self.nodes), list(self.inputs), outputs)

    def dangling(self) -> list[str]:
        """Node outputs no node reads: the graph outputs."""
        read = {n for node in self.nodes for n in node.inputs}
        return [o for node in self.nodes for o in node.outputs if o not in read]

    # ---- inputs of a requested kind, reusing the previous node's output when it fits ----
    def take(self, prev: str | None, ok: Callable[[Tensor], bool], make: Callable[[], str]) -> str:
        if prev is not None and ok(self.tensors[prev]):
            return prev
        return make()

    def x_input(self, prev: str | None, dtype: DType, rank: int | None = None,
                min_rank: int = 0, max_rank: int = 5) -> str:
        # int8, int16 and uint8 inputs are made quantized here: a plain integer of those
        # types (a bitwise op's output) is not reused for them.
        quantized = dtype in (DType.INT8, DType.INT16, DType.UINT8)

        def ok(t: Tensor) -> bool:
            return (t.dtype == dtype and (t.quant is not None) == quantized
                    and (len(t.shape) == rank if rank is not None else
                         min_rank <= len(t.shape) <= max_rank))
        r = rank if rank is not None else self.rank(min_rank, max_rank)
        return self.take(prev, ok, lambda: self.add_input(self.shape(r), dtype,
                                                          self.quant(dtype)))


GenFn = Callable[[Builder, "str | None"], str]

# Types by op family: the float-only ops, those with an int8 kernel, those with int16 too.
F32 = (DType.FLOAT32,)
F32_I8 = (DType.FLOAT32, DType.FLOAT32, DType.INT8)
F32_I8_I16 = (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT8, DType.INT16)
# Plain integer arithmetic (ADD ... POW, ABS, NEG, SIGN): float32 drawn as often as both.
F32_INT = (DType.FLOAT32, DType.FLOAT32, DType.INT32, DType.INT64)
F32_I8_INT = (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT32, DType.INT64)
F32_I8_I16_INT = (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT16, DType.INT32,
                  DType.INT64)
INTEGER = (DType.INT32, DType.INT64)
COPY_TYPES = (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT8, DType.INT16, DType.INT32,
              DType.INT64, DType.UINT8, DType.FLOAT16, DType.BOOL)


def prev_type(b: Builder, prev: str | None, allowed: tuple[DType, ...]) -> DType:
    """The previous output's type when the op takes it (so chains form), else a random one."""
    if prev is not None and b.tensors[prev].dtype in allowed and b.chance(0.8):
        return b.tensors[prev].dtype
    return b.pick(allowed)


def same_quant(b: Builder, x: str) -> QuantParams | None:
    return b.tensors[x].quant


# ---- convolutions and matrix products ---------------------------------------------------
def _window(b: Builder) -> dict[str, int]:
    k = {"stride_h": b.pick((1, 1, 2, 3)), "stride_w": b.pick((1, 1, 2, 3)),
         "dilation_h": b.pick((1, 1, 1, 2, 3)), "dilation_w": b.pick((1, 1, 1, 2))}
    for side in ("pad_top", "pad_left", "pad_bottom", "pad_right"):
        k[side] = b.pick((0, 0, 0, 1, 1, 2, 3))
    return k


def _conv_weights(b: Builder, dtype: DType, shape: tuple[int, ...], axis: int,
                  channels: int) -> tuple[str, str | None]:
    """Weights (and a bias) for the conv family and FULLY_CONNECTED in `dtype` form."""
    x_scale = None
    if dtype == DType.FLOAT32:
        w = b.add_const(shape, DType.FLOAT32)
        bias = b.add_const((channels,), DType.FLOAT32, base="bias") if b.chance(0.7) else None
        return w, bias
    b._check_size(shape, DType.INT8)
    per_channel = b.chance(0.6) and channels > 1
    wq = b.quant(DType.INT8, channels if per_channel else 1, axis, symmetric=True)
    w = b.add_const(shape, DType.INT8, wq, data=b.rng.integers(-127, 128, shape).astype(np.int8))
    if not b.chance(0.7):
        return w, None
    x_scale = b.scale_of_x
    if dtype == DType.INT8:
        bq = QuantParams(tuple(float(np.float32(x_scale * s)) for s in wq.scale),
                         (0,) * len(wq.scale), 0)
        data = b.rng.integers(-5000, 5000, (channels,)).astype(np.int32)
        return w, b.add_const((channels,), DType.INT32, bq, data, base="bias")
    data = b.rng.integers(-50000, 50000, (channels,)).astype(np.int64)
    bq = QuantParams(tuple(float(np.float32(x_scale * s)) for s in wq.scale),
                     (0,) * len(wq.scale), 0)
    return w, b.add_const((channels,), DType.INT64, bq, data, base="bias")


def _quant_x(b: Builder, prev: str | None, dtype: DType, rank: int) -> str:
    x = b.x_input(prev, dtype, rank=rank)
    q = b.tensors[x].quant
    b.scale_of_x = q.scale[0] if q else 1.0
    return x


def gen_conv2d(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8_I16)
    x = _quant_x(b, prev, dtype, 4)
    xs = b.tensors[x].shape
    groups = b.pick((1, 1, 1, 2, 3)) if xs[3] % 2 == 0 or xs[3] % 3 == 0 else 1
    if xs[3] % groups:
        groups = 1
    cout = groups * b.small()
    kh, kw = b.pick((1, 1, 2, 3, 5)), b.pick((1, 1, 2, 3, 5))
    w, bias = _conv_weights(b, dtype, (cout, kh, kw, xs[3] // groups), 0, cout)
    p = Conv2DParams(**_window(b), groups=groups, activation=b.activation(dtype))
    work = math.prod(xs[:3]) * cout * kh * kw * max(1, xs[3] // groups)
    y = b.node(OpType.CONV2D, [x, w] + ([bias] if bias else []), p, dtype,
               b.quant(dtype), work=work)
    if dtype == DType.FLOAT32 and b.chance(0.3):   # a residual (input 3) of the output's shape
        b.nodes[-1].inputs[2:] = [bias or "", b.add_input(b.tensors[y].shape, dtype)]
    return y


def gen_depthwise_conv2d(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8_I16)
    x = _quant_x(b, prev, dtype, 4)
    xs = b.tensors[x].shape
    mult = b.pick((1, 1, 2, 3))
    kh, kw = b.pick((1, 2, 3, 5)), b.pick((1, 2, 3, 5))
    w, bias = _conv_weights(b, dtype, (1, kh, kw, xs[3] * mult), 3, xs[3] * mult)
    p = DepthwiseConv2DParams(**_window(b), depth_multiplier=mult,
                              activation=b.activation(dtype))
    work = math.prod(xs) * mult * kh * kw
    return b.node(OpType.DEPTHWISE_CONV2D, [x, w] + ([bias] if bias else []), p, dtype,
                  b.quant(dtype), work=work)


def gen_transpose_conv2d(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8)
    x = _quant_x(b, prev, dtype, 4)
    xs = b.tensors[x].shape
    groups = 2 if xs[3] % 2 == 0 and b.chance(0.3) else 1
    cout = groups * b.small()
    kh, kw = b.pick((1, 2, 3, 4)), b.pick((1, 2, 3))
    w, bias = _conv_weights(b, dtype, (cout, kh, kw, xs[3] // groups), 0, cout)
    k = _window(b)
    k.update(pad_top=min(k["pad_top"], kh - 1), pad_bottom=min(k["pad_bottom"], kh - 1),
             pad_left=min(k["pad_left"], kw - 1), pad_right=min(k["pad_right"], kw - 1))
    p = TransposeConv2DParams(**k, groups=groups, activation=b.activation())
    work = math.prod(xs) * cout * kh * kw
    return b.node(OpType.TRANSPOSE_CONV2D, [x, w] + ([bias] if bias else []), p, dtype,
                  b.quant(dtype), work=work)


def gen_fully_connected(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8_I16)
    x = _quant_x(b, prev, dtype, b.rank(1, 4)) if prev is None or \
        b.tensors[prev].dtype != dtype or not b.tensors[prev].shape else prev
    q = b.tensors[x].quant
    b.scale_of_x = q.scale[0] if q else 1.0
    xs = b.tensors[x].shape
    n = b.small() if b.profile != "long" or b.chance(0.5) else b.long()
    w, bias = _conv_weights(b, dtype, (n, xs[-1]), 0, n)
    p = FullyConnectedParams(activation=b.activation(dtype))
    return b.node(OpType.FULLY_CONNECTED, [x, w] + ([bias] if bias else []), p, dtype,
                  b.quant(dtype), work=math.prod(xs) * n)


def gen_batch_matmul(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8)
    adj_a, adj_b = b.chance(0.3), b.chance(0.3)
    batch = b.shape(b.rank(0, 2))
    m, k, n = b.dim(), b.dim() if b.chance(0.2) else b.small(), b.dim()
    a_shape = batch + ((k, m) if adj_a else (m, k))
    b_batch = tuple(1 if b.chance(0.3) else d for d in batch)[b.rank(0, len(batch)):]
    b_shape = b_batch + ((n, k) if adj_b else (k, n))
    a = b.add_input(a_shape, dtype, b.quant(dtype))
    rhs = b.add_input(b_shape, dtype, b.quant(dtype)) if b.chance(0.6) else \
        b.add_const(b_shape, dtype, b.quant(dtype))
    work = math.prod(batch) * m * k * n
    return b.node(OpType.BATCH_MATMUL, [a, rhs], BatchMatMulParams(adj_a, adj_b), dtype,
                  b.quant(dtype), work=work)


# ---- element-wise -----------------------------------------------------------------------
def _broadcast_partner(b: Builder, shape: tuple[int, ...]) -> tuple[int, ...]:
    r = b.rng.random()
    if r < 0.3:
        return shape
    if r < 0.6:
        return tuple(1 if b.chance(0.5) else d for d in shape)
    return tuple(shape[b.rank(0, len(shape)):])


def _binary(op: OpType, types: tuple[DType, ...], params: bool = True) -> GenFn:
    """ADD, SUB, MUL, DIV (params: a fused activation) and MAXIMUM, MINIMUM (no params; int8
    inputs and output share one quantization: they do not requantize). int32 and int64 take
    no activation; their constants include INT_MIN, 0 and -1 (wrapping, x / 0, INT_MIN / -1)."""
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, types)
        x = b.x_input(prev, dtype)
        other_shape = _broadcast_partner(b, b.tensors[x].shape)
        q = (lambda: b.quant(dtype)) if params else (lambda: same_quant(b, x))
        if dtype in INTEGER and b.chance(0.5) and 0 not in other_shape:
            b._check_size(other_shape, dtype)   # before numpy draws the values
            edges = np.array([0, -1, 1, 3, np.iinfo(dtype.numpy).min], dtype.numpy)
            other = b.add_const(other_shape, dtype, data=b.rng.choice(edges, other_shape))
        elif b.chance(0.5):
            other = b.add_const(other_shape, dtype, q())
        else:
            other = b.add_input(other_shape, dtype, q())
        ins = [other, x] if b.chance(0.3) else [x, other]
        p = None
        if params:
            p = BinaryParams(activation=b.activation() if dtype not in INTEGER
                             else FusedActivation.NONE)
        return b.node(op, ins, p, dtype, q())
    return gen


def gen_pow(b: Builder, prev: str | None) -> str:
    """POW: float32, int32 or int64 base with an exponent of any of the three; integer
    exponents include negatives and powers past the type (INT_MIN by the kernel's rule)."""
    dtype = prev_type(b, prev, F32_INT)
    x = b.x_input(prev, dtype)
    exp_type = b.pick(F32_INT)
    shape = _broadcast_partner(b, b.tensors[x].shape)
    if exp_type in INTEGER and b.chance(0.7) and 0 not in shape:
        b._check_size(shape, exp_type)
        data = b.rng.choice(np.array([-2, -1, 0, 1, 2, 3, 31, 64], exp_type.numpy), shape)
        other = b.add_const(shape, exp_type, data=data)
    else:
        other = b.add_const(shape, exp_type) if b.chance(0.5) else b.add_input(shape, exp_type)
    return b.node(OpType.POW, [x, other], None, dtype)


def _unary(op: OpType, types: tuple[DType, ...], params: Callable[[Builder], Any],
           out_quant: Callable[[Builder, DType], QuantParams | None] | None = None) -> GenFn:
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, types)
        x = b.x_input(prev, dtype)
        q = out_quant(b, dtype) if out_quant else b.quant(dtype)
        return b.node(op, [x], params(b), dtype, q)
    return gen


def _table(op: OpType, fn: Callable[[np.ndarray], np.ndarray]) -> GenFn:
    """SIGMOID / TANH: float, or int8 with the node's 256-entry lookup table."""
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, F32_I8)
        x = b.x_input(prev, dtype)
        if dtype == DType.FLOAT32:
            return b.node(op, [x], None, dtype)
        q_in, q_out = b.tensors[x].quant, b.quant(DType.INT8)
        table = b.add_const((256,), DType.INT8, q_out, int8_lookup_table(fn, q_in, q_out),
                            base="table")
        return b.node(op, [x, table], None, dtype, q_out)
    return gen


def gen_lookup_table(b: Builder, prev: str | None) -> str:
    """LOOKUP_TABLE: int8 only, a random 256-entry table (the converter computes real ones)."""
    x = b.x_input(prev, DType.INT8)
    q_out = b.quant(DType.INT8)
    table = b.rng.integers(-128, 128, 256).astype(np.int8)
    t = b.add_const((256,), DType.INT8, q_out, table, base="table")
    return b.node(OpType.LOOKUP_TABLE, [x, t], None, DType.INT8, q_out)


COMPARED = (DType.FLOAT32, DType.INT32, DType.INT64, DType.BOOL)


def _to_bool(op: OpType, types: tuple[DType, ...]) -> GenFn:
    """The comparisons (of two `types` inputs) and LOGICAL_AND/OR/XOR (BOOL): a BOOL output."""
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, types)
        x = b.x_input(prev, dtype)
        other_shape = _broadcast_partner(b, b.tensors[x].shape)
        other = (b.add_const(other_shape, dtype) if b.chance(0.5)
                 else b.add_input(other_shape, dtype))
        ins = [other, x] if b.chance(0.3) else [x, other]
        return b.node(op, ins, None, DType.BOOL, None)
    return gen


def gen_logical_not(b: Builder, prev: str | None) -> str:
    return b.node(OpType.LOGICAL_NOT, [b.x_input(prev, DType.BOOL)], None, DType.BOOL, None)


def gen_where(b: Builder, prev: str | None) -> str:
    """WHERE: a BOOL condition and two values of one type, all three broadcast."""
    dtype = prev_type(b, prev, COMPARED)
    x = b.x_input(prev, dtype)
    shape = b.tensors[x].shape
    # One bool chooses a whole side: the nodes only that side reads get run_if (branches.py).
    one = b.chance(0.3)
    cond = b.add_input(() if one else _broadcast_partner(b, shape), DType.BOOL)
    other = b.add_const(_broadcast_partner(b, shape), dtype)
    ins = [cond, other, x] if b.chance(0.3) else [cond, x, other]
    return b.node(OpType.WHERE, ins, None, dtype, None)


def _none(b: Builder) -> None:
    return None


# ---- pooling, reductions, softmax -------------------------------------------------------
def _pool(op: OpType, types: tuple[DType, ...]) -> GenFn:
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, types)
        x = b.x_input(prev, dtype, rank=4)
        w = _window(b)
        w.update(stride_h=b.pick((1, 2, 3)), stride_w=b.pick((1, 2, 3)))
        if b.chance(0.7):   # LiteRT-style pools have no dilation
            w.update(dilation_h=1, dilation_w=1)
        fh, fw = b.pick((1, 2, 3, 5, 7)), b.pick((1, 2, 3))
        include_pad = dtype == DType.FLOAT32 and b.chance(0.3)   # LiteRT's int pools exclude
        p = Pool2DParams(filter_h=fh, filter_w=fw, **w, count_include_pad=include_pad,
                         activation=b.activation())
        xs = b.tensors[x].shape
        return b.node(op, [x], p, dtype, same_quant(b, x), work=math.prod(xs) * fh * fw)
    return gen


def _axes(b: Builder, rank: int) -> tuple[int, ...]:
    if rank == 0:
        return (0,)
    axes = sorted({int(b.rng.integers(rank)) for _ in range(b.rank(1, rank))})
    return tuple(axes)


def _reduce(op: OpType, types: tuple[DType, ...],
            out_quant: Callable[[Builder, str], QuantParams | None] | None = None) -> GenFn:
    """MEAN, SUM (int8 output params of their own) and the folds (REDUCE_MAX/MIN: int8 shares
    the input's, `out_quant`); float32 ones sometimes take their axes as input 1 (format 9,
    read at invoke: int32 or int64, unordered, some negative) with the output shape given."""
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, types)
        x = b.x_input(prev, dtype, min_rank=1)
        xs = b.tensors[x].shape
        axes = _axes(b, len(xs))
        out_shape = None
        if b.chance(0.5):
            out_shape = tuple(d for i, d in enumerate(xs) if i not in axes)
        q = out_quant(b, x) if out_quant else b.quant(dtype)
        if dtype == DType.FLOAT32 and b.chance(0.3):
            given = [int(a) - len(xs) if b.chance(0.5) else int(a)
                     for a in b.rng.permutation(axes)]
            kept = tuple(1 if i in axes else d for i, d in enumerate(xs))
            itype = b.pick(INTEGER)
            operand = b.add_const((len(given),), itype, data=np.array(given, itype.numpy),
                                  base="axes")
            return b.node(op, [x, operand], ReduceParams(), dtype, shape=out_shape or kept)
        return b.node(op, [x], ReduceParams(axes), dtype, q, shape=out_shape)
    return gen


def _softmax(op: OpType, q_out: QuantParams) -> GenFn:
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, F32_I8)
        x = b.x_input(prev, dtype, min_rank=1)
        rank = len(b.tensors[x].shape)
        p = SoftmaxParams(axis=int(b.rng.integers(rank)),
                          beta=float(b.pick((1.0, 1.0, 0.5, 2.0, 1e-3))))
        return b.node(op, [x], p, dtype, q_out if dtype == DType.INT8 else None)
    return gen


def _arg(op: OpType) -> GenFn:
    def gen(b: Builder, prev: str | None) -> str:
        dtype = prev_type(b, prev, F32_I8)
        x = b.x_input(prev, dtype, min_rank=1)
        xs = b.tensors[x].shape
        axis = int(b.rng.integers(len(xs)))
        keep = xs[:axis] + (1,) + xs[axis + 1:] if b.chance(0.3) else None
        return b.node(op, [x], ArgParams(axis), b.pick((DType.INT32, DType.INT64)), shape=keep)
    return gen


def gen_l2_normalization(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8)
    x = b.x_input(prev, dtype, min_rank=1)
    q = QuantParams((1.0 / 128,), (0,)) if dtype == DType.INT8 else None
    return b.node(OpType.L2_NORMALIZATION, [x], None, dtype, q)


# ---- data movement ----------------------------------------------------------------------
def gen_reshape(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, COPY_TYPES)
    x = b.x_input(prev, dtype)
    xs = b.tensors[x].shape
    n = math.prod(xs)
    if n == 0:
        out = b.shape(b.rank(1, 4))
        out = out if math.prod(out) == 0 else out + (0,)
    else:
        out = []
        rest = n
        for f in (2, 3, 5, 7, 13):
            while rest % f == 0 and b.chance(0.5):
                out.append(f)
                rest //= f
        out.append(rest)
        b.rng.shuffle(out)
        out = tuple(out) if b.chance(0.8) else tuple(out) + (1,)
    shape_in = [b.add_const((len(out),), DType.INT32, data=np.array(out, np.int32),
                            base="shape")] if b.chance(0.2) and HUGE not in out else []
    return b.node(OpType.RESHAPE, [x] + shape_in, ReshapeParams(), dtype, same_quant(b, x),
                  shape=tuple(out))


def gen_transpose(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, COPY_TYPES)
    x = b.x_input(prev, dtype, max_rank=6)
    perm = tuple(int(i) for i in b.rng.permutation(len(b.tensors[x].shape)))
    return b.node(OpType.TRANSPOSE, [x], TransposeParams(perm), dtype, same_quant(b, x))


def gen_concatenation(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, COPY_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    axis = int(b.rng.integers(len(xs)))
    q = same_quant(b, x)
    parts = [x]
    for _ in range(b.rank(0, 3)):
        s = xs[:axis] + (b.dim() if xs[axis] != HUGE else 0,) + xs[axis + 1:]
        if HUGE in s and 0 not in s:
            s = xs
        parts.append(b.add_const(s, dtype, q) if b.chance(0.4) else b.add_input(s, dtype, q))
    b.rng.shuffle(parts)
    act = b.activation() if dtype == DType.FLOAT32 else FusedActivation.NONE
    return b.node(OpType.CONCATENATION, parts, ConcatenationParams(axis, act), dtype, q)


def gen_split(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, COPY_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    axis = int(b.rng.integers(len(xs)))
    n = b.rank(1, 4)
    total = xs[axis]
    if total == HUGE:
        raise Reject("split of a huge axis")
    cuts = sorted(int(c) for c in b.rng.integers(0, total + 1, n - 1))
    sizes = [e - s for s, e in zip([0] + cuts, cuts + [total])]
    shapes = [xs[:axis] + (s,) + xs[axis + 1:] for s in sizes]
    # ONNX's sizes as an operand the kernel checks at invoke (kernels/operand.h)
    sizes_in = [b.add_const((n,), DType.INT64, data=np.array(sizes, np.int64), base="split")] \
        if b.chance(0.2) else []
    return b.node(OpType.SPLIT, [x] + sizes_in, SplitParams(axis), dtype, same_quant(b, x),
                  outputs=n, shapes=shapes)


def gen_slice(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, COPY_TYPES)
    x = b.x_input(prev, dtype)
    begin, step, count = [], [], []
    for size in b.tensors[x].shape:
        if size == 0 or size == HUGE:
            begin.append(0)
            step.append(1)
            count.append(0 if size == HUGE else 0)
            continue
        s = int(b.pick((1, 1, 2, 3, -1, -2)))
        start = int(b.rng.integers(size))
        room = (size - 1 - start) // s + 1 if s > 0 else start // -s + 1
        begin.append(start)
        step.append(s)
        count.append(int(b.rng.integers(0 if b.chance(0.1) else 1, room + 1)))
    return b.node(OpType.SLICE, [x], SliceParams(tuple(begin), tuple(step)), dtype,
                  same_quant(b, x), shape=tuple(count))


def gen_pad(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT32,
                                DType.INT16))
    x = b.x_input(prev, dtype, max_rank=5)
    xs = b.tensors[x].shape
    mode = b.pick((PadMode.CONSTANT, PadMode.CONSTANT, PadMode.REFLECT, PadMode.EDGE))
    pads = [int(b.pick((0, 0, 0, 1, 1, 2, 3, 5))) for _ in range(2 * len(xs))]
    if pads and b.chance(0.05):   # ONNX crops with negative pads; the runtime refuses them
        pads[int(b.rng.integers(len(pads)))] = -1
    value = float(b.pick((0.0, 0.5, -3.0))) if dtype in (DType.FLOAT32, DType.INT8) else 0.0
    return b.node(OpType.PAD, [x], PadParams(tuple(pads), mode, value), dtype, same_quant(b, x))


def gen_gather(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, COPY_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    axis = int(b.rng.integers(len(xs)))
    idx_shape = b.shape(b.rank(0, 2))
    idx_type = b.pick((DType.INT32, DType.INT64))
    size = xs[axis]
    if b.chance(0.7) and size not in (0, HUGE):   # in range, negatives counting from the end
        data = b.rng.integers(-size, size, idx_shape)
    else:
        data = b.rng.integers(-3, 4, idx_shape) + b.pick((0, size, -size))
    idx = b.add_const(idx_shape, idx_type, data=data.astype(idx_type.numpy), base="idx") \
        if b.chance(0.8) else b.add_input(idx_shape, idx_type)
    return b.node(OpType.GATHER, [x, idx], GatherParams(axis), dtype, same_quant(b, x))


# The gather/scatter family's element types (int8 with one quantization throughout).
MOVED_TYPES = (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT32, DType.INT64, DType.BOOL)


def _index_tensor(b: Builder, shape: tuple[int, ...], sizes: Any) -> str:
    """INT32/INT64 indices against per-position bounds `sizes` (broadcast to `shape`): mostly
    in range with negatives counting from the end, sometimes just past either end; constant
    or a run-time input."""
    b._check_size(shape, DType.INT64)   # before numpy draws the values
    if math.prod(d for d in shape if d) >= 2**60:
        raise Reject(f"numpy cannot hold empty indices of shape {shape}")
    size = np.broadcast_to(np.asarray(sizes, np.int64), shape)
    if b.chance(0.8) and np.all((size > 0) & (size != HUGE)):
        data = np.floor(b.rng.random(shape) * 2 * size).astype(np.int64) - size
    else:
        data = b.rng.integers(-3, 4, shape) + int(b.pick((0, 1, -1))) * size
    idx_type = b.pick((DType.INT32, DType.INT64))
    if b.chance(0.5):
        return b.add_const(shape, idx_type, data=data.astype(idx_type.numpy), base="idx")
    return b.add_input(shape, idx_type)


def _elements_shape(b: Builder, xs: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """Indices no longer than the data off `axis`, any length along it."""
    return tuple(b.dim() if d == axis else n if b.chance(0.5) else min(n, b.small())
                 for d, n in enumerate(xs))


def _reduction(b: Builder, dtype: DType) -> ScatterReduction:
    if dtype == DType.BOOL:
        return ScatterReduction.NONE
    if dtype == DType.INT8:
        return b.pick((ScatterReduction.NONE, ScatterReduction.MAX, ScatterReduction.MIN))
    return b.pick(list(ScatterReduction))


def _updates(b: Builder, shape: tuple[int, ...], dtype: DType, x: str) -> str:
    quant = same_quant(b, x)
    return b.add_const(shape, dtype, quant) if b.chance(0.5) else b.add_input(shape, dtype, quant)


def gen_gather_elements(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, MOVED_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    axis = int(b.rng.integers(len(xs)))
    idx = _index_tensor(b, _elements_shape(b, xs, axis), xs[axis])
    return b.node(OpType.GATHER_ELEMENTS, [x, idx], GatherParams(axis), dtype, same_quant(b, x))


def gen_scatter_elements(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, MOVED_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    axis = int(b.rng.integers(len(xs)))
    shape = _elements_shape(b, xs, axis)
    idx = _index_tensor(b, shape, xs[axis])
    return b.node(OpType.SCATTER_ELEMENTS, [x, idx, _updates(b, shape, dtype, x)],
                  ScatterParams(axis, _reduction(b, dtype)), dtype, same_quant(b, x))


def gen_gather_nd(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, MOVED_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    batch = int(b.rng.integers(len(xs)))
    k = int(b.rng.integers(1, len(xs) - batch + 1))
    shape = (*xs[:batch], *b.shape(b.rank(0, 2)), k)
    idx = _index_tensor(b, shape, xs[batch:batch + k])
    return b.node(OpType.GATHER_ND, [x, idx], GatherNDParams(batch), dtype, same_quant(b, x))


def gen_scatter_nd(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, MOVED_TYPES)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    k = int(b.rng.integers(1, len(xs) + 1))
    lead = b.shape(b.rank(0, 2))
    idx = _index_tensor(b, (*lead, k), xs[:k])
    updates = _updates(b, (*lead, *xs[k:]), dtype, x)
    return b.node(OpType.SCATTER_ND, [x, idx, updates], ScatterParams(0, _reduction(b, dtype)),
                  dtype, same_quant(b, x))

def gen_resize(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8)
    x = b.x_input(prev, dtype, rank=4)
    n, h, w, c = b.tensors[x].shape
    # int8 runs nearest and bilinear under the four ONNX transforms; float32 every mode
    if dtype == DType.INT8:
        mode = b.pick([ResizeMode.NEAREST, ResizeMode.LINEAR])
        transform = b.pick(list(CoordinateTransform)[:4])
    else:
        mode = b.pick(list(ResizeMode))
        transform = b.pick(list(CoordinateTransform))
    if dtype == DType.INT8 and mode == ResizeMode.LINEAR and \
            transform == CoordinateTransform.PYTORCH_HALF_PIXEL:
        transform = CoordinateTransform.ASYMMETRIC   # LiteRT's default options
    # Large upscales of small images often: LiteRT's rounded int8 steps go wrong at the far
    # border only when out^2 is well above 1024 x in.
    oh = b.long() if b.chance(0.35) else b.dim()
    ow = b.long() if b.chance(0.35) else b.dim()
    if h == 0 or w == 0 or oh == 0 or ow == 0 or HUGE in (oh, ow, h, w):
        raise Reject("resize of an empty image")  # the infer_shape refuses; see hostile
    p = ResizeParams(mode, transform, b.pick(list(NearestRounding)),
                     float(np.float32(oh / h)), float(np.float32(ow / w)))
    return b.node(OpType.RESIZE, [x], p, dtype, same_quant(b, x), shape=(n, oh, ow, c),
                  work=n * oh * ow * c * 4)


def gen_quantize(b: Builder, prev: str | None) -> str:
    src = prev_type(b, prev, (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT16,
                              DType.UINT8))
    dst = b.pick({DType.FLOAT32: (DType.INT8, DType.INT16), DType.INT8: (DType.INT8, DType.INT16,
                  DType.UINT8), DType.INT16: (DType.INT8, DType.INT16),
                  DType.UINT8: (DType.INT8,)}[src])
    x = b.x_input(prev, src)
    return b.node(OpType.QUANTIZE, [x], None, dst, b.quant(dst))


def gen_dequantize(b: Builder, prev: str | None) -> str:
    src = prev_type(b, prev, (DType.INT8, DType.INT8, DType.INT16, DType.FLOAT16))
    if src in (DType.INT8, DType.INT16) and b.chance(0.4):   # per-channel, constant or input
        shape = b.shape(b.rank(1, 4))
        axis = int(b.rng.integers(len(shape)))
        q = b.quant(src, shape[axis], axis)
        x = b.add_const(shape, src, q) if b.chance(0.5) else b.add_input(shape, src, q)
        # The converter's rule wants one scale (it makes per-channel DEQUANTIZE only of
        # weights); the runtime takes per-channel inputs of either kind.
        y = b.node(OpType.DEQUANTIZE, [x], None, DType.FLOAT32, shape=shape, trust=True)
        if b.tensors[x].is_constant:   # a prepared constant: a graph output must be computed
            other = b.add_input(shape, DType.FLOAT32)
            return b.node(OpType.ADD, [other, y], BinaryParams(), DType.FLOAT32)
        return y
    else:
        x = b.x_input(prev, src)
    return b.node(OpType.DEQUANTIZE, [x], None, DType.FLOAT32)


def gen_cast(b: Builder, prev: str | None) -> str:
    """Any pair of element types (format 9 adds float16, float64, bfloat16, float8, the
    unsigned integers and the sub-byte types); a float8 output with or without saturation."""
    types = (DType.FLOAT32, DType.INT8, DType.INT32, DType.INT64, DType.BOOL, DType.FLOAT16,
             DType.FLOAT64, DType.BFLOAT16, DType.UINT16, DType.UINT64, DType.FLOAT8E4M3FN,
             DType.FLOAT8E5M2FNUZ, DType.INT4, DType.UINT2, DType.FLOAT4E2M1)
    src = prev_type(b, prev, types)
    x = b.x_input(prev, src)
    dst = b.pick(types)
    params = CastParams(b.chance(0.5)) if dst.name.startswith("FLOAT8") else None
    return b.node(OpType.CAST, [x], params, dst, b.quant(dst))


def gen_prelu(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, F32_I8)
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    alpha_shape = tuple(xs[-b.rank(1, len(xs)):])
    alpha_shape = tuple(1 if b.chance(0.3) else d for d in alpha_shape)
    alpha = b.add_const(alpha_shape, dtype, b.quant(dtype)) if b.chance(0.7) else \
        b.add_input(alpha_shape, dtype, b.quant(dtype))
    return b.node(OpType.PRELU, [x, alpha], None, dtype, b.quant(dtype))


def _clamp(b: Builder) -> ClampParams:
    lo = float(b.pick((-1.0, 0.0, -6.0, 0.5)))
    return ClampParams(lo, lo + float(b.pick((0.0, 1.0, 6.0))))


# ---- selection, running sums, one-hot, remainders (format 8) ----------------------------
def gen_top_k(b: Builder, prev: str | None) -> str:
    """TOP_K: values of the input's type (int8 sharing its quantization), int32/int64 indices;
    k in [0, n] (0 only along an empty axis)."""
    dtype = prev_type(b, prev, (DType.FLOAT32, DType.FLOAT32, DType.INT8, DType.INT32,
                                DType.INT64))
    x = b.x_input(prev, dtype, min_rank=1)
    xs = b.tensors[x].shape
    axis = int(b.rng.integers(len(xs)))
    n = xs[axis]
    k = int(b.pick((1, n, (n + 1) // 2, min(n, b.small())))) if n else 0
    out = xs[:axis] + (min(k, n),) + xs[axis + 1:]
    values = b.node(OpType.TOP_K, [x], TopKParams(axis, b.chance(0.7)), dtype, same_quant(b, x),
                    shapes=[out, out], trust=True)
    indices = b.tensors[b.nodes[-1].outputs[1]]
    indices.dtype, indices.quant = b.pick((DType.INT32, DType.INT64)), None
    return values


def gen_cum_sum(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, (DType.FLOAT32, DType.INT32, DType.INT64))
    x = b.x_input(prev, dtype, min_rank=1)
    axis = int(b.rng.integers(len(b.tensors[x].shape)))
    return b.node(OpType.CUM_SUM, [x], CumSumParams(axis, b.chance(0.5), b.chance(0.5)), dtype)


def gen_cum_prod(b: Builder, prev: str | None) -> str:
    dtype = prev_type(b, prev, (DType.FLOAT32, DType.INT32, DType.INT64))
    x = b.x_input(prev, dtype, min_rank=1)
    axis = int(b.rng.integers(len(b.tensors[x].shape)))
    return b.node(OpType.CUM_PROD, [x], CumSumParams(axis, b.chance(0.5), b.chance(0.5)), dtype)


def gen_grid_sample(b: Builder, prev: str | None) -> str:
    """GRID_SAMPLE: a 4-D or 5-D image, a run-time or constant grid reaching past the image
    (far past it sometimes, to be reflected many times), every mode and padding."""
    x = b.x_input(prev, DType.FLOAT32, rank=int(b.pick((4, 5))))
    xs = b.tensors[x].shape
    gs = (xs[0], *b.shape(len(xs) - 2), len(xs) - 2)
    if b.chance(0.5):
        grid = b.add_input(gs, DType.FLOAT32)
    else:
        b._check_size(gs, DType.FLOAT32)  # before drawing: a dim may be 2^31 - 1
        if math.prod(d for d in gs if d) >= 2**60:
            raise Reject(f"numpy cannot hold an empty constant of shape {gs}")
        data = b.rng.uniform(-1.5, 1.5, gs) * (b.pick((1.0, 40.0)))
        grid = b.add_const(gs, DType.FLOAT32, data=data.astype(np.float32))
    params = GridSampleParams(b.pick(list(GridSampleMode)), b.pick(list(GridSamplePadding)),
                              b.chance(0.5))
    return b.node(OpType.GRID_SAMPLE, [x, grid], params, DType.FLOAT32)


def gen_one_hot(b: Builder, prev: str | None) -> str:
    """ONE_HOT: run-time or constant indices (in range, negative, past either end), a
    depth from the usual dims, any output type."""
    xs = b.shape(b.rank(0, 4))
    depth = b.dim()
    idx = _index_tensor(b, xs, depth)
    dtype = b.pick((DType.FLOAT32, DType.INT32, DType.INT64, DType.BOOL))
    values = b.add_const((2,), dtype, base="values")
    axis = int(b.rng.integers(len(xs) + 1))
    out = xs[:axis] + (depth,) + xs[axis:]
    return b.node(OpType.ONE_HOT, [idx, values], OneHotParams(axis, b.chance(0.5)), dtype,
                  shape=out, trust=depth == 0)


def gen_mod(b: Builder, prev: str | None) -> str:
    """MOD: integer divisors include 0 and -1 (defined results, never a trap)."""
    dtype = prev_type(b, prev, (DType.FLOAT32, DType.INT32, DType.INT64))
    x = b.x_input(prev, dtype)
    other_shape = _broadcast_partner(b, b.tensors[x].shape)
    if b.chance(0.5) and dtype != DType.FLOAT32 and 0 not in other_shape:
        b._check_size(other_shape, dtype)   # before numpy draws the values
        data = b.rng.choice(np.array([0, -1, 1, 3, -7], dtype.numpy), other_shape)
        other = b.add_const(other_shape, dtype, data=data.astype(dtype.numpy))
    else:
        other = (b.add_const(other_shape, dtype) if b.chance(0.5)
                 else b.add_input(other_shape, dtype))
    ins = [other, x] if b.chance(0.3) else [x, other]
    return b.node(OpType.MOD, ins, ModParams(b.chance(0.5)), dtype)


_PLAIN_INTS = (DType.INT8, DType.UINT8, DType.INT16, DType.UINT16, DType.INT32, DType.UINT32,
               DType.INT64, DType.UINT64)


def gen_bitwise(b: Builder, prev: str | None, op: OpType) -> str:
    """BITWISE_AND/OR/XOR/NOT and BIT_SHIFT on plain integers of every width; shift counts
    include negative ones and ones not below the width (defined results)."""
    if prev is not None and b.tensors[prev].quant is not None:
        prev = None  # a quantized int8 value is not a plain one
    dtype = prev_type(b, prev, _PLAIN_INTS)
    x = b.take(prev, lambda t: t.dtype == dtype and len(t.shape) <= 5,
               lambda: b.add_input(b.shape(b.rank(0, 5)), dtype))  # x_input would quantize
    if op == OpType.BITWISE_NOT:
        return b.node(op, [x], None, dtype)
    other_shape = _broadcast_partner(b, b.tensors[x].shape)
    params = BitShiftParams(b.pick(tuple(ShiftDirection))) if op == OpType.BIT_SHIFT else None
    if op == OpType.BIT_SHIFT and b.chance(0.7) and 0 not in other_shape:
        b._check_size(other_shape, dtype)
        bits = dtype.numpy.itemsize * 8
        counts = np.array([0, 1, bits - 1, bits, bits + 3, -1 % (1 << bits)], np.uint64)
        data = b.rng.choice(counts, other_shape).astype(dtype.numpy)
        other = b.add_const(other_shape, dtype, data=data)
    else:
        other = (b.add_const(other_shape, dtype) if b.chance(0.5)
                 else b.add_input(other_shape, dtype))
    ins = [other, x] if b.chance(0.3) else [x, other]
    return b.node(op, ins, params, dtype)


def gen_quantize_linear(b: Builder, prev: str | None, op: OpType) -> str:
    """QUANTIZE_LINEAR (float32 -> a narrow integer) and DEQUANTIZE_LINEAR (an integer ->
    float32) with the scale and zero point as inputs or constants, one value or per axis (x's
    rank, one dim kept); scales may be 0, negative or tiny (the kernel reads any value)."""
    quantize = op == OpType.QUANTIZE_LINEAR
    if prev is not None and b.tensors[prev].quant is not None:
        prev = None
    ints = _PLAIN_INTS[:4] if quantize else _PLAIN_INTS[:5]
    in_type = DType.FLOAT32 if quantize else prev_type(b, prev, ints)
    int_type = b.pick(ints) if quantize else in_type
    x = b.take(prev, lambda t: t.dtype == in_type and t.quant is None and len(t.shape) <= 5,
               lambda: b.add_input(b.shape(b.rank(0, 5)), in_type))
    shape = b.tensors[x].shape
    p_shape: tuple[int, ...] = b.pick(((), (1,)))
    if shape and b.chance(0.5):
        axis = b.rng.integers(len(shape))
        p_shape = tuple(d if i == axis else 1 for i, d in enumerate(shape))
    if b.chance(0.5):
        b._check_size(p_shape, DType.FLOAT32)  # before its data is drawn
        data = np.abs(b.random_data(p_shape, DType.FLOAT32)) + np.float32(1e-3)
        scale = b.add_const(p_shape, DType.FLOAT32, data=data)
    else:
        scale = b.add_input(p_shape, DType.FLOAT32)
    inputs = [x, scale]
    if b.chance(0.7):
        inputs.append(b.add_const(p_shape, int_type) if b.chance(0.5)
                      else b.add_input(p_shape, int_type))
    y = b.node(op, inputs, None, int_type if quantize else DType.FLOAT32)
    if quantize and int_type in (DType.INT8, DType.INT16):
        # The next generators would read a plain int8 / int16 value as a quantized one.
        y = b.node(OpType.DEQUANTIZE_LINEAR, [y, *inputs[1:]], None, DType.FLOAT32)
    return y


GENERATORS: dict[OpType, GenFn] = {
    OpType.CONV2D: gen_conv2d,
    OpType.DEPTHWISE_CONV2D: gen_depthwise_conv2d,
    OpType.TRANSPOSE_CONV2D: gen_transpose_conv2d,
    OpType.FULLY_CONNECTED: gen_fully_connected,
    OpType.BATCH_MATMUL: gen_batch_matmul,
    OpType.ADD: _binary(OpType.ADD, F32_I8_I16_INT),
    OpType.SUB: _binary(OpType.SUB, F32_I8_INT),
    OpType.MUL: _binary(OpType.MUL, F32_I8_INT),
    OpType.DIV: _binary(OpType.DIV, F32_I8_INT),
    OpType.RELU: _unary(OpType.RELU, F32_I8, _none),
    OpType.RELU6: _unary(OpType.RELU6, F32_I8, _none),
    OpType.CLAMP: _unary(OpType.CLAMP, F32_I8, _clamp),
    OpType.LEAKY_RELU: _unary(OpType.LEAKY_RELU, F32_I8,
                              lambda b: LeakyReluParams(float(b.pick((0.01, 0.2, 1.5, -0.5))))),
    OpType.SIGMOID: _table(OpType.SIGMOID, sigmoid_f32),
    OpType.TANH: _table(OpType.TANH, tanh_f32),
    OpType.LOOKUP_TABLE: gen_lookup_table,
    **{op: _unary(op, F32_INT, _none) for op in (OpType.ABS, OpType.NEG, OpType.SIGN)},
    **{op: _unary(op, F32, _none) for op in (
        OpType.SQRT, OpType.RSQRT, OpType.EXP, OpType.LOG, OpType.FLOOR,
        OpType.CEIL, OpType.ROUND, OpType.SIN, OpType.COS, OpType.ACOS, OpType.ASIN,
        OpType.ATAN, OpType.RECIPROCAL,
        OpType.ERF, OpType.SOFTPLUS, OpType.MISH, OpType.SQUARE)},
    OpType.ELU: _unary(OpType.ELU, F32, lambda b: EluParams(float(b.pick((1.0, 0.5, -2.0))))),
    OpType.SELU: _unary(OpType.SELU, F32, lambda b: SeluParams(
        float(b.pick((SELU_ALPHA, 2.0))), float(b.pick((SELU_GAMMA, 3.0))))),
    OpType.GELU: _unary(OpType.GELU, F32, lambda b: GeluParams(bool(b.pick((False, True))))),
    OpType.POW: gen_pow,
    **{op: _to_bool(op, COMPARED) for op in (
        OpType.EQUAL, OpType.NOT_EQUAL, OpType.LESS, OpType.LESS_EQUAL, OpType.GREATER,
        OpType.GREATER_EQUAL)},
    **{op: _to_bool(op, (DType.BOOL,)) for op in (
        OpType.LOGICAL_AND, OpType.LOGICAL_OR, OpType.LOGICAL_XOR)},
    OpType.LOGICAL_NOT: gen_logical_not,
    OpType.WHERE: gen_where,
    OpType.HARD_SIGMOID: _unary(OpType.HARD_SIGMOID, F32, lambda b: HardSigmoidParams(
        float(b.pick((0.2, 1.0 / 6))), float(b.pick((0.5, 0.0))))),
    OpType.HARD_SWISH: _unary(OpType.HARD_SWISH, F32_I8, _none),
    OpType.MAX_POOL2D: _pool(OpType.MAX_POOL2D, F32_I8_I16),
    OpType.AVERAGE_POOL2D: _pool(OpType.AVERAGE_POOL2D, F32_I8),
    OpType.MEAN: _reduce(OpType.MEAN, F32_I8),
    OpType.RESHAPE: gen_reshape,
    OpType.TRANSPOSE: gen_transpose,
    OpType.CONCATENATION: gen_concatenation,
    OpType.SPLIT: gen_split,
    OpType.SLICE: gen_slice,
    OpType.PAD: gen_pad,
    OpType.SOFTMAX: _softmax(OpType.SOFTMAX, QuantParams((1.0 / 256,), (-128,))),
    OpType.GATHER: gen_gather,
    OpType.GATHER_ELEMENTS: gen_gather_elements,
    OpType.GATHER_ND: gen_gather_nd,
    OpType.SCATTER_ND: gen_scatter_nd,
    OpType.SCATTER_ELEMENTS: gen_scatter_elements,
    OpType.RESIZE: gen_resize,
    OpType.QUANTIZE: gen_quantize,
    OpType.DEQUANTIZE: gen_dequantize,
    OpType.MAXIMUM: _binary(OpType.MAXIMUM, F32_I8_INT, params=False),
    OpType.MINIMUM: _binary(OpType.MINIMUM, F32_I8_INT, params=False),
    OpType.PRELU: gen_prelu,
    OpType.SUM: _reduce(OpType.SUM, F32_I8),
    OpType.REDUCE_PROD: _reduce(OpType.REDUCE_PROD, F32),
    **{op: _reduce(op, F32_I8, same_quant) for op in (OpType.REDUCE_MAX, OpType.REDUCE_MIN)},
    OpType.ARG_MAX: _arg(OpType.ARG_MAX),
    OpType.ARG_MIN: _arg(OpType.ARG_MIN),
    OpType.CAST: gen_cast,
    OpType.L2_NORMALIZATION: gen_l2_normalization,
    OpType.LOG_SOFTMAX: _softmax(OpType.LOG_SOFTMAX, QuantParams((16.0 / 256,), (127,))),
    OpType.TOP_K: gen_top_k,
    OpType.CUM_SUM: gen_cum_sum,
    OpType.CUM_PROD: gen_cum_prod,
    OpType.GRID_SAMPLE: gen_grid_sample,
    OpType.ONE_HOT: gen_one_hot,
    OpType.MOD: gen_mod,
    **{op: functools.partial(gen_bitwise, op=op) for op in (
        OpType.BITWISE_AND, OpType.BITWISE_OR, OpType.BITWISE_XOR, OpType.BITWISE_NOT,
        OpType.BIT_SHIFT)},
    **{op: functools.partial(gen_quantize_linear, op=op) for op in (
        OpType.QUANTIZE_LINEAR, OpType.DEQUANTIZE_LINEAR)},
}


def check_coverage() -> None:
    """Every op the converter knows has a generator: a new op must get one here."""
    missing = [op.name for op in OpType if op not in GENERATORS]
    if missing:
        raise RuntimeError(f"tests/fuzz/ember_models.py has no generator for {missing}")


# ---- hostile mutations after planning ---------------------------------------------------
EDGE_INTS = (-1, 0, 1, 2, 7, 64, 255, 256, 65536, HUGE, -(2**31), 2**31, 2**40)
EDGE_FLOATS = (0.0, -0.0, -1.0, 1e-30, 1e-45, 1e30, 3.4e38, float("inf"), float("-inf"),
               float("nan"), 0.5, 2.0)


def _mutate_value(b: Builder, value: Any) -> Any:
    if isinstance(value, enum.Enum) or isinstance(value, bool):
        return int(b.pick((-1, 4, 7, 255, 1, 0)))
    if isinstance(value, int):
        return int(b.pick(EDGE_INTS + (value + 1, value - 1, -value)))
    if isinstance(value, float):
        return float(b.pick(EDGE_FLOATS))
    if isinstance(value, tuple):
        if not value or b.chance(0.3):
            return value[:-1] if value and b.chance(0.5) else value + (int(b.pick(EDGE_INTS)),)
        i = int(b.rng.integers(len(value)))
        return value[:i] + (_mutate_value(b, value[i]),) + value[i + 1:]
    return value


# ---- bounded dynamic shapes (format 8) ----------------------------------------------------
def _count(dim: int, begin: int, step: int) -> int:
    room = dim - begin if step > 0 else begin + 1
    return max(0, -(-room // abs(step)))


def _dim_spec(b: Builder, graph: Graph, out: int, same: bool) -> int:
    """A new_shape or size entry for an output dim of `out` elements: 0 or -1 (`same`: it
    follows the input) or a symbol of that max, else the fixed size."""
    symbols = [k for k, sym in enumerate(graph.symbols) if sym.max == out]
    if same and b.chance(0.7):
        return -1
    return -2 - b.pick(symbols) if symbols and b.chance(0.5) else out


def _dynamize(b: Builder, graph: Graph) -> bool:
    """Makes graph input dims dynamic: one or two of their sizes become symbols (min drawn in
    1..size) that most input dims of that size follow; RESHAPE and SLICE get a new_shape and
    size that give their outputs at the bound. fuzz_ember_run.c then resizes the inputs; a
    model whose ops cannot follow is refused at allocate, which is no finding."""
    pairs = [(n, d, v) for n in graph.inputs for d, v in enumerate(graph.tensors[n].shape)
             if 2 <= v < HUGE]
    if not pairs:
        return False
    marks = {n: [-1] * len(graph.tensors[n].shape) for n in graph.inputs}
    for size in dict.fromkeys(b.pick([v for _, _, v in pairs]) for _ in range(b.pick((1, 2)))):
        hits = [(n, d) for n, d, v in pairs if v == size and b.chance(0.8)]
        for n, d in hits:
            marks[n][d] = len(graph.symbols)
        if hits:
            graph.symbols.append(Symbol(f"s{len(graph.symbols)}",
                                        int(b.rng.integers(1, size + 1)), size))
    for n, m in marks.items():
        if any(k >= 0 for k in m):
            graph.tensors[n] = dataclasses.replace(graph.tensors[n], dim_symbols=tuple(m))
    for node in graph.nodes:
        x, y = graph.tensors[node.inputs[0]].shape, graph.tensors[node.outputs[0]].shape
        if node.op == OpType.RESHAPE and b.chance(0.9):
            spec = [0 if d < len(x) and x[d] == v and b.chance(0.6) else v
                    for d, v in enumerate(y)]
            if y and b.chance(0.6):
                spec[int(b.rng.integers(len(y)))] = -1
            node.params = dataclasses.replace(node.params, new_shape=tuple(spec))
        elif node.op == OpType.SLICE and b.chance(0.9) and len(node.params.begin) == len(x):
            p = node.params
            size = tuple(_dim_spec(b, graph, v, _count(x[d], p.begin[d], p.step[d]) == v)
                         for d, v in enumerate(y))
            node.params = dataclasses.replace(p, size=size)
    return bool(graph.symbols)


def _hostile_symbols(b: Builder, graph: Graph) -> str:
    """Changes one of the format 8 fields: a symbol's range, a tensor's dim_symbols (an input's,
    an intermediate's or a constant's), or the symbol count."""
    what = b.pick(("range", "marks", "marks", "count"))
    if what == "range":
        k = int(b.rng.integers(len(graph.symbols)))
        sym = graph.symbols[k]
        graph.symbols[k] = dataclasses.replace(sym, **{b.pick(("min", "max")): int(b.pick(
            EDGE_INTS + (sym.max + 1, sym.max - 1, sym.min - 1, 0)))})
        return f"symbol {k} -> {graph.symbols[k]}"
    if what == "count":
        graph.symbols += [Symbol(f"extra{k}", 1, 1) for k in range(b.pick((1, 8)))]
        return f"{len(graph.symbols)} symbols"
    t = graph.tensors[b.pick(list(graph.tensors))]
    rank = len(t.shape or ())
    marks = [int(b.pick((-1, -1, 0, 1, len(graph.symbols), -2, HUGE))) for _ in range(rank)]
    if b.chance(0.2):
        marks = marks[:-1] if marks and b.chance(0.5) else marks + [0]
    graph.tensors[t.name] = dataclasses.replace(t, dim_symbols=tuple(marks))
    return f"dim_symbols of {t.name} -> {marks}"


def _hostile(b: Builder, graph: Graph, plan: MemoryPlan) -> str:
    """Changes one structured field after planning; returns what it changed."""
    if graph.symbols and b.chance(0.35):
        return _hostile_symbols(b, graph)
    acts = [n for n in plan.offsets]
    kind = b.pick(("offset", "arena", "param", "param", "quant", "shape", "dtype"))
    if kind == "offset" and acts:
        name = b.pick(acts)
        others = [plan.offsets[n] for n in acts if n != name] or [0]
        plan.offsets[name] = int(b.pick((b.pick(others), plan.arena_size - 64,
                                         plan.arena_size - 1, plan.arena_size, 1, -2, 2**40,
                                         plan.offsets[name] + 64, plan.offsets[name] - 64)))
        return f"offset of {name} -> {plan.offsets[name]}"
    if kind == "arena":
        plan.arena_size = int(b.pick((0, plan.arena_size - 1, plan.arena_size - 64,
                                      plan.arena_size * 2 + 64, 2**40, 5 << 30)))
        return f"arena_size -> {plan.arena_size}"
    if kind == "param":
        nodes = [n for n in graph.nodes if n.params is not None and dataclasses.fields(n.params)]
        if nodes:
            node = b.pick(nodes)
            f = b.pick(dataclasses.fields(node.params))
            new = _mutate_value(b, getattr(node.params, f.name))
            node.params = dataclasses.replace(node.params, **{f.name: new})
            return f"{node.name}.{f.name} -> {new}"
    quantized = [t for t in graph.tensors.values() if t.quant is not None]
    if kind == "quant" and quantized:
        t = b.pick(quantized)
        q = t.quant
        what = b.pick(("scale", "zero_point", "axis", "count"))
        if what == "scale":
            q = dataclasses.replace(q, scale=_mutate_value(b, q.scale))
        elif what == "zero_point":
            q = dataclasses.replace(q, zero_point=_mutate_value(b, q.zero_point))
        elif what == "axis":
            q = dataclasses.replace(q, axis=int(b.pick(EDGE_INTS)))
        else:
            q = dataclasses.replace(q, scale=q.scale * 2, zero_point=q.zero_point * 2)
        t.quant = q
        return f"quant of {t.name} -> {q}"
    runtime = [t for t in graph.tensors.values() if not t.is_constant]
    t = b.pick(runtime)
    if kind == "dtype":
        t.dtype = b.pick(list(DType))
        return f"type of {t.name} -> {t.dtype.name}"
    shape = list(t.shape)
    if shape and b.chance(0.7):
        i = int(b.rng.integers(len(shape)))
        shape[i] = int(b.pick((0, 1, shape[i] + 1, max(shape[i] - 1, 0), HUGE, 2 * shape[i])))
    elif shape and b.chance(0.5):
        shape.pop()
    else:
        shape.append(int(b.pick((1, 2, 0))))
    t.shape = tuple(shape)
    return f"shape of {t.name} -> {t.shape}"


def generate(rng: np.random.Generator, op: OpType | None = None,
             hostile_rate: float = 0.15, max_tries: int = 200,
             dynamic_rate: float = 0.25) -> Model:
    """One random model whose first node is `op` (random if None), with up to three more
    nodes chained after it; dynamic_rate of them get dynamic input dims (_dynamize) and
    hostile_rate one post-planning mutation."""
    check_coverage()
    first = op if op is not None else list(OpType)[int(rng.integers(len(OpType)))]
    for _ in range(max_tries):
        b = Builder(rng, profile=str(rng.choice(SHAPE_PROFILES)))
        hostile = ""
        try:
            ops = [first] + [list(OpType)[int(rng.integers(len(OpType)))]
                             for _ in range(int(rng.choice((0, 0, 0, 1, 1, 2, 3))))]
            prev: str | None = None
            done: list[OpType] = []
            for o in ops:
                saved = (dict(b.tensors), list(b.nodes), list(b.inputs), b.work)
                try:
                    prev = GENERATORS[o](b, prev)
                    done.append(o)
                except Reject:
                    if not done:
                        raise
                    b.tensors, b.nodes, b.inputs, b.work = saved   # drop the half-built op
            outputs = b.dangling()
            graph = b.graph(outputs)
            dynamic = rng.random() < dynamic_rate and _dynamize(b, graph)
            mark_branches(graph)
            plan = plan_memory(graph)
            if plan.arena_size > MAX_ARENA_BYTES:
                raise Reject("arena too large")
            hostile = _hostile(b, graph, plan) if rng.random() < hostile_rate else ""
            data = serialize(graph, plan, metadata={"fuzz.hostile": hostile})
        except (Reject, EmberError):
            continue
        except (ValueError, OverflowError, TypeError, AttributeError, IndexError) as e:
            if hostile:   # the writer cannot express this mutation (e.g. a value > int32)
                continue
            raise RuntimeError(f"generator bug for {first.name}: {e!r}") from e
        types = "".join(sorted({t.dtype.name.lower()[0] + str(t.dtype.numpy.itemsize * 8)
                                for t in graph.tensors.values() if not t.is_constant}))
        name = "+".join(o.name.lower() for o in done) + f"-{types}" + \
            ("-dyn" if dynamic else "")
        return Model(name, done, data, hostile, graph)
    raise RuntimeError(f"no model for {first.name} after {max_tries} tries: the generator "
                       f"or the converter's shape rules changed")
