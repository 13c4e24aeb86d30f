"""Shared by the tests of MAX_POOL2D and AVERAGE_POOL2D: ONNX pooling models run against ONNX
Runtime, and a numpy model of LiteRT's int8 pooling kernels (stored values, padding excluded,
the average rounded half away from zero, activation clamp) with the one-node graphs it is
compared on."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from emberlite import Interpreter
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.pool2d import Pool2DParams
from tests.helpers import assert_matches_ort, convert_onnx, run_ember
from tests.kernels.fast_paths import float_node
from tests.kernels.fixed_point import empty_graph, int8_tensor, single_op

OPSET = 17


def pool_model(op: str, shape: tuple[int, ...], **attrs: Any) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    y = helper.make_empty_tensor_value_info("y")
    graph = helper.make_graph([helper.make_node(op, ["x"], ["y"], **attrs)], "pool", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def run_pool(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    return run_ember(convert_onnx(model), [x])[0]


def check_pool(model: onnx.ModelProto, x: np.ndarray, kernel: str) -> None:
    """The converted model has a `kernel` node and matches ONNX Runtime."""
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert kernel in ops, f"expected a {kernel} node, got {ops}"
    assert_matches_ort(model, [x])


def check_global_pool(op: str, kernel: tuple[str, ...], shape: tuple[int, ...]) -> None:
    """ONNX `op` becomes one of the `kernel` nodes and matches ONNX Runtime."""
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    model = pool_model(op, shape)
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert any(k in ops for k in kernel), f"expected one of {kernel}, got {ops}"
    assert_matches_ort(model, [x])


def windows(x: np.ndarray, p: Pool2DParams) -> tuple[np.ndarray, np.ndarray]:
    """[N, OH, OW, KH*KW, C] stored values and a mask of the in-image taps."""
    pads = ((0, 0), (p.pad_top, p.pad_bottom), (p.pad_left, p.pad_right), (0, 0))
    v = np.pad(x.astype(np.int64), pads)
    inside = np.pad(np.ones(x.shape, dtype=bool), pads)
    oh = (v.shape[1] - (p.filter_h - 1) * p.dilation_h - 1) // p.stride_h + 1
    ow = (v.shape[2] - (p.filter_w - 1) * p.dilation_w - 1) // p.stride_w + 1

    def taps(a: np.ndarray) -> np.ndarray:
        return np.stack([a[:, ky * p.dilation_h: ky * p.dilation_h + (oh - 1) * p.stride_h + 1:
                           p.stride_h,
                           kx * p.dilation_w: kx * p.dilation_w + (ow - 1) * p.stride_w + 1:
                           p.stride_w]
                         for ky in range(p.filter_h) for kx in range(p.filter_w)], axis=3)
    return taps(v), taps(inside)


def max_reference(x: np.ndarray, p: Pool2DParams, lo: int, hi: int) -> np.ndarray:
    v, inside = windows(x, p)
    return np.clip(np.where(inside, v, -128).max(axis=3), lo, hi).astype(np.int8)


def average_reference(x: np.ndarray, p: Pool2DParams, lo: int, hi: int) -> np.ndarray:
    v, inside = windows(x, p)
    total = np.where(inside, v, 0).sum(axis=3)
    count = inside.sum(axis=3)
    # Integer division truncating toward zero after a half-count nudge away from zero.
    num = np.where(total > 0, total + count // 2, total - count // 2)
    avg = np.sign(num) * (np.abs(num) // np.maximum(count, 1))
    return np.clip(avg, lo, hi).astype(np.int8)


def pool_graph(op: OpType, x: np.ndarray, p: Pool2DParams, scale: float, zp: int, out_shape):
    """One int8 pooling node whose input and output share `scale` and `zp`."""
    g = empty_graph()
    int8_tensor(g, "x", x.shape, scale, zp)
    int8_tensor(g, "out", out_shape, scale, zp)
    return single_op(op, ["x"], p, g)


def random_fast_case(seed: int, average: bool) -> tuple[bytes, np.ndarray]:
    """A float32 pooling node of random NHWC shape (odd channel counts, every block tail of
    the microkernels), window, strides, dilations and pads (up to windows of padding only, as
    ceil_mode's extra trailing pad gives), fused activation, and count_include_pad for the
    average, with NaN and -0.0 among its inputs."""
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 7, 8, 13, 31, 33, 45, 67]))
    fh, fw = (int(v) for v in rng.integers(1, 5, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2))
    h, w = int(rng.integers((fh - 1) * dh + 1, 13)), int(rng.integers((fw - 1) * dw + 1, 13))
    pads = [int(rng.integers(0, (f - 1) * d + 2)) for f, d in ((fh, dh), (fw, dw)) * 2]
    p = Pool2DParams(filter_h=fh, filter_w=fw, stride_h=sh, stride_w=sw, dilation_h=dh,
                     dilation_w=dw, pad_top=pads[0], pad_left=pads[1], pad_bottom=pads[2],
                     pad_right=pads[3], count_include_pad=average and bool(rng.integers(2)),
                     activation=FusedActivation(int(rng.integers(0, 4))))
    oh = (h + pads[0] + pads[2] - (fh - 1) * dh - 1) // sh + 1
    ow = (w + pads[1] + pads[3] - (fw - 1) * dw - 1) // sw + 1
    op = OpType.AVERAGE_POOL2D if average else OpType.MAX_POOL2D
    x = (rng.standard_normal((n, h, w, c)) * 2).astype(np.float32)
    x.flat[rng.integers(0, x.size, 3)] = [np.nan, -0.0, 0.0]
    return float_node(op, p, (n, h, w, c), (n, oh, ow, c)), x
