"""ONNX Conv (-> CONV2D / DEPTHWISE_CONV2D) against ONNX Runtime: plain, grouped and depthwise
(multiplier 1 and 2), strides, dilations, asymmetric pads, auto_pad, bias or none, 1x1 and
1-sized dims, and a following Relu/Clip that the converter fuses into the conv."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

OPSET = 17


def _conv_model(x_shape: tuple[int, ...], w_shape: tuple[int, ...], bias: bool, seed: int,
                post: str | None = None, **attrs) -> tuple[onnx.ModelProto, list[np.ndarray]]:
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
    graph = helper.make_graph(nodes, "conv_test",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model, [x]


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
    ("depthwise", (1, 5, 8, 8), (5, 1, 3, 3), dict(group=5, pads=[1, 1, 1, 1])),
    ("depthwise_s2", (1, 16, 9, 9), (16, 1, 3, 3), dict(group=16, strides=[2, 2],
                                                         pads=[1, 1, 1, 1])),
    ("depthwise_5x5_dil", (1, 10, 12, 12), (10, 1, 5, 5), dict(group=10, dilations=[2, 2],
                                                                pads=[4, 4, 4, 4])),
    ("depthwise_mult2", (1, 5, 8, 7), (10, 1, 3, 3), dict(group=5, strides=[2, 2],
                                                           pads=[1, 0, 1, 1])),
    ("depthwise_mult3_single", (1, 1, 6, 6), (3, 1, 3, 3), dict(group=1)),
    ("depthwise_asym", (2, 4, 7, 9), (4, 1, 3, 3), dict(group=4, pads=[0, 1, 2, 0])),
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
    model, feeds = _conv_model(x_shape, w_shape, bias, seed=len(x_shape) + sum(w_shape), **attrs)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("post", ["Relu", "Relu6"])
@pytest.mark.parametrize("x_shape,w_shape,attrs", [
    ((1, 3, 8, 8), (6, 3, 3, 3), dict(pads=[1, 1, 1, 1])),
    ((1, 6, 8, 8), (6, 1, 3, 3), dict(group=6, pads=[1, 1, 1, 1])),
    ((1, 6, 8, 8), (6, 3, 3, 3), dict(group=2, strides=[2, 2])),
], ids=["conv", "depthwise", "grouped"])
def test_fused_activation(x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict,
                          post: str) -> None:
    # Scaled up so that both clamp bounds of Relu6 are hit.
    model, feeds = _conv_model(x_shape, w_shape, True, seed=5, post=post, **attrs)
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
