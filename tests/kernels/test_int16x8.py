"""16x8 kernels (int16 activations with zero point 0, int8 per-channel weights, int64 biases):
CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED, ADD, MAX_POOL2D, QUANTIZE and DEQUANTIZE against
the numpy model of LiteRT's reference arithmetic in fixed_point16.py: bit-exact. Also the
quantization rules the kernel checks (and so the verifier) enforce on int16 tensors."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ir import DType, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, quant_tensor,
                                       run_graph, single_op, snap_pow2)
from tests.kernels.fixed_point16 import (INT16_MAX, INT16_MIN, activation_range16, add16,
                                         fully_connected16_double, int16_tensor, quantize16,
                                         requantize16, requantize_int)
from tests.kernels.test_int8_conv2d import _window_fields, patches, window


def _int16(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(INT16_MIN, INT16_MAX + 1, shape).astype(np.int16)


def _scales(rng: np.random.Generator, cout: int, per_channel: bool, fan_in: int) -> dict:
    """Input, weight and output scales putting typical outputs near 10^4 (some saturate)."""
    s_in = float(log_uniform(rng, 1e-5, 1e-3))
    s_w = log_uniform(rng, 1e-3, 0.05, cout if per_channel else 1)
    s_out = float(s_in * np.mean(s_w) * np.sqrt(fan_in) * 140 * log_uniform(rng, 0.05, 2.0))
    return snap_pow2(rng, {"s_in": s_in, "s_w": s_w, "s_out": s_out})


def _bias(rng: np.random.Generator, n: int, with_bias: bool, big: bool) -> np.ndarray | None:
    """int64 biases; `big` ones pass the int32 range (outputs then mostly saturate)."""
    if not with_bias:
        return None
    return rng.integers(-2**35 if big else -2**24, 2**35 if big else 2**24, n).astype(np.int64)


def _weighted(op: OpType, x: np.ndarray, w: np.ndarray, bias, params, q: dict, axis: int,
              want: np.ndarray):
    g = empty_graph()
    int16_tensor(g, "x", x.shape, q["s_in"])
    quant_tensor(g, "w", w, q["s_w"], axis)
    inputs = ["x", "w"]
    if bias is not None:
        quant_tensor(g, "b", bias, np.float32(q["s_in"]) * np.float32(q["s_w"]), 0)
        inputs.append("b")
    int16_tensor(g, "out", want.shape, q["s_out"])
    return single_op(op, inputs, params, g)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, cin_g=st.integers(1, 5),
       cout_g=st.integers(1, 5), groups=st.sampled_from([1, 1, 2, 3]),
       per_channel=st.booleans(), with_bias=st.booleans(), big=st.booleans(),
       act=st.integers(0, 3))
def test_conv2d_i16(seed, wd, cin_g, cout_g, groups, per_channel, with_bias, big, act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    cout = cout_g * groups
    p = Conv2DParams(groups=groups, activation=FusedActivation(act), **_window_fields(wd))
    w = rng.integers(-127, 128, (cout, kh, kw, cin_g)).astype(np.int8)
    q = _scales(rng, cout, per_channel, kh * kw * cin_g)
    x = _int16(rng, (1,) + wd["hw"] + (cin_g * groups,))
    bias = _bias(rng, cout, with_bias, big)
    taps = patches(x, kh, kw, p, 0)
    acc = np.stack([np.einsum("nhwyxc,yxc->nhw", taps[..., (oc // cout_g) * cin_g:
                                                     (oc // cout_g + 1) * cin_g],
                              w[oc].astype(np.int64)) for oc in range(cout)], axis=-1)
    want = requantize16(acc + (0 if bias is None else bias), q["s_in"], q["s_w"], q["s_out"],
                        act)
    got = run_graph(_weighted(OpType.CONV2D, x, w, bias, p, q, 0, want), [x])[0]
    assert got.dtype == np.int16 and np.array_equal(got, want)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, channels=st.integers(1, 6),
       mult=st.integers(1, 3), per_channel=st.booleans(), with_bias=st.booleans(),
       big=st.booleans(), act=st.integers(0, 3))
def test_depthwise_conv2d_i16(seed, wd, channels, mult, per_channel, with_bias, big,
                              act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    p = DepthwiseConv2DParams(depth_multiplier=mult, activation=FusedActivation(act),
                              **_window_fields(wd))
    w = rng.integers(-127, 128, (1, kh, kw, channels * mult)).astype(np.int8)
    q = _scales(rng, channels * mult, per_channel, kh * kw)
    x = _int16(rng, (1,) + wd["hw"] + (channels,))
    bias = _bias(rng, channels * mult, with_bias, big)
    taps = np.repeat(patches(x, kh, kw, p, 0), mult, axis=-1)
    acc = np.einsum("nhwyxc,yxc->nhwc", taps, w[0].astype(np.int64))
    want = requantize16(acc + (0 if bias is None else bias), q["s_in"], q["s_w"], q["s_out"],
                        act)
    got = run_graph(_weighted(OpType.DEPTHWISE_CONV2D, x, w, bias, p, q, 3, want), [x])[0]
    assert np.array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), depth=st.integers(1, 70),
       units=st.integers(1, 40), per_channel=st.booleans(), with_bias=st.booleans(),
       big=st.booleans(), act=st.integers(0, 3))
def test_fully_connected_i16(seed, rows, depth, units, per_channel, with_bias, big,
                             act) -> None:
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, (units, depth)).astype(np.int8)
    q = _scales(rng, units, per_channel, depth)
    x = _int16(rng, (rows, depth))
    bias = _bias(rng, units, with_bias, big)
    acc = x.astype(np.int64) @ w.T.astype(np.int64) + (0 if bias is None else bias)
    want = fully_connected16_double(acc, q["s_in"], q["s_w"], q["s_out"], act)
    g = _weighted(OpType.FULLY_CONNECTED, x, w, bias,
                  FullyConnectedParams(FusedActivation(act)), q, 0, want)
    assert np.array_equal(run_graph(g, [x])[0], want)


SHAPES = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
          ((7,), ()), ((2, 1, 3, 1), (1, 5, 1, 4)), ((4096,), (4096,))]


def _add_graph(a_shape, b_shape, q: dict, act: int):
    g = empty_graph()
    int16_tensor(g, "a", a_shape, q["s_a"])
    int16_tensor(g, "b", b_shape, q["s_b"])
    int16_tensor(g, "out", np.broadcast_shapes(a_shape, b_shape), q["s_out"])
    return single_op(OpType.ADD, ["a", "b"], BinaryParams(FusedActivation(act)), g)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(SHAPES), act=st.integers(0, 3))
def test_add_i16(seed: int, shapes, act: int) -> None:
    rng = np.random.default_rng(seed)
    s_a = float(log_uniform(rng, 1e-5, 1e-2))
    s_b = float(s_a * log_uniform(rng, 0.1, 10.0))
    q = snap_pow2(rng, {"s_a": s_a, "s_b": s_b,
                        "s_out": max(s_a, s_b) * float(log_uniform(rng, 0.5, 3.0))})
    a, b = _int16(rng, shapes[0]), _int16(rng, shapes[1])
    got = run_graph(_add_graph(a.shape, b.shape, q, act), [a, b])[0]
    assert np.array_equal(got, add16(a, b, q["s_a"], q["s_b"], q["s_out"], act))


def test_add_i16_extremes() -> None:
    """Every combination of the int16 limits and values around 0, with equal and unequal
    scales (the rescaled sums come closest to the int32 headroom)."""
    v = np.array([INT16_MIN, INT16_MIN + 1, -1, 0, 1, INT16_MAX - 1, INT16_MAX], np.int16)
    a, b = np.meshgrid(v, v)
    for q in ({"s_a": 1e-3, "s_b": 1e-3, "s_out": 1e-3}, {"s_a": 3e-4, "s_b": 1e-3,
                                                         "s_out": 2.5e-3}):
        got = run_graph(_add_graph(a.shape, b.shape, q, 0), [a, b])[0]
        assert np.array_equal(got, add16(a, b, q["s_a"], q["s_b"], q["s_out"], 0))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), stride=st.integers(1, 3),
       pad=st.integers(0, 2), act=st.integers(0, 3))
def test_max_pool2d_i16(seed: int, k: int, stride: int, pad: int, act: int) -> None:
    rng = np.random.default_rng(seed)
    x = _int16(rng, (1, 7, 6, 3))
    scale = float(log_uniform(rng, 1e-5, 1e-3))
    p = Pool2DParams(filter_h=k, filter_w=k, stride_h=stride, stride_w=stride, pad_top=pad,
                     pad_left=pad, pad_bottom=pad, pad_right=pad,
                     activation=FusedActivation(act))
    padded = np.pad(x.astype(np.int64), ((0, 0), (pad, pad), (pad, pad), (0, 0)),
                    constant_values=INT16_MIN)
    oh, ow = [(d + 2 * pad - k) // stride + 1 for d in x.shape[1:3]]
    want = np.array([[[padded[0, i * stride:i * stride + k, j * stride:j * stride + k, c].max()
                       for c in range(3)] for j in range(ow)] for i in range(oh)])[None]
    lo, hi = activation_range16(act, scale)
    g = empty_graph()
    int16_tensor(g, "x", x.shape, scale)
    int16_tensor(g, "out", want.shape, scale)
    got = run_graph(single_op(OpType.MAX_POOL2D, ["x"], p, g), [x])[0]
    assert np.array_equal(got, np.clip(want, lo, hi).astype(np.int16))


def _conversion(src_type: DType, dst_type: DType, shape, s_in, zp_in, s_out, zp_out,
                op: OpType = OpType.QUANTIZE):
    g = empty_graph()
    for name, dtype, s, zp in (("x", src_type, s_in, zp_in), ("out", dst_type, s_out, zp_out)):
        if dtype == DType.INT16:
            int16_tensor(g, name, shape, s)
        elif dtype == DType.INT8:
            int8_tensor(g, name, shape, s, zp)
        else:
            g.tensors[name] = Tensor(name, DType.FLOAT32, tuple(shape))
    return single_op(op, ["x"], None, g)


def test_quantize_f32_i16_ties_and_saturation() -> None:
    scale = 3e-4
    k = np.arange(-40000, 40000, 7, dtype=np.float64)
    x = np.concatenate([(k + 0.5) * scale, k * scale, [np.inf, -np.inf, 1e30]]).astype(
        np.float32)
    got = run_graph(_conversion(DType.FLOAT32, DType.INT16, x.shape, 0, 0, scale, 0), [x])[0]
    assert np.array_equal(got, quantize16(x, scale))


@pytest.mark.parametrize("src, dst", [(DType.INT16, DType.INT8), (DType.INT8, DType.INT16),
                                      (DType.INT16, DType.INT16)])
def test_requantize_between_int8_and_int16(src: DType, dst: DType) -> None:
    rng = np.random.default_rng(7)
    info = {DType.INT8: (-128, 127), DType.INT16: (INT16_MIN, INT16_MAX)}
    x = np.arange(info[src][0], info[src][1] + 1).astype(np.int8 if src == DType.INT8
                                                          else np.int16)
    for _ in range(4):
        s_in, s_out = float(log_uniform(rng, 1e-5, 1e-1)), float(log_uniform(rng, 1e-5, 1e-1))
        zp_in = int(rng.integers(-128, 128)) if src == DType.INT8 else 0
        zp_out = int(rng.integers(-128, 128)) if dst == DType.INT8 else 0
        got = run_graph(_conversion(src, dst, x.shape, s_in, zp_in, s_out, zp_out), [x])[0]
        assert np.array_equal(got, requantize_int(x, s_in, zp_in, s_out, zp_out, *info[dst]))


def test_dequantize_i16_exact() -> None:
    x = np.arange(INT16_MIN, INT16_MAX + 1).astype(np.int16)
    scale = 1.2345e-4
    g = _conversion(DType.INT16, DType.FLOAT32, x.shape, scale, 0, 0, 0, OpType.DEQUANTIZE)
    got = run_graph(g, [x])[0]
    assert np.array_equal(got, (np.float64(np.float32(scale)) * x).astype(np.float32))


def _small_conv():
    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (2, 3, 3, 2)).astype(np.int8)
    x = _int16(rng, (1, 5, 5, 2))
    q = {"s_in": 1e-4, "s_w": np.array([0.01, 0.02]), "s_out": 1e-2}
    bias = rng.integers(-1000, 1000, 2).astype(np.int64)
    return _weighted(OpType.CONV2D, x, w, bias, Conv2DParams(), q, 0,
                     np.zeros((1, 3, 3, 2), np.int16)), x


@pytest.mark.parametrize("breakage, message", [
    (lambda g: setattr(g.tensors["x"], "quant", QuantParams((1e-4,), (3,))), "zero point"),
    (lambda g: setattr(g.tensors["out"], "quant", QuantParams((1e-2,), (-1,))), "zero point"),
    (lambda g: g.tensors.__setitem__("b", replace(g.tensors["b"], dtype=DType.INT32,
                                                  data=g.tensors["b"].data.astype(np.int32))),
     "bias"),
    (lambda g: g.tensors.__setitem__("w", replace(g.tensors["w"], quant=QuantParams(
        (0.01, 0.02), (0, 1), 0))), "zero point"),
    (lambda g: setattr(g.tensors["out"], "quant", QuantParams((1e-11,), (0,))), "2\\^14"),
])
def test_int16_rules_are_enforced(breakage, message: str) -> None:
    g, x = _small_conv()
    breakage(g)
    with pytest.raises(InvalidModelError, match=message):
        run_graph(g, [x])


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("constant", [False, True], ids=["runtime", "constant"])
def test_dequantize_i16_per_channel(axis: int, constant: bool) -> None:
    """Each int16 element is scaled by its own channel's scale along `axis` (a per-channel
    walk that counted bytes as elements read and wrote twice the tensor)."""
    rng = np.random.default_rng(axis)
    x = _int16(rng, (2, 47, 3))
    scales = np.float32(log_uniform(rng, 1e-5, 1e-2, x.shape[axis]))
    g = empty_graph()
    quant = QuantParams(tuple(float(s) for s in scales), (0,) * x.shape[axis], axis)
    g.tensors["x"] = Tensor("x", DType.INT16, x.shape, constant_array(x) if constant else None,
                            quant)
    g.tensors["y"] = Tensor("y", DType.FLOAT32, x.shape)
    g.tensors["one"] = Tensor("one", DType.FLOAT32, (1,), constant_array(np.ones(1, np.float32)))
    g.tensors["out"] = Tensor("out", DType.FLOAT32, x.shape)
    # A float op reads the dequantized tensor, so a constant input is computed at prepare.
    g = single_op(OpType.MUL, ["y", "one"], BinaryParams(), g)
    g.nodes.insert(0, Node(OpType.DEQUANTIZE, "dequantize", ["x"], ["y"], None))
    g.inputs = [] if constant else ["x"]
    got = run_graph(g, [] if constant else [x])[0]
    shape = [1, 1, 1]
    shape[axis] = -1
    want = (np.float64(scales.reshape(shape)) * x).astype(np.float32)
    assert np.array_equal(got, want)
