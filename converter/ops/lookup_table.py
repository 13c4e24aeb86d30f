"""int8 lookup tables of the element-wise ops whose int8 form is a table (SIGMOID, TANH).

LiteRT's reference kernels build a 256-entry table at Prepare, in float32, from the input
and output quantization. Emberlite builds the same table once, here on the host, and stores
it in the file as the node's constant input 1, so every target gives the same bytes whatever
its libm (see docs/int8-arithmetic.md, section 6). Used by the TFLite importer and
the ONNX-side quantizer alike.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..ir import QuantParams

__all__ = ["TABLE_SIZE", "int8_lookup_table", "sigmoid_f32", "tanh_f32"]

TABLE_SIZE = 256
F32 = np.float32


def _correctly_rounded(fn: Callable[[float], float], x: np.ndarray) -> np.ndarray:
    """fn of each float32 in `x`, evaluated in double and rounded once to float32: the
    correctly rounded float32 result in all but astronomically rare cases. numpy's own
    float32 exp/tanh are SIMD approximations that vary with the host CPU (and differ from
    glibc's expf in about a third of the inputs), which would make files host-dependent."""
    return np.array([fn(float(v)) for v in x], dtype=np.float64).astype(F32)


def _exp_f32(x: np.ndarray) -> np.ndarray:
    # exp overflows a double only far beyond float32's range; clamping keeps math.exp from
    # raising and still gives inf (or 0) once rounded to float32.
    return _correctly_rounded(lambda v: math.exp(min(max(v, -200.0), 200.0)), x)


def sigmoid_f32(x: np.ndarray) -> np.ndarray:
    """1 / (1 + expf(-x)) in float32, as LiteRT's int8 LOGISTIC table computes it."""
    with np.errstate(over="ignore"):
        return (F32(1.0) / (F32(1.0) + _exp_f32(-x))).astype(F32)


def tanh_f32(x: np.ndarray) -> np.ndarray:
    """tanhf(x), as LiteRT's int8 TANH table computes it."""
    return _correctly_rounded(math.tanh, x)


def int8_lookup_table(fn: Callable[[np.ndarray], np.ndarray], in_quant: QuantParams,
                      out_quant: QuantParams) -> np.ndarray:
    """The int8 table t of the element-wise real function `fn` (float32 array -> float32
    array): t[i] is the output for the input byte i, i.e. for q = int8(i), so a kernel reads
    t[(uint8)q]. Per entry, all in float32 as LiteRT:
    clamp(round_half_away(fn(s_in * (q - zp_in)) * (1 / s_out)) + zp_out, -128, 127)."""
    s_in, zp_in = F32(in_quant.scale[0]), int(in_quant.zero_point[0])
    s_out, zp_out = F32(out_quant.scale[0]), int(out_quant.zero_point[0])
    q = np.arange(TABLE_SIZE, dtype=np.uint8).view(np.int8).astype(np.int32)
    x = (s_in * (q - zp_in).astype(F32)).astype(F32)
    inverse = F32(F32(1.0) / s_out)   # LiteRT multiplies by the float reciprocal
    y = (fn(x).astype(F32) * inverse).astype(F32).astype(np.float64)
    # Round half away from zero in double, where adding 0.5 is exact for these magnitudes.
    rounded = np.sign(y) * np.floor(np.abs(y) + 0.5)
    return np.clip(rounded + zp_out, -128, 127).astype(np.int8)
