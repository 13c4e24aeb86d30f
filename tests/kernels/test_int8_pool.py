"""MAX_POOL2D and AVERAGE_POOL2D int8 against a numpy model of LiteRT's reference kernels
(stored values, padding excluded, the average rounded half away from zero, activation clamp):
bit-exact."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (activation_range, empty_graph, int8_tensor,
                                       log_uniform, run_graph, single_op)


def windows(x: np.ndarray, p: Pool2DParams) -> tuple[np.ndarray, np.ndarray]:
    """[N, OH, OW, KH*KW, C] stored values and a mask of the in-image taps."""
    pads = ((0, 0), (p.pad_top, p.pad_bottom), (p.pad_left, p.pad_right), (0, 0))
    v = np.pad(x.astype(np.int64), pads)
    inside = np.pad(np.ones(x.shape, dtype=bool), pads)
    oh = (v.shape[1] - (p.filter_h - 1) * p.dilation_h - 1) // p.stride_h + 1
    ow = (v.shape[2] - (p.filter_w - 1) * p.dilation_w - 1) // p.stride_w + 1

    def taps(a: np.ndarray) -> np.ndarray:
        return np.stack([a[:, ky * p.dilation_h: ky * p.dilation_h + (oh - 1) * p.stride_h + 1:
                           p.stride_h,
                           kx * p.dilation_w: kx * p.dilation_w + (ow - 1) * p.stride_w + 1:
                           p.stride_w]
                         for ky in range(p.filter_h) for kx in range(p.filter_w)], axis=3)
    return taps(v), taps(inside)


def max_reference(x: np.ndarray, p: Pool2DParams, lo: int, hi: int) -> np.ndarray:
    v, inside = windows(x, p)
    return np.clip(np.where(inside, v, -128).max(axis=3), lo, hi).astype(np.int8)


def average_reference(x: np.ndarray, p: Pool2DParams, lo: int, hi: int) -> np.ndarray:
    v, inside = windows(x, p)
    total = np.where(inside, v, 0).sum(axis=3)
    count = inside.sum(axis=3)
    # Integer division truncating toward zero after a half-count nudge away from zero.
    num = np.where(total > 0, total + count // 2, total - count // 2)
    avg = np.sign(num) * (np.abs(num) // np.maximum(count, 1))
    return np.clip(avg, lo, hi).astype(np.int8)


def build(op: OpType, x: np.ndarray, p: Pool2DParams, scale: float, zp: int, out_shape):
    g = empty_graph()
    int8_tensor(g, "x", x.shape, scale, zp)
    int8_tensor(g, "out", out_shape, scale, zp)
    return single_op(op, ["x"], p, g)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), op=st.sampled_from([OpType.MAX_POOL2D,
                                                           OpType.AVERAGE_POOL2D]),
       k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       pads=st.tuples(*[st.integers(0, 2)] * 4),
       hw=st.tuples(st.integers(3, 10), st.integers(3, 10)), channels=st.integers(1, 6),
       act=st.integers(0, 3))
def test_pool2d_i8(seed, op, k, stride, dilation, pads, hw, channels, act) -> None:
    rng = np.random.default_rng(seed)
    t, l, b, r = pads
    # Padding narrower than the window, so every window holds an in-image tap (as with SAME).
    assume(t < k[0] and b < k[0] and l < k[1] and r < k[1])
    assume((k[0] - 1) * dilation[0] < hw[0] + t + b and (k[1] - 1) * dilation[1] < hw[1] + l + r)
    p = Pool2DParams(filter_h=k[0], filter_w=k[1], stride_h=stride[0], stride_w=stride[1],
                     dilation_h=dilation[0], dilation_w=dilation[1], pad_top=t, pad_left=l,
                     pad_bottom=b, pad_right=r, activation=FusedActivation(act))
    scale = float(log_uniform(rng, 1e-3, 0.1))
    zp = int(rng.integers(-128, 128))
    x = rng.integers(-128, 128, (int(rng.integers(1, 3)),) + hw + (channels,)).astype(np.int8)
    lo, hi = activation_range(act, scale, zp)
    ref = max_reference if op == OpType.MAX_POOL2D else average_reference
    want = ref(x, p, lo, hi)
    _, inside = windows(x, p)
    assume(inside.any(axis=3).all())  # dilation can still step over a small input
    got = run_graph(build(op, x, p, scale, zp, want.shape), [x])[0]
    assert np.array_equal(got, want)


def test_average_pool2d_i8_rounds_half_away_from_zero() -> None:
    # Windows of two values summing to odd numbers: every average is a tie.
    x = np.array([1, 2, -1, -2, 3, 4, -3, -4], dtype=np.int8).reshape(1, 1, 8, 1)
    p = Pool2DParams(filter_h=1, filter_w=2, stride_h=1, stride_w=2)
    got = run_graph(build(OpType.AVERAGE_POOL2D, x, p, 0.05, 0, (1, 1, 4, 1)), [x])[0]
    assert np.array_equal(got, average_reference(x, p, -128, 127))
    assert got.ravel().tolist() == [2, -2, 4, -4]


def test_pool2d_i8_rejects_different_output_quant() -> None:
    x = np.zeros((1, 4, 4, 2), dtype=np.int8)
    p = Pool2DParams(filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    g = build(OpType.MAX_POOL2D, x, p, 0.05, 3, (1, 2, 2, 2))
    g.tensors["out"].quant = replace(g.tensors["out"].quant, zero_point=(4,))
    with pytest.raises(InvalidModelError, match="share scale and zero point"):
        run_graph(g, [x])
