"""int8 DEPTHWISE_CONV2D, ADD, MAX_POOL2D and AVERAGE_POOL2D cases for the Cortex-M kernels
(csrc/ukernels/armdsp/dwconv_qs8_c4_armdsp.c, vbinary_qs8_add_armdsp.c, pool_qs8_armdsp.c and
their mve twins): small random one-node models whose shapes walk through every tail the kernels
have (channel counts 1..33 against steps of 4, 8 and 16 channels, windows cut by padding, channel
multipliers 1 and 2), input zero points at both ends of the range, per-channel weight scales from
1e-6 to 1, ADD's broadcasts (scalar, per channel, same shape) with extreme zero points and scale
ratios, and the three clamp ranges. The expected bytes come from the host's reference kernels
(test_mcu_kernels.py); a case whose op must keep its reference loop on the board (channel
multiplier 3, a multiplier past 2^31) names no fast op."""
from __future__ import annotations

import math

import numpy as np

from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.op_type import FusedActivation
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, quant_tensor,
                                       single_op, snap_pow2)
from tests.mcu.cases import McuCase

ACTIVATIONS = [FusedActivation.NONE, FusedActivation.RELU, FusedActivation.RELU6]


def _case(name: str, graph, inputs: list[np.ndarray], fast_op: str | None) -> McuCase:
    return McuCase(name, serialize(graph, plan_memory(graph)), inputs, fast_op)


def _pads(size: int, k: int, stride: int, dilation: int, same: bool) -> tuple[int, int, int]:
    """(pad_before, pad_after, output size) of TensorFlow's SAME or VALID padding."""
    span = (k - 1) * dilation + 1
    out = -(-size // stride) if same else (size - span + stride) // stride
    total = max(0, (out - 1) * stride + span - size) if same else 0
    return total // 2, total - total // 2, out


def _int8(rng: np.random.Generator, shape: tuple[int, ...], extreme: bool) -> np.ndarray:
    """Random int8 values; `extreme`: only -128 and 127."""
    if extreme:
        return rng.choice(np.array([-128, 127], np.int8), shape)
    return rng.integers(-128, 128, shape).astype(np.int8)


def _zero_point(rng: np.random.Generator, i: int) -> int:
    """-128, 127, then a random one, in turn."""
    return [-128, 127, int(rng.integers(-128, 128))][i % 3]


# ---- DEPTHWISE_CONV2D ----------------------------------------------------------------------

def depthwise_case(rng: np.random.Generator, name: str, batch: int, hw: tuple[int, int],
                   cin: int, multiplier: int, k: tuple[int, int], stride: tuple[int, int],
                   dilation: tuple[int, int], same: bool, act: FusedActivation, bias: bool,
                   zp_in: int, kind: str) -> McuCase:
    """kind "wide": per-channel weight scales log-uniform over 1e-6..1 (many channels clamp or
    round to the zero point); "narrow": over 1e-3..0.05, or one scale for all; "ties": every
    scale a power of two and small sums, so that outputs are rounding shifts of a few bits
    with frequent ties; "huge": multipliers past 2^31 (the reference loop runs on the board)."""
    top, bottom, oh = _pads(hw[0], k[0], stride[0], dilation[0], same)
    left, right, ow = _pads(hw[1], k[1], stride[1], dilation[1], same)
    assert oh >= 1 and ow >= 1, name
    cout = cin * multiplier
    taps = k[0] * k[1]
    if kind == "ties":
        s_in, s_w, s_out = 2.0**-7, 2.0 ** (4 - rng.integers(1, 5, cout)), 2.0**-3
        w = rng.integers(-2, 3, (1, *k, cout)).astype(np.int8)
        x = np.clip(zp_in + rng.integers(-4, 5, (batch, *hw, cin)), -128, 127).astype(np.int8)
        b = rng.integers(-8, 9, cout).astype(np.int32)
    else:
        s_in = float(log_uniform(rng, 1e-3, 0.1))
        if kind == "narrow" and rng.random() < 0.3:
            s_w = log_uniform(rng, 1e-3, 0.05, 1)
        else:
            s_w = log_uniform(rng, *((1e-6, 1.0) if kind == "wide" else (1e-3, 0.05)), cout)
        # sums of `taps` products of about 74 x 110: spread over about +-40 output steps
        size = 74.0 * 110.0 * math.sqrt(taps)
        s_out = float(s_in * np.median(s_w) * size / 40.0 * log_uniform(rng, 0.3, 3.0))
        if kind == "huge":
            s_out = float(s_in * np.min(s_w) / 2.0**34)
        q = snap_pow2(rng, {"s_in": s_in, "s_w": s_w, "s_out": s_out})
        s_in, s_w, s_out = q["s_in"], q["s_w"], q["s_out"]
        w = _int8(rng, (1, *k, cout), extreme=kind == "wide" and rng.random() < 0.3)
        x = _int8(rng, (batch, *hw, cin), extreme=rng.random() < 0.15)
        b = rng.integers(-int(2 * size), int(2 * size), cout).astype(np.int32)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, s_in, zp_in)
    quant_tensor(g, "w", w, s_w, 3)
    inputs = ["x", "w"]
    if bias:
        quant_tensor(g, "b", b, np.float32(s_in) * np.float32(s_w), 0)
        inputs.append("b")
    int8_tensor(g, "out", (batch, oh, ow, cout), s_out, int(rng.integers(-128, 128)))
    params = DepthwiseConv2DParams(stride_h=stride[0], stride_w=stride[1],
                                   dilation_h=dilation[0], dilation_w=dilation[1], pad_top=top,
                                   pad_left=left, pad_bottom=bottom, pad_right=right,
                                   depth_multiplier=multiplier, activation=act)
    graph = single_op(OpType.DEPTHWISE_CONV2D, inputs, params, g)
    fast = None if kind == "huge" or multiplier > 2 else "depthwise_conv2d"
    return _case(name, graph, [x], fast)


KINDS = ["wide", "narrow", "ties", "narrow", "wide"]


def depthwise_cases(rng: np.random.Generator) -> list[McuCase]:
    out = []
    # 3x3 and 5x5, strides 1 and 2, SAME and VALID, multipliers 1 and 2: every combination
    # twice over 64 cases, against channel counts 1..33 (every tail of 4 and of 16).
    for i in range(64):
        k = (3, 3) if i % 2 == 0 else (5, 5)
        s = (1, 1) if (i // 2) % 2 == 0 else (2, 2)
        same = (i // 4) % 2 == 0
        multiplier = 1 if (i // 8) % 2 == 0 else 2
        cin = i % 33 + 1 if multiplier == 1 else i % 17 + 1
        span = k[0] if same else k[0] + 1
        hw = (int(rng.integers(max(2, span), 9)), int(rng.integers(max(2, span), 9)))
        out.append(depthwise_case(rng, f"dw{i:02d}", batch=1 + (i % 11 == 5), hw=hw, cin=cin,
                                  multiplier=multiplier, k=k, stride=s, dilation=(1, 1),
                                  same=same, act=ACTIVATIONS[i % 3], bias=i % 5 != 3,
                                  zp_in=_zero_point(rng, i), kind=KINDS[i % len(KINDS)]))
    # Other windows: dilation, 1xK and Kx1, a window wider than the image (taps cut by the
    # padding on both sides), mixed strides.
    extra = [((3, 3), (1, 1), (2, 2), 7), ((1, 3), (1, 2), (1, 1), 16),
             ((3, 1), (2, 1), (1, 1), 5), ((5, 5), (1, 1), (1, 1), 33),
             ((2, 2), (2, 2), (1, 2), 20), ((3, 3), (1, 1), (1, 1), 64)]
    for j, (k, s, d, cin) in enumerate(extra):
        hw = (3, 3) if j == 3 else (6, 7)
        out.append(depthwise_case(rng, f"dw_window{j}", 1, hw, cin, 1 + j % 2, k, s, d, True,
                                  ACTIVATIONS[j % 3], True, _zero_point(rng, j),
                                  KINDS[j % len(KINDS)]))
    # Left to the reference on the board: channel multiplier 3, and multipliers past 2^31.
    out.append(depthwise_case(rng, "dw_multiplier3", 1, (5, 5), 6, 3, (3, 3), (1, 1), (1, 1),
                              True, FusedActivation.NONE, True, 127, "narrow"))
    out.append(depthwise_case(rng, "dw_huge_multiplier", 1, (4, 4), 5, 1, (3, 3), (1, 1), (1, 1),
                              True, FusedActivation.NONE, True, -128, "huge"))
    return out


# ---- ADD -----------------------------------------------------------------------------------

ADD_SHAPES = [((1, 4, 4, 8), (1, 4, 4, 8)), ((1, 3, 5, 7), ()), ((1, 4, 3, 13), (13,)),
              ((2, 3, 4, 5), (1, 3, 1, 5)), ((37,), (37,)), ((1, 1, 1, 1), (1, 1, 1, 1)),
              ((1, 2, 2, 33), (1, 1, 1, 33)), ((), (1, 5, 5, 3)), ((1, 6, 6, 16), (1, 6, 6, 16)),
              ((3, 1, 17), (1, 4, 17)), ((1, 8, 8, 2), (1, 8, 8, 2)), ((5, 19), (19,))]


def add_case(rng: np.random.Generator, name: str, a_shape, b_shape, act: FusedActivation,
             i: int, const_b: bool) -> McuCase:
    """Scales: the second input's up to 1000 times the first's either way, the output's from
    a twentieth to twenty times the larger; zero points at the ends of the range in turn."""
    s_a = float(log_uniform(rng, 1e-4, 0.5))
    s_b = float(s_a * log_uniform(rng, 1e-3, 1e3))
    s_out = max(s_a, s_b) * float(log_uniform(rng, 0.05, 20.0))
    q = snap_pow2(rng, {"s_a": s_a, "s_b": s_b, "s_out": s_out})
    zp_a, zp_b = _zero_point(rng, i), _zero_point(rng, i + 1)
    zp_out = [127, -128, int(rng.integers(-128, 128))][i % 3]
    a = _int8(rng, a_shape, extreme=i % 7 == 3)
    b = _int8(rng, b_shape, extreme=i % 7 == 4)
    g = empty_graph()
    int8_tensor(g, "a", a.shape, q["s_a"], zp_a)
    int8_tensor(g, "b", b.shape, q["s_b"], zp_b, data=b if const_b else None)
    int8_tensor(g, "out", np.broadcast_shapes(a.shape, b.shape), q["s_out"], zp_out)
    graph = single_op(OpType.ADD, ["a", "b"], BinaryParams(activation=act), g)
    return _case(name, graph, [a] if const_b else [a, b], "add")


def add_all_pairs_case(name: str, q: dict, act: FusedActivation) -> McuCase:
    """Every (a, b) pair of int8 values once."""
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256)
    g = empty_graph()
    int8_tensor(g, "a", a.shape, q["s_a"], q["zp_a"])
    int8_tensor(g, "b", b.shape, q["s_b"], q["zp_b"])
    int8_tensor(g, "out", a.shape, q["s_out"], q["zp_out"])
    graph = single_op(OpType.ADD, ["a", "b"], BinaryParams(activation=act), g)
    return _case(name, graph, [a, b], "add")


def add_cases(rng: np.random.Generator) -> list[McuCase]:
    out = []
    for i in range(36):
        a_shape, b_shape = ADD_SHAPES[i % len(ADD_SHAPES)]
        if i % 2:
            a_shape, b_shape = b_shape, a_shape
        out.append(add_case(rng, f"add{i:02d}", a_shape, b_shape, ACTIVATIONS[i % 3], i,
                            const_b=i % 6 == 5))
    # All 65,536 input pairs: scales a factor 1000 apart, powers of two (ties), unrelated
    # ones with a clamp.
    settings = [({"s_a": 0.002, "s_b": 2.0, "s_out": 2.5, "zp_a": -128, "zp_b": 0,
                  "zp_out": 0}, FusedActivation.NONE),
                ({"s_a": 2.0**-6, "s_b": 2.0**-4, "s_out": 2.0**-3, "zp_a": 127, "zp_b": -128,
                  "zp_out": -20}, FusedActivation.NONE),
                ({"s_a": 0.0371, "s_b": 0.0523, "s_out": 0.0913, "zp_a": 3, "zp_b": -77,
                  "zp_out": 10}, FusedActivation.RELU)]
    for j, (q, act) in enumerate(settings):
        out.append(add_all_pairs_case(f"add_all_pairs{j}", q, act))
    return out


# ---- MAX_POOL2D, AVERAGE_POOL2D ------------------------------------------------------------

def pool_case(rng: np.random.Generator, name: str, op: OpType, batch: int, hw: tuple[int, int],
              channels: int, k: tuple[int, int], stride: tuple[int, int],
              pads: tuple[int, int, int, int], act: FusedActivation, zp: int,
              extreme: bool) -> McuCase:
    top, left, bottom, right = pads
    oh = (hw[0] + top + bottom - k[0]) // stride[0] + 1
    ow = (hw[1] + left + right - k[1]) // stride[1] + 1
    assert oh >= 1 and ow >= 1, name
    x = _int8(rng, (batch, *hw, channels), extreme)
    scale = float(log_uniform(rng, 1e-3, 1.0))
    g = empty_graph()
    int8_tensor(g, "x", x.shape, scale, zp)
    int8_tensor(g, "out", (batch, oh, ow, channels), scale, zp)
    params = Pool2DParams(filter_h=k[0], filter_w=k[1], stride_h=stride[0], stride_w=stride[1],
                          pad_top=top, pad_left=left, pad_bottom=bottom, pad_right=right,
                          activation=act)
    graph = single_op(op, ["x"], params, g)
    return _case(name, graph, [x], op.name.lower())


def pool_cases(rng: np.random.Generator, op: OpType, prefix: str) -> list[McuCase]:
    out = []
    # 2x2 and 3x3, strides 1 and 2, SAME and VALID padding, against channel counts 1..33.
    for i in range(24):
        k = (2, 2) if i % 2 == 0 else (3, 3)
        s = (1, 1) if (i // 2) % 2 == 0 else (2, 2)
        same = (i // 4) % 2 == 0
        channels = (i * 7) % 33 + 1
        hw = (int(rng.integers(3, 9)), int(rng.integers(3, 9)))
        top, bottom, _ = _pads(hw[0], k[0], s[0], 1, same)
        left, right, _ = _pads(hw[1], k[1], s[1], 1, same)
        out.append(pool_case(rng, f"{prefix}{i:02d}", op, 1 + (i % 9 == 4), hw, channels, k, s,
                             (top, left, bottom, right), ACTIVATIONS[i % 3],
                             _zero_point(rng, i), extreme=i % 5 == 2))
    # A window of padding only in the last row and column (as ceil_mode's extra pad gives),
    # one as large as the image, a 16x16 window (256 taps, the most the int16 sums hold) and
    # a 17x16 one (past it).
    out.append(pool_case(rng, f"{prefix}_pad_only", op, 1, (4, 4), 19, (2, 2), (2, 2),
                         (0, 0, 2, 2), FusedActivation.NONE, 5, False))
    out.append(pool_case(rng, f"{prefix}_global", op, 1, (5, 7), 33, (5, 7), (1, 1),
                         (0, 0, 0, 0), FusedActivation.RELU, -128, True))
    out.append(pool_case(rng, f"{prefix}_256_taps", op, 1, (16, 16), 18, (16, 16), (1, 1),
                         (0, 0, 0, 0), FusedActivation.NONE, 127, True))
    out.append(pool_case(rng, f"{prefix}_272_taps", op, 1, (17, 16), 5, (17, 16), (1, 1),
                         (0, 0, 0, 0), FusedActivation.RELU6, 0, True))
    return out


def cases() -> list[McuCase]:
    rng = np.random.default_rng(1405)
    return (depthwise_cases(rng) + add_cases(rng) + pool_cases(rng, OpType.MAX_POOL2D, "maxpool")
            + pool_cases(rng, OpType.AVERAGE_POOL2D, "avgpool"))
