"""CONV2D in every type and kernel variant:
- float32: ONNX Conv against ONNX Runtime: plain and grouped, strides, dilations, asymmetric
  pads, auto_pad, bias or none, 1x1 and 1-sized dims, and a following Relu/Clip that the
  converter fuses into the conv (the depthwise cases are in test_depthwise_conv2d.py).
- float32 on the packed GEMM paths (1x1 as a plain GEMM, KxK as an indirect GEMM, few input
  channels gathered): every path and tail against the reference loop (isa_mask NONE) within
  1e-5 x sum |a*b|, bit-identical on 1 and 2 threads (tests/kernels/gemm_checks.py).
- int8 (per-channel weights, int32 bias, pads, strides, dilations, groups, fused activations)
  against a numpy model of LiteRT's reference arithmetic (conv_models.py): bit-exact. Each
  kernel variant runs in turn (isa_mask NONE forces the reference loops), and every variant
  must match the reference byte for byte; and against LiteRT's BUILTIN_REF kernel on a
  TFLiteConverter model.
- int8 on the packed int8 GEMM paths (1x1 direct, indirect, gathered few-channel windows):
  byte-identical to the reference loop at 1 and 2 threads, every panel and k tail, zero
  points -128/127, per-channel scales 1e-6..1, fused clamps; a shift beyond 31 keeps the
  reference loop.
- int16 (16x8: int16 activations, int8 per-channel weights, int64 bias) against the numpy
  model in fixed_point16.py: bit-exact; and the quantization rules the int16 kernels (and so
  the verifier) enforce.
- int8 .tflite files from TFLiteConverter (Keras Conv2D, tests/importers/keras_int8_layers.py):
  byte for byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default
  kernels.
- 16x8 .tflite files from TFLiteConverter (tests/importers/keras_int16x8.py): byte for byte
  LiteRT's reference kernels (BUILTIN_REF)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from emberlite import ISA_ALL, Interpreter
from emberlite._ember import lib
from emberlite.converter.ir import DType, Graph, QuantParams
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_layers, keras_int16x8
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.conv_models import OPSET, build, conv_model, patches, quant, window, \
    window_fields
from tests.kernels.epilogue_checks import check_epilogue, epilogue_graph
from tests.kernels.fixed_point import ISA_VARIANTS, log_uniform, run_graph
from tests.kernels.gemm_checks import check_gemm_path
from tests.kernels.fixed_point16 import requantize16
from tests.kernels.int16_graphs import bias64, int16_values, weighted_graph, weighted_scales
from tests.kernels.litert_int8 import check_matches_litert_reference

# (id, x shape NCHW, w shape OIHW, Conv attributes)
CASES = [
    ("3x3_pad1", (1, 3, 8, 8), (4, 3, 3, 3), dict(pads=[1, 1, 1, 1])),
    ("no_pad_odd", (1, 3, 9, 7), (5, 3, 3, 3), {}),
    ("1x1", (2, 5, 7, 6), (6, 5, 1, 1), {}),
    ("1x1_stride2", (1, 8, 9, 9), (4, 8, 1, 1), dict(strides=[2, 2])),
    ("wide_cin", (1, 19, 6, 10), (11, 19, 3, 3), dict(pads=[1, 1, 1, 1])),
    ("stride2_pad1", (1, 4, 9, 11), (8, 4, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1])),
    ("stride_2x3", (1, 3, 10, 13), (4, 3, 3, 3), dict(strides=[2, 3])),
    ("stem_7x7_s2", (1, 3, 32, 30), (8, 3, 7, 7), dict(strides=[2, 2], pads=[3, 3, 3, 3])),
    ("dilation2", (1, 3, 11, 11), (4, 3, 3, 3), dict(dilations=[2, 2], pads=[2, 2, 2, 2])),
    ("dilation_2x3", (1, 2, 12, 14), (3, 2, 3, 3), dict(dilations=[2, 3], pads=[1, 2, 1, 0])),
    ("dilation_stride", (1, 4, 13, 13), (4, 4, 3, 3), dict(dilations=[3, 3], strides=[2, 2])),
    ("asym_pads", (1, 3, 7, 8), (4, 3, 3, 3), dict(pads=[0, 1, 2, 3])),
    ("pads_bigger_than_kernel_reach", (1, 2, 3, 3), (3, 2, 5, 5), dict(pads=[2, 2, 2, 2])),
    ("rect_kernel", (1, 3, 9, 10), (4, 3, 1, 5), dict(pads=[0, 2, 0, 2])),
    ("rect_kernel_tall", (1, 3, 9, 10), (4, 3, 4, 2), dict(pads=[1, 0, 2, 1])),
    ("same_upper_s1", (1, 3, 8, 7), (4, 3, 3, 3), dict(auto_pad="SAME_UPPER")),
    ("same_upper_s2_even", (1, 3, 8, 10), (4, 3, 4, 4),
     dict(auto_pad="SAME_UPPER", strides=[2, 2])),
    ("same_lower_s2_even", (1, 3, 8, 10), (4, 3, 4, 4),
     dict(auto_pad="SAME_LOWER", strides=[2, 2])),
    ("same_lower_s2_odd", (1, 3, 9, 7), (4, 3, 3, 3), dict(auto_pad="SAME_LOWER", strides=[2, 2])),
    ("valid", (1, 3, 9, 8), (4, 3, 3, 2), dict(auto_pad="VALID", strides=[2, 1])),
    ("grouped_3", (1, 6, 7, 7), (9, 2, 3, 3), dict(group=3, pads=[1, 1, 1, 1])),
    ("grouped_2_stride", (2, 8, 9, 6), (6, 4, 3, 3), dict(group=2, strides=[2, 2])),
    ("grouped_1x1", (1, 12, 5, 5), (8, 3, 1, 1), dict(group=4)),
    # One input channel with group 1 and three outputs: a CONV2D, not a depthwise one.
    ("depthwise_mult3_single", (1, 1, 6, 6), (3, 1, 3, 3), dict(group=1)),
    ("all_ones", (1, 1, 1, 1), (1, 1, 1, 1), {}),
    ("height_1", (1, 3, 1, 9), (2, 3, 1, 3), dict(pads=[0, 1, 0, 1])),
    ("width_1_padded", (1, 2, 6, 1), (3, 2, 3, 3), dict(pads=[1, 1, 1, 1])),
    ("batch_3", (3, 4, 5, 6), (5, 4, 3, 3), dict(pads=[1, 1, 1, 1])),
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("x_shape,w_shape,attrs", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_conv(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
              bias: bool) -> None:
    model, feeds = conv_model(x_shape, w_shape, bias, seed=len(x_shape) + sum(w_shape), **attrs)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("post", ["Relu", "Relu6"])
@pytest.mark.parametrize("x_shape,w_shape,attrs", [
    ((1, 3, 8, 8), (6, 3, 3, 3), dict(pads=[1, 1, 1, 1])),
    ((1, 6, 8, 8), (6, 3, 3, 3), dict(group=2, strides=[2, 2])),
], ids=["conv", "grouped"])
def test_fused_activation(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
                          post: str) -> None:
    # Scaled up so that both clamp bounds of Relu6 are hit.
    model, feeds = conv_model(x_shape, w_shape, True, seed=5, post=post, **attrs)
    feeds = [f * 8 for f in feeds]
    out = assert_matches_ort(model, feeds)[0]
    assert out.min() == 0.0
    if post == "Relu6":
        assert out.max() == 6.0


def test_conv_chain() -> None:
    """Conv -> depthwise -> 1x1: kernels read each other's NHWC output inside one graph."""
    rng = np.random.default_rng(17)
    x = rng.standard_normal((1, 3, 10, 9)).astype(np.float32)
    weights = {"w1": (8, 3, 3, 3), "w2": (8, 1, 3, 3), "w3": (5, 8, 1, 1)}
    inits = [numpy_helper.from_array((rng.standard_normal(s) * 0.3).astype(np.float32), n)
             for n, s in weights.items()]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Conv", ["a", "w2"], ["b"], pads=[1, 1, 1, 1], group=8),
             helper.make_node("Conv", ["b", "w3"], ["y"])]
    graph = helper.make_graph(nodes, "conv_chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    assert_matches_ort(model, [x])


# (id, x shape NCHW, w shape OIHW, Conv attributes, the GEMM path the conv must run): every
# path, odd Cout (1, 17, 33: panel tails), Cin 1..5 (the gather/IGEMM boundary), batch 2,
# several column tiles (130 x 577 packed weights exceed one tile's L2 budget).
GEMM_CASES = [
    ("1x1", (2, 5, 7, 6), (17, 5, 1, 1), {}, "gemm_"),
    ("1x1_cout1", (1, 9, 5, 3), (1, 9, 1, 1), {}, "gemm_"),
    ("1x1_stride2", (1, 8, 9, 9), (33, 8, 1, 1), dict(strides=[2, 2]), "igemm_"),
    ("1x1_padded", (1, 6, 4, 5), (7, 6, 1, 1), dict(pads=[1, 0, 0, 1]), "igemm_"),
    ("3x3_s1", (2, 8, 10, 9), (33, 8, 3, 3), dict(pads=[1, 1, 1, 1]), "igemm_"),
    ("3x3_s2", (1, 16, 11, 12), (17, 16, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1]),
     "igemm_"),
    ("3x3_cin5", (1, 5, 8, 7), (6, 5, 3, 3), dict(pads=[1, 1, 1, 1]), "igemm_"),
    ("3x3_s2_cin3", (2, 3, 17, 15), (16, 3, 3, 3), dict(strides=[2, 2], pads=[0, 1, 1, 0]),
     "gather_"),
    ("3x3_cin1", (1, 1, 9, 9), (17, 1, 3, 3), dict(pads=[1, 1, 1, 1]), "gather_"),
    ("3x3_s2_cin2", (1, 2, 8, 8), (5, 2, 3, 3), dict(strides=[2, 2]), "gather_"),
    ("3x3_cin4", (1, 4, 6, 7), (33, 4, 3, 3), dict(pads=[2, 2, 2, 2]), "gather_"),
    ("5x5", (1, 6, 11, 12), (7, 6, 5, 5), dict(pads=[2, 2, 2, 2]), "igemm_"),
    ("7x7_s2_cin3", (1, 3, 32, 30), (24, 3, 7, 7), dict(strides=[2, 2], pads=[3, 3, 3, 3]),
     "gather_"),
    ("dilation2", (1, 5, 13, 13), (9, 5, 3, 3), dict(dilations=[2, 2], pads=[2, 2, 2, 2]),
     "igemm_"),
    ("dilation_stride", (2, 4, 13, 11), (3, 4, 3, 3), dict(dilations=[3, 2], strides=[2, 2]),
     "gather_"),
    ("asym_pads_cout1", (1, 6, 7, 8), (1, 6, 3, 3), dict(pads=[0, 1, 2, 3]), "igemm_"),
    ("pads_past_reach", (1, 6, 3, 3), (5, 6, 5, 5), dict(pads=[2, 2, 2, 2]), "igemm_"),
    ("rect_kernel", (1, 7, 9, 10), (4, 7, 1, 5), dict(pads=[0, 2, 0, 2]), "igemm_"),
    ("column_tiles", (1, 64, 6, 5), (130, 64, 3, 3), dict(pads=[1, 1, 1, 1]), "igemm_"),
    ("grouped_stays_reference", (1, 6, 7, 7), (9, 2, 3, 3), dict(group=3), "reference"),
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("x_shape,w_shape,attrs,path", [c[1:] for c in GEMM_CASES],
                         ids=[c[0] for c in GEMM_CASES])
def test_conv_gemm_paths(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
                         path: str, bias: bool) -> None:
    model, feeds = conv_model(x_shape, w_shape, bias, seed=sum(x_shape) * 7 + sum(w_shape),
                              **attrs)
    check_gemm_path(model, feeds, path)


@pytest.mark.parametrize("post", ["Relu", "Relu6"])
@pytest.mark.parametrize("x_shape,w_shape,attrs,path", [
    ((2, 6, 5, 4), (20, 6, 1, 1), {}, "gemm_"),
    ((1, 8, 8, 8), (17, 8, 3, 3), dict(pads=[1, 1, 1, 1]), "igemm_"),
    ((1, 3, 12, 12), (16, 3, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1]), "gather_"),
], ids=["1x1", "3x3", "3x3_cin3"])
def test_conv_gemm_fused_clamp(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
                               path: str, post: str) -> None:
    # Scaled up so that both bounds of Relu6 are hit; the error bound comes from the sums of
    # the unclamped conv (clamping only brings two values closer).
    model, feeds = conv_model(x_shape, w_shape, True, seed=11, post=post, **attrs)
    bound_model, _ = conv_model(x_shape, w_shape, True, seed=11, **attrs)
    feeds = [f * 8 for f in feeds]
    out = check_gemm_path(model, feeds, path, bound_model=bound_model)
    assert out.min() == 0.0
    if post == "Relu6":
        assert out.max() == 6.0


EPILOGUE_CASES = [  # (name, x_shape NHWC, filter OHWI, window fields, GEMM path)
    ("1x1_direct", (2, 5, 7, 6), (21, 1, 1, 6), {}, "gemm_"),
    ("3x3_igemm", (1, 9, 8, 8), (19, 3, 3, 8), dict(pad_top=1, pad_left=1, pad_bottom=1,
                                                    pad_right=1), "igemm_"),
    ("3x3s2_gather_cin3", (2, 11, 12, 3), (17, 3, 3, 3),
     dict(stride_h=2, stride_w=2, pad_top=1, pad_left=0, pad_bottom=1, pad_right=1),
     "gather_"),
    ("dilated_cin1", (1, 9, 9, 1), (5, 3, 3, 1), dict(dilation_h=2, dilation_w=2), "gather_"),
    # K = 576: the tiles split the columns, so the epilogue runs on parts of rows.
    ("column_tiles", (1, 6, 5, 64), (130, 3, 3, 64), dict(pad_top=1, pad_left=1, pad_bottom=1,
                                                          pad_right=1), "igemm_"),
]
# Every activation with and without a residual, except neither (a conv with no epilogue).
EPILOGUES = [(act, residual) for residual in (False, True)
             for act in (FusedActivation.NONE, FusedActivation.RELU, FusedActivation.SILU,
                         FusedActivation.HARD_SWISH)
             if act != FusedActivation.NONE or residual]


@pytest.mark.parametrize("act,residual", EPILOGUES,
                         ids=[f"{a.name}-{'residual' if r else 'plain'}" for a, r in EPILOGUES])
@pytest.mark.parametrize("x_shape,w_shape,fields,path", [c[1:] for c in EPILOGUE_CASES],
                         ids=[c[0] for c in EPILOGUE_CASES])
def test_conv_epilogues(x_shape: tuple[int, ...], w_shape: tuple[int, ...], fields: dict,
                        path: str, act: FusedActivation, residual: bool) -> None:
    """The residual (input 3) and the SILU and HARD_SWISH activations, on every GEMM path
    (Cout not a multiple of 16, rows not of the microkernel's): see epilogue_checks."""
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape) + int(act))
    x = (rng.standard_normal(x_shape) * 2).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    bias = rng.standard_normal(w_shape[0]).astype(np.float32)
    graph, feed = epilogue_graph(OpType.CONV2D, x, w, bias, Conv2DParams(activation=act,
                                                                          **fields),
                                 residual_seed=7 if residual else None)
    out = check_epilogue(graph, feed, path)
    if act == FusedActivation.RELU:
        assert out.min() == 0.0 and out.max() > 0.0


def test_conv_residual_rules() -> None:
    """A residual of another shape, and SILU or a residual on an int8 convolution, are refused
    with messages that say so."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 4, 4, 3)).astype(np.float32)
    w = rng.standard_normal((2, 1, 1, 3)).astype(np.float32)
    graph, feed = epilogue_graph(OpType.CONV2D, x, w, None, Conv2DParams(), residual_seed=1)
    graph.tensors["r"].shape = (1, 4, 4, 1)
    with pytest.raises(InvalidModelError, match="must have the shape of input 'r'"):
        run_graph(graph, [feed[0], feed[1][..., :1]])
    w8 = rng.integers(-127, 128, (4, 3, 3, 4)).astype(np.int8)
    g, x8, _ = build(OpType.CONV2D, rng, (1, 6, 6, 4), w8, Conv2DParams(), quant(rng, 4, True, 36),
                     False, 0)
    g.nodes[0].params = Conv2DParams(activation=FusedActivation.SILU)
    with pytest.raises(InvalidModelError, match="silu is only supported on float32"):
        run_graph(g, [x8])


def _random_conv_i8(seed: int, wd: dict, cin_g: int, cout_g: int, groups: int, batch: int,
                    per_channel: bool, with_bias: bool, act: int, w_low: int
                    ) -> tuple[Graph, np.ndarray, np.ndarray]:
    """An int8 CONV2D of `groups` groups of cin_g -> cout_g channels with the window `wd`,
    weights drawn from [w_low, 127], its random input and the numpy reference's output."""
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    cout = cout_g * groups
    params = Conv2DParams(groups=groups, activation=FusedActivation(act), **window_fields(wd))
    w = rng.integers(w_low, 128, (cout, kh, kw, cin_g)).astype(np.int8)
    q = quant(rng, cout, per_channel, kh * kw * cin_g)
    return build(OpType.CONV2D, rng, (batch,) + wd["hw"] + (cin_g * groups,), w, params, q,
                 with_bias, 0)


@pytest.mark.parametrize("isa", ISA_VARIANTS)
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, cin_g=st.integers(1, 5),
       cout_g=st.integers(1, 5), groups=st.sampled_from([1, 1, 2, 3]), batch=st.integers(1, 2),
       per_channel=st.booleans(), with_bias=st.booleans(), act=st.integers(0, 3))
def test_conv2d_i8(isa, seed, wd, cin_g, cout_g, groups, batch, per_channel, with_bias,
                   act) -> None:
    g, x, want = _random_conv_i8(seed, wd, cin_g, cout_g, groups, batch, per_channel,
                                 with_bias, act, -127)
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
    g, x, want = _random_conv_i8(seed, wd, cin_g, cout_g, groups, 1, per_channel, with_bias,
                                 act, -128)
    ref = run_graph(g, [x], isa_mask=lib.EMBER_ISA_NONE)[0]
    assert np.array_equal(ref, want)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], ref)


def _run_variants(g, x: np.ndarray, isa: int, threads: int) -> tuple[np.ndarray, str]:
    """The output of the one-node graph g and the variant its node ran."""
    interp = Interpreter(model_content=serialize(g, plan_memory(g)), isa_mask=isa,
                         num_threads=threads)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy(), \
        interp.node_variants()[0]


def _extreme_quant(rng: np.random.Generator, cout: int, fan_in: int) -> dict:
    """Zero points at their extremes (or random), per-channel weight scales spanning 1e-6..1
    (so some channels' outputs saturate, some are all zero point) with the output scale set
    for the middle ones."""
    zp = lambda: int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))  # noqa: E731
    s_in = float(log_uniform(rng, 1e-3, 0.1))
    s_w = log_uniform(rng, 1e-6, 1.0, cout)
    s_out = float(s_in * np.median(s_w) * np.sqrt(fan_in) * 40 * log_uniform(rng, 0.05, 2.0))
    return {"s_in": s_in, "zp_in": zp(), "s_w": s_w, "s_out": s_out, "zp_out": zp()}


# The int8 GEMM paths (kernels/conv_gemm_qs8.c) and the node variant each must run: 1x1
# stride 1 unpadded as a GEMM on the input, other windows as an indirect GEMM, Cin <= 4
# gathered. (k, stride, dilation, pads, Cin choices)
GEMM_I8_PATHS = [
    ("gemm_qs8", (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), [1, 3, 4, 5, 8, 15, 17, 33, 64]),
    ("igemm_qs8", (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), [5, 7, 16, 17, 33]),
    ("igemm_qs8", (3, 3), (2, 2), (1, 1), (0, 1, 2, 0), [5, 9, 31]),
    ("igemm_qs8", (3, 2), (1, 2), (2, 1), (2, 0, 1, 2), [5, 6, 19]),
    ("igemm_qs8", (1, 1), (2, 2), (1, 1), (0, 0, 0, 0), [5, 13]),
    ("gather_gemm_qs8", (3, 3), (2, 2), (1, 1), (0, 1, 1, 1), [1, 2, 3, 4]),
    ("gather_gemm_qs8", (4, 3), (1, 1), (2, 1), (2, 2, 1, 0), [1, 2, 3]),
]


@pytest.mark.parametrize("isa", ISA_VARIANTS[1:])
@pytest.mark.parametrize("prefix,k,stride,dilation,pads,cins", GEMM_I8_PATHS)
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cout=st.integers(1, 40), batch=st.integers(1, 2),
       hw=st.tuples(st.integers(4, 11), st.integers(4, 11)), with_bias=st.booleans(),
       act=st.integers(0, 3), data=st.data())
def test_conv2d_i8_gemm_paths(isa, prefix, k, stride, dilation, pads, cins, seed, cout, batch,
                              hw, with_bias, act, data) -> None:
    """Every int8 GEMM path with every tail of the 16-column panels (cout 1..40) and of the
    k groups (odd Cin), runs of rows crossing images (batch 2), zero points -128/127, scales
    1e-6..1 and fused clamps: byte-identical to the reference loop at 1 and 2 threads."""
    cin = data.draw(st.sampled_from(cins))
    rng = np.random.default_rng(seed)
    wd = {"k": k, "stride": stride, "dilation": dilation, "pads": pads, "hw": hw}
    params = Conv2DParams(activation=FusedActivation(act), **window_fields(wd))
    w = rng.integers(-128, 128, (cout,) + k + (cin,)).astype(np.int8)
    q = _extreme_quant(rng, cout, k[0] * k[1] * cin)
    g, x, want = build(OpType.CONV2D, rng, (batch,) + hw + (cin,), w, params, q, with_bias, 0)
    ref, ref_variant = _run_variants(g, x, lib.EMBER_ISA_NONE, 1)
    assert ref_variant == "reference"
    assert np.array_equal(ref, want)
    for threads in (1, 2):
        got, variant = _run_variants(g, x, isa, threads)
        assert variant.startswith(prefix), f"{variant} is not a {prefix} path"
        assert np.array_equal(got, ref), f"{threads} threads"


def test_conv2d_i8_gemm_refuses_large_shift() -> None:
    """A multiplier of 2^32 or more (shift > 31) is beyond the microkernels: the node keeps the
    reference loop, whose result the numpy model checks."""
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (3, 1, 1, 6)).astype(np.int8)
    q = {"s_in": 1.0, "zp_in": 3, "s_w": np.array([1.0, 1.0, 1.0]), "s_out": 2.0**-33,
         "zp_out": 0}
    g, x, want = build(OpType.CONV2D, rng, (1, 4, 4, 6), w, Conv2DParams(), q, False, 0)
    got, variant = _run_variants(g, x, ISA_ALL, 1)
    assert variant == "reference" and np.array_equal(got, want)


def test_conv2d_i8_rejects_per_channel_count() -> None:
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (4, 3, 3, 4)).astype(np.int8)
    q = quant(rng, 4, True, 36)
    g, x, _ = build(OpType.CONV2D, rng, (1, 6, 6, 4), w, Conv2DParams(), q, False, 0)
    g.tensors["w"].quant = replace(g.tensors["w"].quant, axis=3)
    with pytest.raises(InvalidModelError, match="scales on axis 0"):
        run_graph(g, [x])


@pytest.mark.parametrize("kind", ["conv2d"])
def test_matches_litert_reference(kind: str, tmp_path: Path) -> None:
    check_matches_litert_reference(kind, tmp_path)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, cin_g=st.integers(1, 5),
       cout_g=st.integers(1, 5), groups=st.sampled_from([1, 1, 2, 3]),
       per_channel=st.booleans(), with_bias=st.booleans(), big=st.booleans(),
       act=st.integers(0, 3))
def test_conv2d_i16(seed, wd, cin_g, cout_g, groups, per_channel, with_bias, big, act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    cout = cout_g * groups
    p = Conv2DParams(groups=groups, activation=FusedActivation(act), **window_fields(wd))
    w = rng.integers(-127, 128, (cout, kh, kw, cin_g)).astype(np.int8)
    q = weighted_scales(rng, cout, per_channel, kh * kw * cin_g)
    x = int16_values(rng, (1,) + wd["hw"] + (cin_g * groups,))
    bias = bias64(rng, cout, with_bias, big)
    taps = patches(x, kh, kw, p, 0)
    acc = np.stack([np.einsum("nhwyxc,yxc->nhw", taps[..., (oc // cout_g) * cin_g:
                                                     (oc // cout_g + 1) * cin_g],
                              w[oc].astype(np.int64)) for oc in range(cout)], axis=-1)
    want = requantize16(acc + (0 if bias is None else bias), q["s_in"], q["s_w"], q["s_out"],
                        act)
    got = run_graph(weighted_graph(OpType.CONV2D, x, w, bias, p, q, 0, want), [x])[0]
    assert got.dtype == np.int16 and np.array_equal(got, want)


def _small_conv():
    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (2, 3, 3, 2)).astype(np.int8)
    x = int16_values(rng, (1, 5, 5, 2))
    q = {"s_in": 1e-4, "s_w": np.array([0.01, 0.02]), "s_out": 1e-2}
    bias = rng.integers(-1000, 1000, 2).astype(np.int64)
    return weighted_graph(OpType.CONV2D, x, w, bias, Conv2DParams(), q, 0,
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


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_layers.py) --------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_layers.litert_results(tmp_path_factory)


TFLITE_CASES = ["conv_bias_relu", "conv_no_bias_relu6", "conv_linear"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# ---- 16x8 .tflite files against LiteRT (tests/importers/keras_int16x8.py) ----------------

@pytest.fixture(scope="module")
def int16_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int16x8.litert_results(tmp_path_factory)


@pytest.mark.parametrize("name", ["conv_same_relu", "conv_stride2_relu6", "conv_dilated_no_bias"])
def test_int16x8_identical_to_litert_reference(int16_results: dict, name: str) -> None:
    assert_identical_to_reference(int16_results[name])
