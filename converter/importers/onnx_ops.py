"""ONNX_OPS: one short function per ONNX op (keyed by ("Op", since_opset) where an opset
changed the op's meaning), emitting Emberlite IR through the builder `b`.

The signature of each function is the op's contract, read by the importer's pre-scan
(onnx_signature.signature):
- positional parameters are the ONNX inputs in order. `str` is a float32 tensor,
  `np.ndarray` an input that must be constant (the function gets its value), `Indices` an
  int32/int64 tensor, `AnyTensor` a tensor of any type (only its shape is used), `Compared`
  a float32, bool or integer (int8 to uint64) tensor, `Numeric` a float32 or integer one
  (plain integers: arithmetic wraps, Div truncates) and `Boolean` a bool one;
- keyword parameters are the ONNX attributes with ONNX's defaults; a `Literal[...]` hint
  lists the values Emberlite supports;
- the return hint says how many outputs are supported (`list[str]`: any number) and
  `np.ndarray` means the result is a constant.

Layout-sensitive ops run on NHWC: NCHW input is wrapped as TRANSPOSE(0,2,3,1) -> op ->
TRANSPOSE(0,3,1,2); the passes cancel those transposes. Constant weights are transposed
to OHWI / [1,KH,KW,C*mult] here (the builder folds transposes of constants).
"""
from __future__ import annotations

import itertools
import math
from typing import Callable, Literal

import numpy as np
import onnx

from ..ir import TO_NCHW, TO_NHWC, DType
from ..ops import OpType
from ..ops.binary import BinaryParams
from ..ops.cast import CastParams
from ..ops.concatenation import ConcatenationParams
from ..ops.gather import GatherParams
from ..ops.hard_sigmoid import HardSigmoidParams
from ..ops.leaky_relu import LeakyReluParams
from ..ops.math_unary import SELU_ALPHA, SELU_GAMMA, EluParams, GeluParams, SeluParams
from ..ops.mean import ReduceParams
from ..ops.pad import PadMode, PadParams
from ..ops.pool2d import Pool2DParams
from ..ops.reshape import OPERAND_INPUTS, ReshapeParams
from ..ops.slice import SliceParams
from ..ops.softmax import SoftmaxParams
from ..ops.split import SplitParams
from .graph_builder import (Builder, Invalid, Unsupported, axis_index, check_indices,
                            check_rank, runtime_output_shape)
from .onnx_nn_ops import (conv, conv_transpose, gemm, global_lp_pool, lp_pool, matmul,
                          pool_average, pool_max)
from .onnx_bitwise_ops import BITWISE_OPS
from .onnx_composed_ops import COMPOSED_OPS, same_type
from .onnx_extra_ops import EXTRA_OPS
from .onnx_index_ops import INDEX_OPS
from .onnx_resize import RESIZE_OPS
from .onnx_select_ops import SELECT_OPS
from .onnx_window_ops import WINDOW_OPS
from .onnx_qdq import QDQ_OPS
from .onnx_recurrent_ops import RECURRENT_OPS
from .onnx_spectral_ops import SPECTRAL_OPS
from .onnx_signature import AnyTensor, Boolean, Compared, Indices, Numeric, Operand



def _ints(value: np.ndarray, what: str) -> list[int]:
    """A constant input that must be a vector of integers (starts, pads, axes, splits)."""
    if value.ndim != 1 or not np.issubdtype(value.dtype, np.integer):
        raise Invalid(f"{what} must be a 1-D integer tensor, got {value.dtype} of shape "
                      f"{list(value.shape)}")
    return [int(v) for v in value]


def _scalar(value: np.ndarray, what: str) -> float:
    if value.size != 1 or not np.issubdtype(value.dtype, np.number):
        raise Invalid(f"{what} must be a numeric scalar, got {value.dtype} of shape "
                      f"{list(value.shape)}")
    return float(value.reshape(-1)[0])


def _axes(axes: list[int] | np.ndarray, rank: int) -> tuple[int, ...]:
    out = sorted({axis_index(int(a), rank) for a in axes})
    if len(out) != len(axes):
        raise Invalid(f"axes {list(axes)} repeat an axis")
    return tuple(out)


# --- elementwise -----------------------------------------------------------------------
def _binary(op: OpType) -> Callable[..., str]:
    """Add, Sub, Mul, Div: float32, or plain int32/int64 (wrapping; Div truncates)."""
    def convert(b: Builder, a: Numeric, c: Numeric) -> str:
        same_type(b, [a, c])
        return b.op(op, [a, c], BinaryParams())
    convert.__name__ = op.name.lower()
    return convert


def _unary(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, x: str) -> str:
        return b.op(op, [x])
    convert.__name__ = op.name.lower()
    return convert


def _unary_numeric(op: OpType) -> Callable[..., str]:
    """Abs, Neg, Sign: float32, or plain int32/int64 (-INT_MIN and |INT_MIN| wrap)."""
    def convert(b: Builder, x: Numeric) -> str:
        return b.op(op, [x])
    convert.__name__ = op.name.lower()
    return convert


def leaky_relu(b: Builder, x: str, *, alpha: float = 0.01) -> str:
    return b.op(OpType.LEAKY_RELU, [x], LeakyReluParams(alpha))


def hard_sigmoid(b: Builder, x: str, *, alpha: float = 0.2, beta: float = 0.5) -> str:
    return b.op(OpType.HARD_SIGMOID, [x], HardSigmoidParams(alpha, beta))


def elu(b: Builder, x: str, *, alpha: float = 1.0) -> str:
    return b.op(OpType.ELU, [x], EluParams(alpha))


def selu(b: Builder, x: str, *, alpha: float = SELU_ALPHA, gamma: float = SELU_GAMMA) -> str:
    return b.op(OpType.SELU, [x], SeluParams(alpha, gamma))


def gelu(b: Builder, x: str, *, approximate: Literal["none", "tanh"] = "none") -> str:
    return b.op(OpType.GELU, [x], GeluParams(approximate == "tanh"))


def pow_(b: Builder, x: Numeric, y: Numeric) -> str:
    """Any of float32, int32 and int64 for each input; the output has the base's type."""
    return b.op(OpType.POW, [x, y])


def _compare(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, a: Compared, c: Compared) -> str:
        return b.op(op, [a, c], dtype=DType.BOOL)
    convert.__name__ = op.name.lower()
    return convert


def _logical(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, a: Boolean, c: Boolean) -> str:
        return b.op(op, [a, c], dtype=DType.BOOL)
    convert.__name__ = op.name.lower()
    return convert


def logical_not(b: Builder, x: Boolean) -> str:
    return b.op(OpType.LOGICAL_NOT, [x], dtype=DType.BOOL)


def where(b: Builder, cond: Boolean, x: Compared, y: Compared) -> str:
    return b.op(OpType.WHERE, [cond, x, y], dtype=b.dtype(x))


def _cast_target(to: int) -> DType:
    """Cast's target: any element type Emberlite has (csrc/kernels/cast.c converts any pair)."""
    try:
        return DType.from_numpy(onnx.helper.tensor_dtype_to_np_dtype(to))
    except (KeyError, ValueError, TypeError):
        known = to in onnx.TensorProto.DataType.values()
        name = onnx.TensorProto.DataType.Name(to) if known else f"unknown type {to}"
        raise Unsupported(f"Cast to {name}: Emberlite has no such tensors (float32, float64, "
                          f"float16, bfloat16, float8, float4e2m1, 2- to 64-bit integers and "
                          f"bool are supported)") from None


def _cast_to(b: Builder, x: str, dtype: DType, saturate: int = 1) -> str:
    """A CAST of x to dtype; CastParams only where they matter (float8 without saturation)."""
    if dtype == b.dtype(x):
        return x
    params = CastParams(saturate=False) if not saturate and dtype.name.startswith(
        "FLOAT8") else None
    return b.op(OpType.CAST, [x], params, dtype=dtype)


def _round_mode(dtype: DType, round_mode: str) -> None:
    """round_mode (opset 24) only concerns FLOAT8E8M0 targets; CAST writes those rounded up."""
    if dtype == DType.FLOAT8E8M0 and round_mode != "up":
        raise Unsupported(f"Cast to FLOAT8E8M0 with round_mode={round_mode!r}: only 'up' "
                          f"(the default) is supported")


def cast(b: Builder, x: AnyTensor, *, to: int, saturate: int = 1,
         round_mode: str = "up") -> str:
    """Float to integer truncates toward zero (saturating where ONNX leaves it undefined);
    to a narrower float rounds to nearest even; `saturate` concerns float8 targets."""
    _round_mode(_cast_target(to), round_mode)
    return _cast_to(b, x, _cast_target(to), saturate)


def cast_like(b: Builder, x: AnyTensor, like: AnyTensor, *, saturate: int = 1,
              round_mode: str = "up") -> str:
    _round_mode(b.dtype(like), round_mode)
    return _cast_to(b, x, b.dtype(like), saturate)


def identity(b: Builder, x: Compared) -> str:
    return x


def _dropout_mask(b: Builder, x: str) -> np.ndarray:
    """Inference keeps every element: from opset 12 the mask output is all true (a constant).
    Before, ONNX Runtime gives all false and ONNX's reference all true: refused there."""
    b.reserve(b.shape(x), bool)
    return np.ones(b.shape(x), dtype=bool)


def dropout_7(b: Builder, x: Compared, *, ratio: float = 0.5) -> str:
    return x


def dropout_12(b: Builder, x: Compared, ratio: AnyTensor | None = None,
               training_mode: np.ndarray | None = None, *,
               seed: int = 0) -> list[str | np.ndarray]:
    # The ratio only matters in training mode, so it may be computed at run time.
    if training_mode is not None and bool(_scalar(training_mode, "training_mode")):
        raise Unsupported("training_mode=True is not supported (inference only)")
    return [x, _dropout_mask(b, x)]


# --- shape and data movement -----------------------------------------------------------
def shape(b: Builder, x: AnyTensor, *, start: int = 0, end: int | None = None) -> np.ndarray:
    return np.array(b.shape(x)[start:end], dtype=np.int64)


def size(b: Builder, x: AnyTensor) -> np.ndarray:
    n = math.prod(b.shape(x))
    if n > np.iinfo(np.int64).max:
        raise Invalid(f"the size of {list(b.shape(x))} does not fit in int64")
    return np.array(n, dtype=np.int64)


def _runtime_reshape(b: Builder, x: str, operand: str, which: str) -> str:
    """A Reshape, Squeeze or Unsqueeze whose shape or axes is run-time tensor `operand`: a
    RESHAPE to the declared output shape with `operand` as input OPERAND_INPUTS[which], which
    the kernel checks at invoke."""
    out = runtime_output_shape(b, operand)
    if b.dtype(operand) not in (DType.INT32, DType.INT64) or b.rank(operand) > 1:
        raise Invalid(f"{which} must be a 1-D int64 tensor, got {b.dtype(operand).name.lower()} "
                      f"of shape {list(b.shape(operand))}")
    if math.prod(out) != math.prod(b.shape(x)):
        raise Invalid(f"the declared output shape {list(out)} does not hold the "
                      f"{math.prod(b.shape(x))} elements of the input {list(b.shape(x))}")
    inputs: list[str | None] = [x, None, None, None][:OPERAND_INPUTS[which] + 1]
    inputs[OPERAND_INPUTS[which]] = operand
    return b.op(OpType.RESHAPE, inputs, ReshapeParams(), shapes=[out])


def reshape(b: Builder, x: Compared, new_shape: Operand, *, allowzero: int = 0) -> str:
    if isinstance(new_shape, str):
        if allowzero:
            raise Unsupported("allowzero=1 with a run-time shape (a 0 in it would empty the "
                              "output)")
        return _runtime_reshape(b, x, new_shape, "shape")
    old = b.shape(x)
    dims = _ints(new_shape.reshape(-1), "shape")
    if not allowzero:
        dims = [old[i] if d == 0 and i < len(old) else d for i, d in enumerate(dims)]
    if dims.count(-1) > 1 or min(dims, default=0) < -1:
        raise Invalid(f"cannot reshape {old} to {new_shape.tolist()}")
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        if known == 0 or math.prod(old) % known:
            raise Invalid(f"cannot reshape {old} to {new_shape.tolist()}")
        dims[dims.index(-1)] = math.prod(old) // known
    if math.prod(dims) != math.prod(old):
        raise Invalid(f"cannot reshape {old} to {new_shape.tolist()}")
    return b.reshape(x, tuple(dims))


def flatten(b: Builder, x: Compared, *, axis: int = 1) -> str:
    dims = b.shape(x)
    if not -len(dims) <= axis <= len(dims):
        raise Invalid(f"axis {axis} is out of range for rank {len(dims)}")
    if axis < 0:
        axis += len(dims)
    return b.reshape(x, (math.prod(dims[:axis]), math.prod(dims[axis:])))


def _squeezed(dims: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    for a in axes:
        if dims[a] != 1:
            raise Invalid(f"cannot squeeze axis {a} of shape {dims}: its size is not 1")
    return tuple(d for i, d in enumerate(dims) if i not in axes)


def squeeze_1(b: Builder, x: Compared, *, axes: list[int] | None = None) -> str:
    dims = b.shape(x)
    picked = _axes(axes, len(dims)) if axes else tuple(i for i, d in enumerate(dims) if d == 1)
    return b.reshape(x, _squeezed(dims, picked))


def squeeze_13(b: Builder, x: Compared, axes: Operand | None = None) -> str:
    if isinstance(axes, str):
        return _runtime_reshape(b, x, axes, "squeeze")
    return squeeze_1(b, x, axes=None if axes is None else _ints(axes.reshape(-1), "axes"))


def unsqueeze_1(b: Builder, x: Compared, *, axes: list[int]) -> str:
    dims = list(b.shape(x))
    for a in _axes(axes, len(dims) + len(axes)):
        dims.insert(a, 1)
    return b.reshape(x, tuple(dims))


def unsqueeze_13(b: Builder, x: Compared, axes: Operand) -> str:
    if isinstance(axes, str):
        return _runtime_reshape(b, x, axes, "unsqueeze")
    return unsqueeze_1(b, x, axes=_ints(axes.reshape(-1), "axes"))


def transpose(b: Builder, x: Compared, *, perm: list[int] | None = None) -> str:
    rank = b.rank(x)
    order = tuple(reversed(range(rank))) if perm is None else tuple(perm)
    if sorted(order) != list(range(rank)):
        raise Invalid(f"perm {list(order)} is not a permutation of {rank} axes")
    return b.transpose(x, order)


def concat(b: Builder, *inputs: Compared, axis: int) -> str:
    if len(inputs) == 1:
        return inputs[0]
    params = ConcatenationParams(axis_index(axis, b.rank(inputs[0])))
    return b.op(OpType.CONCATENATION, list(inputs), params)


def _split(b: Builder, x: str, axis: int, sizes: list[int], outputs: int) -> list[str]:
    dims = b.shape(x)
    axis = axis_index(axis, len(dims))
    if len(sizes) != outputs or sum(sizes) != dims[axis] or min(sizes) < 0:
        raise Invalid(f"split sizes {sizes} do not divide axis {axis} of {dims} "
                      f"into {outputs} outputs")
    if outputs == 1:
        return [x]
    shapes = [dims[:axis] + (s,) + dims[axis + 1:] for s in sizes]
    return b.node(OpType.SPLIT, [x], SplitParams(axis), shapes=shapes, outputs=outputs)


def _equal_split(size: int, parts: int, uneven_ok: bool) -> list[int]:
    if size % parts and not uneven_ok:
        raise Invalid(f"axis size {size} does not split into {parts} equal parts")
    chunk = -(-size // parts)
    return [min(chunk, size - i * chunk) for i in range(parts)]


def split_2(b: Builder, x: Compared, *, axis: int = 0,
            split: list[int] | None = None) -> list[str]:
    size = b.shape(x)[axis_index(axis, b.rank(x))]
    sizes = list(split) if split else _equal_split(size, b.num_outputs, False)
    return _split(b, x, axis, sizes, b.num_outputs)


def _runtime_split(b: Builder, x: str, axis: int, split: str) -> list[str]:
    """Split sizes from run-time tensor `split`: the declared outputs' sizes, which the kernel
    checks the tensor against at invoke."""
    dims = b.shape(x)
    axis = axis_index(axis, len(dims))
    if b.dtype(split) != DType.INT64 or b.rank(split) != 1:
        raise Invalid(f"split must be a 1-D int64 tensor, got {b.dtype(split).name.lower()} of "
                      f"shape {list(b.shape(split))}")
    shapes = [runtime_output_shape(b, split, i) for i in range(b.num_outputs)]
    if any(len(s) != len(dims) for s in shapes):
        raise Invalid(f"the declared output shapes {shapes} must have the input's rank")
    sizes = [s[axis] for s in shapes]
    if sum(sizes) != dims[axis]:
        raise Invalid(f"the declared outputs' sizes {sizes} do not add up to axis {axis} of "
                      f"{list(dims)}")
    return b.node(OpType.SPLIT, [x, split], SplitParams(axis),
                  shapes=[dims[:axis] + (s,) + dims[axis + 1:] for s in sizes],
                  outputs=b.num_outputs)


def split_13(b: Builder, x: Compared, split: Operand | None = None, *,
             axis: int = 0) -> list[str]:
    if isinstance(split, str):
        return _runtime_split(b, x, axis, split)
    return split_2(b, x, axis=axis, split=None if split is None else _ints(split, "split"))


def split_18(b: Builder, x: Compared, split: Operand | None = None, *, axis: int = 0,
             num_outputs: int | None = None) -> list[str]:
    if isinstance(split, str):
        return _runtime_split(b, x, axis, split)
    if split is not None:
        return _split(b, x, axis, _ints(split, "split"), b.num_outputs)
    size = b.shape(x)[axis_index(axis, b.rank(x))]
    parts = _equal_split(size, num_outputs or b.num_outputs, True)
    return _split(b, x, axis, parts, b.num_outputs)


def _slice(b: Builder, x: str, starts: list[int], ends: list[int], axes: list[int] | None,
           steps: list[int] | None) -> str:
    dims = b.shape(x)
    axes = list(range(len(starts))) if axes is None else [axis_index(a, len(dims)) for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    if len(axes) > len(dims):
        raise Invalid(f"{len(axes)} axes to slice in a rank-{len(dims)} input")
    if not len(starts) == len(ends) == len(axes) == len(steps) or len(set(axes)) != len(axes):
        raise Invalid(f"starts {starts}, ends {ends}, axes {axes}, steps {steps} do not match")
    begin, step, out = [0] * len(dims), [1] * len(dims), list(dims)
    for axis, s, e, st in zip(axes, starts, ends, steps):
        if st == 0:
            raise Invalid("slice step must not be 0")
        picked = range(*slice(s, e, st).indices(dims[axis]))
        # A step that picks one element is any step: 1 keeps it in the format's int32.
        # An empty pick reads nothing: begin 0, step 1 keep the params in range.
        begin[axis], step[axis], out[axis] = (picked.start if picked else 0,
                                              st if len(picked) > 1 else 1, len(picked))
    if tuple(out) == dims and all(st == 1 for st in step):
        return x
    return b.op(OpType.SLICE, [x], SliceParams(tuple(begin), tuple(step)), shapes=[tuple(out)])


def slice_1(b: Builder, x: Compared, *, starts: list[int], ends: list[int],
            axes: list[int] | None = None) -> str:
    return _slice(b, x, list(starts), list(ends), None if axes is None else list(axes), None)


def _runtime_slice(b: Builder, x: str, operands: list[np.ndarray | str | None]) -> str:
    """A Slice with a run-time start, end, axis or step: SLICE to the declared output shape
    with the four as inputs 1..4 (constant ones as constant tensors), which the kernel clamps
    as ONNX does and checks against the shape at invoke."""
    runtime = next(o for o in operands if isinstance(o, str))
    out = runtime_output_shape(b, runtime)
    dims = b.shape(x)
    if len(out) != len(dims) or any(o > d for o, d in zip(out, dims)):
        raise Invalid(f"the declared output shape {list(out)} is not a slice of the input's "
                      f"{list(dims)}")
    inputs: list[str | None] = [x]
    for what, value in zip(("starts", "ends", "axes", "steps"), operands):
        if isinstance(value, np.ndarray):
            value = b.const(np.asarray(_ints(value.reshape(-1), what), np.int64), name=what)
        if value is not None and (b.dtype(value) not in (DType.INT32, DType.INT64)
                                  or b.rank(value) != 1 or b.shape(value)[0] > len(dims)):
            raise Invalid(f"{what} must be a 1-D integer tensor of at most {len(dims)} "
                          f"entries, got {b.dtype(value).name.lower()} of shape "
                          f"{list(b.shape(value))}")
        inputs.append(value)
    while inputs[-1] is None:
        inputs.pop()
    zeros = (0,) * len(dims)
    return b.op(OpType.SLICE, inputs, SliceParams(zeros, (1,) * len(dims)), shapes=[out])


def slice_10(b: Builder, x: Compared, starts: Operand, ends: Operand,
             axes: Operand | None = None, steps: Operand | None = None) -> str:
    if any(isinstance(o, str) for o in (starts, ends, axes, steps)):
        return _runtime_slice(b, x, [starts, ends, axes, steps])
    return _slice(b, x, _ints(starts, "starts"), _ints(ends, "ends"),
                  None if axes is None else _ints(axes, "axes"),
                  None if steps is None else _ints(steps, "steps"))


PadModeName = Literal["constant", "reflect", "edge"]


def _pad(b: Builder, x: str, pads: list[int], mode: str, value: float,
         axes: list[int] | None = None) -> str:
    rank = b.rank(x)
    axes = list(range(rank)) if axes is None else [axis_index(a, rank) for a in axes]
    if len(pads) != 2 * len(axes):
        raise Invalid(f"pads {pads} must have 2 x {len(axes)} entries")
    full = [0] * (2 * rank)
    for i, a in enumerate(axes):
        full[a], full[rank + a] = pads[i], pads[len(axes) + i]
    if min(full) < 0:
        if mode != "constant":
            raise Unsupported(f"negative pads {pads} (cropping) with mode {mode!r}")
        # Negative pads crop: a SLICE, then the remaining (positive) padding.
        dims = b.shape(x)
        starts = [max(0, -p) for p in full[:rank]]
        ends = [d - max(0, -p) for d, p in zip(dims, full[rank:])]
        x = _slice(b, x, starts, ends, None, None)
        full = [max(0, p) for p in full]
    if not any(full):
        return x
    params = PadParams(tuple(full), PadMode[mode.upper()], float(value))
    return b.op(OpType.PAD, [x], params)


def pad_2(b: Builder, x: str, *, pads: list[int], mode: PadModeName = "constant",
          value: float = 0.0) -> str:
    return _pad(b, x, list(pads), mode, value)


def _runtime_pad(b: Builder, x: str, pads: np.ndarray | str, value: np.ndarray | str | None,
                 axes: np.ndarray | str | None, mode: str) -> str:
    """A Pad with run-time pads, constant or axes: PAD to the declared output shape with them
    as inputs 1..3 (constant ones as constant tensors), which the kernel reads at invoke."""
    runtime = next(o for o in (pads, value, axes) if isinstance(o, str))
    out = runtime_output_shape(b, runtime)
    rank = b.rank(x)
    if len(out) != rank:
        raise Invalid(f"the declared output shape {list(out)} must have the input's rank {rank}")
    inputs: list[str | None] = [x]
    for what, v in (("pads", pads), ("constant_value", value), ("axes", axes)):
        if isinstance(v, np.ndarray) and what == "constant_value":
            v = b.const(np.asarray(v, b.dtype(x).numpy).reshape(()), name=what) if v.size \
                else None
        elif isinstance(v, np.ndarray):
            v = b.const(np.asarray(_ints(v.reshape(-1), what), np.int64), name=what)
        if v is not None and what != "constant_value" and (
                b.dtype(v) not in (DType.INT32, DType.INT64) or b.rank(v) != 1):
            raise Invalid(f"{what} must be a 1-D integer tensor, got "
                          f"{b.dtype(v).name.lower()} of shape {list(b.shape(v))}")
        if v is not None and what == "constant_value" and (
                b.dtype(v) != b.dtype(x) or math.prod(b.shape(v)) != 1):
            raise Invalid(f"constant_value must be one {b.dtype(x).name.lower()}, got "
                          f"{b.dtype(v).name.lower()} of shape {list(b.shape(v))}")
        inputs.append(v)
    while inputs[-1] is None:
        inputs.pop()
    params = PadParams((0,) * (2 * rank), PadMode[mode.upper()], 0.0)
    return b.op(OpType.PAD, inputs, params, shapes=[out])


def pad_11(b: Builder, x: Compared, pads: Operand, constant_value: Operand | None = None,
           axes: Operand | None = None, *, mode: PadModeName = "constant") -> str:
    if any(isinstance(o, str) for o in (pads, constant_value, axes)):
        return _runtime_pad(b, x, pads, constant_value, axes, mode)
    if b.dtype(x) != DType.FLOAT32 and constant_value is not None and constant_value.size \
            and mode == "constant" and float(constant_value.reshape(-1)[0]) != 0:
        raise Unsupported(f"a constant_value other than 0 for a {b.dtype(x).name.lower()} "
                          f"input (float32 only)")
    value = (0.0 if constant_value is None or not constant_value.size
             else _scalar(constant_value, "constant_value"))
    return _pad(b, x, _ints(pads, "pads"), mode, value,
                None if axes is None else _ints(axes, "axes"))


def gather(b: Builder, data: Compared, indices: Indices, *, axis: int = 0) -> str:
    axis = axis_index(axis, b.rank(data))
    check_indices(b, data, indices, axis)
    return b.op(OpType.GATHER, [data, indices], GatherParams(axis))


# --- reductions and normalisation -------------------------------------------------------
def _reduce(b: Builder, x: str, op: OpType, axes: tuple[int, ...], keepdims: int) -> str:
    dims = b.shape(x)
    out = tuple(1 if i in axes else d for i, d in enumerate(dims) if keepdims or i not in axes)
    return b.op(op, [x], ReduceParams(axes), shapes=[out])


def _mean(b: Builder, x: str, axes: tuple[int, ...], keepdims: int) -> str:
    return _reduce(b, x, OpType.MEAN, axes, keepdims)


def _log_sum_exp(b: Builder, x: str, axes: tuple[int, ...], keepdims: int) -> str:
    """log(sum(exp(x - m))) + m with m the maximum: no exp overflows."""
    m = _reduce(b, x, OpType.REDUCE_MAX, axes, 1)
    s = _reduce(b, b.op(OpType.EXP, [b.op(OpType.SUB, [x, m], BinaryParams())]), OpType.SUM,
                axes, 1)
    y = b.op(OpType.ADD, [b.op(OpType.LOG, [s]), m], BinaryParams())
    return y if keepdims else b.reshape(y, [d for i, d in enumerate(b.shape(x)) if i not in axes])


def _runtime_log_sum_exp(b: Builder, x: str, axes: str, out: tuple[int, ...],
                         kept: tuple[int, ...]) -> str:
    """_log_sum_exp over run-time axes: the maximum keeps the reduced dims (shape `kept`) to
    be subtracted from x; the result takes the declared shape `out`."""
    m = b.op(OpType.REDUCE_MAX, [x, axes], ReduceParams(), shapes=[kept])
    e = b.op(OpType.EXP, [b.op(OpType.SUB, [x, m], BinaryParams())])
    s = b.op(OpType.SUM, [e, axes], ReduceParams(), shapes=[kept])
    y = b.op(OpType.ADD, [b.op(OpType.LOG, [s]), m], BinaryParams())
    return y if kept == out else b.reshape(y, out)


# ONNX reduction -> (element-wise op before it, the reducing op, element-wise op after it).
_REDUCTIONS: dict[str, tuple[OpType | None, OpType, OpType | None]] = {
    "ReduceMean": (None, OpType.MEAN, None),
    "ReduceSum": (None, OpType.SUM, None),
    "ReduceMax": (None, OpType.REDUCE_MAX, None),
    "ReduceMin": (None, OpType.REDUCE_MIN, None),
    "ReduceProd": (None, OpType.REDUCE_PROD, None),
    "ReduceL1": (OpType.ABS, OpType.SUM, None),
    "ReduceL2": (OpType.SQUARE, OpType.SUM, OpType.SQRT),
    "ReduceSumSquare": (OpType.SQUARE, OpType.SUM, None),
    "ReduceLogSum": (None, OpType.SUM, OpType.LOG),
}


def _reduction(b: Builder, x: str, kind: str, axes: tuple[int, ...] | None,
               keepdims: int) -> str:
    """`kind` over `axes`: all of them when None; none (only the element-wise parts, as
    noop_with_empty_axes asks) when empty."""
    if axes is None:
        axes = tuple(range(b.rank(x)))
    if kind == "ReduceLogSumExp":
        return _log_sum_exp(b, x, axes, keepdims) if axes else x
    before, op, after = _REDUCTIONS[kind]
    y = b.op(before, [x]) if before is not None else x
    if axes:
        y = _reduce(b, y, op, axes, keepdims)
    return b.op(after, [y]) if after is not None else y


# The reductions that also take bool data (any, all); the rest are float32 only.
_BOOL_REDUCTIONS = ("ReduceMax", "ReduceMin")


def _typed(kind: str, convert: Callable[..., str]) -> Callable[..., str]:
    """`convert` named `kind`; ReduceMax and ReduceMin declare their data `Compared` (the
    pre-scan's type check), and _check_data refuses what is neither float32 nor bool."""
    convert.__name__ = kind
    if kind in _BOOL_REDUCTIONS:
        convert.__annotations__ = {**convert.__annotations__, "x": Compared}
    return convert


# The reductions with int8 kernels, which a quantized ONNX model's QDQ groups reach with
# int8 tensors that carry their quantization (onnx_qdq.py).
_INT8_REDUCTIONS = ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin")


def _check_data(b: Builder, x: str, kind: str) -> None:
    dtype = b.dtype(x)
    if dtype == DType.INT8 and b.graph.tensors[x].quant is not None and kind in _INT8_REDUCTIONS:
        return
    if dtype != DType.FLOAT32 and not (dtype == DType.BOOL and kind in _BOOL_REDUCTIONS):
        raise Unsupported(f"input 0 has type {dtype.name.lower()}; {kind} takes float32"
                          f"{' or bool' if kind in _BOOL_REDUCTIONS else ''}")


def _reduction_attr(kind: str) -> Callable[..., str]:
    """The opsets that give the axes as an attribute."""
    def convert(b: Builder, x: str, *, axes: list[int] | None = None, keepdims: int = 1) -> str:
        _check_data(b, x, kind)
        return _reduction(b, x, kind, _axes(axes, b.rank(x)) if axes else None, keepdims)
    return _typed(kind, convert)


def _kept_shape(b: Builder, x: str, out: tuple[int, ...], count: int,
                keepdims: int) -> tuple[int, ...]:
    """The shape of x reduced over `count` run-time axes with the reduced dims kept, given the
    declared output `out`; refused when the declared shape leaves it open (a dropped dim of the
    size of a kept one)."""
    dims = b.shape(x)
    if keepdims:
        if len(out) != len(dims):
            raise Invalid(f"declared output {list(out)} does not keep the rank of input "
                          f"{list(dims)} (keepdims=1)")
        return out
    kept = {tuple(1 if i in c else d for i, d in enumerate(dims))
            for c in itertools.combinations(range(len(dims)), count)
            if tuple(d for i, d in enumerate(dims) if i not in c) == out}
    if len(kept) != 1:
        raise Unsupported(f"the declared output {list(out)} does not say which {count} axes "
                          f"of {list(dims)} the run-time axes reduce")
    return kept.pop()


def _runtime_reduction(b: Builder, x: str, axes: str, kind: str, keepdims: int,
                       noop_with_empty_axes: int) -> str:
    """`kind` over axes read at run time: the kernel reads them at every invoke and checks that
    they give the output shape ONNX shape inference (or the model) declares, which must be
    known. An empty axes tensor is known at conversion: all axes, or none with
    noop_with_empty_axes."""
    shape = b.shape(axes)
    if len(shape) != 1:
        raise Invalid(f"axes must be a 1-D tensor, got shape {list(shape)}")
    if shape[0] == 0:
        return _reduction(b, x, kind, () if noop_with_empty_axes else None, keepdims)
    if shape[0] > b.rank(x):
        raise Invalid(f"{shape[0]} axes given for a rank-{b.rank(x)} input")
    out = b.declared[0] if b.declared else None
    if out is None:
        raise Unsupported("the axes are computed at run time and the output shape is not "
                          "known at conversion (ONNX shape inference gives none, the model "
                          "declares none): make the axes a constant or declare the output")
    if not keepdims and len(out) != b.rank(x) - shape[0]:
        raise Invalid(f"declared output {list(out)} is not input {list(b.shape(x))} less "
                      f"{shape[0]} axes (keepdims=0)")
    if kind == "ReduceLogSumExp":
        return _runtime_log_sum_exp(b, x, axes, out, _kept_shape(b, x, out, shape[0], keepdims))
    before, op, after = _REDUCTIONS[kind]
    y = b.op(before, [x]) if before is not None else x
    y = b.op(op, [y, axes], ReduceParams(), shapes=[out])
    return b.op(after, [y]) if after is not None else y


def _reduction_input(kind: str) -> Callable[..., str]:
    """The opsets that give the axes as an input (ReduceSum from 13, the rest 18): constant,
    or read at run time where the output shape is known."""
    def convert(b: Builder, x: str, axes: Operand | None = None, *, keepdims: int = 1,
                noop_with_empty_axes: int = 0) -> str:
        _check_data(b, x, kind)
        if isinstance(axes, str):
            return _runtime_reduction(b, x, axes, kind, keepdims, noop_with_empty_axes)
        if axes is None or axes.size == 0:
            return _reduction(b, x, kind, () if noop_with_empty_axes else None, keepdims)
        return _reduction(b, x, kind, _axes(_ints(axes, "axes"), b.rank(x)), keepdims)
    return _typed(kind, convert)


def global_average_pool(b: Builder, x: str) -> str:
    check_rank(b, x, (4,), "input X (NCHW)")
    return _mean(b, x, (2, 3), 1)


def global_max_pool(b: Builder, x: str) -> str:
    check_rank(b, x, (4,), "input X (NCHW)")
    _, _, h, w = b.shape(x)
    y = b.op(OpType.MAX_POOL2D, [b.transpose(x, TO_NHWC)], Pool2DParams(h, w))
    return b.transpose(y, TO_NCHW)


def _softmax(b: Builder, x: str, axis: int, op: OpType = OpType.SOFTMAX) -> str:
    return b.op(op, [x], SoftmaxParams(axis_index(axis, b.rank(x))))


def _softmax_1(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, x: str, *, axis: int = 1) -> str:
        # Before opset 13 softmax ran over all dims from `axis` on, as one flattened row.
        dims = b.shape(x)
        axis = axis_index(axis, len(dims))
        if axis == len(dims) - 1:
            return _softmax(b, x, axis, op)
        rows = b.reshape(x, (math.prod(dims[:axis]), math.prod(dims[axis:])))
        return b.reshape(_softmax(b, rows, 1, op), dims)
    convert.__name__ = f"{op.name.lower()}_1"
    return convert


def _softmax_13(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, x: str, *, axis: int = -1) -> str:
        return _softmax(b, x, axis, op)
    convert.__name__ = f"{op.name.lower()}_13"
    return convert


# A plain name covers every opset Emberlite reads (7 on); ("Op", n) starts at opset n.
ONNX_OPS: dict[str | tuple[str, int], Callable[..., object]] = {
    "Add": _binary(OpType.ADD),
    "Sub": _binary(OpType.SUB),
    "Mul": _binary(OpType.MUL),
    "Div": _binary(OpType.DIV),
    "Relu": _unary(OpType.RELU),
    "Sigmoid": _unary(OpType.SIGMOID),
    "Tanh": _unary(OpType.TANH),
    "HardSwish": _unary(OpType.HARD_SWISH),
    "LeakyRelu": leaky_relu,
    "HardSigmoid": hard_sigmoid,
    "Identity": identity,
    "Dropout": dropout_7,
    ("Dropout", 12): dropout_12,
    "Shape": shape,
    "Size": size,
    "Reshape": reshape,
    "Flatten": flatten,
    "Squeeze": squeeze_1,
    ("Squeeze", 13): squeeze_13,
    "Unsqueeze": unsqueeze_1,
    ("Unsqueeze", 13): unsqueeze_13,
    "Transpose": transpose,
    "Concat": concat,
    "Split": split_2,
    ("Split", 13): split_13,
    ("Split", 18): split_18,
    "Slice": slice_1,
    ("Slice", 10): slice_10,
    "Pad": pad_2,
    ("Pad", 11): pad_11,
    "Gather": gather,
    **{kind: _reduction_attr(kind) for kind in (*_REDUCTIONS, "ReduceLogSumExp")},
    **{(kind, 13 if kind == "ReduceSum" else 18): _reduction_input(kind)
       for kind in (*_REDUCTIONS, "ReduceLogSumExp")},
    "GlobalAveragePool": global_average_pool,
    "GlobalMaxPool": global_max_pool,
    "Softmax": _softmax_1(OpType.SOFTMAX),
    ("Softmax", 13): _softmax_13(OpType.SOFTMAX),
    "LogSoftmax": _softmax_1(OpType.LOG_SOFTMAX),
    ("LogSoftmax", 13): _softmax_13(OpType.LOG_SOFTMAX),
    "Conv": conv,
    "ConvTranspose": conv_transpose,
    "Gemm": gemm,
    "MatMul": matmul,
    "MaxPool": pool_max,
    "AveragePool": pool_average,
    ("LpPool", 11): lp_pool,
    "GlobalLpPool": global_lp_pool,
    "Abs": _unary_numeric(OpType.ABS),
    "Neg": _unary_numeric(OpType.NEG),
    "Sqrt": _unary(OpType.SQRT),
    "Exp": _unary(OpType.EXP),
    "Log": _unary(OpType.LOG),
    "Floor": _unary(OpType.FLOOR),
    "Ceil": _unary(OpType.CEIL),
    "Round": _unary(OpType.ROUND),
    "Sign": _unary_numeric(OpType.SIGN),
    "Sin": _unary(OpType.SIN),
    "Cos": _unary(OpType.COS),
    "Reciprocal": _unary(OpType.RECIPROCAL),
    "Erf": _unary(OpType.ERF),
    "Softplus": _unary(OpType.SOFTPLUS),
    "Mish": _unary(OpType.MISH),
    "Elu": elu,
    "Selu": selu,
    ("Gelu", 20): gelu,
    "Pow": pow_,
    "Equal": _compare(OpType.EQUAL),
    "Less": _compare(OpType.LESS),
    "LessOrEqual": _compare(OpType.LESS_EQUAL),
    "Greater": _compare(OpType.GREATER),
    "GreaterOrEqual": _compare(OpType.GREATER_EQUAL),
    "Not": logical_not,
    "And": _logical(OpType.LOGICAL_AND),
    "Or": _logical(OpType.LOGICAL_OR),
    "Xor": _logical(OpType.LOGICAL_XOR),
    "Where": where,
    "Cast": cast,
    "CastLike": cast_like,
    **BITWISE_OPS,
    **COMPOSED_OPS,
    **EXTRA_OPS,
    **INDEX_OPS,
    **RESIZE_OPS,
    **QDQ_OPS,
    **RECURRENT_OPS,
    **SPECTRAL_OPS,
    **SELECT_OPS,
    **WINDOW_OPS,
}
