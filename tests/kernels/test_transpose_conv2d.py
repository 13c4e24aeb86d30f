"""ONNX ConvTranspose (-> TRANSPOSE_CONV2D) against ONNX Runtime: strides 1 to 3, symmetric and
asymmetric pads, output_padding, groups, dilations, 1x1 filters that leave gaps, bias or none,
and a following Relu that the converter fuses."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

OPSET = 17


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
    graph = helper.make_graph(nodes, "deconv_test",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model, [x]


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


def test_fused_relu() -> None:
    model, feeds = _deconv_model((1, 4, 5, 5), (4, 3, 3, 3), True, seed=3, post="Relu",
                                 strides=[2, 2], pads=[1, 1, 1, 1])
    out = assert_matches_ort(model, feeds)[0]
    assert out.min() == 0.0 and out.max() > 0.0
