"""The fast 16x8 paths of CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED (one family: they share
csrc/kernels/conv16x8.c and the microkernels of csrc/ukernels/gemm_qs16x8.h), byte for byte
against the reference loops (isa_mask NONE) and the numpy model of tests/kernels/fixed_point16.py:

- random shapes covering every tail (channels 1..40 around the 16-wide tiles, 1..9 rows of the
  4-row tiles, kernels 1x1 to 5x5, stride 2, dilation 2, every padding, batch 2);
- sums longer than an int32 block (K > 510 products) made of the extreme values (inputs
  -32768 / 32767, weights -128 / 127), so a missing or misplaced flush into int64 overflows;
- per-channel weight scales spanning 1e-6..1, biases past the int32 range;
- at 1 and 2 threads, with every ISA (the best the CPU has, then AVX2 alone); the node runs
  the fast variant under those masks, the reference under NONE (and under NONE for the cases the microkernels leave out: groups, multiplier 2).
"""
from __future__ import annotations

import numpy as np
import pytest

from emberlite import Interpreter
from emberlite._ember import lib
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.kernels.conv_models import patches
from tests.kernels.fixed_point import log_uniform
from tests.kernels.fixed_point16 import fully_connected16_double, requantize16
from tests.kernels.int16_graphs import int16_values, weighted_graph

SEEDS = range(14)


def run(graph, x: np.ndarray, isa_mask: int, threads: int) -> tuple[np.ndarray, str]:
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)), isa_mask=isa_mask,
                         num_threads=threads)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    out = interp.get_tensor(interp.get_output_details()[0]["index"]).copy()
    return out, interp.node_variants()[0] or ""


def values(rng: np.random.Generator, shape, extreme: bool) -> np.ndarray:
    if extreme:  # one sign for a whole tensor makes the longest same-sign sums
        sign = rng.choice([-32768, 32767])
        return np.where(rng.random(shape) < 0.9, sign, -1 - sign).astype(np.int16)
    return int16_values(rng, shape)


def weights(rng: np.random.Generator, shape, extreme: bool) -> np.ndarray:
    if extreme:  # mostly one sign too: the products then mostly share theirs
        sign = rng.choice([-128, 127])
        return np.where(rng.random(shape) < 0.9, sign, -1 - sign).astype(np.int8)
    return rng.integers(-128, 128, shape).astype(np.int8)


def scales(rng: np.random.Generator, acc: np.ndarray, per_channel: bool) -> dict:
    """s_in, s_w (one or per channel, spanning 1e-6..1 with some) and an s_out that puts the
    largest |acc| of the typical channel near the int16 limit, so few outputs saturate."""
    cout = acc.shape[-1]
    s_in = float(log_uniform(rng, 1e-5, 1e-3))
    wide = per_channel and rng.random() < 0.5
    s_w = log_uniform(rng, 1e-6 if wide else 1e-3, 1.0 if wide else 0.05,
                      cout if per_channel else 1)
    peak = max(float(np.abs(acc).max()), 1.0)
    s_out = s_in * float(np.median(s_w)) * peak / 30000.0 * float(log_uniform(rng, 0.3, 3.0))
    # The int16 kernels need every multiplier below 2^14.
    s_out = max(s_out, s_in * float(np.max(s_w)) / 2.0**13)
    return {"s_in": s_in, "s_w": s_w, "s_out": s_out}


def check_all(graph, x: np.ndarray, want: np.ndarray, fast: bool) -> None:
    """Reference == numpy; every tier (the best, AVX2 alone, the portable kernels where the
    CPU has neither) at 1 and 2 threads == reference."""
    ref, ref_variant = run(graph, x, lib.EMBER_ISA_NONE, 1)
    assert "qs16x8" not in ref_variant
    assert np.array_equal(ref, want)
    for mask in (lib.EMBER_ISA_ALL, lib.EMBER_ISA_AVX2):
        for threads in (1, 2):
            got, variant = run(graph, x, mask, threads)
            assert ("qs16x8" in variant) == fast, variant
            assert got.dtype == np.int16 and np.array_equal(got, ref), (threads, variant)


def conv_case(rng: np.random.Generator, extreme: bool, big_k: bool):
    kh, kw = (3, 3) if big_k else tuple(rng.choice([1, 2, 3, 5], 2))
    cin = int(rng.integers(200, 320)) if big_k else int(rng.integers(1, 41))
    cout = int(rng.integers(1, 41))
    stride = tuple(int(s) for s in rng.choice([1, 2], 2))
    dil = (1, 1) if rng.random() < 0.7 else tuple(int(d) for d in rng.choice([1, 2], 2))
    pads = tuple(int(v) for v in rng.integers(0, 3, 4)) if rng.random() < 0.6 else (0,) * 4
    h = int(rng.integers((kh - 1) * dil[0] + 1, 12))
    wd = int(rng.integers((kw - 1) * dil[1] + 1, 12))
    batch = int(rng.integers(1, 3))
    p = Conv2DParams(stride_h=stride[0], stride_w=stride[1], dilation_h=dil[0],
                     dilation_w=dil[1], pad_top=pads[0], pad_left=pads[1], pad_bottom=pads[2],
                     pad_right=pads[3], activation=FusedActivation(int(rng.integers(0, 4))))
    x = values(rng, (batch, h, wd, cin), extreme)
    w = weights(rng, (cout, kh, kw, cin), extreme)
    return p, x, w


@pytest.mark.parametrize("extreme, big_k", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d_16x8_fast(seed: int, extreme: bool, big_k: bool) -> None:
    rng = np.random.default_rng(1000 + seed)
    p, x, w = conv_case(rng, extreme, big_k)
    if rng.random() < 0.25:  # the pointwise (direct GEMM) path
        p = Conv2DParams(activation=p.activation)
        w = w[:, :1, :1, :].copy()
    acc = np.einsum("nhwyxc,oyxc->nhwo", patches(x, w.shape[1], w.shape[2], p, 0),
                    w.astype(np.int64))
    bias = None if rng.random() < 0.2 else rng.integers(-2**35, 2**35, w.shape[0])
    acc = acc + (0 if bias is None else bias)
    q = scales(rng, acc, per_channel=rng.random() < 0.8)
    want = requantize16(acc, q["s_in"], q["s_w"], q["s_out"], p.activation.value)
    g = weighted_graph(OpType.CONV2D, x, w, bias, p, q, 0, want)
    check_all(g, x, want, fast=True)


@pytest.mark.parametrize("extreme", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_depthwise_conv2d_16x8_fast(seed: int, extreme: bool) -> None:
    rng = np.random.default_rng(2000 + seed)
    big_taps = extreme and seed % 3 == 0  # 23 x 23 = 529 taps: past one int32 block
    kh, kw = (23, 23) if big_taps else tuple(int(k) for k in rng.choice([1, 2, 3, 5], 2))
    c = int(rng.integers(1, 41))
    mult = 2 if seed % 7 == 6 else 1
    stride = tuple(int(s) for s in rng.choice([1, 2], 2))
    dil = (1, 1) if big_taps or rng.random() < 0.7 else (2, 2)
    pads = tuple(int(v) for v in rng.integers(0, 3, 4)) if rng.random() < 0.6 else (0,) * 4
    h = int(rng.integers((kh - 1) * dil[0] + 1, (kh - 1) * dil[0] + 8))
    wd = int(rng.integers((kw - 1) * dil[1] + 1, (kw - 1) * dil[1] + 8))
    p = DepthwiseConv2DParams(stride_h=stride[0], stride_w=stride[1], dilation_h=dil[0],
                              dilation_w=dil[1], pad_top=pads[0], pad_left=pads[1],
                              pad_bottom=pads[2], pad_right=pads[3], depth_multiplier=mult,
                              activation=FusedActivation(int(rng.integers(0, 4))))
    x = values(rng, (int(rng.integers(1, 3)), h, wd, c), extreme)
    w = weights(rng, (1, kh, kw, c * mult), extreme)
    taps = patches(x, kh, kw, p, 0)  # [N,OH,OW,KH,KW,C]
    acc = np.einsum("nhwyxc,yxcm->nhwcm", taps,
                    w[0].reshape(kh, kw, c, mult).astype(np.int64)).reshape(taps.shape[:3] +
                                                                           (c * mult,))
    bias = None if rng.random() < 0.2 else rng.integers(-2**35, 2**35, c * mult)
    acc = acc + (0 if bias is None else bias)
    q = scales(rng, acc, per_channel=rng.random() < 0.8)
    want = requantize16(acc, q["s_in"], q["s_w"], q["s_out"], p.activation.value)
    g = weighted_graph(OpType.DEPTHWISE_CONV2D, x, w, bias, p, q, 3, want)
    check_all(g, x, want, fast=mult == 1)


@pytest.mark.parametrize("extreme", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_fully_connected_16x8_fast(seed: int, extreme: bool) -> None:
    rng = np.random.default_rng(3000 + seed)
    depth = int(rng.integers(500, 1400)) if extreme else int(rng.integers(1, 70))
    units = int(rng.integers(1, 41))
    rows = int(rng.integers(1, 10))
    x = values(rng, (rows, depth), extreme)
    w = weights(rng, (units, depth), extreme)
    bias = None if rng.random() < 0.2 else rng.integers(-2**35, 2**35, units)
    acc = x.astype(np.int64) @ w.astype(np.int64).T + (0 if bias is None else bias)
    q = scales(rng, acc, per_channel=rng.random() < 0.8)
    act = FusedActivation(int(rng.integers(0, 4)))
    want = fully_connected16_double(acc, q["s_in"], q["s_w"], q["s_out"], act.value)
    g = weighted_graph(OpType.FULLY_CONNECTED, x, w, bias, FullyConnectedParams(act), q, 0,
                       want)
    check_all(g, x, want, fast=True)


def test_grouped_conv2d_16x8_stays_reference() -> None:
    rng = np.random.default_rng(7)
    p = Conv2DParams(groups=2)
    x = int16_values(rng, (1, 5, 5, 6))
    w = weights(rng, (4, 3, 3, 3), False)
    acc = np.concatenate([np.einsum("nhwyxc,oyxc->nhwo",
                                    patches(x[..., 3 * g:3 * g + 3], 3, 3, p, 0),
                                    w[2 * g:2 * g + 2].astype(np.int64)) for g in range(2)],
                         axis=-1)
    q = scales(rng, acc, per_channel=True)
    want = requantize16(acc, q["s_in"], q["s_w"], q["s_out"], 0)
    check_all(weighted_graph(OpType.CONV2D, x, w, None, p, q, 0, want), x, want, fast=False)
