"""numpy models of LiteRT's reference int8 LOG_SOFTMAX and DIV (reference/integer_ops/
log_softmax.h, reference/div.h, gemmlowp's fixed-point log), written independently of
csrc/kernels: the oracles of tests/kernels/test_log_softmax.py and test_div.py. Conventions as in
fixed_point_exp.py: int64 arrays hold int32 raws, a value with m integer bits is raw / 2^(31-m)."""
from __future__ import annotations

import numpy as np

from tests.kernels.fixed_point import INT32_MAX, INT32_MIN, _wrap32, mbqm, quantize_multiplier, \
    rdbpot, srdhm
from tests.kernels.fixed_point_exp import (DIFF_BITS, SUM_BITS, _i64, exp_on_negative_values,
                                           one_over_one_plus_x, rounding_half_sum,
                                           saturating_shift_left, softmax_params)

# gemmlowp's constants of the log, Q0.31.
LN2, QUARTER_ROOT_HALF, SQRT_HALF = 1488522236, 1805811301, 1518500250
ALPHA_N, ALPHA_D, ALPHA_I, ALPHA_F = 117049297, 127690142, 1057819769, 638450708


def leading_zeros(x) -> np.ndarray:
    """Leading zero bits of the low 32 bits of x (32 for 0)."""
    u = _i64(x) & 0xFFFFFFFF
    return np.where(u == 0, 32, 32 - np.frexp(u.astype(np.float64))[1]).astype(np.int64)


def log_x(x, input_bits: int = SUM_BITS, output_bits: int = DIFF_BITS) -> np.ndarray:
    """gemmlowp's log_x_for_x_greater_than_or_equal_to_1 on raws x > 0."""
    x = _i64(x)
    accum = output_bits + 1
    quarter = rdbpot(np.int64(1 << 29), accum)
    lz_a = leading_zeros(x)
    r_a = np.zeros_like(x)
    for k in np.unique(lz_a):   # shifts one exponent at a time
        sel = lz_a == k
        r_a[sel] = saturating_shift_left(srdhm(saturating_shift_left(x[sel], int(k) - 1),
                                               SQRT_HALF), 1)
    pow_a = np.clip(saturating_shift_left(input_bits - lz_a, 31 - accum) + quarter,
                    INT32_MIN, INT32_MAX)
    lz_b = leading_zeros(srdhm(x, SQRT_HALF)) - 1
    r_b = np.zeros_like(x)
    for k in np.unique(lz_b):
        sel = lz_b == k
        r_b[sel] = saturating_shift_left(x[sel], int(k))
    pow_b = np.clip(saturating_shift_left(input_bits - lz_b, 31 - accum) - quarter,
                    INT32_MIN, INT32_MAX)
    r, pow2 = np.minimum(r_a, r_b), np.maximum(pow_a, pow_b)
    p = rounding_half_sum(r, QUARTER_ROOT_HALF)
    q = _wrap32(2 * _wrap32(r - QUARTER_ROOT_HALF))
    q2 = srdhm(q, q)
    num = _wrap32(srdhm(q, r) + srdhm(srdhm(q, q2), ALPHA_N))
    den = _wrap32(srdhm(p, _wrap32(ALPHA_I + q + srdhm(q2, ALPHA_D))) + srdhm(q, ALPHA_F))
    total = _wrap32(srdhm(pow2, LN2) + srdhm(rdbpot(num, accum), one_over_one_plus_x(den)))
    return saturating_shift_left(total, accum - output_bits)


def _mbqm_each(x: np.ndarray, m: int, shift: int) -> np.ndarray:
    return np.vectorize(lambda v: int(mbqm(np.int64(v), m, shift)), otypes=[np.int64])(x)


def log_softmax_i8(q: np.ndarray, s_in: float, axis: int = -1) -> np.ndarray:
    """LiteRT's reference int8 log softmax (beta 1) along `axis`; output scale 16/256, zp 127."""
    m, shift, diff_min = softmax_params(s_in, 1.0)
    rev_m, rev_shift = quantize_multiplier(2.0 ** (31 - shift) / m)
    x = np.moveaxis(_i64(q), axis, -1)
    d = x - x.max(axis=-1, keepdims=True)
    keep = d >= diff_min
    scaled = mbqm(np.where(keep, d, 0), m, shift)
    e = np.where(keep, exp_on_negative_values(scaled), 0)
    total = np.sum(rdbpot(e, SUM_BITS), axis=-1, keepdims=True)
    assert np.all(total <= INT32_MAX)   # LiteRT's int32 sum would wrap beyond
    log_sum = log_x(total)
    cut = np.maximum(diff_min - 1, _mbqm_each(_wrap32(log_sum + INT32_MIN), rev_m, rev_shift))
    out = np.clip(rdbpot(_wrap32(scaled - log_sum), 31 - DIFF_BITS - 4) + 127, -128, 127)
    return np.moveaxis(np.where(d > cut, out, -128), -1, axis).astype(np.int8)


def _div_terms(a: np.ndarray, b: np.ndarray, q: dict):
    """(the multiplier, |b|'s leading zeros, the dividend's redundant sign bits, the final
    right shift) of LiteRT's int8 DIV per element, with the signs moved onto the dividend."""
    f32 = np.float32
    m, shift = quantize_multiplier(float(f32(q["s_a"]) / (f32(q["s_b"]) * f32(q["s_out"]))))
    x, y = np.broadcast_arrays(_i64(a) - q["zp_a"], _i64(b) - q["zp_b"])
    x, y = np.where(y < 0, -x, x), np.abs(y)
    y_zeros = leading_zeros(y)
    head = np.where(x >= 0, leading_zeros(x), leading_zeros(~x)) - 1
    return m, x, y, y_zeros, head, (31 - y_zeros) + head - shift


def div_final_shift(a: np.ndarray, b: np.ndarray, q: dict) -> np.ndarray:
    return _div_terms(a, b, q)[-1]


def div_i8(a: np.ndarray, b: np.ndarray, q: dict) -> np.ndarray:
    """LiteRT's reference int8 DIV of broadcast stored values a / b (no b equal to its zero
    point); q holds s_a, zp_a, s_b, zp_b, s_out, zp_out, lo, hi."""
    m, x, y, y_zeros, head, exponent = _div_terms(a, b, q)
    recip = one_over_one_plus_x(_wrap32((y << y_zeros) - 2**31))
    prod = srdhm(srdhm(_wrap32(x << head), recip), m)
    out = np.empty_like(prod)
    for e in np.unique(exponent):   # rdbpot takes one exponent at a time
        sel = exponent == e
        # From 32 on, LiteRT's int32 shift count wraps mod 32 and its rounding mask is all
        # ones (pip LiteRT on x86-64 gives exactly this).
        out[sel] = rdbpot(prod[sel], int(e)) if e < 32 else \
            (prod[sel] >> (int(e) - 32)) + (prod[sel] >= 0)
    return np.clip(_wrap32(out + q["zp_out"]), q["lo"], q["hi"]).astype(np.int8)


def real_log_softmax(q: np.ndarray, s_in: float, axis: int = -1) -> np.ndarray:
    z = np.float64(np.float32(s_in)) * q.astype(np.float64)
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
