"""numpy models of LiteRT's int8 BATCH_MATMUL, MEAN, SUM and L2_NORMALIZATION kernels
(docs/int8-arithmetic.md), built on fixed_point.py: the oracles of those ops' kernel tests
and of the post-training quantizer's one-op tests."""
from __future__ import annotations

import numpy as np

from tests.kernels.fixed_point import (mbqm, quantize_multiplier, rdbpot, round_half_away,
                                       srdhm)


def batch_matmul_reference(a: np.ndarray, b: np.ndarray, adj_a: bool, adj_b: bool,
                           q: dict) -> np.ndarray:
    x = a.astype(np.int64) - q["zp_a"]
    y = b.astype(np.int64) - q["zp_b"]
    if adj_a:
        x = np.swapaxes(x, -1, -2)
    if adj_b:
        y = np.swapaxes(y, -1, -2)
    s_a, s_b, s_out = (float(np.float32(q[k])) for k in ("s_a", "s_b", "s_out"))
    out = mbqm(np.matmul(x, y), *quantize_multiplier(s_a * s_b / s_out)) + q["zp_out"]
    return np.clip(out, -128, 127).astype(np.int8)


def mean_multiplier(s_in: float, s_out: float, n: int) -> tuple[int, int]:
    """Section 5: QM(s_in / s_out), mantissa scaled by 2^k then divided by n."""
    m, e = quantize_multiplier(float(np.float32(s_in)) / float(np.float32(s_out)))
    k = min(n.bit_length() - 1, 32, 31 + e)
    return (m << k) // n, e - k


def mean_reference(x: np.ndarray, axes: tuple[int, ...], keep: bool, q: dict) -> np.ndarray:
    n = int(np.prod([x.shape[a] for a in axes]))
    total = np.sum(x.astype(np.int64), axis=axes, keepdims=keep) - q["zp_in"] * n
    out = mbqm(total, *mean_multiplier(q["s_in"], q["s_out"], n)) + q["zp_out"]
    return np.clip(out, -128, 127).astype(np.int8)


def sum_reference(x: np.ndarray, axes: tuple[int, ...], q: dict, keep: bool) -> np.ndarray:
    """LiteRT's int8 SUM rescaling: float32 r = s_in/s_out, b = f32(-zp_in * r) * n, then
    round half away from zero and clamp; alike quantization adds stored values in int8."""
    f32 = np.float32
    total = np.sum(x.astype(np.int64), axis=axes, keepdims=keep)
    if q["s_in"] == q["s_out"] and q["zp_in"] == q["zp_out"]:
        return total.astype(np.int8)  # wraps mod 256
    n = int(np.prod([x.shape[a] for a in axes]))
    r = f32(f32(q["s_in"]) / f32(q["s_out"]))
    b = f32(f32(f32(-q["zp_in"]) * r) * f32(n))
    v = (total.astype(f32) * r).astype(f32) + b  # float32 products and sums
    y = round_half_away(v.astype(np.float64)) + q["zp_out"]
    return np.clip(y, -128, 127).astype(np.int8)


def _sat_shift(x: int, e: int) -> int:
    return int(np.clip(x * 2**e, -(2**31), 2**31 - 1))


def inv_sqrt_multiplier(acc: int) -> tuple[int, int]:
    """Section 6's inverse-sqrt multiplier with reverse shift -1, in Python integers."""
    if acc <= 1:
        return 2**31 - 1, 0
    shift = 11
    while acc >= 2**29:
        acc //= 4
        shift += 1
    pairs = (32 - acc.bit_length() - 1) // 2 - 1
    shift -= pairs
    acc <<= 2 * pairs
    half = int(rdbpot(np.int64(acc >> 1), 1))
    x = 2**28
    for _ in range(5):
        x3 = _sat_shift(int(srdhm(np.int64(int(srdhm(np.int64(x), x))), x)), 6)
        diff = int(srdhm(np.int64(3 * 2**27), x)) - int(srdhm(np.int64(half), x3))
        x = _sat_shift(diff, 3)
    x = int(srdhm(np.int64(x), 1518500250))
    if shift < 0:
        x, shift = x << -shift, 0
    return x, -shift


def l2_reference(x: np.ndarray, zp: int) -> np.ndarray:
    v = x.astype(np.int64) - zp
    out = np.empty_like(v)
    for row in np.ndindex(v.shape[:-1]):
        m, shift = inv_sqrt_multiplier(int(np.sum(v[row] ** 2)))
        out[row] = mbqm(v[row], m, shift + 7)
    return np.clip(out, -128, 127).astype(np.int8)
