"""DEPTHWISE_CONV2D in every type and kernel variant:
- float32: ONNX Conv with one group per input channel (multiplier 1 and 2, strides,
  dilations, asymmetric pads, bias or none, a fused Relu/Clip) against ONNX Runtime.
- float32 microkernels (multiplier 1: 3x3/5x5 row kernels at strides 1 and 2, the unipass
  kernel for other windows) against the reference loop (isa_mask NONE) within 1e-5 x
  sum |a*w|, bit-identical on 1 and 2 threads.
- int8 (per-channel weights, int32 bias, depth multiplier, fused activations) against a
  numpy model of LiteRT's reference arithmetic (conv_models.py): bit-exact, each kernel
  variant in turn through isa_mask; and against LiteRT's BUILTIN_REF kernel on a
  TFLiteConverter model. The int8 microkernels (3x3/5x5 at strides 1 and 2, every padding,
  multiplier 1 and 2, odd channel counts) byte for byte against isa_mask NONE at 1 and 2
  threads, with the variant each picks.
- int16 (16x8) against the numpy model in fixed_point16.py: bit-exact.
- int8 .tflite files from TFLiteConverter (Keras DepthwiseConv2D,
  tests/importers/keras_int8_layers.py): byte for byte LiteRT's reference kernels
  (BUILTIN_REF) and within 1 LSB of its default kernels.
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

from emberlite import ISA_AVX2, ISA_NEON, Interpreter
from emberlite._ember import lib
from emberlite.converter.ir import DType, Graph
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort, convert_onnx
from tests.importers import keras_int8_layers, keras_int16x8
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.conv_models import build, conv_model, patches, quant, window, window_fields
from tests.kernels.epilogue_checks import check_epilogue, epilogue_graph
from tests.kernels.fixed_point import ISA_VARIANTS, run_graph
from tests.kernels.gemm_checks import check_gemm_path
from tests.kernels.fixed_point16 import requantize16
from tests.kernels.int16_graphs import bias64, int16_values, weighted_graph, weighted_scales
from tests.kernels.litert_int8 import check_matches_litert_reference

# (id, x shape NCHW, w shape OIHW, Conv attributes)
CASES = [
    ("depthwise", (1, 5, 8, 8), (5, 1, 3, 3), dict(group=5, pads=[1, 1, 1, 1])),
    ("depthwise_s2", (1, 16, 9, 9), (16, 1, 3, 3), dict(group=16, strides=[2, 2],
                                                         pads=[1, 1, 1, 1])),
    ("depthwise_5x5_dil", (1, 10, 12, 12), (10, 1, 5, 5), dict(group=10, dilations=[2, 2],
                                                                pads=[4, 4, 4, 4])),
    ("depthwise_mult2", (1, 5, 8, 7), (10, 1, 3, 3), dict(group=5, strides=[2, 2],
                                                           pads=[1, 0, 1, 1])),
    ("depthwise_asym", (2, 4, 7, 9), (4, 1, 3, 3), dict(group=4, pads=[0, 1, 2, 0])),
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
    ((1, 6, 8, 8), (6, 1, 3, 3), dict(group=6, pads=[1, 1, 1, 1])),
], ids=["depthwise"])
def test_fused_activation(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
                          post: str) -> None:
    # Scaled up so that both clamp bounds of Relu6 are hit.
    model, feeds = conv_model(x_shape, w_shape, True, seed=5, post=post, **attrs)
    feeds = [f * 8 for f in feeds]
    out = assert_matches_ort(model, feeds)[0]
    assert out.min() == 0.0
    if post == "Relu6":
        assert out.max() == 6.0


# (id, x shape NCHW, w shape OIHW, Conv attributes, the microkernel the node must run: a row
# kernel's window, "up" for the unipass kernel, "reference" for none): every row kernel with
# odd channel counts (8c groups and their tails), asymmetric and no padding, an image smaller
# than the window (edges only), batch 2; other windows and dilations on the unipass kernel.
FAST_CASES = [
    ("3x3s1", (2, 5, 9, 11), (5, 1, 3, 3), dict(group=5, pads=[1, 1, 1, 1]), "3x3s1"),
    ("3x3s1_c33_valid", (1, 33, 7, 13), (33, 1, 3, 3), dict(group=33), "3x3s1"),
    ("3x3s1_c24_asym", (1, 24, 8, 10), (24, 1, 3, 3), dict(group=24, pads=[0, 2, 2, 0]),
     "3x3s1"),
    ("3x3s2_c16", (1, 16, 11, 12), (16, 1, 3, 3), dict(group=16, strides=[2, 2],
                                                        pads=[1, 1, 1, 1]), "3x3s2"),
    ("3x3s2_c17_asym", (2, 17, 9, 14), (17, 1, 3, 3), dict(group=17, strides=[2, 2],
                                                            pads=[0, 0, 1, 1]), "3x3s2"),
    ("5x5s1_c40", (1, 40, 9, 12), (40, 1, 5, 5), dict(group=40, pads=[2, 2, 2, 2]), "5x5s1"),
    ("5x5s2_c7", (1, 7, 13, 15), (7, 1, 5, 5), dict(group=7, strides=[2, 2],
                                                     pads=[1, 2, 2, 1]), "5x5s2"),
    ("3x3_tiny_image", (1, 9, 2, 2), (9, 1, 3, 3), dict(group=9, pads=[1, 1, 1, 1]), "3x3s1"),
    ("dilation2", (1, 10, 12, 12), (10, 1, 3, 3), dict(group=10, dilations=[2, 2],
                                                       pads=[2, 2, 2, 2]), "up"),
    ("7x7_s3", (1, 12, 14, 13), (12, 1, 7, 7), dict(group=12, strides=[3, 3],
                                                     pads=[3, 3, 3, 3]), "up"),
    ("rect_1x5", (1, 3, 6, 9), (3, 1, 1, 5), dict(group=3, pads=[0, 2, 0, 2]), "up"),
    ("stride_2x1", (1, 9, 8, 8), (9, 1, 3, 3), dict(group=9, strides=[2, 1],
                                                     pads=[1, 1, 1, 1]), "up"),
    ("mult2_stays_reference", (1, 5, 8, 7), (10, 1, 3, 3), dict(group=5, pads=[1, 1, 1, 1]),
     "reference"),
]


def _fast_prefix(kernel: str, model: onnx.ModelProto) -> str:
    """The variant name prefix the node of `model` runs on this CPU: the row kernels exist
    for AVX2 and NEON, the portable build has only the unipass kernel."""
    if kernel == "reference":
        return kernel
    features = Interpreter(model_content=convert_onnx(model)).cpu_features()
    if kernel != "up" and not features & (ISA_AVX2 | ISA_NEON):
        kernel = "up"
    return f"dwconv_f32_{kernel}"


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("x_shape,w_shape,attrs,kernel", [c[1:] for c in FAST_CASES],
                         ids=[c[0] for c in FAST_CASES])
def test_depthwise_f32_microkernels(x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                                    attrs: dict, kernel: str, bias: bool) -> None:
    """The float32 microkernels (csrc/ukernels/dwconv.h) against the reference loop (isa_mask
    NONE) within 1e-5 x sum |a*w|, bit-identical on 1 and 2 threads."""
    model, feeds = conv_model(x_shape, w_shape, bias, seed=sum(x_shape) * 3 + sum(w_shape),
                              **attrs)
    check_gemm_path(model, feeds, _fast_prefix(kernel, model))


@pytest.mark.parametrize("post", ["Relu", "Relu6"])
def test_depthwise_f32_microkernel_fused_clamp(post: str) -> None:
    attrs = dict(group=19, pads=[1, 1, 1, 1])
    model, feeds = conv_model((1, 19, 9, 10), (19, 1, 3, 3), True, seed=7, post=post, **attrs)
    bound_model, _ = conv_model((1, 19, 9, 10), (19, 1, 3, 3), True, seed=7, **attrs)
    feeds = [f * 8 for f in feeds]
    out = check_gemm_path(model, feeds, _fast_prefix("3x3s1", model), bound_model=bound_model)
    assert out.min() == 0.0
    if post == "Relu6":
        assert out.max() == 6.0


@pytest.mark.parametrize("act", [FusedActivation.SILU, FusedActivation.HARD_SWISH],
                         ids=lambda a: a.name)
@pytest.mark.parametrize("x_shape,kh,fields", [
    ((1, 9, 10, 19), 3, dict(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1)),
    ((2, 11, 9, 37), 5, dict(stride_h=2, stride_w=2, pad_top=2, pad_left=2, pad_bottom=2,
                             pad_right=2)),
    ((1, 6, 7, 3), 3, dict(stride_h=2, stride_w=1)),
], ids=["3x3s1", "5x5s2", "3x3_valid"])
def test_depthwise_f32_epilogues(x_shape: tuple[int, ...], kh: int, fields: dict,
                                 act: FusedActivation) -> None:
    """SILU and HARD_SWISH fused into the float32 depthwise convolution: see epilogue_checks."""
    rng = np.random.default_rng(sum(x_shape) + int(act))
    x = (rng.standard_normal(x_shape) * 2).astype(np.float32)
    w = rng.standard_normal((1, kh, kh, x_shape[3])).astype(np.float32)
    bias = rng.standard_normal(x_shape[3]).astype(np.float32)
    graph, feed = epilogue_graph(OpType.DEPTHWISE_CONV2D, x, w, bias,
                                 DepthwiseConv2DParams(activation=act, **fields))
    check_epilogue(graph, feed, "dwconv_f32_")


def _random_depthwise_i8(seed: int, wd: dict, channels: int, mult: int, batch: int,
                         per_channel: bool, with_bias: bool, act: int, w_low: int
                         ) -> tuple[Graph, np.ndarray, np.ndarray]:
    """An int8 DEPTHWISE_CONV2D of `channels` input channels times `mult` with the window
    `wd`, weights drawn from [w_low, 127], its random input and the numpy reference's output."""
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    params = DepthwiseConv2DParams(depth_multiplier=mult, activation=FusedActivation(act),
                                   **window_fields(wd))
    w = rng.integers(w_low, 128, (1, kh, kw, channels * mult)).astype(np.int8)
    q = quant(rng, channels * mult, per_channel, kh * kw)
    return build(OpType.DEPTHWISE_CONV2D, rng, (batch,) + wd["hw"] + (channels,), w, params,
                 q, with_bias, 3)


@pytest.mark.parametrize("isa", ISA_VARIANTS)
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, channels=st.integers(1, 6),
       mult=st.integers(1, 3), per_channel=st.booleans(), with_bias=st.booleans(),
       act=st.integers(0, 3))
def test_depthwise_conv2d_i8(isa, seed, wd, channels, mult, per_channel, with_bias,
                             act) -> None:
    g, x, want = _random_depthwise_i8(seed, wd, channels, mult, 1, per_channel, with_bias, act,
                                      -127)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], want)


@pytest.mark.parametrize("isa", ISA_VARIANTS[1:])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, channels=st.sampled_from([1, 15, 16, 17, 33]),
       mult=st.sampled_from([1, 1, 2]), batch=st.integers(1, 2), per_channel=st.booleans(),
       with_bias=st.booleans(), act=st.integers(0, 3))
def test_depthwise_conv2d_i8_variant_matches_reference(isa, seed, wd, channels, mult, batch,
                                                       per_channel, with_bias, act) -> None:
    """Channel counts around the 16-element blocks of the optimised loop: byte-identical."""
    g, x, want = _random_depthwise_i8(seed, wd, channels, mult, batch, per_channel, with_bias,
                                      act, -128)
    ref = run_graph(g, [x], isa_mask=lib.EMBER_ISA_NONE)[0]
    assert np.array_equal(ref, want)
    assert np.array_equal(run_graph(g, [x], isa_mask=isa)[0], ref)


def _run_i8(g: Graph, x: np.ndarray, isa: int, threads: int) -> tuple[np.ndarray, str]:
    """The node's output and the variant it ran, under isa_mask `isa` on `threads` threads."""
    interp = Interpreter(model_content=serialize(g, plan_memory(g)), isa_mask=isa,
                         num_threads=threads)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy(), \
        interp.node_variants()[0]


@pytest.mark.parametrize("isa", ISA_VARIANTS[1:])
@pytest.mark.parametrize("k,stride", [(3, 1), (3, 2), (5, 1), (5, 2)])
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pads=st.tuples(*[st.integers(0, 4)] * 4),
       hw=st.tuples(st.integers(1, 12), st.integers(1, 23)),
       channels=st.sampled_from([1, 3, 8, 15, 16, 17, 24, 31, 33, 47, 72]),
       mult=st.sampled_from([1, 1, 2]), batch=st.integers(1, 2), per_channel=st.booleans(),
       with_bias=st.booleans(), act=st.integers(0, 3), threads=st.sampled_from([1, 2]))
def test_depthwise_conv2d_i8_microkernels(isa, k, stride, seed, pads, hw, channels, mult, batch,
                                          per_channel, with_bias, act, threads) -> None:
    """The int8 microkernels (ukernels/dwconv_qs8.h: 3x3/5x5 row kernels at strides 1 and 2 on
    the interior, the unipass kernel on the edges) byte for byte against the reference loop
    (isa_mask NONE) at 1 and 2 threads: every padding up to 4, images down to 1 pixel,
    channel counts around the 16- and 32-channel tiles; multiplier 2 keeps the reference."""
    pads = tuple(min(p, k - 1) for p in pads)
    hw = (max(hw[0], k - pads[0] - pads[2]), max(hw[1], k - pads[1] - pads[3]))
    wd = {"k": (k, k), "stride": (stride, stride), "dilation": (1, 1), "pads": pads, "hw": hw}
    g, x, want = _random_depthwise_i8(seed, wd, channels, mult, batch, per_channel, with_bias,
                                      act, -128)
    ref, ref_variant = _run_i8(g, x, lib.EMBER_ISA_NONE, threads)
    assert np.array_equal(ref, want) and ref_variant == "depthwise_conv2d_i8_ref"
    got, variant = _run_i8(g, x, isa, threads)
    assert np.array_equal(got, ref), variant
    if mult == 1:
        assert variant.startswith(f"dwconv_qs8_{k}x{k}s{stride}_"), variant
    else:
        assert variant == "depthwise_conv2d_i8_ref"


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


@pytest.mark.parametrize("kind", ["depthwise_conv2d"])
def test_matches_litert_reference(kind: str, tmp_path: Path) -> None:
    check_matches_litert_reference(kind, tmp_path)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wd=window, channels=st.integers(1, 6),
       mult=st.integers(1, 3), per_channel=st.booleans(), with_bias=st.booleans(),
       big=st.booleans(), act=st.integers(0, 3))
def test_depthwise_conv2d_i16(seed, wd, channels, mult, per_channel, with_bias, big,
                              act) -> None:
    rng = np.random.default_rng(seed)
    kh, kw = wd["k"]
    p = DepthwiseConv2DParams(depth_multiplier=mult, activation=FusedActivation(act),
                              **window_fields(wd))
    w = rng.integers(-127, 128, (1, kh, kw, channels * mult)).astype(np.int8)
    q = weighted_scales(rng, channels * mult, per_channel, kh * kw)
    x = int16_values(rng, (1,) + wd["hw"] + (channels,))
    bias = bias64(rng, channels * mult, with_bias, big)
    taps = np.repeat(patches(x, kh, kw, p, 0), mult, axis=-1)
    acc = np.einsum("nhwyxc,yxc->nhwc", taps, w[0].astype(np.int64))
    want = requantize16(acc + (0 if bias is None else bias), q["s_in"], q["s_w"], q["s_out"],
                        act)
    got = run_graph(weighted_graph(OpType.DEPTHWISE_CONV2D, x, w, bias, p, q, 3, want), [x])[0]
    assert np.array_equal(got, want)


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_layers.py) --------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_layers.litert_results(tmp_path_factory)


TFLITE_CASES = ["depthwise_m1", "depthwise_m2"]


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


@pytest.mark.parametrize("name", ["depthwise_multiplier2", "depthwise_stride2_relu"])
def test_int16x8_identical_to_litert_reference(int16_results: dict, name: str) -> None:
    assert_identical_to_reference(int16_results[name])
