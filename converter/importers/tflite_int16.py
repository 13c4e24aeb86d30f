"""16x8 operators of a .tflite file (TensorFlow's
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8): which ones have an Emberlite
int16 kernel and what each needs of its tensors.

16x8 models have int16 activations quantized symmetrically (one scale, zero point 0), int8
weights with zero points 0 (per channel or per tensor) and int64 biases. As for int8, the
file's parameters are copied unchanged; LiteRT ignores int64 bias scales, and so do the
kernels (TensorFlow shares one zero bias between layers of different scales).
"""
from __future__ import annotations

import math
from typing import Any

from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

__all__ = ["INT16_OPS", "is_int16_op", "int16_problems"]

NO_KERNEL = "no int16 (16x8) kernel yet"

# Ops that move stored values: input and output quantized alike.
_SAME_QUANT = {Op.RESHAPE, Op.SQUEEZE, Op.EXPAND_DIMS, Op.MAX_POOL_2D}
INT16_OPS = {Op.CONV_2D, Op.DEPTHWISE_CONV_2D, Op.FULLY_CONNECTED, Op.ADD} | _SAME_QUANT
_WEIGHTS = {Op.CONV_2D: 1, Op.DEPTHWISE_CONV_2D: 1, Op.FULLY_CONNECTED: 1}
_BIAS = {Op.CONV_2D: 2, Op.DEPTHWISE_CONV_2D: 2, Op.FULLY_CONNECTED: 2}
_ACTIVATIONS = {Act.NONE, Act.RELU, Act.RELU6, Act.RELU_N1_TO_1}
_CONVERSION_TYPES = {TensorType.FLOAT32, TensorType.INT8, TensorType.INT16}
# The int16 conv kernels shift the requantized accumulator left by at most 14 bits
# (ember_channel_multipliers_i16 in csrc/kernels/quant.c).
_MAX_SHIFT = {Op.CONV_2D: 14, Op.DEPTHWISE_CONV_2D: 14}


def is_int16_op(model: Any, op: Any) -> bool:
    """Whether `op` reads or writes a quantized int16 tensor."""
    return any(model.tensors[t].type == TensorType.INT16 and model.tensors[t].quant is not None
               for t in [*op.inputs, *op.outputs] if t >= 0)


def int16_problems(model: Any, op: Any, spec: Any, constant: set[int],
                   int8_activation: Any) -> list[str]:
    """Why the 16x8 operator `op` cannot be mapped onto the int16 kernels ([] if it can).
    `spec` is its TFLITE_OPS entry or None; `int8_activation(tensor, what)` gives the int8
    rules of an int8 side of a QUANTIZE."""
    if op.code in (Op.QUANTIZE, Op.DEQUANTIZE) and spec is not None:
        return _conversion_problems(model, op, constant, int8_activation)
    if op.code not in INT16_OPS or spec is None:
        return [NO_KERNEL]
    get_act = getattr(op.options, "FusedActivationFunction", None)
    if get_act is not None and get_act() not in _ACTIVATIONS:
        return [f"fused activation {get_act()} has {NO_KERNEL}"]
    if len(op.inputs) < spec.min_inputs:
        return [f"{len(op.inputs)} inputs given, at least {spec.min_inputs} needed"]
    reasons, activations = [], []
    for pos, t in enumerate(op.inputs):
        if t < 0:
            continue
        tensor = model.tensors[t]
        what = f"input {pos} ({tensor.name!r})"
        if pos == _WEIGHTS.get(op.code):
            reasons.extend(_constant_problems(tensor, what, t in constant, TensorType.INT8))
        elif pos == _BIAS.get(op.code):
            reasons.extend(_constant_problems(tensor, what, t in constant, TensorType.INT64))
        elif pos in spec.index_inputs:
            if tensor.type not in (TensorType.INT32, TensorType.INT64):
                reasons.append(f"{what} must be int32 or int64 indices")
        elif pos in spec.const_inputs:
            reasons.append(f"{what}: constant inputs have {NO_KERNEL}")
        else:
            reasons.extend(_activation_problems(tensor, what))
            activations.append(tensor)
    outputs = [model.tensors[t] for t in op.outputs]
    for tensor in outputs:
        reasons.extend(_activation_problems(tensor, f"output {tensor.name!r}"))
    if reasons:
        return reasons
    if op.code in _SAME_QUANT and any(t.quant.scale != activations[0].quant.scale
                                      for t in activations[1:] + outputs):
        reasons.append(f"inputs and outputs are quantized differently; {NO_KERNEL} that "
                       f"requantizes")
    if op.code in _MAX_SHIFT:
        reasons.extend(_multiplier_problems(activations[0], model.tensors[op.inputs[1]],
                                            outputs[0], _MAX_SHIFT[op.code]))
    if op.code == Op.ADD and _power_of_two_add(op, activations + outputs):
        reasons.append(f"power-of-two scales with pot_scale_int16 (LiteRT's LSTM path) have "
                       f"{NO_KERNEL}")
    if not reasons and spec.check is not None:
        reason = spec.check(op.options, model.tensors, op)
        if reason:
            reasons.append(reason)
    return reasons


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


def _conversion_problems(model: Any, op: Any, constant: set[int],
                         int8_activation: Any) -> list[str]:
    """QUANTIZE float32 -> int16 and between int8 and int16 (either way, or int16 -> int16),
    DEQUANTIZE int16 -> float32, on run-time tensors."""
    if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] < 0:
        return [f"expected 1 input and 1 output, got {len(op.inputs)} and {len(op.outputs)}"]
    src, dst = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    ok = (src.type in _CONVERSION_TYPES and dst.type in (TensorType.INT8, TensorType.INT16)
          if op.code == Op.QUANTIZE else dst.type == TensorType.FLOAT32)
    if not ok:
        return [f"{_name(src.type)} -> {_name(dst.type)} has {NO_KERNEL}"]
    if op.inputs[0] in constant:
        return ["a constant input is not supported (only run-time activations)"]
    reasons = []
    for t in (src, dst):
        if t.type == TensorType.INT16:
            reasons.extend(_activation_problems(t, f"int16 tensor {t.name!r}"))
        elif t.type == TensorType.INT8:
            reasons.extend(int8_activation(t, f"int8 tensor {t.name!r}"))
    return reasons


def _activation_problems(tensor: Any, what: str) -> list[str]:
    if tensor.type != TensorType.INT16:
        return [f"{what} is {_name(tensor.type)} in an int16 op; mixed types have {NO_KERNEL}"]
    if tensor.quant is None or len(tensor.quant.scale) != 1 or tensor.quant.zero_point[0]:
        return [f"{what} must be int16 with one scale and zero point 0"]
    return []


def _constant_problems(tensor: Any, what: str, is_constant: bool, dtype: int) -> list[str]:
    if not is_constant or tensor.type != dtype:
        return [f"{what} must be a constant {_name(dtype)} tensor in a 16x8 op"]
    if tensor.quant is not None and any(zp != 0 for zp in tensor.quant.zero_point):
        return [f"{what} must have zero points 0"]
    if dtype == TensorType.INT8 and tensor.quant is None:
        return [f"{what} has no quantization parameters"]
    return []


def _name(t: int) -> str:
    return {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}.get(t, str(t))
