"""numpy models of LiteRT's int8 activation kernels, bit-exact (docs/int8-arithmetic.md
section 6), and the one-node graphs the tests run them on: SIGMOID and TANH (a lookup in the
table the converter builds; the model evaluates the float32 formula per element), HARD_SWISH
(int16 fixed point), LEAKY_RELU, and RELU, RELU6 and CLAMP (requantize, then clamp). Used by
tests/kernels/test_<activation>.py, test_activation_family.py and the quantizer checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from emberlite.converter.ir import Graph, QuantParams
from emberlite.converter.ops import OpType
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.leaky_relu import LeakyReluParams
from emberlite.converter.ops.lookup_table import int8_lookup_table, sigmoid_f32, tanh_f32
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (doubling_high_mul16, empty_graph, int8_tensor,
                                       log_uniform, mbqm, multiplier_to_int16,
                                       quantize_multiplier, rdbpot, round_half_away, run_graph,
                                       sat16, single_op, snap_pow2, srdhm16)

F32 = np.float32
SHAPES = [(7,), (2, 3, 4, 5), (1, 4, 4, 8), (256,), (3, 1, 17)]


def random_quant(rng: np.random.Generator) -> dict:
    s_in = float(log_uniform(rng, 1e-3, 0.3))
    return snap_pow2(rng, {"s_in": s_in, "s_out": s_in * float(log_uniform(rng, 0.1, 10.0)),
                           "zp_in": int(rng.integers(-128, 128)),
                           "zp_out": int(rng.integers(-128, 128))})


def build(op: OpType, shape: tuple[int, ...], q: dict, params: object = None,
          table: np.ndarray | None = None) -> Graph:
    g = empty_graph()
    int8_tensor(g, "x", shape, q["s_in"], q["zp_in"])
    int8_tensor(g, "out", shape, q["s_out"], q["zp_out"])
    inputs = ["x"]
    if table is not None:
        inputs.append(int8_tensor(g, "table", table.shape, q["s_out"], q["zp_out"], table))
    return single_op(op, inputs, params, g)


# ---- SIGMOID, TANH -------------------------------------------------------------------------

def _f32_of_double(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(float(v)) for v in x.reshape(-1)]).astype(F32).reshape(x.shape)


def table_op_reference(op: OpType, x: np.ndarray, q: dict) -> np.ndarray:
    """Section 6, per element (no table): clamp(rha(f32(fn(f32(s_in*(x-zp_in))) * f32(1/s_out)))
    + zp_out), with expf/tanhf correctly rounded."""
    real = F32(q["s_in"]) * (x.astype(np.int32) - q["zp_in"]).astype(F32)
    if op == OpType.SIGMOID:
        e = _f32_of_double(lambda v: math.exp(min(-v, 200.0)), real)
        y = F32(1.0) / (F32(1.0) + e)
    else:
        y = _f32_of_double(math.tanh, real)
    scaled = (y.astype(F32) * (F32(1.0) / F32(q["s_out"]))).astype(F32)
    return np.clip(round_half_away(scaled.astype(np.float64)) + q["zp_out"], -128,
                   127).astype(np.int8)


def table(op: OpType, q: dict) -> np.ndarray:
    """The 256-entry int8 table the converter builds for SIGMOID or TANH."""
    fn = sigmoid_f32 if op == OpType.SIGMOID else tanh_f32
    return int8_lookup_table(fn, QuantParams((q["s_in"],), (q["zp_in"],)),
                             QuantParams((q["s_out"],), (q["zp_out"],)))


def check_table_op_all_inputs(op: OpType) -> None:
    q = {"s_in": 0.0437, "s_out": 1.0 / 128, "zp_in": 9, "zp_out": 0}
    x = np.arange(-128, 128, dtype=np.int8)
    got = run_graph(build(op, x.shape, q, table=table(op, q)), [x])[0]
    assert np.array_equal(got, table_op_reference(op, x, q))


def check_table_op_needs_a_256_entry_table(op: OpType) -> None:
    q = {"s_in": 0.05, "s_out": 1.0 / 256, "zp_in": 0, "zp_out": -128}
    x = np.zeros(4, np.int8)
    with pytest.raises(InvalidModelError, match="expected 2 inputs"):
        run_graph(build(op, (4,), q), [x])
    with pytest.raises(InvalidModelError, match="constant table of 256"):
        run_graph(build(op, (4,), q, table=np.zeros(255, np.int8)), [x])


# ---- HARD_SWISH ----------------------------------------------------------------------------

def hard_swish_reference(x: np.ndarray, q: dict) -> np.ndarray:
    """Section 6: int16 fixed point on the input at scale s_in / 128."""
    hires = F32(q["s_in"]) * F32(1.0 / 128)
    m_out, e_out = quantize_multiplier(float(hires / F32(q["s_out"])))
    m_relu, e_relu = quantize_multiplier(float(hires / F32(3.0 / 32768)))
    m_out, m_relu = multiplier_to_int16(m_out), multiplier_to_int16(m_relu)
    v = (x.astype(np.int64) - q["zp_in"]) * 128
    scaled = srdhm16(v, m_out)
    r = v
    if e_relu > 0:
        r = sat16(r * 2 ** (e_relu - 1))
    r = srdhm16(r, m_relu)
    if e_relu > 0:
        r = sat16(r * 2)
    elif e_relu < 0:
        r = rdbpot(r, -e_relu)
    r = (r + 2**15) >> 1
    y = rdbpot(doubling_high_mul16(r, scaled), -e_out)
    return np.clip(y + q["zp_out"], -128, 127).astype(np.int8)


# ---- LEAKY_RELU ----------------------------------------------------------------------------

def leaky_relu_reference(x: np.ndarray, q: dict, alpha: float) -> np.ndarray:
    """Section 6: one multiplier per sign of x - zp_in, from float32 ratios."""
    s_in, s_out, a = F32(q["s_in"]), F32(q["s_out"]), F32(alpha)
    identity = quantize_multiplier(float(s_in / s_out))
    slope = float((s_in * a) / s_out)
    negative = mbqm(x.astype(np.int64) - q["zp_in"], *quantize_multiplier(abs(slope)))
    v = x.astype(np.int64) - q["zp_in"]
    y = np.where(v >= 0, mbqm(v, *identity), -negative if slope < 0 else negative)
    return np.clip(y + q["zp_out"], -128, 127).astype(np.int8)


# ---- RELU, RELU6, CLAMP --------------------------------------------------------------------

def _bound(real: float, q: dict) -> int:
    v = float(F32(real) / F32(q["s_out"]))  # float32 division, as LiteRT
    return q["zp_out"] + int(math.copysign(math.floor(abs(v) + 0.5), v))


def relu_x_reference(x: np.ndarray, q: dict, lo: float, hi: float) -> np.ndarray:
    """Section 6 (QuantizedReluX): requantize with the float32 ratio, then clamp at the
    quantized real bounds (an infinite bound leaves the int8 range); lo > hi gives hi."""
    y = mbqm(x.astype(np.int64) - q["zp_in"],
             *quantize_multiplier(float(F32(q["s_in"]) / F32(q["s_out"])))) + q["zp_out"]
    qlo = -128 if math.isinf(lo) else max(-128, _bound(lo, q))
    qhi = 127 if math.isinf(hi) else min(127, _bound(hi, q))
    return np.minimum(np.maximum(y, qlo), qhi).astype(np.int8)


def check_needs_int8_quantization(op: OpType) -> None:
    """A requantizing activation refuses a zero point outside the int8 range."""
    q = {"s_in": 0.05, "s_out": 0.05, "zp_in": 0, "zp_out": 200}
    params = {OpType.LEAKY_RELU: LeakyReluParams(0.1), OpType.CLAMP: ClampParams(-1.0, 1.0)}
    with pytest.raises(InvalidModelError, match="zero point must be in"):
        run_graph(build(op, (4,), q, params.get(op)), [np.zeros(4, np.int8)])
