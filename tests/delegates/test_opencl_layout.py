"""The OpenCL delegate's resize, layout ops and batch matmul (csrc/delegates/opencl/
ops_resize.c, ops_layout.c, ops_matmul.c; kernels/layout.cl, matmul.cl): RESIZE in its
modes, coordinate transforms and roundings, CONCATENATION, RESHAPE, TRANSPOSE, SLICE, SPLIT,
GATHER, PAD and BATCH_MATMUL, against the CPU interpreter in fp32 and fp16
(opencl_checks.check_ops)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper

from emberlite.converter import Converter
from emberlite.converter.ops import OpType
from tests.delegates.opencl_checks import (check_file, check_ops, ir_model, onnx_model,
                                           random_inputs, run_delegated)
from tests.helpers import run_ember


# ---- resize ----

# (id, input NCHW, scales (H, W), Resize attributes, opset)
RESIZE_CASES = [
    ("nearest_asymmetric_floor", (1, 3, 4, 5), (2.0, 2.0),
     {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
      "nearest_mode": "floor"}, 13),
    ("nearest_half_pixel_prefer_floor", (1, 3, 5, 4), (1.6, 2.5),
     {"mode": "nearest"}, 13),
    ("nearest_half_pixel_prefer_ceil", (2, 2, 5, 6), (1.4, 0.5),
     {"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, 13),
    ("nearest_align_corners_ceil", (1, 2, 4, 4), (1.75, 2.0),
     {"mode": "nearest", "coordinate_transformation_mode": "align_corners",
      "nearest_mode": "ceil"}, 13),
    ("linear_half_pixel", (1, 3, 4, 5), (2.0, 2.0), {"mode": "linear"}, 13),
    ("linear_align_corners", (2, 4, 5, 3), (1.6, 3.0),
     {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, 13),
    ("linear_asymmetric", (1, 2, 6, 6), (1.5, 0.5),
     {"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, 13),
    ("linear_pytorch_half_pixel", (1, 3, 4, 7), (2.0, 1.0 / 7.0),
     {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, 13),
    ("linear_downsample", (1, 2, 9, 8), (0.5, 0.75), {"mode": "linear"}, 13),
    ("cubic", (1, 2, 5, 6), (2.0, 1.5), {"mode": "cubic"}, 13),
    ("cubic_exclude_outside", (1, 2, 5, 5), (1.6, 2.0),
     {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, 13),
    ("linear_antialias", (1, 3, 12, 10), (0.5, 0.4), {"mode": "linear", "antialias": 1}, 18),
]


@pytest.mark.parametrize("case", RESIZE_CASES, ids=[c[0] for c in RESIZE_CASES])
def test_resize(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, (sh, sw), attrs, opset = case
    model = onnx_model([helper.make_node("Resize", ["x", "", "scales"], ["y"], **attrs)],
                       {"x": shape}, {"scales": np.array([1, 1, sh, sw], np.float32)}, opset)
    check_ops(model, random_inputs([shape], seed=2), make_opencl_delegate, "resize")


def test_resize_runtime_scales_stay_on_cpu(opencl_delegate: Any) -> None:
    """Scales given at run time: the delegate refuses the node and says why."""
    graph = helper.make_graph(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest")], "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 2, 3, 4)),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, (4,))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 2, 6, 8))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    converted = Converter.from_onnx(model, io_layout="nhwc").convert()
    feed = random_inputs([(1, 2, 3, 4)]) + [np.array([1, 1, 2, 2], np.float32)]
    got, placements, _ = run_delegated(converted, feed, opencl_delegate)
    resize = [p for p in placements if p["op"] == "resize"]
    assert resize and resize[0]["delegate"] is None, placements
    assert "run time" in resize[0]["reason"], resize
    np.testing.assert_array_equal(got[0], run_ember(converted, feed)[0])


# ---- concatenation, reshape, transpose, slice, pad ----

# (id, input shapes, axis)
CONCAT_CASES = [
    ("channels", [(1, 3, 4, 5), (1, 5, 4, 5), (1, 1, 4, 5)], 1),
    ("height", [(2, 3, 2, 5), (2, 3, 6, 5)], 2),
    ("width", [(1, 2, 3, 4), (1, 2, 3, 1), (1, 2, 3, 3)], 3),
    ("batch", [(1, 3, 2, 2), (2, 3, 2, 2)], 0),
    ("rank2_last", [(4, 3), (4, 7)], -1),
    ("rank3_first", [(2, 3, 4), (1, 3, 4)], 0),
]


@pytest.mark.parametrize("case", CONCAT_CASES, ids=[c[0] for c in CONCAT_CASES])
def test_concatenation(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shapes, axis = case
    names = [f"x{i}" for i in range(len(shapes))]
    model = onnx_model([helper.make_node("Concat", names, ["y"], axis=axis)],
                       dict(zip(names, shapes)))
    check_ops(model, random_inputs(shapes), make_opencl_delegate, "concatenation")


def test_concatenation_fused_relu6(make_opencl_delegate: Callable[..., Any]) -> None:
    model = onnx_model([helper.make_node("Concat", ["a", "b"], ["c"], axis=1),
                        helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
                       {"a": (1, 2, 3, 3), "b": (1, 4, 3, 3)},
                       {"lo": np.array(0.0, np.float32), "hi": np.array(6.0, np.float32)})
    a, b = random_inputs([(1, 2, 3, 3), (1, 4, 3, 3)])
    check_ops(model, [a * 5, b * 5], make_opencl_delegate, "concatenation")


def test_reshape(make_opencl_delegate: Callable[..., Any]) -> None:
    model = onnx_model([helper.make_node("Reshape", ["x", "shape"], ["r"]),
                        helper.make_node("Relu", ["r"], ["y"])], {"x": (2, 12, 5)},
                       {"shape": np.array([6, -1], np.int64)})
    check_ops(model, random_inputs([(2, 12, 5)]), make_opencl_delegate, "reshape")


# (id, input shape, perm): rank 3 and 2, which the channels-last conversion leaves alone
TRANSPOSE_CASES = [
    ("rank3_201", (3, 4, 5), (2, 0, 1)),
    ("rank3_021", (2, 7, 3), (0, 2, 1)),
    ("rank2", (6, 9), (1, 0)),
    ("rank5", (2, 3, 1, 4, 5), (0, 4, 2, 1, 3)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=[c[0] for c in TRANSPOSE_CASES])
def test_transpose(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, perm = case
    model = onnx_model([helper.make_node("Transpose", ["x"], ["t"], perm=list(perm)),
                        helper.make_node("Neg", ["t"], ["y"])], {"x": shape})
    check_ops(model, random_inputs([shape]), make_opencl_delegate, "transpose")


@pytest.mark.parametrize("perm", [(0, 2, 3, 1), (0, 3, 1, 2), (3, 2, 1, 0)],
                         ids=["nchw_to_nhwc", "nhwc_to_nchw", "reversed"])
def test_transpose_rank4(perm: tuple[int, ...], make_opencl_delegate: Callable[..., Any]
                         ) -> None:
    """CNN exports start with NCHW -> NHWC; in the file's own terms (the converter would
    fold a Transpose next to the channels-last graph inputs)."""
    from emberlite.converter.ops.transpose import TransposeParams

    model = ir_model(OpType.TRANSPOSE, {"x": (2, 3, 4, 5)}, {}, TransposeParams(perm=list(perm)))
    check_file(model, random_inputs([(2, 3, 4, 5)]), make_opencl_delegate, "transpose")


def test_slice(make_opencl_delegate: Callable[..., Any]) -> None:
    model = onnx_model([helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"]),
                        helper.make_node("Neg", ["s"], ["y"])], {"x": (4, 10, 9)},
                       {"starts": np.array([1, 8, 0], np.int64),
                        "ends": np.array([4, 1, 9], np.int64),
                        "axes": np.array([0, 1, 2], np.int64),
                        "steps": np.array([2, -3, 2], np.int64)})
    check_ops(model, random_inputs([(4, 10, 9)]), make_opencl_delegate, "slice")


# (id, input shape, axis, piece sizes)
SPLIT_CASES = [
    ("channels", (1, 7, 3, 4), 1, [2, 4, 1]),
    ("width", (2, 3, 4, 6), 3, [3, 3]),
    ("rank3_last", (2, 5, 9), -1, [4, 5]),
    ("rank2_first", (6, 4), 0, [1, 2, 3]),
]


@pytest.mark.parametrize("case", SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_split(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, axis, pieces = case
    outs = tuple(f"y{i}" for i in range(len(pieces)))
    model = onnx_model([helper.make_node("Split", ["x", "pieces"], list(outs), axis=axis)],
                       {"x": shape}, {"pieces": np.array(pieces, np.int64)}, outputs=outs)
    check_ops(model, random_inputs([shape]), make_opencl_delegate, "split")


# (id, data shape, axis, constant indices)
GATHER_CASES = [
    ("channels", (1, 6, 3, 4), 1, np.array([2, 0, -1, 2], np.int64)),
    ("scalar_token", (2, 5, 8), 1, np.array(0, np.int64)),
    ("rows_2d_indices", (7, 3), 0, np.array([[1, 6], [-7, 3], [0, 0]], np.int32)),
    ("last_axis", (2, 3, 9), 2, np.array([8, 1, 4], np.int64)),
]


@pytest.mark.parametrize("case", GATHER_CASES, ids=[c[0] for c in GATHER_CASES])
def test_gather(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, axis, indices = case
    model = onnx_model([helper.make_node("Gather", ["x", "idx"], ["g"], axis=axis),
                        helper.make_node("Neg", ["g"], ["y"])], {"x": shape}, {"idx": indices})
    check_ops(model, random_inputs([shape]), make_opencl_delegate, "gather")


def test_gather_runtime_indices_stay_on_cpu(opencl_delegate: Any) -> None:
    graph = helper.make_graph(
        [helper.make_node("Gather", ["x", "idx"], ["y"], axis=0)], "gather",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (5, 3)),
         helper.make_tensor_value_info("idx", TensorProto.INT64, (4,))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (4, 3))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    converted = Converter.from_onnx(model).convert()
    feed = random_inputs([(5, 3)]) + [np.array([4, 0, -2, 1], np.int64)]
    got, placements, _ = run_delegated(converted, feed, opencl_delegate)
    assert placements[0]["delegate"] is None, placements
    assert "run time" in placements[0]["reason"], placements
    np.testing.assert_array_equal(got[0], run_ember(converted, feed)[0])


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad(mode: str, make_opencl_delegate: Callable[..., Any]) -> None:
    inputs = ["x", "pads"] + (["value"] if mode == "constant" else [])
    model = onnx_model([helper.make_node("Pad", inputs, ["p"], mode=mode),
                        helper.make_node("Neg", ["p"], ["y"])], {"x": (2, 5, 4)},
                       {"pads": np.array([0, 2, 1, 1, 3, 2], np.int64),
                        "value": np.array(1.5, np.float32)})
    check_ops(model, random_inputs([(2, 5, 4)]), make_opencl_delegate, "pad")


# ---- batch matmul ----

# (id, a shape, b shape, transpose b's last two dims first)
MATMUL_CASES = [
    ("rank2", (4, 5), (5, 3), False),
    ("rank4_same_batch", (2, 3, 4, 5), (2, 3, 5, 6), False),
    ("broadcast_batch", (2, 1, 4, 5), (3, 5, 6), False),
    ("rank3_by_rank2", (3, 4, 7), (7, 2), False),
    ("b_transposed", (2, 6, 8), (2, 5, 8), True),
]


@pytest.mark.parametrize("case", MATMUL_CASES, ids=[c[0] for c in MATMUL_CASES])
def test_batch_matmul(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    """Both operands at run time (a constant b converts to fully_connected)."""
    _, a_shape, b_shape, transpose_b = case
    nodes = [helper.make_node("MatMul", ["a", "bt" if transpose_b else "b"], ["y"])]
    if transpose_b:
        perm = list(range(len(b_shape) - 2)) + [len(b_shape) - 1, len(b_shape) - 2]
        nodes.insert(0, helper.make_node("Transpose", ["b"], ["bt"], perm=perm))
    model = onnx_model(nodes, {"a": a_shape, "b": b_shape})
    check_ops(model, random_inputs([a_shape, b_shape], seed=9), make_opencl_delegate,
              "batch_matmul")


@pytest.mark.parametrize("adj", [(True, False), (False, True), (True, True)],
                         ids=["adj_a", "adj_b", "adj_both"])
def test_batch_matmul_adjoint(adj: tuple[bool, bool], make_opencl_delegate: Callable[..., Any]
                              ) -> None:
    """Operands stored transposed (TFLite's adj_x/adj_y), in the file's own terms."""
    from emberlite.converter.ops.batch_matmul import BatchMatMulParams

    adj_a, adj_b = adj
    a_shape = (2, 7, 4) if adj_a else (2, 4, 7)
    b_shape = (1, 5, 7) if adj_b else (1, 7, 5)
    model = ir_model(OpType.BATCH_MATMUL, {"a": a_shape, "b": b_shape}, {},
                     BatchMatMulParams(adj_a=adj_a, adj_b=adj_b))
    check_file(model, random_inputs([a_shape, b_shape], seed=4), make_opencl_delegate,
               "batch_matmul")
