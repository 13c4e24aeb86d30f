"""CONV2D and DEPTHWISE_CONV2D int8 (per-channel weights, int32 bias, SAME/VALID-like pads,
strides, dilations, groups, depth multiplier, fused activations) against a numpy model of
LiteRT's reference arithmetic: bit-exact. Each kernel variant runs in turn (isa_mask NONE
forces the reference loops), and every variant must match the reference byte for byte."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emberlite._ember import lib
from emberlite.converter.ir import DType
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (ISA_VARIANTS, activation_range, empty_graph,
                                       int8_tensor, log_uniform, mbqm, quantize_multiplier,
                                       quant_tensor, run_graph, single_op, snap_pow2, wrap_sum)


def patches(x: np.ndarray, kh: int, kw: int, p: Conv2DParams | DepthwiseConv2DParams,
            zp: int) -> np.ndarray:
    """[N, OH, OW, KH, KW, C] taps of (x - zp), padding contributing 0 (= the zero point)."""
    v = np.pad(x.astype(np.int64) - zp,
               ((0, 0), (p.pad_top, p.pad_bottom), (p.pad_left, p.pad_right), (0, 0)))
    oh = (v.shape[1] - (kh - 1) * p.dilation_h - 1) // p.stride_h + 1
    ow = (v.shape[2] - (kw - 1) * p.dilation_w - 1) // p.stride_w + 1
    taps = [[v[:, ky * p.dilation_h: ky * p.dilation_h + (oh - 1) * p.stride_h + 1: p.stride_h,
               kx * p.dilation_w: kx * p.dilation_w + (ow - 1) * p.stride_w + 1: p.stride_w]
             for kx in range(kw)] for ky in range(kh)]
    return np.stack([np.stack(row, axis=3) for row in taps], axis=3)


def requantize(acc: np.ndarray, s_in: float, s_w: np.ndarray, s_out: float, zp_out: int,
               act: int) -> np.ndarray:
    """Section 2: per output channel MBQM with QM(double(s_in) * double(s_w[c]) / s_out)."""
    out = np.empty(acc.shape, dtype=np.int64)
    for c in range(acc.shape[-1]):
        real = float(np.float32(s_in)) * float(np.float32(s_w[c])) / float(np.float32(s_out))
        out[..., c] = mbqm(acc[..., c], *quantize_multiplier(real))
    lo, hi = activation_range(act, s_out, zp_out)
    return np.clip(out + zp_out, lo, hi).astype(np.int8)


def conv_reference(x, w, bias, p: Conv2DParams, q) -> np.ndarray:
    taps = patches(x, w.shape[1], w.shape[2], p, q["zp_in"])  # [N,OH,OW,KH,KW,Cin]
    cout, cin_g = w.shape[0], w.shape[3]
    cout_g = cout // p.groups
    acc = np.empty(taps.shape[:3] + (cout,), dtype=np.int64)
    for oc in range(cout):
        g = oc // cout_g
        t = taps[..., g * cin_g:(g + 1) * cin_g]
        acc[..., oc] = wrap_sum((t * w[oc].astype(np.int64)).reshape(t.shape[:3] + (-1,)), 3)
    if bias is not None:
        acc = acc + bias
    return requantize(acc, q["s_in"], q["s_w"], q["s_out"], q["zp_out"], p.activation)


def depthwise_reference(x, w, bias, p: DepthwiseConv2DParams, q) -> np.ndarray:
    taps = patches(x, w.shape[1], w.shape[2], p, q["zp_in"])  # [N,OH,OW,KH,KW,C]
    taps = np.repeat(taps, p.depth_multiplier, axis=-1)       # channel oc reads oc // mult
    acc = wrap_sum((taps * w[0].astype(np.int64)).reshape(taps.shape[:3] + (-1, w.shape[3])), 3)
    if bias is not None:
        acc = acc + bias
    return requantize(acc, q["s_in"], q["s_w"], q["s_out"], q["zp_out"], p.activation)


def quant(rng: np.random.Generator, cout: int, per_channel: bool, fan_in: int) -> dict:
    s_in = float(log_uniform(rng, 1e-3, 0.1))
    s_w = log_uniform(rng, 1e-3, 0.05, cout if per_channel else 1)
    s_out = float(s_in * np.mean(s_w) * np.sqrt(fan_in) * 40 * log_uniform(rng, 0.05, 2.0))
    return snap_pow2(rng, {"s_in": s_in, "zp_in": int(rng.integers(-128, 128)), "s_w": s_w,
                           "s_out": s_out, "zp_out": int(rng.integers(-128, 128))})


def build(op: OpType, rng, x_shape, w, params, q, with_bias: bool, axis: int):
    cout = w.shape[0] if op == OpType.CONV2D else w.shape[3]
    s_w = np.broadcast_to(q["s_w"], (cout,))
    bias = rng.integers(-20000, 20000, cout).astype(np.int32) if with_bias else None
    x = rng.integers(-128, 128, x_shape).astype(np.int8)
    ref = conv_reference if op == OpType.CONV2D else depthwise_reference
    want = ref(x, w, bias, params, {**q, "s_w": s_w})
    g = empty_graph()
    int8_tensor(g, "x", x_shape, q["s_in"], q["zp_in"])
    quant_tensor(g, "w", w, q["s_w"], axis)
    inputs = ["x", "w"]
    if bias is not None:
        quant_tensor(g, "b", bias, np.float32(q["s_in"]) * np.float32(q["s_w"]), 0)
        inputs.append("b")
    int8_tensor(g, "out", want.shape, q["s_out"], q["zp_out"])
    return single_op(op, inputs, params, g), x, want


window = st.fixed_dictionaries({
    "k": st.tuples(st.integers(1, 4), st.integers(1, 4)),
    "stride": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "pads": st.tuples(*[st.integers(0, 2)] * 4),
    "hw": st.tuples(st.integers(4, 9), st.integers(4, 9)),
})


def _window_fields(wd: dict) -> dict:
    t, l, b, r = wd["pads"]
    (kh, kw), (dh, dw), (h, w) = wd["k"], wd["dilation"], wd["hw"]
    assume((kh - 1) * dh < h + t + b and (kw - 1) * dw < w + l + r)  # the filter fits
    return dict(stride_h=wd["stride"][0], stride_w=wd["stride"][1],
                dilation_h=wd["dilation"][0], dilation_w=wd["dilation"][1],
                pad_top=t, pad_left=l, pad_bottom=b, pad_right=r)


@pytest.mark.parametrize("isa", ISA_VARIANTS)
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, cin_g=st.integers(1, 5),
       cout_g=st.integers(1, 5), groups=st.sampled_from([1, 1, 2, 3]), batch=st.integers(1, 2),
       per_channel=st.booleans(), with_bias=st.booleans(), act=st.integers(0, 3))
def test_conv2d_i8(isa, seed, wd, cin_g, cout_g, groups, batch, per_channel, with_bias,
                   act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    cout = cout_g * groups
    params = Conv2DParams(groups=groups, activation=FusedActivation(act), **_window_fields(wd))
    w = rng.integers(-127, 128, (cout, kh, kw, cin_g)).astype(np.int8)
    q = quant(rng, cout, per_channel, kh * kw * cin_g)
    g, x, want = build(OpType.CONV2D, rng, (batch,) + wd["hw"] + (cin_g * groups,), w, params,
                       q, with_bias, 0)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], want)


@pytest.mark.parametrize("isa", ISA_VARIANTS[1:])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, cin_g=st.sampled_from([1, 3, 15, 16, 17, 33]),
       cout_g=st.integers(1, 9), groups=st.sampled_from([1, 1, 2]), per_channel=st.booleans(),
       with_bias=st.booleans(), act=st.integers(0, 3))
def test_conv2d_i8_variant_matches_reference(isa, seed, wd, cin_g, cout_g, groups, per_channel,
                                             with_bias, act) -> None:
    """Channel counts around the 16-element blocks of the optimised loops, and windows both
    inside the image (zero point folded out) and on its border: byte-identical outputs."""
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    cout = cout_g * groups
    params = Conv2DParams(groups=groups, activation=FusedActivation(act), **_window_fields(wd))
    w = rng.integers(-128, 128, (cout, kh, kw, cin_g)).astype(np.int8)
    q = quant(rng, cout, per_channel, kh * kw * cin_g)
    g, x, want = build(OpType.CONV2D, rng, (1,) + wd["hw"] + (cin_g * groups,), w, params, q,
                       with_bias, 0)
    ref = run_graph(g, [x], isa_mask=lib.EMBER_ISA_NONE)[0]
    assert np.array_equal(ref, want)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], ref)


@pytest.mark.parametrize("isa", ISA_VARIANTS)
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, channels=st.integers(1, 6),
       mult=st.integers(1, 3), per_channel=st.booleans(), with_bias=st.booleans(),
       act=st.integers(0, 3))
def test_depthwise_conv2d_i8(isa, seed, wd, channels, mult, per_channel, with_bias,
                             act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    params = DepthwiseConv2DParams(depth_multiplier=mult, activation=FusedActivation(act),
                                   **_window_fields(wd))
    w = rng.integers(-127, 128, (1, kh, kw, channels * mult)).astype(np.int8)
    q = quant(rng, channels * mult, per_channel, kh * kw)
    g, x, want = build(OpType.DEPTHWISE_CONV2D, rng, (1,) + wd["hw"] + (channels,), w, params,
                       q, with_bias, 3)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], want)


@pytest.mark.parametrize("isa", ISA_VARIANTS[1:])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, channels=st.sampled_from([1, 15, 16, 17, 33]),
       mult=st.sampled_from([1, 1, 2]), batch=st.integers(1, 2), per_channel=st.booleans(),
       with_bias=st.booleans(), act=st.integers(0, 3))
def test_depthwise_conv2d_i8_variant_matches_reference(isa, seed, wd, channels, mult, batch,
                                                       per_channel, with_bias, act) -> None:
    """Channel counts around the 16-element blocks of the optimised loop: byte-identical."""
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    params = DepthwiseConv2DParams(depth_multiplier=mult, activation=FusedActivation(act),
                                   **_window_fields(wd))
    w = rng.integers(-128, 128, (1, kh, kw, channels * mult)).astype(np.int8)
    q = quant(rng, channels * mult, per_channel, kh * kw)
    g, x, want = build(OpType.DEPTHWISE_CONV2D, rng, (batch,) + wd["hw"] + (channels,), w,
                       params, q, with_bias, 3)
    ref = run_graph(g, [x], isa_mask=lib.EMBER_ISA_NONE)[0]
    assert np.array_equal(ref, want)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], ref)


def test_conv2d_i8_rejects_per_channel_count() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (4, 3, 3, 4)).astype(np.int8)
    q = quant(rng, 4, True, 36)
    g, x, _ = build(OpType.CONV2D, rng, (1, 6, 6, 4), w, Conv2DParams(), q, False, 0)
    g.tensors["w"].quant = replace(g.tensors["w"].quant, axis=3)
    with pytest.raises(InvalidModelError, match="scales on axis 0"):
        run_graph(g, [x])


def test_depthwise_conv2d_i8_rejects_float_bias() -> None:
    rng = np.random.default_rng(4)
    w = rng.integers(-127, 128, (1, 3, 3, 2)).astype(np.int8)
    q = quant(rng, 2, True, 9)
    g, x, _ = build(OpType.DEPTHWISE_CONV2D, rng, (1, 6, 6, 2), w, DepthwiseConv2DParams(), q,
                    True, 3)
    b = g.tensors["b"]
    g.tensors["b"] = replace(b, dtype=DType.FLOAT32, data=b.data.astype(np.float32))
    with pytest.raises(InvalidModelError, match="bias"):
        run_graph(g, [x])
