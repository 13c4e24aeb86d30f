"""Quantized operators of a .tflite file: which ones have an Emberlite int8 or int16 (16x8)
kernel, what each needs of its tensors, and how the file's quantization parameters land on
the IR tensors.

TFLite's full-integer models use int8 activations with one scale and zero point per tensor,
int8 weights with zero points 0 (per channel along `quantized_dimension`, or per tensor) and
int32 biases. 16x8 models (TensorFlow's EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)
have int16 activations quantized symmetrically (one scale, zero point 0), int8 weights and
int64 biases; LiteRT ignores int64 bias scales, and so do the kernels (TensorFlow shares one
zero bias between layers of different scales). The parameters are copied as the file stores
them, never recomputed, so the kernels derive the same fixed-point multipliers as LiteRT does.

Which TFLite operators have a kernel, which only move stored values, where their weights and
bias sit: derived from the ops' facts (converter/ops/<op>.py, OpFacts). One walker checks an
operator against a Scheme (int8 or 16x8); the checks of single ops (SOFTMAX, LOG_SOFTMAX, DIV,
the 16x8 conv shift, the power-of-two int16 ADD, the int32 bias scale) follow, named by op.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

from ..errors import ModelImportError
from ..ir import DType, Graph, Node, QuantParams
from ..ops import OPS, OpFacts, QuantRule

__all__ = ["INT8_OPS", "INT16_OPS", "NO_KERNEL", "assign_quant", "int8_problems",
           "is_int16_op", "is_quantized_op", "read_quant", "type_name"]

_TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}


def type_name(t: int) -> str:
    return _TYPE_NAMES.get(t, f"type {t}")


def _int16_type_name(t: int) -> str:
    # The 16x8 messages have always named an unknown type by its bare number.
    return _TYPE_NAMES.get(t, str(t))


# --- the op tables, derived from the ops' facts -------------------------------------------

def _codes(kind: str, pick: Callable[[OpFacts, QuantRule], bool]) -> dict[int, OpFacts]:
    """The TFLite operators (by code) that produce an op with a `kind` kernel ("int8" or
    "int16") for which `pick(facts, rule)` holds, with that op's facts."""
    return {getattr(Op, name): facts for facts in OPS.values()
            for rule in [getattr(facts, kind)] if rule is not None and pick(facts, rule)
            for name in facts.tflite}


def _inputs(ops: dict[int, OpFacts], ir_input: Callable[[OpFacts], int]) -> dict[int, int]:
    """TFLite's position of one IR input (weights, bias, data) of each operator in `ops`."""
    return {code: f.tflite_input(ir_input(f)) for code, f in ops.items()}


@dataclass(frozen=True)
class Scheme:
    """What one quantized form (int8, or 16x8) asks of an operator's tensors."""
    no_kernel: str                       # the reason given where no kernel exists
    ops: dict[int, OpFacts]              # operators with a kernel
    same_quant: set[int]                 # operators whose inputs and outputs share params
    index_outputs: set[int]              # operators whose outputs are int32/int64 indices
    weights: dict[int, int]              # TFLite input of the constant int8 weights
    bias: dict[int, int]                 # TFLite input of the bias
    data: dict[int, int]                 # TFLite input of the run-time data
    bias_type: int
    activation: Callable[[Any, str], list[str]]                  # (tensor, what) -> reasons
    constant: Callable[[Any, str, bool, int], list[str]]         # weights and bias
    # (what, is it constant) -> why an input TFLITE_OPS wants constant is refused, or ""
    const_input: Callable[[str, bool], str]
    op_checks: Callable[[Any, Any, list, list], list[str]]       # op-specific rules
    check_bias_scale: bool


def _scheme(kind: str, **checks: Any) -> Scheme:
    """The Scheme of `kind` ("int8" or "int16"): its op tables from the ops' facts, its
    messages and tensor checks from `checks`."""
    weighted = _codes(kind, lambda f, rule: rule.weights)
    return Scheme(ops=_codes(kind, lambda f, rule: True),
                  same_quant=set(_codes(kind, lambda f, rule: bool(rule.shared))),
                  index_outputs=set(_codes(kind, lambda f, rule: f.index_outputs)),
                  weights=_inputs(weighted, lambda f: f.weights),
                  bias=_inputs(weighted, lambda f: f.bias),
                  data=_inputs(weighted, lambda f: 0), **checks)


_INT8_ACTIVATIONS = {Act.NONE, Act.RELU, Act.RELU6, Act.RELU_N1_TO_1}
_INDEX_TENSOR_TYPES = (TensorType.INT32, TensorType.INT64)


def _walk(s: Scheme, model: Any, op: Any, spec: Any, constant: set[int]) -> list[str]:
    """Why `op` cannot be mapped onto the kernels of scheme `s` ([] if it can). `spec` is its
    TFLITE_OPS entry, or None."""
    if op.code not in s.ops or spec is None:
        return [s.no_kernel]
    get_act = getattr(op.options, "FusedActivationFunction", None)
    if get_act is not None and get_act() not in _INT8_ACTIVATIONS:
        return [f"fused activation {get_act()} has {s.no_kernel}"]
    if len(op.inputs) < spec.min_inputs:
        return [f"{len(op.inputs)} inputs given, at least {spec.min_inputs} needed"]
    reasons: list[str] = []
    activations = []
    for pos, t in enumerate(op.inputs):
        if t < 0:
            continue
        tensor = model.tensors[t]
        what = f"input {pos} ({tensor.name!r})"
        if pos == s.weights.get(op.code):
            reasons.extend(s.constant(tensor, what, t in constant, TensorType.INT8))
        elif pos == s.bias.get(op.code):
            reasons.extend(s.constant(tensor, what, t in constant, s.bias_type))
        elif pos in spec.index_inputs:
            if tensor.type not in _INDEX_TENSOR_TYPES:
                reasons.append(f"{what} must be int32 or int64 indices")
        elif pos in spec.const_inputs:
            reason = s.const_input(what, t in constant)
            if reason:
                reasons.append(reason)
        else:
            reasons.extend(s.activation(tensor, what))
            activations.append(tensor)
    outputs = [model.tensors[t] for t in op.outputs]
    for tensor in outputs:
        if op.code in s.index_outputs:
            if tensor.type not in _INDEX_TENSOR_TYPES:
                reasons.append(f"output {tensor.name!r} must be int32 or int64 indices")
            continue
        reasons.extend(s.activation(tensor, f"output {tensor.name!r}"))
    if reasons:
        return reasons
    bias = s.bias.get(op.code)
    if s.check_bias_scale and bias is not None and len(op.inputs) > bias and \
            op.inputs[bias] >= 0:
        reasons.extend(_bias_scale_problems(s, model, op))
    if op.code in s.same_quant and activations and any(
            _quant_key(t) != _quant_key(activations[0]) for t in activations[1:] + outputs):
        reasons.append(f"inputs and outputs are quantized differently; {s.no_kernel} "
                       f"that requantizes")
    reasons.extend(s.op_checks(model, op, activations, outputs))
    if not reasons and spec.check is not None:
        reason = spec.check(op.options, model.tensors, op)
        if reason:
            reasons.append(reason)
    return reasons


def _bias_scale_problems(s: Scheme, model: Any, op: Any) -> list[str]:
    """An int32 bias is scaled by input scale x weight scale of its channel (zero point 0);
    LiteRT refuses more than 1e-6 relative difference, and so do Emberlite's kernels."""
    data = model.tensors[op.inputs[s.data[op.code]]].quant
    weights = model.tensors[op.inputs[s.weights[op.code]]].quant
    bias = model.tensors[op.inputs[s.bias[op.code]]]
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
    """What the kernels compare (one scale and zero point; the axis of a per-tensor
    quantization does not matter)."""
    q = tensor.quant
    return (q.scale, q.zero_point) if q is not None else ()


# --- int8 ---------------------------------------------------------------------------------

NO_KERNEL = "no int8 kernel yet"


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


def _int8_op_checks(model: Any, op: Any, activations: list, outputs: list) -> list[str]:
    if op.code == Op.SOFTMAX:
        return _softmax_problems(op, activations[0], outputs[0])
    if op.code == Op.LOG_SOFTMAX:
        return _log_softmax_problems(activations[0], outputs[0])
    if op.code == Op.DIV:
        return _div_problems(*activations, outputs[0])
    return []


INT8 = _scheme(
    "int8", no_kernel=NO_KERNEL, bias_type=TensorType.INT32,
    activation=_activation_problems, constant=_weight_problems,
    const_input=lambda what, is_constant: "" if is_constant else f"{what} must be a constant",
    op_checks=_int8_op_checks, check_bias_scale=True)
INT8_OPS = set(INT8.ops)


# --- 16x8 ---------------------------------------------------------------------------------

NO_KERNEL_16 = "no int16 (16x8) kernel yet"
_CONVERSION_TYPES = {TensorType.FLOAT32, TensorType.INT8, TensorType.INT16}
# The int16 conv kernels shift the requantized accumulator left by at most 14 bits
# (ember_channel_multipliers_i16 in csrc/kernels/quant.c).
_MAX_SHIFT = {Op.CONV_2D: 14, Op.DEPTHWISE_CONV_2D: 14}


def is_int16_op(model: Any, op: Any) -> bool:
    """Whether `op` reads or writes a quantized int16 tensor."""
    return any(model.tensors[t].type == TensorType.INT16 and model.tensors[t].quant is not None
               for t in [*op.inputs, *op.outputs] if t >= 0)


def _int16_activation_problems(tensor: Any, what: str) -> list[str]:
    if tensor.type != TensorType.INT16:
        return [f"{what} is {_int16_type_name(tensor.type)} in an int16 op; mixed types have "
                f"{NO_KERNEL_16}"]
    if tensor.quant is None or len(tensor.quant.scale) != 1 or tensor.quant.zero_point[0]:
        return [f"{what} must be int16 with one scale and zero point 0"]
    return []


def _int16_constant_problems(tensor: Any, what: str, is_constant: bool,
                             dtype: int) -> list[str]:
    if not is_constant or tensor.type != dtype:
        return [f"{what} must be a constant {_int16_type_name(dtype)} tensor in a 16x8 op"]
    if tensor.quant is not None and any(zp != 0 for zp in tensor.quant.zero_point):
        return [f"{what} must have zero points 0"]
    if dtype == TensorType.INT8 and tensor.quant is None:
        return [f"{what} has no quantization parameters"]
    return []


def _multiplier_problems(x: Any, w: Any, y: Any, max_shift: int) -> list[str]:
    """Each channel's input x weight / output scale as the kernel's frexp-based fixed point
    (rounded to 31 bits, which can carry into the exponent) must shift by <= max_shift."""
    for c, w_scale in enumerate(w.quant.scale):
        real = float(x.quant.scale[0]) * float(w_scale) / float(y.quant.scale[0])
        if not math.isfinite(real) or real <= 0:
            continue  # scales <= 0 are refused with the tensor's quantization
        fraction, shift = math.frexp(real)
        if math.floor(fraction * 2.0 ** 31 + 0.5) == 2 ** 31:
            shift += 1
        if shift > max_shift:
            return [f"channel {c} requantization multiplier input x weight / output scale = "
                    f"{real:.9g} must be < 2^{max_shift}"]
    return []


def _power_of_two_add(op: Any, tensors: list) -> bool:
    """LiteRT takes its power-of-two int16 ADD path when the option pot_scale_int16 is set
    (the schema's default; TensorFlow's 16x8 converter clears it) and every scale is within
    1e-3 of a power of two in log2."""
    get_pot = getattr(op.options, "PotScaleInt16", None)
    if op.options is not None and get_pot is not None and not get_pot():
        return False
    return all(abs(math.log2(t.quant.scale[0]) - round(math.log2(t.quant.scale[0]))) < 1e-3
               for t in tensors)


def _int16_op_checks(model: Any, op: Any, activations: list, outputs: list) -> list[str]:
    reasons = []
    if op.code in _MAX_SHIFT:
        reasons.extend(_multiplier_problems(activations[0], model.tensors[op.inputs[1]],
                                            outputs[0], _MAX_SHIFT[op.code]))
    if op.code == Op.ADD and _power_of_two_add(op, activations + outputs):
        reasons.append(f"power-of-two scales with pot_scale_int16 (LiteRT's LSTM path) have "
                       f"{NO_KERNEL_16}")
    return reasons


INT16 = _scheme(
    "int16", no_kernel=NO_KERNEL_16, bias_type=TensorType.INT64,
    activation=_int16_activation_problems, constant=_int16_constant_problems,
    const_input=lambda what, is_constant: f"{what}: constant inputs have {NO_KERNEL_16}",
    op_checks=_int16_op_checks, check_bias_scale=False)
INT16_OPS = set(INT16.ops)


# --- QUANTIZE, DEQUANTIZE and CAST --------------------------------------------------------

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


def _int16_conversion_problems(model: Any, op: Any, constant: set[int]) -> list[str]:
    """QUANTIZE float32 -> int16 and between int8 and int16 (either way, or int16 -> int16),
    DEQUANTIZE int16 -> float32, on run-time tensors."""
    if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] < 0:
        return [f"expected 1 input and 1 output, got {len(op.inputs)} and {len(op.outputs)}"]
    src, dst = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    ok = (src.type in _CONVERSION_TYPES and dst.type in (TensorType.INT8, TensorType.INT16)
          if op.code == Op.QUANTIZE else dst.type == TensorType.FLOAT32)
    if not ok:
        return [f"{_int16_type_name(src.type)} -> {_int16_type_name(dst.type)} has "
                f"{NO_KERNEL_16}"]
    if op.inputs[0] in constant:
        return ["a constant input is not supported (only run-time activations)"]
    reasons = []
    for t in (src, dst):
        if t.type == TensorType.INT16:
            reasons.extend(_int16_activation_problems(t, f"int16 tensor {t.name!r}"))
        elif t.type == TensorType.INT8:
            reasons.extend(_activation_problems(t, f"int8 tensor {t.name!r}"))
    return reasons


def _uint8_problems(tensor: Any) -> list[str]:
    if tensor.quant is None or len(tensor.quant.scale) != 1:
        return [f"uint8 tensor {tensor.name!r} must have one scale and zero point"]
    return []


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


# --- what the TFLite importer calls -------------------------------------------------------

def is_quantized_op(model: Any, op: Any) -> bool:
    """Whether `op` reads or writes an int8 or uint8 tensor, or a quantized int16 one (so it
    needs an integer kernel)."""
    return is_int16_op(model, op) or any(
        model.tensors[t].type in (TensorType.INT8, TensorType.UINT8)
        for t in [*op.inputs, *op.outputs] if t >= 0)


def int8_problems(model: Any, op: Any, spec: Any, constant: set[int]) -> list[str]:
    """Why the quantized operator `op` cannot be mapped onto the int8 or 16x8 kernels ([] if
    it can). `spec` is its TFLITE_OPS entry, or None."""
    tensors = [model.tensors[t] for t in [*op.inputs, *op.outputs] if t >= 0]
    if any(t.type == TensorType.UINT8 for t in tensors) and _requantization(model, op) not in \
            _UINT8_EDGES:
        return ["uint8 tensors are supported only in a QUANTIZE to or from int8 (as at the "
                "uint8 inputs and outputs of a full-integer model); everything else needs int8"]
    conversion = op.code in (Op.QUANTIZE, Op.DEQUANTIZE) and spec is not None
    if is_int16_op(model, op):
        if conversion:
            return _int16_conversion_problems(model, op, constant)
        return _walk(INT16, model, op, spec, constant)
    if conversion:
        return _conversion_problems(model, op, constant)
    if op.code == Op.CAST and spec is not None:
        return _cast_problems(model, op, constant)
    return _walk(INT8, model, op, spec, constant)


# --- quantization parameters --------------------------------------------------------------

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
