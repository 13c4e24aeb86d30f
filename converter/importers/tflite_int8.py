"""int8 operators of a .tflite file: which ones have an Emberlite int8 kernel, what each needs
of its tensors, and how the file's quantization parameters land on the IR tensors.

TFLite's full-integer models use int8 activations with one scale and zero point per tensor,
int8 weights with zero points 0 (per channel along `quantized_dimension`, or per tensor) and
int32 biases. The parameters are copied as the file stores them, never recomputed, so the
kernels derive the same fixed-point multipliers as LiteRT does.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

from ..errors import ModelImportError
from ..ir import DType, Graph, Node, QuantParams
from .tflite_int16 import int16_problems, is_int16_op

__all__ = ["INT8_OPS", "NO_KERNEL", "is_quantized_op", "int8_problems", "read_quant",
           "assign_quant", "type_name"]

_TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}

NO_KERNEL = "no int8 kernel yet"

# Ops that only move int8 values: the kernels need the output quantized like the inputs.
# MAXIMUM and MINIMUM compare stored values, so they need it too.
_MOVES = {Op.RESHAPE, Op.SQUEEZE, Op.EXPAND_DIMS, Op.TRANSPOSE, Op.CONCATENATION, Op.SLICE,
          Op.STRIDED_SLICE, Op.SPLIT, Op.SPLIT_V, Op.GATHER, Op.PAD, Op.PADV2, Op.PACK,
          Op.UNPACK, Op.MAXIMUM, Op.MINIMUM}
# Element-wise activations; LOGISTIC and TANH get a lookup table built at import, the RELUs
# and LEAKY_RELU requantize (RELU_N1_TO_1 becomes a CLAMP -1..1).
_ACTIVATION_OPS = {Op.LOGISTIC, Op.TANH, Op.HARD_SWISH, Op.LEAKY_RELU, Op.RELU, Op.RELU6,
                   Op.RELU_N1_TO_1}
# Ops that compute on the stored values without requantizing: the same need.
_SAME_QUANT = _MOVES | {Op.RESIZE_BILINEAR, Op.RESIZE_NEAREST_NEIGHBOR, Op.MAX_POOL_2D,
                        Op.AVERAGE_POOL_2D}
# Ops whose outputs are plain integers, not int8 activations: ARG_MAX/ARG_MIN indices.
_INDEX_OUTPUTS = {Op.ARG_MAX, Op.ARG_MIN}
INT8_OPS = ({Op.CONV_2D, Op.DEPTHWISE_CONV_2D, Op.FULLY_CONNECTED, Op.ADD, Op.MEAN, Op.SUB,
             Op.MUL, Op.DIV, Op.BATCH_MATMUL, Op.TRANSPOSE_CONV, Op.SOFTMAX, Op.LOG_SOFTMAX,
             Op.PRELU, Op.SUM, Op.L2_NORMALIZATION}
            | _SAME_QUANT | _ACTIVATION_OPS | _INDEX_OUTPUTS)
# Input positions of constant int8 weights and int32 biases.
_WEIGHTS = {Op.CONV_2D: 1, Op.DEPTHWISE_CONV_2D: 1, Op.FULLY_CONNECTED: 1, Op.TRANSPOSE_CONV: 1}
_BIAS = {Op.CONV_2D: 2, Op.DEPTHWISE_CONV_2D: 2, Op.FULLY_CONNECTED: 2, Op.TRANSPOSE_CONV: 3}
# The run-time data input of a weighted op, where it is not input 0.
_DATA_INPUT = {Op.TRANSPOSE_CONV: 2}
_INT8_ACTIVATIONS = {Act.NONE, Act.RELU, Act.RELU6, Act.RELU_N1_TO_1}


def is_quantized_op(model: Any, op: Any) -> bool:
    """Whether `op` reads or writes an int8 or uint8 tensor, or a quantized int16 one (so it
    needs an integer kernel)."""
    return is_int16_op(model, op) or any(
        model.tensors[t].type in (TensorType.INT8, TensorType.UINT8)
        for t in [*op.inputs, *op.outputs] if t >= 0)


def int8_problems(model: Any, op: Any, spec: Any, constant: set[int]) -> list[str]:
    """Why the quantized operator `op` cannot be mapped onto the int8 kernels ([] if it can).
    `spec` is its TFLITE_OPS entry, or None."""
    tensors = [model.tensors[t] for t in [*op.inputs, *op.outputs] if t >= 0]
    if any(t.type == TensorType.UINT8 for t in tensors) and _requantization(model, op) not in \
            _UINT8_EDGES:
        return ["uint8 tensors are supported only in a QUANTIZE to or from int8 (as at the "
                "uint8 inputs and outputs of a full-integer model); everything else needs int8"]
    if is_int16_op(model, op):
        return int16_problems(model, op, spec, constant, _activation_problems)
    if op.code in (Op.QUANTIZE, Op.DEQUANTIZE) and spec is not None:
        return _conversion_problems(model, op, constant)
    if op.code == Op.CAST and spec is not None:
        return _cast_problems(model, op, constant)
    if op.code not in INT8_OPS or spec is None:
        return [NO_KERNEL]
    get_act = getattr(op.options, "FusedActivationFunction", None)
    if get_act is not None and get_act() not in _INT8_ACTIVATIONS:
        return [f"fused activation {get_act()} has {NO_KERNEL}"]
    if len(op.inputs) < spec.min_inputs:
        return [f"{len(op.inputs)} inputs given, at least {spec.min_inputs} needed"]
    reasons = []
    activations = []
    for pos, t in enumerate(op.inputs):
        if t < 0:
            continue
        tensor = model.tensors[t]
        what = f"input {pos} ({tensor.name!r})"
        if pos == _WEIGHTS.get(op.code):
            reasons.extend(_weight_problems(tensor, what, t in constant, TensorType.INT8))
        elif pos == _BIAS.get(op.code):
            reasons.extend(_weight_problems(tensor, what, t in constant, TensorType.INT32))
        elif pos in spec.const_inputs and t not in constant:
            reasons.append(f"{what} must be a constant")
        elif pos in spec.index_inputs:
            if tensor.type not in (TensorType.INT32, TensorType.INT64):
                reasons.append(f"{what} must be int32 or int64 indices")
        elif pos not in spec.const_inputs:
            reasons.extend(_activation_problems(tensor, what))
            activations.append(tensor)
    outputs = [model.tensors[t] for t in op.outputs]
    for tensor in outputs:
        if op.code in _INDEX_OUTPUTS:
            if tensor.type not in (TensorType.INT32, TensorType.INT64):
                reasons.append(f"output {tensor.name!r} must be int32 or int64 indices")
            continue
        reasons.extend(_activation_problems(tensor, f"output {tensor.name!r}"))
    if reasons:
        return reasons
    if op.code in _BIAS and len(op.inputs) > _BIAS[op.code] and op.inputs[_BIAS[op.code]] >= 0:
        reasons.extend(_bias_scale_problems(model, op))
    if op.code in _SAME_QUANT and activations and any(
            _quant_key(t) != _quant_key(activations[0]) for t in activations[1:] + outputs):
        reasons.append(f"inputs and outputs are quantized differently; {NO_KERNEL} "
                       f"that requantizes")
    if op.code == Op.SOFTMAX:
        reasons.extend(_softmax_problems(op, activations[0], outputs[0]))
    if op.code == Op.LOG_SOFTMAX:
        reasons.extend(_log_softmax_problems(activations[0], outputs[0]))
    if op.code == Op.DIV:
        reasons.extend(_div_problems(*activations, outputs[0]))
    if not reasons and spec.check is not None:
        reason = spec.check(op.options, model.tensors, op)
        if reason:
            reasons.append(reason)
    return reasons


def _softmax_problems(op: Any, tensor: Any, output: Any) -> list[str]:
    """LiteRT's int8 SOFTMAX rules (the kernel checks the same): the output is quantized with
    scale 1/256 (within 0.1%) and zero point -128, and beta x input scale x 2^26 > 1."""
    reasons = []
    want = np.float32(1 / 256)
    if output.quant.zero_point[0] != -128 or \
            abs(np.float32(output.quant.scale[0]) - want) > np.float32(0.001) * want:
        reasons.append(f"int8 output must have scale 1/256 and zero point -128, got "
                       f"{output.quant.scale[0]} and {output.quant.zero_point[0]}")
    beta = float(np.float32(op.options.Beta())) if op.options is not None else 1.0
    if not beta * tensor.quant.scale[0] * 2.0**26 > 1.0:
        reasons.append(f"int8 needs beta x input scale > 2^-26, got beta {beta} and scale "
                       f"{tensor.quant.scale[0]}")
    return reasons


def _log_softmax_problems(tensor: Any, output: Any) -> list[str]:
    """LiteRT's int8 LOG_SOFTMAX rules (the kernel checks the same): the output is quantized
    with scale exactly 16/256 and zero point 127, and input scale x 2^26 > 1 (beta is 1)."""
    reasons = []
    if output.quant.zero_point[0] != 127 or np.float32(output.quant.scale[0]) != 16 / 256:
        reasons.append(f"int8 output must have scale 16/256 and zero point 127, got "
                       f"{output.quant.scale[0]} and {output.quant.zero_point[0]}")
    if not tensor.quant.scale[0] * 2.0**26 > 1.0:
        reasons.append(f"int8 needs an input scale > 2^-26, got {tensor.quant.scale[0]}")
    return reasons


def _div_problems(a: Any, b: Any, output: Any) -> list[str]:
    """int8 DIV requantizes by f32(s_a / f32(s_b x s_out)); outside [2^-26, 2^23) LiteRT's
    shifts are undefined, so the kernel refuses it (it checks the exact bound)."""
    f32 = np.float32
    ratio = f32(a.quant.scale[0]) / (f32(b.quant.scale[0]) * f32(output.quant.scale[0]))
    if not 2.0**-26 <= ratio < 2.0**23:
        return [f"int8 needs input 0 scale / (input 1 scale x output scale) in "
                f"[2^-26, 2^23), got {ratio}"]
    return []


# QUANTIZE between uint8 and int8: TFLite's uint8 model inputs and outputs.
_UINT8_EDGES = {(TensorType.UINT8, TensorType.INT8), (TensorType.INT8, TensorType.UINT8)}
_REQUANTIZATIONS = _UINT8_EDGES | {(TensorType.INT8, TensorType.INT8)}


def _requantization(model: Any, op: Any) -> tuple[int, int] | None:
    """(input type, output type) of a one-input, one-output QUANTIZE; None for other ops."""
    if op.code != Op.QUANTIZE or len(op.inputs) != 1 or len(op.outputs) != 1 or \
            op.inputs[0] < 0:
        return None
    return model.tensors[op.inputs[0]].type, model.tensors[op.outputs[0]].type


def _conversion_problems(model: Any, op: Any, constant: set[int]) -> list[str]:
    """QUANTIZE float32 -> int8 or int8 -> int8, uint8 -> int8, int8 -> uint8
    (requantization) and DEQUANTIZE int8 -> float32 map onto Emberlite's ops of the same
    names; dequantized constants and other type pairs have no kernel."""
    if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] < 0:
        return [f"expected 1 input and 1 output, got {len(op.inputs)} and {len(op.outputs)}"]
    src, dst = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    float_side, int8_side = (src, dst) if op.code == Op.QUANTIZE else (dst, src)
    requantize = _requantization(model, op) in _REQUANTIZATIONS
    if float_side.type != TensorType.FLOAT32 and not requantize:
        return [f"{type_name(src.type)} -> {type_name(dst.type)} has {NO_KERNEL} (only "
                f"float32 <-> int8, int8 -> int8 and uint8 <-> int8 conversions do)"]
    if op.inputs[0] in constant:
        return ["a constant input is not supported (only run-time activations)"]
    sides = [src, dst] if requantize else [int8_side]
    return [r for t in sides for r in (
        _uint8_problems(t) if t.type == TensorType.UINT8 else
        _activation_problems(t, f"int8 tensor {t.name!r}"))]


def _uint8_problems(tensor: Any) -> list[str]:
    if tensor.quant is None or len(tensor.quant.scale) != 1:
        return [f"uint8 tensor {tensor.name!r} must have one scale and zero point"]
    return []


def _bias_scale_problems(model: Any, op: Any) -> list[str]:
    """An int32 bias is scaled by input scale x weight scale of its channel (zero point 0);
    LiteRT refuses more than 1e-6 relative difference, and so do Emberlite's kernels."""
    data = model.tensors[op.inputs[_DATA_INPUT.get(op.code, 0)]].quant
    weights = model.tensors[op.inputs[_WEIGHTS[op.code]]].quant
    bias = model.tensors[op.inputs[_BIAS[op.code]]]
    if bias.quant is None:
        return []
    w_scales, b_scales = weights.scale, bias.quant.scale
    if len(b_scales) > 1 and len(w_scales) not in (1, len(b_scales)):
        return [f"bias {bias.name!r} has {len(b_scales)} scales for {len(w_scales)} weight "
                f"scales"]
    pairs = ([(b_scales[0], w) for w in w_scales] if len(b_scales) == 1 else
             [(b, w_scales[c if len(w_scales) > 1 else 0]) for c, b in enumerate(b_scales)])
    for c, (got, w) in enumerate(pairs):
        want = data.scale[0] * w
        if abs(got - want) > 1e-6 * min(got, want):
            return [f"bias {bias.name!r} channel {c} has scale {got:.9g}, but input x weight "
                    f"scale is {want:.9g}"]
    return []


def _quant_key(tensor: Any) -> tuple:
    """What the int8 kernels compare (one scale and zero point; the axis of a per-tensor
    quantization does not matter)."""
    q = tensor.quant
    return (q.scale, q.zero_point) if q is not None else ()


_CAST_TYPES = (TensorType.FLOAT32, TensorType.INT32, TensorType.INT64)


def _cast_problems(model: Any, op: Any, constant: set[int]) -> list[str]:
    """CAST to or from int8 converts the stored integers (LiteRT ignores the quantization),
    between int8 and float32, int32 or int64."""
    if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] < 0:
        return [f"expected 1 input and 1 output, got {len(op.inputs)} and {len(op.outputs)}"]
    src, dst = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    if op.inputs[0] in constant:
        return []  # folded at import
    other = dst if src.type == TensorType.INT8 else src
    if other.type not in _CAST_TYPES + (TensorType.INT8,):
        return [f"{type_name(src.type)} -> {type_name(dst.type)} has {NO_KERNEL}"]
    return []


def _activation_problems(tensor: Any, what: str) -> list[str]:
    if tensor.type != TensorType.INT8:
        return [f"{what} is {type_name(tensor.type)} in an int8 op; mixed float and int8 "
                f"ops have {NO_KERNEL}"]
    if tensor.quant is None or len(tensor.quant.scale) != 1:
        return [f"{what} must be int8 with one scale and zero point"]
    return []


def _weight_problems(tensor: Any, what: str, is_constant: bool, dtype: int) -> list[str]:
    if not is_constant or tensor.type != dtype:
        return [f"{what} must be a constant {type_name(dtype)} tensor"]
    if tensor.quant is None:
        return [f"{what} has no quantization parameters"]
    if any(zp != 0 for zp in tensor.quant.zero_point):
        return [f"{what} must have zero points 0"]
    return []


def type_name(t: int) -> str:
    return _TYPE_NAMES.get(t, f"type {t}")


# Zero points an integer tensor's type can hold.
_ZERO_POINT_RANGE = {TensorType.INT8: (-128, 127), TensorType.UINT8: (0, 255),
                     TensorType.INT16: (-32768, 32767), TensorType.INT32: (-2**31, 2**31 - 1),
                     TensorType.INT64: (-2**31, 2**31 - 1)}


def read_quant(q: Any, name: str, shape: tuple[int, ...],
               tensor_type: int) -> QuantParams | None:
    """The QuantizationParameters table `q` of tensor `name` as QuantParams (float32 scales,
    as the file stores them), or None when it holds no scale. An integer tensor's scales must
    be finite and positive, and its zero points fit its type."""
    if q is None or q.ScaleLength() == 0:
        return None
    scales = tuple(float(s) for s in np.asarray(q.ScaleAsNumpy(), dtype=np.float32))
    n_zp = q.ZeroPointLength()
    zero_points = tuple(int(z) for z in q.ZeroPointAsNumpy()) if n_zp else (0,) * len(scales)
    if len(zero_points) != len(scales):
        raise ModelImportError(f"tensor {name!r} has {len(scales)} scales but "
                               f"{len(zero_points)} zero points")
    if tensor_type in _ZERO_POINT_RANGE:
        lo, hi = _ZERO_POINT_RANGE[tensor_type]
        for i, (scale, zp) in enumerate(zip(scales, zero_points)):
            if not (math.isfinite(scale) and scale > 0):
                raise ModelImportError(f"tensor {name!r}: quantization scale {i} is {scale}, "
                                       f"must be finite and > 0")
            if not lo <= zp <= hi:
                raise ModelImportError(f"tensor {name!r}: zero point {i} is {zp}, outside "
                                       f"[{lo}, {hi}] of its {type_name(tensor_type)} type")
    axis = int(q.QuantizedDimension())
    if len(scales) > 1 and not (0 <= axis < len(shape) and shape[axis] == len(scales)):
        raise ModelImportError(f"tensor {name!r} of shape {shape} has {len(scales)} scales "
                               f"along dimension {axis}")
    return QuantParams(scales, zero_points, axis)


def assign_quant(graph: Graph, nodes: list[Node], results: list[Any],
                 quants: list[QuantParams | None]) -> None:
    """Gives the IR tensors an int8 or int16 operator produced their quantization: the file's
    for the operator's outputs, the input's for the data-movement nodes emitted on the way (the
    flattening RESHAPE before a FULLY_CONNECTED, the SLICE before a squeezing RESHAPE)."""
    for value, quant in zip(results, quants):
        if isinstance(value, str):
            graph.tensors[value].quant = quant
    for node in nodes:
        for name in node.outputs:
            tensor = graph.tensors[name]
            if tensor.dtype in (DType.INT8, DType.INT16) and tensor.quant is None:
                tensor.quant = graph.tensors[node.inputs[0]].quant
