"""TRANSPOSE_CONV2D in every type:
- float32 on the packed GEMM path (GEMM of the input rows, then the scatter) for every case
  below with one group: against the reference loop (isa_mask NONE) within 1e-5 x sum |a*b|,
  bit-identical on 1 and 2 threads (tests/kernels/gemm_checks.py).
- float32: ONNX ConvTranspose against ONNX Runtime: strides 1 to 3, symmetric and asymmetric
  pads, output_padding, groups, dilations, 1x1 filters that leave gaps, bias or none, and a
  following Relu that the converter fuses.
- int8 (per-channel or per-tensor weights, int32 sums of filter x (input - zero point)
  scattered into the output, int32 bias, per-channel requantization, strides, dilations,
  cropping pads, groups, fused activations) against a numpy model of LiteRT's reference
  integer kernel: bit-exact.
- int8 .tflite files from TFLiteConverter (TRANSPOSE_CONV, tests/importers/keras_int8_arith.py):
  byte for byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default
  kernels.
- the post-training int8 quantizer on an ONNX ConvTranspose, and the int32 bias it stores."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper, numpy_helper

from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.ir import DType
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from emberlite.converter.passes import run_passes
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_arith
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.conv_models import checked_model, quant, requantize
from tests.kernels.gemm_checks import check_gemm_path
from tests.kernels.fixed_point import empty_graph, int8_tensor, quant_tensor, run_graph, single_op
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, info, quantized
from tests.quantize.models import onnx_model, weight


def _deconv_model(x_shape: tuple[int, ...], w_shape: tuple[int, ...], bias: bool, seed: int,
                  post: str | None = None,
                  **attrs) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """x NCHW, w [Cin, Cout/group, KH, KW] as ONNX stores it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = (rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w")]
    inputs = ["x", "w"]
    if bias:
        out_c = w_shape[1] * attrs.get("group", 1)
        inits.append(numpy_helper.from_array(rng.standard_normal(out_c).astype(np.float32), "b"))
        inputs.append("b")
    nodes = [helper.make_node("ConvTranspose", inputs, ["y" if post is None else "c"], **attrs)]
    if post == "Relu":
        nodes.append(helper.make_node("Relu", ["c"], ["y"]))
    return checked_model(nodes, "deconv_test", x_shape, inits), [x]


# (id, x shape NCHW, w shape [Cin, Cout/group, KH, KW], ConvTranspose attributes)
CASES = [
    ("s1", (1, 4, 5, 5), (4, 3, 3, 3), {}),
    ("s1_pad1", (1, 4, 5, 6), (4, 3, 3, 3), dict(pads=[1, 1, 1, 1])),
    ("s2_pad1_outpad1", (1, 4, 5, 6), (4, 3, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1],
                                                          output_padding=[1, 1])),
    ("s2_k4_pad1", (1, 8, 4, 4), (8, 4, 4, 4), dict(strides=[2, 2], pads=[1, 1, 1, 1])),
    ("s2_k2", (2, 3, 3, 5), (3, 5, 2, 2), dict(strides=[2, 2])),
    ("s3", (1, 2, 4, 5), (2, 3, 3, 3), dict(strides=[3, 3])),
    ("s3_asym_pads_outpad2", (1, 2, 4, 5), (2, 3, 3, 3), dict(strides=[3, 3], pads=[0, 1, 2, 1],
                                                               output_padding=[2, 1])),
    ("s3_k2_gaps", (1, 3, 3, 3), (3, 2, 2, 2), dict(strides=[3, 3])),
    ("stride_1x2_rect", (1, 3, 5, 4), (3, 4, 2, 3), dict(strides=[1, 2], pads=[0, 1, 1, 0])),
    ("wide_cin", (1, 20, 4, 4), (20, 5, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1])),
    ("groups2", (1, 4, 5, 5), (4, 3, 3, 3), dict(group=2, pads=[1, 1, 1, 1])),
    ("groups2_s2", (1, 6, 4, 3), (6, 2, 3, 3), dict(group=2, strides=[2, 2],
                                                     output_padding=[1, 0])),
    ("depthwise_s2", (1, 3, 4, 4), (3, 1, 3, 3), dict(group=3, strides=[2, 2],
                                                       pads=[1, 1, 1, 1])),
    ("dilation2", (1, 3, 5, 5), (3, 2, 3, 3), dict(dilations=[2, 2])),
    ("dilation2_s2_pads", (1, 3, 5, 4), (3, 2, 3, 3), dict(dilations=[2, 2], strides=[2, 2],
                                                            pads=[2, 1, 1, 2])),
    ("dilation_2x3", (1, 2, 4, 4), (2, 3, 2, 3), dict(dilations=[2, 3], strides=[3, 2])),
    ("1x1_s2_gaps", (1, 3, 4, 4), (3, 2, 1, 1), dict(strides=[2, 2])),
    ("1x1_s2_outpad", (1, 3, 4, 4), (3, 2, 1, 1), dict(strides=[2, 2], output_padding=[1, 1])),
    ("all_ones", (1, 1, 1, 1), (1, 1, 1, 1), {}),
    ("single_pixel_s2", (1, 2, 1, 1), (2, 3, 3, 3), dict(strides=[2, 2])),
    ("height_1", (1, 2, 1, 3), (2, 2, 3, 3), dict(strides=[2, 2], pads=[1, 0, 1, 0])),
    ("output_shape", (1, 4, 5, 5), (4, 2, 3, 3), dict(strides=[2, 2],
                                                       output_shape=[10, 10])),
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("x_shape,w_shape,attrs", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_transpose_conv(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
                        bias: bool) -> None:
    model, feeds = _deconv_model(x_shape, w_shape, bias, seed=sum(x_shape) + sum(w_shape),
                                 **attrs)
    assert_matches_ort(model, feeds)


# Beyond CASES: Cout 1 and 33 (panel tails), batch 2, and 8 x 9 x 9 pixels whose rows of
# 64 x 5 x 5 columns take three chunks of scratch.
GEMM_CASES = CASES + [
    ("cout1_s2", (1, 5, 6, 7), (5, 1, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1])),
    ("cout33_batch2", (2, 16, 5, 4), (16, 33, 4, 4), dict(strides=[2, 2], pads=[1, 1, 1, 1])),
    ("chunks", (2, 8, 9, 9), (8, 64, 5, 5), dict(strides=[2, 2], pads=[2, 2, 2, 2],
                                                 output_padding=[1, 1])),
]


@pytest.mark.parametrize("x_shape,w_shape,attrs", [c[1:] for c in GEMM_CASES],
                         ids=[c[0] for c in GEMM_CASES])
def test_transpose_conv_gemm_path(x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                                  attrs: dict) -> None:
    model, feeds = _deconv_model(x_shape, w_shape, True, seed=sum(x_shape) * 3 + sum(w_shape),
                                 **attrs)
    check_gemm_path(model, feeds, "gemm_" if attrs.get("group", 1) == 1 else "reference")


def test_fused_relu() -> None:
    model, feeds = _deconv_model((1, 4, 5, 5), (4, 3, 3, 3), True, seed=3, post="Relu",
                                 strides=[2, 2], pads=[1, 1, 1, 1])
    out = assert_matches_ort(model, feeds)[0]
    assert out.min() == 0.0 and out.max() > 0.0


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


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _conv_transpose() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = [weight(rng, "w", 4, 6, 3, 3), weight(rng, "b", 6)]
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2],
                            pads=[1, 1, 1, 1], output_padding=[1, 1], name="up")
    return onnx_model([node], [info("x", [1, 4, 5, 5])], [info("y", [1, 6, 10, 10])], inits)


QUANTIZER_CASES = {"transpose_conv2d": Case(_conv_transpose, (4, 5, 5), OpType.TRANSPOSE_CONV2D)}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


def test_weighted_ops_store_bias_without_params() -> None:
    model = _conv_transpose()
    rng = np.random.default_rng(8)
    q = quantized(model, list(rng.standard_normal((8, 1, 4, 5, 5)).astype(np.float32)))
    node = next(n for n in q.nodes if n.op == OpType.TRANSPOSE_CONV2D)
    w, b = (q.tensors[n] for n in node.inputs[1:3])
    assert w.dtype == DType.INT8 and len(w.quant.scale) == 6 and w.quant.axis == 0
    assert b.dtype == DType.INT32 and b.quant is None
    s_in = np.float32(q.tensors[node.inputs[0]].quant.scale[0])
    bias_scale = (s_in * np.asarray(w.quant.scale, np.float32)).astype(np.float64)
    float_bias = run_passes(import_onnx(model)).tensors[node.inputs[2]].data
    np.testing.assert_array_equal(b.data, np.round(float_bias / bias_scale).astype(np.int32))


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_arith.litert_results(tmp_path_factory)


TFLITE_CASES = ["transpose_conv_same", "transpose_conv_valid", "transpose_conv_no_bias"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
