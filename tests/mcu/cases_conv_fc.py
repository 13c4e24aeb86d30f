"""int8 CONV2D and FULLY_CONNECTED cases for the Cortex-M kernels (csrc/ukernels/armdsp/
conv_qs8_1x4c4_armdsp.c, fc_qs8_1x4c4_armdsp.c and the mve twins): small random one-node models
whose shapes walk through every tail the kernels have (channel counts 1..17 against tiles of 4
output channels and 4- or 16-byte steps, filter rows cut by padding, groups, dilation), input
zero points at both ends of the range, per-channel weight scales from 1e-6 to 1, and the three
clamp ranges. The expected bytes come from the host's reference kernels (test_mcu_kernels.py)."""
from __future__ import annotations

import math

import numpy as np

from emberlite.converter.ops import OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.op_type import FusedActivation
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, quant_tensor,
                                       single_op, snap_pow2)
from tests.mcu.cases import McuCase

ACTIVATIONS = [FusedActivation.NONE, FusedActivation.RELU, FusedActivation.RELU6]


def _quant(rng: np.random.Generator, channels: int, fan_in: int, kind: str) -> dict:
    """Scales and zero points of one case. The input zero point is -128, 127 or random.
    kind "narrow": weight scales over 1e-3..0.05 (one for all, or one per channel);
    "wide": per-channel weight scales log-uniform over 1e-6..1 (many channels then clamp or
    round to the zero point); "ties": every scale a power of two, the multipliers 2^-1..2^-4
    per channel, so that each output is a rounding shift of a small sum by 1 to 4 bits and
    ties (x.5, negative ones too) are frequent; "huge": an output scale so small that every
    multiplier is 2^33 or more (a shift past 31, left to the reference loop)."""
    zp_in = int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))
    zp_out = int(rng.integers(-128, 128))
    if kind == "ties":
        return {"s_in": 2.0**-7, "s_w": 2.0 ** (4 - rng.integers(1, 5, channels)),
                "s_out": 2.0**-3, "zp_in": zp_in, "zp_out": zp_out}
    s_in = float(log_uniform(rng, 1e-3, 0.1))
    if kind == "wide":
        s_w = log_uniform(rng, 1e-6, 1.0, channels)
    elif rng.random() < 0.3:
        s_w = log_uniform(rng, 1e-3, 0.05, 1)
    else:
        s_w = log_uniform(rng, 1e-3, 0.05, channels)
    # Sums of fan_in products of random int8 weights (about 74 in size) and random int8
    # inputs minus zp_in (74 to 147): an output scale that spreads them over about +-40
    # steps, give or take a factor of 3 (then the clamps and the rounding both matter).
    s_out = float(s_in * np.median(s_w) * _sum_size(fan_in) / 40.0 * log_uniform(rng, 0.3, 3.0))
    if kind == "huge":
        s_out = float(s_in * np.min(s_w) / 2.0**34)
    q = snap_pow2(rng, {"s_in": s_in, "s_w": s_w, "s_out": s_out})
    q.update(zp_in=zp_in, zp_out=zp_out)
    return q


def _sum_size(fan_in: int) -> float:
    return 110.0 * 74.0 * math.sqrt(fan_in)


def _draw(rng: np.random.Generator, w_shape: tuple[int, ...], x_shape: tuple[int, ...],
          fan_in: int, q: dict, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, input and bias: random over the int8 range (weights from -128 for "wide",
    else -127) and a bias of about the sums' size; for "ties", weights in [-2, 2], inputs
    within 4 of the zero point and a bias in [-8, 8], so that the sums stay small."""
    if kind == "ties":
        w = rng.integers(-2, 3, w_shape)
        x = np.clip(q["zp_in"] + rng.integers(-4, 5, x_shape), -128, 127)
        bias = rng.integers(-8, 9, w_shape[0])
    else:
        w = rng.integers(-128 if kind == "wide" else -127, 128, w_shape)
        x = rng.integers(-128, 128, x_shape)
        bound = int(2 * _sum_size(fan_in))
        bias = rng.integers(-bound, bound, w_shape[0])
    return w.astype(np.int8), x.astype(np.int8), bias.astype(np.int32)


def _pads(size: int, k: int, stride: int, dilation: int, same: bool) -> tuple[int, int, int]:
    """(pad_before, pad_after, output size) of TensorFlow's SAME or VALID padding."""
    span = (k - 1) * dilation + 1
    out = -(-size // stride) if same else (size - span + stride) // stride
    total = max(0, (out - 1) * stride + span - size) if same else 0
    return total // 2, total - total // 2, out


def conv_case(rng: np.random.Generator, name: str, batch: int, hw: tuple[int, int],
              cin: int, cout: int, k: tuple[int, int], stride: tuple[int, int],
              dilation: tuple[int, int], same: bool, groups: int, act: FusedActivation,
              bias: bool, kind: str) -> McuCase:
    top, bottom, oh = _pads(hw[0], k[0], stride[0], dilation[0], same)
    left, right, ow = _pads(hw[1], k[1], stride[1], dilation[1], same)
    assert oh >= 1 and ow >= 1, name
    fan_in = k[0] * k[1] * cin // groups
    q = _quant(rng, cout, fan_in, kind)
    w, x, b = _draw(rng, (cout, *k, cin // groups), (batch, *hw, cin), fan_in, q, kind)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, q["s_in"], q["zp_in"])
    quant_tensor(g, "w", w, q["s_w"], 0)
    inputs = ["x", "w"]
    if bias:
        quant_tensor(g, "b", b, np.float32(q["s_in"]) * np.float32(q["s_w"]), 0)
        inputs.append("b")
    int8_tensor(g, "out", (batch, oh, ow, cout), q["s_out"], q["zp_out"])
    params = Conv2DParams(stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0],
                          dilation_w=dilation[1], pad_top=top, pad_left=left,
                          pad_bottom=bottom, pad_right=right, groups=groups, activation=act)
    graph = single_op(OpType.CONV2D, inputs, params, g)
    return McuCase(name, serialize(graph, plan_memory(graph)), [x],
                   None if kind == "huge" else "conv2d")


def fc_case(rng: np.random.Generator, name: str, lead: tuple[int, ...], depth: int,
            units: int, act: FusedActivation, bias: bool, kind: str) -> McuCase:
    q = _quant(rng, units, depth, kind)
    w, x, b = _draw(rng, (units, depth), (*lead, depth), depth, q, kind)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, q["s_in"], q["zp_in"])
    quant_tensor(g, "w", w, q["s_w"], 0)
    inputs = ["x", "w"]
    if bias:
        quant_tensor(g, "b", b, np.float32(q["s_in"]) * np.float32(q["s_w"]), 0)
        inputs.append("b")
    int8_tensor(g, "out", (*lead, units), q["s_out"], q["zp_out"])
    graph = single_op(OpType.FULLY_CONNECTED, inputs, FullyConnectedParams(activation=act), g)
    return McuCase(name, serialize(graph, plan_memory(graph)), [x], "fully_connected")


# Quantization kinds the cases cycle through (see _quant).
KINDS = ["wide", "narrow", "ties", "narrow", "wide", "ties"]
# Filter windows, strides and dilations the conv cases cycle through.
KERNELS = [(1, 1), (3, 3), (5, 5), (1, 3), (3, 1), (2, 2)]
STRIDES = [(1, 1), (2, 2), (1, 2), (2, 1)]


def conv_cases(rng: np.random.Generator) -> list[McuCase]:
    out = []
    for i in range(51):
        cin = i % 17 + 1            # every count 1..17, three times
        cout = (i * 7) % 17 + 1     # every count 1..17 against different cin
        k = KERNELS[i % len(KERNELS)]
        stride = STRIDES[(i // 2) % len(STRIDES)]
        dilation = {1: (2, 1), 4: (2, 2), 7: (1, 2)}.get(i % 9, (1, 1))
        same = i % 3 != 2
        groups = 1
        if i % 8 == 5:              # grouped: cin and cout multiples of the groups
            groups = 2 if i % 16 == 5 else 3
            cin, cout = groups * (cin // groups or 1), groups * (cout // groups or 1)
        span_h, span_w = ((k[0] - 1) * dilation[0] + 1, (k[1] - 1) * dilation[1] + 1)
        hw = (int(rng.integers(max(2, span_h), 9)), int(rng.integers(max(2, span_w), 9)))
        out.append(conv_case(rng, f"conv{i:02d}", batch=1 + (i % 5 == 3), hw=hw, cin=cin,
                             cout=cout, k=k, stride=stride, dilation=dilation, same=same,
                             groups=groups, act=ACTIVATIONS[i % 3], bias=i % 4 != 1,
                             kind=KINDS[i % len(KINDS)]))
    # Wider channel counts: several full tiles of 4 channels and 16-byte steps, then a tail.
    out.append(conv_case(rng, "conv_wide_3x3", 1, (6, 6), 35, 21, (3, 3), (1, 1), (1, 1), True,
                         1, FusedActivation.RELU, True, "narrow"))
    out.append(conv_case(rng, "conv_wide_1x1", 2, (4, 5), 64, 36, (1, 1), (1, 1), (1, 1), False,
                         1, FusedActivation.NONE, True, "wide"))
    out.append(conv_case(rng, "conv_ties_3x3", 1, (7, 7), 19, 13, (3, 3), (1, 1), (1, 1), True,
                         1, FusedActivation.NONE, True, "ties"))
    # Stride and dilation 3 (the kernels take any).
    out.append(conv_case(rng, "conv_s3_d3", 1, (11, 10), 6, 5, (3, 3), (3, 3), (3, 3), True,
                         1, FusedActivation.NONE, True, "narrow"))
    # A first layer: three input channels, 5x5 stride 2.
    out.append(conv_case(rng, "conv_rgb_5x5s2", 1, (9, 9), 3, 8, (5, 5), (2, 2), (1, 1), True,
                         1, FusedActivation.RELU6, True, "narrow"))
    # Multipliers past 2^32 (shift > 31): the reference loop runs instead, and must still give
    # the host's bytes.
    out.append(conv_case(rng, "conv_huge_multiplier", 1, (4, 4), 5, 3, (3, 3), (1, 1), (1, 1),
                         True, 1, FusedActivation.NONE, True, "huge"))
    return out


def fc_cases(rng: np.random.Generator) -> list[McuCase]:
    out = []
    depths = list(range(1, 18)) + [31, 32, 33, 47, 63, 64, 65, 100, 129]
    for i, depth in enumerate(depths):
        units = (i * 5) % 17 + 1
        lead = [(1,), (2,), (3,), (2, 3)][i % 4]
        out.append(fc_case(rng, f"fc{i:02d}", lead, depth, units, ACTIVATIONS[i % 3],
                           bias=i % 4 != 2, kind=KINDS[(i + 1) % len(KINDS)]))
    out.append(fc_case(rng, "fc_wide", (1,), 256, 40, FusedActivation.RELU, True, "narrow"))
    out.append(fc_case(rng, "fc_ties", (8,), 37, 19, FusedActivation.NONE, True, "ties"))
    return out


def cases() -> list[McuCase]:
    rng = np.random.default_rng(2414)
    return conv_cases(rng) + fc_cases(rng)
