"""The OpenCL delegate's convolution family (csrc/delegates/opencl/ops_conv.c, kernels/conv.cl):
CONV2D (the 1x1 GEMM and the window kernel), DEPTHWISE_CONV2D, TRANSPOSE_CONV2D and
FULLY_CONNECTED (fc_gemv for 1 to 3 rows, the GEMM for more), each as a one-node model: shapes, strides, pads, dilations and groups from ONNX
graphs (onnx.helper, converted with channels-last edges so that the node is the whole graph);
the fused activations and CONV2D's residual input as the file format's own node (ONNX spells
them as several ops, which the converter fuses only inside a graph). The oracle is the CPU
interpreter on the same file: float32 within 1e-4 x max|CPU output|, precision=fp16 within
FP16_BOUND. Every case also checks that the file holds the node the case is about (op, fused
activation, residual) and that it ran on the delegate. Nodes the delegate refuses (int8,
weights computed at run time) stay on the CPU with the reason in their placement."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import max_rel_diff, run_ember
from tests.kernels.epilogue_checks import epilogue_graph

FP32_BOUND = 1e-4
# fp16 stores every activation, weight and bias in half (11 significant bits: each rounding
# is within 4.9e-4 relative) and sums in float. A product carries two roundings, so a sum of
# K products is within about 1e-3 x sum|a*b|, which for these random cases stays below 4x
# max|output|; the stored output adds one more rounding.
FP16_BOUND = 1e-2

# FusedActivation values (schemas/ember.fbs)
NONE, RELU, RELU6, RELU_N1_TO_1, SILU, HARD_SWISH = range(6)


def _model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[int, ...]],
           inits: dict[str, np.ndarray]) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "opencl_conv",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def conv_case(x_shape: tuple[int, ...], w_shape: tuple[int, ...], *, bias: bool = True,
              transpose: bool = False, seed: int = 0, **attrs: Any
              ) -> tuple[bytes, list[np.ndarray]]:
    """An ONNX Conv (or ConvTranspose) with random weights, converted; and a random input."""
    rng = np.random.default_rng(seed)
    fan_in = int(np.prod(w_shape[1:]))
    inits = {"w": (rng.standard_normal(w_shape) / np.sqrt(fan_in)).astype(np.float32)}
    names = ["x", "w"]
    if bias:
        out_c = w_shape[1] * attrs.get("group", 1) if transpose else w_shape[0]
        inits["b"] = rng.standard_normal(out_c).astype(np.float32)
        names.append("b")
    node = helper.make_node("ConvTranspose" if transpose else "Conv", names, ["y"], **attrs)
    return convert(_model([node], {"x": x_shape}, inits)), \
        [rng.standard_normal(x_shape).astype(np.float32)]


def fc_case(x_shape: tuple[int, ...], units: int, *, bias: bool = True, seed: int = 0
            ) -> tuple[bytes, list[np.ndarray]]:
    """Gemm (transB, the layout of torch's Linear) for a 2-D input, MatMul (+ Add) above;
    converted, and a random input."""
    rng = np.random.default_rng(seed)
    depth = x_shape[-1]
    w = (rng.standard_normal((units, depth)) / np.sqrt(depth)).astype(np.float32)
    inits = {"b": rng.standard_normal(units).astype(np.float32)} if bias else {}
    if len(x_shape) == 2:
        inits["w"] = w
        nodes = [helper.make_node("Gemm", ["x", "w"] + (["b"] if bias else []), ["y"],
                                  transB=1)]
    else:
        inits["w"] = np.ascontiguousarray(w.T)
        nodes = [helper.make_node("MatMul", ["x", "w"], ["m" if bias else "y"])]
        nodes += [helper.make_node("Add", ["m", "b"], ["y"])] if bias else []
    return convert(_model(nodes, {"x": x_shape}, inits)), \
        [rng.standard_normal(x_shape).astype(np.float32)]


def epilogue_case(op: OpType, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                  params: Any, *, bias: bool = True, residual: bool = False, seed: int = 0
                  ) -> tuple[bytes, list[np.ndarray]]:
    """One `op` node in the file format's own terms (NHWC x, OHWI filter), for what ONNX
    spells as several ops: the fused activation and CONV2D's residual input 3. x is scaled
    by 3 so that every activation's bends (-3, -1, 0, 1, 3, 6) are crossed."""
    rng = np.random.default_rng(seed)
    fan_in = int(np.prod(w_shape[1:]))
    w = (rng.standard_normal(w_shape) / np.sqrt(fan_in)).astype(np.float32)
    out_c = w_shape[3] if op == OpType.DEPTHWISE_CONV2D else w_shape[0]
    b = rng.standard_normal(out_c).astype(np.float32) if bias else None
    x = (3 * rng.standard_normal(x_shape)).astype(np.float32)
    graph, feed = epilogue_graph(op, x, w, b, params, seed + 1 if residual else None)
    return serialize(graph, plan_memory(graph)), feed


def convert(model: onnx.ModelProto) -> bytes:
    return Converter.from_onnx(model, io_layout="nhwc").convert()


def run_delegated(model: bytes, feed: list[np.ndarray], delegate: Any
                  ) -> tuple[list[np.ndarray], list[dict[str, Any]], Interpreter]:
    interp = Interpreter(model_content=model, experimental_delegates=[delegate])
    interp.allocate_tensors()
    return run_ember(model, feed, interpreter=interp), interp.node_placements(), interp


def check_on_delegate(model: bytes, feed: list[np.ndarray], delegate: Any, op: str,
                      bound: float, activation: int | None = None, residual: bool = False
                      ) -> float:
    """Runs `model` (one `op` node) on the CPU and on `delegate`; checks the node, where it
    ran and the outputs within bound x max|CPU output|; returns the relative error."""
    want = run_ember(model, feed)
    got, placements, interp = run_delegated(model, feed, delegate)
    assert [p["op"] for p in placements] == [op], placements
    assert all(p["delegate"] == "opencl" for p in placements), placements
    if activation is not None:
        assert interp.node_param(0, "activation") == activation
    assert (len(interp.node_inputs(0)) == 4) == residual, interp.node_inputs(0)
    err = 0.0
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        err = max(err, max_rel_diff(g, w.astype(np.float64)))
    assert err <= bound, f"max|diff| = {err:.3g} x max|CPU output| > {bound}"
    return err


# (id, x NCHW, w OIHW, Conv attributes); every case with a bias, a few without below.
CONV_CASES = [
    ("1x1", (1, 8, 5, 6), (12, 8, 1, 1), {}),
    ("1x1_cin7_batch2", (2, 7, 4, 5), (5, 7, 1, 1), {}),
    ("1x1_cout_tail", (1, 16, 3, 3), (18, 16, 1, 1), {}),
    ("1x1_stride2", (1, 6, 7, 7), (8, 6, 1, 1), {"strides": [2, 2]}),
    ("1x1_padded", (1, 4, 5, 5), (4, 4, 1, 1), {"pads": [1, 0, 0, 1]}),
    ("3x3_s1", (1, 6, 9, 8), (8, 6, 3, 3), {"pads": [1, 1, 1, 1]}),
    ("3x3_s2", (1, 5, 11, 10), (7, 5, 3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ("3x3_s2_unpadded", (2, 8, 9, 9), (4, 8, 3, 3), {"strides": [2, 2]}),
    ("pads_asymmetric", (1, 4, 8, 7), (6, 4, 3, 3), {"pads": [0, 2, 1, 1]}),
    ("dilation", (1, 3, 10, 11), (5, 3, 3, 3), {"dilations": [2, 3], "pads": [2, 3, 2, 3]}),
    ("strides_mixed_5x3", (1, 5, 12, 9), (9, 5, 5, 3), {"strides": [2, 1], "pads": [2, 1, 1, 0]}),
    ("first_layer_cin3", (2, 3, 16, 16), (16, 3, 3, 3), {"strides": [2, 2],
                                                       "pads": [1, 1, 1, 1]}),
    ("groups_3", (1, 6, 7, 7), (9, 2, 3, 3), {"group": 3, "pads": [1, 1, 1, 1]}),
    ("groups_2_cout_tail", (1, 10, 6, 6), (6, 5, 3, 3), {"group": 2}),
    ("groups_1x1", (1, 8, 4, 4), (8, 4, 1, 1), {"group": 2}),
    ("wide_row", (1, 4, 3, 37), (5, 4, 3, 3), {"pads": [1, 1, 1, 1]}),
]

DEPTHWISE_CASES = [
    ("3x3", (1, 8, 9, 9), (8, 1, 3, 3), {"group": 8, "pads": [1, 1, 1, 1]}),
    ("channels_tail", (2, 6, 7, 7), (6, 1, 3, 3), {"group": 6, "pads": [1, 1, 1, 1]}),
    ("stride2_asymmetric", (1, 12, 10, 11), (12, 1, 3, 3), {"group": 12, "strides": [2, 2],
                                                            "pads": [0, 0, 1, 1]}),
    ("5x5_dilated", (1, 4, 12, 12), (4, 1, 5, 5), {"group": 4, "dilations": [2, 2],
                                                   "pads": [4, 4, 4, 4]}),
    ("multiplier2", (1, 5, 8, 8), (10, 1, 3, 3), {"group": 5, "pads": [1, 1, 1, 1]}),
    ("multiplier3_stride2", (1, 3, 9, 8), (9, 1, 3, 3), {"group": 3, "strides": [2, 2],
                                                         "pads": [1, 0, 1, 2]}),
]

TRANSPOSE_CASES = [  # w is ConvTranspose's [Cin, Cout/groups, KH, KW]
    ("stride2_output_padding", (1, 6, 5, 4), (6, 5, 3, 3), {"strides": [2, 2],
                                                            "pads": [1, 1, 1, 1],
                                                            "output_padding": [1, 1]}),
    ("stride1", (2, 4, 5, 5), (4, 3, 3, 3), {"pads": [1, 0, 1, 2]}),
    ("kernel2_stride2", (1, 8, 4, 6), (8, 9, 2, 2), {"strides": [2, 2]}),
    ("groups_dilation", (1, 4, 5, 4), (4, 3, 3, 2), {"group": 2, "strides": [2, 3],
                                                     "dilations": [2, 1],
                                                     "output_padding": [1, 2]}),
]



def _ids(cases: list[tuple]) -> list[str]:
    return [c[0] for c in cases]


@pytest.mark.parametrize("case", CONV_CASES, ids=_ids(CONV_CASES))
def test_conv2d(case: tuple, opencl_delegate: Any) -> None:
    _, x_shape, w_shape, attrs = case
    check_on_delegate(*conv_case(x_shape, w_shape, **attrs), opencl_delegate, "conv2d",
                      FP32_BOUND)


NO_BIAS = [CONV_CASES[0], CONV_CASES[5], CONV_CASES[12]]


@pytest.mark.parametrize("case", NO_BIAS, ids=_ids(NO_BIAS))
def test_conv2d_without_bias(case: tuple, opencl_delegate: Any) -> None:
    _, x_shape, w_shape, attrs = case
    check_on_delegate(*conv_case(x_shape, w_shape, bias=False, **attrs), opencl_delegate,
                      "conv2d", FP32_BOUND)


# CONV2D's kernels in the file format's terms (x NHWC, filter OHWI): the GEMM (1x1), the
# window kernel (3x3, stride 2) and a grouped window.
CONV_PATHS = {
    "1x1": ((1, 5, 6, 8), (12, 1, 1, 8), {}),
    "3x3_s2": ((2, 11, 10, 5), (7, 3, 3, 5), {"stride_h": 2, "stride_w": 2, "pad_top": 1,
                                              "pad_left": 1, "pad_bottom": 1, "pad_right": 1}),
    "groups": ((1, 7, 7, 6), (9, 3, 3, 2), {"groups": 3, "pad_top": 1, "pad_left": 0,
                                            "pad_bottom": 2, "pad_right": 1}),
}
ACTIVATIONS = {"none": NONE, "relu": RELU, "relu6": RELU6, "relu_n1_to_1": RELU_N1_TO_1,
               "silu": SILU, "hard_swish": HARD_SWISH}


@pytest.mark.parametrize("act", ACTIVATIONS.values(), ids=ACTIVATIONS.keys())
@pytest.mark.parametrize("path", CONV_PATHS.values(), ids=CONV_PATHS.keys())
def test_conv2d_activation(path: tuple, act: int, opencl_delegate: Any) -> None:
    x_shape, w_shape, fields = path
    params = Conv2DParams(**fields, activation=FusedActivation(act))
    check_on_delegate(*epilogue_case(OpType.CONV2D, x_shape, w_shape, params, seed=act),
                      opencl_delegate, "conv2d", FP32_BOUND, activation=act)


@pytest.mark.parametrize("act", [NONE, RELU, SILU], ids=["none", "relu", "silu"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("path", CONV_PATHS.values(), ids=CONV_PATHS.keys())
def test_conv2d_residual(path: tuple, bias: bool, act: int, opencl_delegate: Any) -> None:
    x_shape, w_shape, fields = path
    params = Conv2DParams(**fields, activation=FusedActivation(act))
    model, feed = epilogue_case(OpType.CONV2D, x_shape, w_shape, params, bias=bias,
                                residual=True, seed=act)
    check_on_delegate(model, feed, opencl_delegate, "conv2d", FP32_BOUND, activation=act,
                      residual=True)


@pytest.mark.parametrize("case", DEPTHWISE_CASES, ids=_ids(DEPTHWISE_CASES))
def test_depthwise_conv2d(case: tuple, opencl_delegate: Any) -> None:
    _, x_shape, w_shape, attrs = case
    check_on_delegate(*conv_case(x_shape, w_shape, **attrs), opencl_delegate,
                      "depthwise_conv2d", FP32_BOUND)


@pytest.mark.parametrize("act", ACTIVATIONS.values(), ids=ACTIVATIONS.keys())
@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_conv2d_activation(multiplier: int, act: int, opencl_delegate: Any) -> None:
    params = DepthwiseConv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1,
                                   depth_multiplier=multiplier,
                                   activation=FusedActivation(act))
    model, feed = epilogue_case(OpType.DEPTHWISE_CONV2D, (1, 8, 7, 5), (1, 3, 3, 5 * multiplier),
                                params, bias=act % 2 == 0, seed=act)
    check_on_delegate(model, feed, opencl_delegate, "depthwise_conv2d", FP32_BOUND,
                      activation=act)


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=_ids(TRANSPOSE_CASES))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_transpose_conv2d(case: tuple, bias: bool, opencl_delegate: Any) -> None:
    _, x_shape, w_shape, attrs = case
    check_on_delegate(*conv_case(x_shape, w_shape, bias=bias, transpose=True, **attrs),
                      opencl_delegate, "transpose_conv2d", FP32_BOUND)


# (id, x shape, units, bias). Rows (the product of x's leading dims) 1 to 3 run fc_gemv,
# more run the GEMM; depths not a multiple of 4 reach fc_gemv's partial last block (depth 1
# only it), unit counts not a multiple of 4 the GEMM's partial channel block.
FC_CASES = [
    ("batch1", (1, 20), 10, True),
    ("batch1_depth_tail_no_bias", (1, 38), 13, False),
    ("batch1_depth1", (1, 1), 6, True),
    ("batch1_head", (1, 1280), 1000, True),
    ("batch2_depth_tail", (2, 37), 9, True),
    ("batch2_rank3", (1, 2, 19), 5, False),
    ("batch3_no_bias", (3, 17), 6, False),
    ("batch3_depth3", (3, 3), 7, True),
    ("batch5_units_tail", (5, 64), 13, True),
    ("batch5_depth_tail_no_bias", (5, 39), 10, False),
    ("rank3", (2, 3, 12), 7, True),
]


@pytest.mark.parametrize("case", FC_CASES, ids=_ids(FC_CASES))
def test_fully_connected(case: tuple, opencl_delegate: Any) -> None:
    _, x_shape, units, bias = case
    check_on_delegate(*fc_case(x_shape, units, bias=bias), opencl_delegate, "fully_connected",
                      FP32_BOUND)


FC_PATHS = {"gemv": (2, 23), "gemm": (5, 24)}  # x shapes: rows <= 3, rows > 3


@pytest.mark.parametrize("act", ACTIVATIONS.values(), ids=ACTIVATIONS.keys())
@pytest.mark.parametrize("x_shape", FC_PATHS.values(), ids=FC_PATHS.keys())
def test_fully_connected_activation(x_shape: tuple[int, int], act: int,
                                    opencl_delegate: Any) -> None:
    params = FullyConnectedParams(activation=FusedActivation(act))
    model, feed = epilogue_case(OpType.FULLY_CONNECTED, x_shape, (9, x_shape[1]), params,
                                bias=act % 2 == 0, seed=act)
    check_on_delegate(model, feed, opencl_delegate, "fully_connected", FP32_BOUND,
                      activation=act)


# One case of each kernel of conv.cl, and the epilogue's residual and SILU.
FP16_CASES = {
    "conv2d_1x1": lambda: conv_case(*CONV_CASES[1][1:3], **CONV_CASES[1][3]),
    "conv2d_3x3_s2": lambda: conv_case(*CONV_CASES[6][1:3], **CONV_CASES[6][3]),
    "conv2d_groups_residual_silu": lambda: epilogue_case(
        OpType.CONV2D, *CONV_PATHS["groups"][:2],
        Conv2DParams(**CONV_PATHS["groups"][2], activation=FusedActivation.SILU),
        residual=True),
    "depthwise_multiplier2": lambda: conv_case(*DEPTHWISE_CASES[4][1:3], **DEPTHWISE_CASES[4][3]),
    "transpose_conv2d": lambda: conv_case(*TRANSPOSE_CASES[0][1:3], transpose=True,
                                          **TRANSPOSE_CASES[0][3]),
    "fully_connected_gemv": lambda: fc_case((3, 41), 11),
    "fully_connected_gemv_batch1": lambda: fc_case((1, 1280), 1000, bias=False),
    "fully_connected_gemm": lambda: fc_case((5, 40), 11),
    "fully_connected_gemm_silu": lambda: epilogue_case(
        OpType.FULLY_CONNECTED, (6, 30), (9, 30),
        FullyConnectedParams(activation=FusedActivation.SILU)),
    "fully_connected_gemv_hard_swish": lambda: epilogue_case(
        OpType.FULLY_CONNECTED, (1, 30), (9, 30),
        FullyConnectedParams(activation=FusedActivation.HARD_SWISH)),
}
FP16_OPS = {"conv2d_1x1": "conv2d", "conv2d_3x3_s2": "conv2d",
            "conv2d_groups_residual_silu": "conv2d", "depthwise_multiplier2": "depthwise_conv2d",
            "transpose_conv2d": "transpose_conv2d",
            **{name: "fully_connected" for name in FP16_CASES if name.startswith("fully")}}


@pytest.mark.parametrize("name", FP16_CASES.keys())
def test_fp16(name: str, make_opencl_delegate: Any) -> None:
    model, feed = FP16_CASES[name]()
    check_on_delegate(model, feed, make_opencl_delegate(precision="fp16"), FP16_OPS[name],
                      FP16_BOUND, residual=name.endswith("residual_silu"))


def test_int8_conv2d_stays_on_cpu(opencl_delegate: Any) -> None:
    from tests.kernels.conv_models import build, quant

    rng = np.random.default_rng(1)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    graph, x, _ = build(OpType.CONV2D, rng, (1, 6, 6, 3), w, Conv2DParams(),
                        quant(rng, 4, True, 27), True, 0)
    model = serialize(graph, plan_memory(graph))
    got, placements, _ = run_delegated(model, [x], opencl_delegate)
    assert placements[0]["delegate"] is None
    assert "int8" in placements[0]["reason"] and "float32" in placements[0]["reason"], placements
    np.testing.assert_array_equal(got[0], run_ember(model, [x])[0])


def test_run_time_filter_stays_on_cpu(opencl_delegate: Any) -> None:
    rng = np.random.default_rng(2)
    model = _model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
                   {"x": (1, 3, 5, 5), "w": (4, 3, 3, 3)}, {})
    feed = [rng.standard_normal((1, 3, 5, 5)).astype(np.float32),
            rng.standard_normal((4, 3, 3, 3)).astype(np.float32)]
    ember = convert(model)
    got, placements, _ = run_delegated(ember, feed, opencl_delegate)
    conv = [p for p in placements if p["op"] == "conv2d"]
    assert conv and conv[0]["delegate"] is None, placements
    assert "constant" in conv[0]["reason"], conv
    np.testing.assert_array_equal(got[0], run_ember(ember, feed)[0])


@pytest.mark.parametrize("mode", ["dynamic", "fp16"])
def test_weights_dequantized_at_load(mode: str, opencl_delegate: Any) -> None:
    """Weight-only quantized files: the filters are DEQUANTIZE outputs the CPU computes at
    allocate (constants of kind 2), which the delegate packs like stored ones."""
    rng = np.random.default_rng(3)
    inits = {"w": rng.standard_normal((8, 6, 3, 3)).astype(np.float32),
             "b": rng.standard_normal(8).astype(np.float32),
             "wf": rng.standard_normal((10, 8 * 9 * 9)).astype(np.float32)}
    model = _model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
                    helper.make_node("Flatten", ["c"], ["f"]),
                    helper.make_node("Gemm", ["f", "wf"], ["y"], transB=1)],
                   {"x": (1, 6, 9, 9)}, inits)
    ember = Converter.from_onnx(model, io_layout="nhwc").quantize(mode).convert()
    feed = [rng.standard_normal((1, 6, 9, 9)).astype(np.float32)]
    got, placements, _ = run_delegated(ember, feed, opencl_delegate)
    ran = {p["op"]: p["delegate"] for p in placements}
    assert ran["conv2d"] == ran["fully_connected"] == "opencl", placements
    err = max_rel_diff(got[0], run_ember(ember, feed)[0].astype(np.float64))
    assert err <= FP32_BOUND, err
