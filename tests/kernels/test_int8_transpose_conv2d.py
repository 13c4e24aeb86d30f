"""TRANSPOSE_CONV2D int8 (per-channel or per-tensor weights, int32 sums of filter x (input -
zero point) scattered into the output, int32 bias, per-channel requantization, strides,
dilations, cropping pads, groups, fused activations) against a numpy model of LiteRT's
reference integer kernel: bit-exact."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from tests.kernels.fixed_point import empty_graph, int8_tensor, quant_tensor, run_graph, single_op
from tests.kernels.test_int8_conv2d import quant, requantize


def scatter(x: np.ndarray, w: np.ndarray, p: TransposeConv2DParams, zp: int) -> np.ndarray:
    """int64 sums of the full scattered output, cropped by the pads."""
    n, h, wd, _ = x.shape
    cout, kh, kw, cin_g = w.shape
    cout_g = cout // p.groups
    full_h = (h - 1) * p.stride_h + p.dilation_h * (kh - 1) + 1
    full_w = (wd - 1) * p.stride_w + p.dilation_w * (kw - 1) + 1
    acc = np.zeros((n, full_h, full_w, cout), np.int64)
    v = x.astype(np.int64) - zp
    for oc in range(cout):
        g = oc // cout_g
        xs = v[..., g * cin_g:(g + 1) * cin_g]
        for ky in range(kh):
            for kx in range(kw):
                contrib = xs @ w[oc, ky, kx].astype(np.int64)  # [N, H, W]
                y, xx = ky * p.dilation_h, kx * p.dilation_w
                acc[:, y:y + (h - 1) * p.stride_h + 1:p.stride_h,
                    xx:xx + (wd - 1) * p.stride_w + 1:p.stride_w, oc] += contrib
    return acc[:, p.pad_top:full_h - p.pad_bottom, p.pad_left:full_w - p.pad_right]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.sampled_from([(1, 1), (1, 1), (2, 1), (2, 2)]),
       pads=st.tuples(*[st.integers(0, 1)] * 4), hw=st.tuples(st.integers(1, 6),
                                                              st.integers(1, 6)),
       cin_g=st.integers(1, 4), cout_g=st.integers(1, 4), groups=st.sampled_from([1, 1, 2]),
       per_channel=st.booleans(), with_bias=st.booleans(), act=st.integers(0, 3))
def test_transpose_conv2d_i8(seed, k, stride, dilation, pads, hw, cin_g, cout_g, groups,
                             per_channel, with_bias, act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = k
    cout = cout_g * groups
    p = TransposeConv2DParams(stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0],
                              dilation_w=dilation[1], pad_top=pads[0], pad_left=pads[1],
                              pad_bottom=pads[2], pad_right=pads[3], groups=groups,
                              activation=FusedActivation(act))
    full = [(hw[i] - 1) * stride[i] + dilation[i] * (k[i] - 1) + 1 for i in (0, 1)]
    if full[0] - pads[0] - pads[2] < 1 or full[1] - pads[1] - pads[3] < 1:
        return  # the pads crop everything
    x = rng.integers(-128, 128, (1, *hw, cin_g * groups)).astype(np.int8)
    w = rng.integers(-127, 128, (cout, kh, kw, cin_g)).astype(np.int8)
    q = quant(rng, cout, per_channel, kh * kw * cin_g)
    s_w = np.broadcast_to(q["s_w"], (cout,))
    acc = scatter(x, w, p, q["zp_in"])
    g = empty_graph()
    int8_tensor(g, "x", x.shape, q["s_in"], q["zp_in"])
    quant_tensor(g, "w", w, q["s_w"], 0)
    inputs = ["x", "w"]
    if with_bias:
        bias = rng.integers(-20000, 20000, cout).astype(np.int32)
        quant_tensor(g, "b", bias, np.float32(q["s_in"]) * np.float32(q["s_w"]), 0)
        inputs.append("b")
        acc = acc + bias
    want = requantize(acc, q["s_in"], s_w, q["s_out"], q["zp_out"], act)
    int8_tensor(g, "out", want.shape, q["s_out"], q["zp_out"])
    got = run_graph(single_op(OpType.TRANSPOSE_CONV2D, inputs, p, g), [x])[0]
    assert np.array_equal(got, want)
