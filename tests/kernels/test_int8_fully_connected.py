"""FULLY_CONNECTED int8 (per-tensor and per-channel weights, int32 bias, fused activations)
against a numpy model of LiteRT's reference arithmetic: bit-exact, for each kernel variant
(isa_mask NONE forces the reference loop)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (ISA_VARIANTS, activation_range, empty_graph,
                                       int8_tensor, log_uniform, quant_tensor, round_half_away,
                                       run_graph, single_op, snap_pow2, wrap_sum)


def reference(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, s_in: float,
              zp_in: int, s_w: np.ndarray, s_out: float, zp_out: int, act: int) -> np.ndarray:
    """Section 3: int32 sums, then a double-precision rescale rounded half away from zero."""
    rows = x.reshape(-1, x.shape[-1]).astype(np.int64) - zp_in
    acc = wrap_sum(rows[:, None, :] * w.astype(np.int64)[None, :, :], axis=2)
    if bias is not None:
        acc = acc + bias
    scale = (np.float64(np.float32(s_in)) * np.float32(s_w).astype(np.float64)
             / np.float64(np.float32(s_out)))
    lo, hi = activation_range(act, s_out, zp_out)
    out = np.clip(round_half_away(acc * scale) + zp_out, lo, hi)
    return out.astype(np.int8).reshape(x.shape[:-1] + (w.shape[0],))


def build(rng: np.random.Generator, lead: tuple[int, ...], depth: int, units: int,
          per_channel: bool, with_bias: bool, act: int):
    s_in = float(log_uniform(rng, 1e-3, 0.1))
    s_w = log_uniform(rng, 1e-3, 0.05, units if per_channel else 1)
    s_out = float(s_in * np.mean(s_w) * np.sqrt(depth) * 40 * log_uniform(rng, 0.05, 2.0))
    q = snap_pow2(rng, {"s_in": s_in, "s_w": s_w, "s_out": s_out})
    s_in, s_w, s_out = q["s_in"], q["s_w"], q["s_out"]
    zp_in = int(rng.integers(-128, 128))
    zp_out = int(rng.integers(-128, 128))
    w = rng.integers(-127, 128, (units, depth)).astype(np.int8)
    g = empty_graph()
    int8_tensor(g, "x", lead + (depth,), s_in, zp_in)
    quant_tensor(g, "w", w, s_w, 0)
    inputs = ["x", "w"]
    bias = None
    if with_bias:
        bias = rng.integers(-5000, 5000, units).astype(np.int32)
        quant_tensor(g, "b", bias, np.float32(s_in) * np.float32(s_w), 0)
        inputs.append("b")
    int8_tensor(g, "out", lead + (units,), s_out, zp_out)
    single_op(OpType.FULLY_CONNECTED, inputs,
              FullyConnectedParams(activation=FusedActivation(act)), g)
    x = rng.integers(-128, 128, lead + (depth,)).astype(np.int8)
    want = reference(x, w, bias, s_in, zp_in, np.broadcast_to(s_w, (units,)), s_out, zp_out,
                     act)
    return g, x, want


@pytest.mark.parametrize("isa", ISA_VARIANTS)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lead=st.sampled_from([(1,), (3,), (2, 5)]),
       depth=st.integers(1, 70), units=st.integers(1, 20), per_channel=st.booleans(),
       with_bias=st.booleans(), act=st.integers(0, 3))
def test_fully_connected_i8(isa: int, seed: int, lead: tuple[int, ...], depth: int, units: int,
                            per_channel: bool, with_bias: bool, act: int) -> None:
    g, x, want = build(np.random.default_rng(seed), lead, depth, units, per_channel, with_bias,
                       act)
    got = run_graph(g, [x], isa_mask=isa)[0]
    assert got.dtype == np.int8
    assert np.array_equal(got, want)


def test_fully_connected_i8_rejects_bad_bias_scale() -> None:
    g, x, _ = build(np.random.default_rng(1), (2,), 8, 4, True, True, 0)
    q = g.tensors["b"].quant
    g.tensors["b"].quant = replace(q, scale=tuple(s * 1.01 for s in q.scale))
    with pytest.raises(InvalidModelError, match="bias"):
        run_graph(g, [x])


def test_fully_connected_i8_rejects_weight_zero_point() -> None:
    g, x, _ = build(np.random.default_rng(2), (2,), 8, 4, False, False, 0)
    g.tensors["w"].quant = replace(g.tensors["w"].quant, zero_point=(3,))
    with pytest.raises(InvalidModelError, match="zero point"):
        run_graph(g, [x])


@pytest.mark.parametrize("isa", ISA_VARIANTS)
def test_fully_connected_i8_ties_round_away_from_zero(isa: int) -> None:
    # Multiplier exactly 0.5 and one unit weight: every odd input is a tie.
    g = empty_graph()
    int8_tensor(g, "x", (256, 1), 0.5, 0)
    w = np.ones((1, 1), dtype=np.int8)
    quant_tensor(g, "w", w, np.array([0.25]), 0)
    int8_tensor(g, "out", (256, 1), 0.25, 0)
    single_op(OpType.FULLY_CONNECTED, ["x", "w"], FullyConnectedParams(), g)
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    got = run_graph(g, [x], isa_mask=isa)[0]
    assert np.array_equal(got, reference(x, w, None, 0.5, 0, np.array([0.25]), 0.25, 0, 0))
    assert got[x == -3].item() == -2 and got[x == 3].item() == 2
