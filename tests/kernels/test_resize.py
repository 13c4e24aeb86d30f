"""RESIZE in every type:
- float32: ONNX Resize against ONNX Runtime: nearest with every rounding mode and linear,
  each with every coordinate transform, for x2 upsampling, non-integer scales, downsampling,
  output sizes given by `sizes`, and 1-pixel outputs.
- int8: bilinear against a numpy model of LiteRT's integer kernel (positions in 1/1024 from
  the image sizes, Q20 weights, rounding half away from zero), bit-exact; nearest neighbour
  copies the stored values from the same cells as the float kernel.
- int8 .tflite files from TFLiteConverter (RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR with
  each of TFLite's options, tests/importers/keras_int8_arith.py and keras_int8_moves.py):
  byte for byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default
  kernels.
- the post-training int8 quantizer on one-op ONNX Resize models."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter.ir import DType, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.resize import CoordinateTransform, ResizeMode, ResizeParams
from emberlite.converter.ops.resize import NearestRounding as Rounding
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort, convert_onnx
from tests.importers import keras_int8_arith, keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.fast_paths import check_fast_path, float_node
from tests.kernels.fixed_point import empty_graph, int8_tensor, run_graph, single_op
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, const, info
from tests.quantize.models import onnx_model

OPSET = 17

TRANSFORMS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]
ROUNDINGS = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]

# (input NCHW, scales for H and W or None, output sizes H and W or None)
CASES = [
    ((1, 3, 4, 5), (2.0, 2.0), None),
    ((2, 2, 5, 7), (1.5, 2.5), None),
    ((1, 1, 3, 3), (4.0, 3.0), None),
    ((1, 3, 8, 9), (0.5, 0.75), None),
    ((1, 3, 4, 5), None, (7, 3)),
    ((1, 2, 5, 6), None, (1, 4)),
    ((1, 4, 1, 1), None, (3, 2)),
    ((1, 5, 6, 6), None, (6, 6)),
]


def _model(shape: tuple[int, ...], scales: tuple[float, float] | None,
           sizes: tuple[int, int] | None, **attrs: str) -> onnx.ModelProto:
    consts = []
    if scales is not None:
        consts.append(numpy_helper.from_array(np.array([1, 1, *scales], np.float32), "scales"))
        inputs = ["x", "", "scales"]
    else:
        consts.append(numpy_helper.from_array(np.array([*shape[:2], *sizes], np.int64), "sizes"))
        inputs = ["x", "", "", "sizes"]
    graph = helper.make_graph(
        [helper.make_node("Resize", inputs, ["y"], **attrs)], "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_empty_tensor_value_info("y")], consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def _check(model: onnx.ModelProto, shape: tuple[int, ...]) -> None:
    ops = Interpreter(model_content=convert_onnx(model)).node_ops()
    assert "resize" in ops, ops
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    assert_matches_ort(model, [x])


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("shape,scales,sizes", CASES, ids=str)
def test_resize_nearest(shape: tuple[int, ...], scales: tuple[float, float] | None,
                        sizes: tuple[int, int] | None, transform: str, rounding: str) -> None:
    model = _model(shape, scales, sizes, mode="nearest",
                   coordinate_transformation_mode=transform, nearest_mode=rounding)
    _check(model, shape)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("shape,scales,sizes", CASES, ids=str)
def test_resize_linear(shape: tuple[int, ...], scales: tuple[float, float] | None,
                       sizes: tuple[int, int] | None, transform: str) -> None:
    model = _model(shape, scales, sizes, mode="linear", coordinate_transformation_mode=transform)
    _check(model, shape)


def test_resize_defaults() -> None:
    """No attributes: nearest, half_pixel, round_prefer_floor."""
    _check(_model((1, 2, 3, 4), (2.0, 3.0), None), (1, 2, 3, 4))


def test_upsample_after_conv() -> None:
    """A U-Net style x2 upsampling of a conv feature map (NHWC inside Emberlite)."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 3, 6, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    scales = np.array([1, 1, 2, 2], np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Resize", ["c", "", "scales"], ["y"], mode="linear")]
    graph = helper.make_graph(
        nodes, "conv_resize", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(scales, "scales")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(onnx.shape_inference.infer_shapes(model, strict_mode=True), [x])


# int8, on the options of TFLite models. TFLite's three bilinear settings as the importer maps them.
TFLITE_TRANSFORMS = {"align": CoordinateTransform.ALIGN_CORNERS,
                     "half": CoordinateTransform.HALF_PIXEL,
                     "plain": CoordinateTransform.ASYMMETRIC}
TFLITE_NEAREST = {"align": (CoordinateTransform.ALIGN_CORNERS, Rounding.ROUND_PREFER_CEIL),
                  "half": (CoordinateTransform.HALF_PIXEL, Rounding.ROUND_PREFER_CEIL),
                  "plain": (CoordinateTransform.ASYMMETRIC, Rounding.FLOOR)}


def _c_div(a: int, b: int) -> int:
    """C's truncating integer division."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def axis_taps(kind: str, n_in: int, n_out: int) -> list[tuple[int, int, int]]:
    """(lo, hi, position - 1024 lo) per output coordinate, section 5. The rounded step can put
    the last positions at or past the last cell: both taps are clamped to it (LiteRT clamps
    only hi and reads past the image), and the weight then no longer matters (lo = hi)."""
    if kind == "align" and n_out > 1:
        step = (1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    else:
        step = (1024 * n_in + n_out // 2) // n_out
    taps = []
    for o in range(n_out):
        pos = o * step + step // 2 - 512 if kind == "half" else o * step
        lo = min(max(_c_div(pos, 1024), 0), n_in - 1)
        taps.append((lo, min(_c_div(pos + 1023, 1024), n_in - 1), pos - 1024 * lo))
    return taps


def bilinear_reference(x: np.ndarray, kind: str, out_hw: tuple[int, int]) -> np.ndarray:
    n, h, w, c = x.shape
    out = np.zeros((n, *out_hw, c), np.int8)
    xv = x.astype(np.int64)
    for oy, (y0, y1, dy) in enumerate(axis_taps(kind, h, out_hw[0])):
        for ox, (x0, x1, dx) in enumerate(axis_taps(kind, w, out_hw[1])):
            v = (xv[:, y0, x0] * (1024 - dy) * (1024 - dx) + xv[:, y1, x0] * dy * (1024 - dx)
                 + xv[:, y0, x1] * (1024 - dy) * dx + xv[:, y1, x1] * dy * dx)
            v = v + np.where(v > 0, 2**19, -(2**19))
            out[:, oy, ox] = (np.sign(v) * (np.abs(v) // 2**20)).astype(np.int8)
    return out


def build(shape, out_hw, params: ResizeParams, int8: bool = True, zp_out: int = 3):
    g = empty_graph()
    out_shape = (shape[0], *out_hw, shape[3])
    if int8:
        int8_tensor(g, "x", shape, 0.05, 3)
        int8_tensor(g, "out", out_shape, 0.05, zp_out)
    else:
        g.tensors["x"] = Tensor("x", DType.FLOAT32, tuple(shape))
        g.tensors["out"] = Tensor("out", DType.FLOAT32, out_shape)
    return single_op(OpType.RESIZE, ["x"], params, g)


SIZES = [((1, 4, 5, 2), (9, 7)), ((2, 8, 9, 3), (4, 6)), ((1, 3, 3, 1), (3, 3)),
         ((1, 1, 4, 2), (1, 11)), ((1, 8, 8, 1), (11, 11)), ((1, 5, 2, 4), (1, 1))]


def _params(shape, out_hw, mode: ResizeMode, transform, rounding=Rounding.ROUND_PREFER_FLOOR):
    return ResizeParams(mode=mode, coordinate_transform=transform, nearest_rounding=rounding,
                        scale_h=out_hw[0] / shape[1], scale_w=out_hw[1] / shape[2])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from(SIZES),
       kind=st.sampled_from(sorted(TFLITE_TRANSFORMS)))
def test_resize_bilinear_i8(seed: int, size, kind: str) -> None:
    shape, out_hw = size
    x = np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)
    p = _params(shape, out_hw, ResizeMode.LINEAR, TFLITE_TRANSFORMS[kind])
    got = run_graph(build(shape, out_hw, p), [x])[0]
    assert np.array_equal(got, bilinear_reference(x, kind, out_hw))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from(SIZES),
       kind=st.sampled_from(sorted(TFLITE_NEAREST)))
def test_resize_nearest_i8_copies_the_float_cells(seed: int, size, kind: str) -> None:
    shape, out_hw = size
    x = np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)
    p = _params(shape, out_hw, ResizeMode.NEAREST, *TFLITE_NEAREST[kind])
    got = run_graph(build(shape, out_hw, p, zp_out=3), [x])[0]
    want = run_graph(build(shape, out_hw, p, int8=False), [x.astype(np.float32)])[0]
    assert np.array_equal(got, want.astype(np.int8))


# Sizes whose rounded step puts the last lower tap one cell past the image (199 -> 650 with
# TFLite's default options: step 314, 649 * 314 / 1024 = 199.0).
PAST_THE_END = [(199, 650), (1, 55)]


@pytest.mark.parametrize("n_in,n_out", PAST_THE_END)
@pytest.mark.parametrize("kind", sorted(TFLITE_TRANSFORMS))
def test_resize_bilinear_i8_clamps_the_lower_tap(n_in: int, n_out: int, kind: str) -> None:
    """Batch 2: a tap past image 0 reads image 1's first row, which differs from image 0's
    last one, so a missing clamp shows in the output even where the arena ends later."""
    shape, out_hw = (2, n_in, 3, 2), (n_out, 5)
    x = np.random.default_rng(n_in).integers(-128, 128, shape).astype(np.int8)
    x[1] = -x[0, ::-1] - 1  # image 1's first row is far from image 0's last
    p = _params(shape, out_hw, ResizeMode.LINEAR, TFLITE_TRANSFORMS[kind])
    got = run_graph(build(shape, out_hw, p), [x])[0]
    assert np.array_equal(got, bilinear_reference(x, kind, out_hw))


def test_resize_i8_needs_equal_quantization() -> None:
    shape, out_hw = (1, 4, 4, 1), (8, 8)
    p = _params(shape, out_hw, ResizeMode.LINEAR, CoordinateTransform.HALF_PIXEL)
    with pytest.raises(InvalidModelError, match="same scale and zero point"):
        run_graph(build(shape, out_hw, p, zp_out=4), [np.zeros(shape, np.int8)])


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _quantizer_model(mode: str, transform: str) -> Callable[[], onnx.ModelProto]:
    def model() -> onnx.ModelProto:
        scales = const("scales", [1.0, 1.0, 2.0, 2.0])
        node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode,
                                coordinate_transformation_mode=transform, name="resize")
        return onnx_model([node], [info("x", [1, 3, 4, 5])], [info("y", [1, 3, 8, 10])],
                          [scales])
    return model


QUANTIZER_CASES = {
    "resize_nearest": Case(_quantizer_model("nearest", "asymmetric"), (3, 4, 5), OpType.RESIZE),
    "resize_linear": Case(_quantizer_model("linear", "half_pixel"), (3, 4, 5), OpType.RESIZE),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py, _moves.py) ----

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return {**keras_int8_arith.litert_results(tmp_path_factory),
            **keras_int8_moves.litert_results(tmp_path_factory)}


# keras_int8_arith.py's models, then keras_int8_moves.py's downscaling nearest neighbour.
TFLITE_CASES = (["upsample_bilinear", "resize_bilinear_down"]
                + [f"resize_{k}_{m}" for k in ("bilinear", "nearest_neighbor")
                   for m in ("align", "half", "plain")]
                + ["resize_nearest_down", "resize_nearest_down_half", "resize_nearest_down_align"])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# (NHWC input, output H, W, scales): up and down, odd channel counts for every tail
FAST_CASES = [((1, 5, 7, 67), 10, 14, 2.0, 2.0), ((2, 9, 6, 13), 4, 3, 0.5, 0.5),
              ((1, 4, 4, 3), 11, 9, 2.75, 2.25), ((1, 1, 1, 8), 3, 2, 3.0, 2.0),
              ((1, 6, 5, 40), 6, 5, 1.0, 1.0)]


# TF_CROP_AND_RESIZE runs the general filter path (tests/kernels/test_resize_family.py).
@pytest.mark.parametrize("transform", [t for t in CoordinateTransform
                                       if t != CoordinateTransform.TF_CROP_AND_RESIZE], ids=str)
@pytest.mark.parametrize("shape,out_h,out_w,scale_h,scale_w", FAST_CASES, ids=str)
def test_fast_bilinear_f32_matches_reference(shape: tuple[int, ...], out_h: int, out_w: int,
                                             scale_h: float, scale_w: float,
                                             transform: CoordinateTransform) -> None:
    """The channel-vectorised bilinear row microkernel (default isa_mask) equals the reference
    loop (ISA_NONE) bit for bit, on 1 and 2 threads (tests/kernels/fast_paths.py)."""
    rng = np.random.default_rng(sum(shape) + out_h)
    x = rng.standard_normal(shape).astype(np.float32)
    p = ResizeParams(ResizeMode.LINEAR, transform, scale_h=scale_h, scale_w=scale_w)
    model = float_node(OpType.RESIZE, p, shape, (shape[0], out_h, out_w, shape[3]))
    check_fast_path(model, [x], "resize")
