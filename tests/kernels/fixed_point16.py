"""A numpy model of LiteRT's reference 16x8 arithmetic (int16 activations with zero point 0,
int8 per-channel weights, int64 biases), built on fixed_point.py's int8 model: the oracle of
the int16 kernel tests. Where 16x8 differs from int8:
- CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED sum in int64 and requantize with the int64
  MultiplyByQuantizedMultiplier, which rounds once with a 16-bit multiplier (mbqm64).
- ADD moves both inputs to the common scale with 15 bits of headroom instead of 20.
- Clamps are to [-32768, 32767]."""
from __future__ import annotations

from typing import Any

import numpy as np

from emberlite.converter.ir import DType, QuantParams, Tensor
from tests.kernels.fixed_point import mbqm, quantize_multiplier

INT16_MIN, INT16_MAX = -2**15, 2**15 - 1


def mbqm64(x: np.ndarray, m: int, shift: int) -> np.ndarray:
    """x * m * 2^(shift - 31) for int64 x: m rounded to 15 bits ((m + 2^15) >> 16, 32767 from
    0x7FFF0000 up), then one rounding shift by 15 - shift (ties toward +inf)."""
    reduced = (m + 2**15) >> 16 if m < 0x7FFF0000 else 0x7FFF
    total = 15 - shift
    x = np.asarray(x, dtype=object)  # exact integers: x * reduced may pass 2^63
    out = (x * reduced + (1 << (total - 1))) >> total
    return np.asarray(out, dtype=np.int64)


def activation_range16(act: int, scale: float) -> tuple[int, int]:
    """Clamp range of a fused activation on an int16 output (zero point 0)."""
    def q(bound: float) -> int:
        v = float(np.float32(bound) / np.float32(scale))
        return int(np.sign(v) * np.floor(abs(v) + 0.5))
    bounds = {0: (None, None), 1: (0.0, None), 2: (0.0, 6.0), 3: (-1.0, 1.0)}[act]
    lo = INT16_MIN if bounds[0] is None else max(INT16_MIN, q(bounds[0]))
    hi = INT16_MAX if bounds[1] is None else min(INT16_MAX, q(bounds[1]))
    return lo, hi


def requantize16(acc: np.ndarray, s_in: float, s_w: np.ndarray, s_out: float,
                 act: int) -> np.ndarray:
    """Per output channel (last axis) mbqm64 with QM(double(s_in) * double(s_w[c]) / s_out),
    clamped to the activation range."""
    out = np.empty(acc.shape, dtype=np.int64)
    s_w = np.broadcast_to(np.atleast_1d(s_w), (acc.shape[-1],))
    for c in range(acc.shape[-1]):
        real = float(np.float32(s_in)) * float(np.float32(s_w[c])) / float(np.float32(s_out))
        out[..., c] = mbqm64(acc[..., c], *quantize_multiplier(real))
    lo, hi = activation_range16(act, s_out)
    return np.clip(out, lo, hi).astype(np.int16)


def fully_connected16_double(acc: np.ndarray, s_in: float, s_w: np.ndarray, s_out: float,
                             act: int) -> np.ndarray:
    """The double-precision requantization of LiteRT's int8 reference FC, for comparison."""
    s_w = np.broadcast_to(np.atleast_1d(s_w), (acc.shape[-1],)).astype(np.float64)
    eff = float(np.float32(s_in)) * np.float32(s_w).astype(np.float64) / float(np.float32(s_out))
    v = acc.astype(np.float64) * eff
    v = np.sign(v) * np.floor(np.abs(v) + 0.5)
    lo, hi = activation_range16(act, s_out)
    return np.clip(v, lo, hi).astype(np.int16)


def add16(a: np.ndarray, b: np.ndarray, s_a: float, s_b: float, s_out: float,
          act: int) -> np.ndarray:
    """int16 ADD, LiteRT's general-scale path: the int8 scheme with left shift 15."""
    s_a, s_b, s_out = (float(np.float32(s)) for s in (s_a, s_b, s_out))
    twice_max = 2.0 * max(s_a, s_b)
    ma = quantize_multiplier(s_a / twice_max)
    mb = quantize_multiplier(s_b / twice_max)
    mo = quantize_multiplier(twice_max / (2.0**15 * s_out))
    x = mbqm(a.astype(np.int64) * 2**15, *ma) + mbqm(b.astype(np.int64) * 2**15, *mb)
    lo, hi = activation_range16(act, s_out)
    return np.clip(mbqm(x, *mo), lo, hi).astype(np.int16)


def quantize16(x: np.ndarray, scale: float) -> np.ndarray:
    """float32 -> int16: round(f32(x / scale)) half away from zero, saturated."""
    v = np.float32(x) / np.float32(scale)
    return np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5), INT16_MIN, INT16_MAX).astype(np.int16)


def requantize_int(q: np.ndarray, s_in: float, zp_in: int, s_out: float, zp_out: int,
                   lo: int, hi: int) -> np.ndarray:
    """QUANTIZE between integer types: MBQM(q - zp_in, QM(double(s_in) / s_out)) + zp_out."""
    m = quantize_multiplier(float(np.float32(s_in)) / float(np.float32(s_out)))
    return np.clip(mbqm(q.astype(np.int64) - zp_in, *m) + zp_out, lo, hi)


def int16_tensor(graph: Any, name: str, shape: tuple[int, ...], scale: float,
                 zero_point: int = 0) -> str:
    """A run-time int16 activation tensor of `graph` (zero point 0 unless a test breaks it)."""
    graph.tensors[name] = Tensor(name, DType.INT16, tuple(shape), None,
                                 QuantParams((float(np.float32(scale)),), (zero_point,)))
    return name
