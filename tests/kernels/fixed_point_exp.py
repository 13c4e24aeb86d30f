"""A numpy model of LiteRT's reference int8 SOFTMAX (docs/int8-arithmetic.md,
section 6), written from the note and gemmlowp's documented constants, independently of
csrc/kernels/fixed_point.c and softmax.c: the oracle of tests/kernels/test_softmax.py.

Fixed-point values are int64 arrays holding int32 raws; a value with m integer bits stands for
raw / 2^(31 - m). Products of two values are SRDHM of the raws (integer bits add up)."""
from __future__ import annotations

import math

import numpy as np

from tests.kernels.fixed_point import INT32_MAX, INT32_MIN, _wrap32, quantize_multiplier, \
    rdbpot, srdhm

DIFF_BITS = 5   # scaled differences are Q5.26
SUM_BITS = 12   # the sum of exps is Q12.19
# round(exp(-2^k) * 2^31) for k = -2 .. 4, and the Taylor / Newton constants (gemmlowp).
EXP_NEG_POW2 = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308, 2: 39332535,
                3: 720401, 4: 242}
EXP_NEG_EIGHTH = 1895147668          # exp(-1/8), Q0.31
ONE_THIRD = 715827883                # 1/3, Q0.31
C48_17, CNEG32_17 = 1515870810, -1010580540   # 48/17 and -32/17, Q2.29


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def rounding_half_sum(a, b) -> np.ndarray:
    """(a + b) / 2, halves away from zero."""
    s = _i64(a) + _i64(b)
    return np.where(s >= 0, (s + 1) // 2, -((-s + 1) // 2))


def saturating_shift_left(x, e: int) -> np.ndarray:
    """x * 2^e clamped to int32 (the product is exact in int64 for e < 32)."""
    return np.clip(_i64(x) * (1 << e), INT32_MIN, INT32_MAX)


def _exp_quarter(a: np.ndarray) -> np.ndarray:
    """exp on [-1/4, 0), Q0.31: Taylor series of degree 4 around -1/8."""
    x = a + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    inner = srdhm(rdbpot(x4, 2) + x3, ONE_THIRD) + x2
    return _wrap32(EXP_NEG_EIGHTH + srdhm(np.full_like(x, EXP_NEG_EIGHTH), x + rdbpot(inner, 1)))


def exp_on_negative_values(a, integer_bits: int = DIFF_BITS) -> np.ndarray:
    """exp(a) for a <= 0 with `integer_bits` integer bits; Q0.31 result, INT32_MAX for 0."""
    a = _i64(a)
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    # a = r - n/4 with r in [-1/4, 0): the low bits of a (two's complement) give r + 1/4.
    r = np.bitwise_and(a, quarter - 1) - quarter
    n_quarters = r - a
    result = _exp_quarter(saturating_shift_left(r, integer_bits))
    for k, mult in EXP_NEG_POW2.items():
        if integer_bits > k:
            bit = np.bitwise_and(n_quarters, 1 << (frac + k)) != 0
            result = np.where(bit, srdhm(result, mult), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def one_over_one_plus_x(x) -> np.ndarray:
    """1 / (1 + x) for x in [0, 1), Q0.31 in and out; Newton steps on d = (1 + x)/2 in Q2.29."""
    half_d = rounding_half_sum(x, INT32_MAX)
    y = C48_17 + srdhm(half_d, CNEG32_17)
    for _ in range(3):
        err = (1 << 29) - srdhm(half_d, y)
        y = y + saturating_shift_left(srdhm(y, err), 2)
    return saturating_shift_left(y, 1)


def softmax_params(s_in: float, beta: float) -> tuple[int, int, int]:
    """(multiplier, left shift, diff_min) from the float32 input scale and beta."""
    real = min(float(np.float32(beta)) * float(np.float32(s_in)) * 2.0**26, 2.0**31 - 1)
    m, shift = quantize_multiplier(real)
    assert real > 1.0 and shift >= 0, (real, shift)
    return m, shift, -math.floor(31 * 2.0**26 / 2.0**shift)


def softmax_i8(q: np.ndarray, s_in: float, beta: float, axis: int = -1) -> np.ndarray:
    """LiteRT's reference int8 softmax of `q` along `axis`; output scale 1/256, zp -128."""
    m, shift, diff_min = softmax_params(s_in, beta)
    x = np.moveaxis(_i64(q), axis, -1)
    d = x - x.max(axis=-1, keepdims=True)
    keep = d >= diff_min
    scaled = srdhm(np.where(keep, d, 0) * (1 << shift), m)
    e = np.where(keep, exp_on_negative_values(scaled), 0)
    # Q0.31 -> Q12.19 is a rounding division by 2^12.
    total = _wrap32(np.sum(rdbpot(e, SUM_BITS), axis=-1, keepdims=True))
    # total = 2^(bits - headroom) * (1 + f): normalise to [2^31, 2^32) and take 1/(1 + f).
    headroom = 32 - np.frexp(total.astype(np.float64))[1].astype(np.int64)  # leading zeros
    over = SUM_BITS - headroom
    recip = one_over_one_plus_x((total << headroom) - 2**31)
    prod = srdhm(recip, e)
    out = np.empty_like(prod)
    for sh in np.unique(over):   # rdbpot takes one exponent at a time
        sel = np.broadcast_to(over == sh, prod.shape)
        out[sel] = rdbpot(prod[sel], int(sh) + 23)
    out = np.where(keep, np.clip(out - 128, -128, 127), -128)
    return np.moveaxis(out, -1, axis).astype(np.int8)
