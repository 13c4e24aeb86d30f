"""Shared by the tests of CONV2D, DEPTHWISE_CONV2D and TRANSPOSE_CONV2D: the ONNX Conv model
of the float tests, a numpy model of LiteRT's int8 convolution arithmetic (window taps,
per-channel requantization) and the one-node int8 graphs the kernels run it on."""
from __future__ import annotations

import numpy as np
import onnx
from hypothesis import assume
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter.ops import OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from tests.kernels.fixed_point import (activation_range, empty_graph, int8_tensor, log_uniform,
                                       mbqm, quant_tensor, quantize_multiplier, single_op,
                                       snap_pow2, wrap_sum)

OPSET = 17


def conv_model(x_shape: tuple[int, ...], w_shape: tuple[int, ...], bias: bool, seed: int,
               post: str | None = None, **attrs) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """An ONNX Conv (and a following Relu or Clip(0, 6) when `post` names one) with random
    weights, and its random input."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    fan_in = int(np.prod(w_shape[1:]))
    w = (rng.standard_normal(w_shape) / np.sqrt(fan_in)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w")]
    conv_inputs = ["x", "w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(w_shape[0]).astype(np.float32),
                                             "b"))
        conv_inputs.append("b")
    nodes = [helper.make_node("Conv", conv_inputs, ["y" if post is None else "c"], **attrs)]
    if post == "Relu":
        nodes.append(helper.make_node("Relu", ["c"], ["y"]))
    elif post == "Relu6":
        inits += [numpy_helper.from_array(np.array(0, np.float32), "lo"),
                  numpy_helper.from_array(np.array(6, np.float32), "hi")]
        nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["y"]))
    return checked_model(nodes, "conv_test", x_shape, inits), [x]


def checked_model(nodes: list[onnx.NodeProto], name: str, x_shape: tuple[int, ...],
                  inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    """The ONNX model of `nodes` from float input x of `x_shape` to output y, its shapes
    inferred (strict) and checked."""
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


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
    """(graph, input, numpy model's output) of one int8 CONV2D or DEPTHWISE_CONV2D node."""
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


def window_fields(wd: dict) -> dict:
    """The window parameters of a `window` example, as Conv2DParams fields."""
    t, l, b, r = wd["pads"]
    (kh, kw), (dh, dw), (h, w) = wd["k"], wd["dilation"], wd["hw"]
    assume((kh - 1) * dh < h + t + b and (kw - 1) * dw < w + l + r)  # the filter fits
    return dict(stride_h=wd["stride"][0], stride_w=wd["stride"][1],
                dilation_h=wd["dilation"][0], dilation_w=wd["dilation"][1],
                pad_top=t, pad_left=l, pad_bottom=b, pad_right=r)
