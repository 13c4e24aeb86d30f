"""ONNX LRN, Det, Col2Im, ReverseSequence, TensorScatter, DeformConv and EyeLike
(converter/importers/onnx_extra_ops.py), composed of existing ops or folded to a constant,
against ONNX Runtime: LRN of window sizes 1 to 7 on ranks 3 to 5 with its attributes (ONNX's
formula in numpy where ONNX Runtime takes only 4-D and odd sizes); Det of 1x1, 2x2 and 3x3
matrices with and without batch dims; EyeLike of square and wide shapes with diagonals above
and below and every output type; Col2Im of 2-D images with strides, pads and dilations (1-D
ones against ONNX's reference evaluator); ReverseSequence with run-time lengths and
TensorScatter (linear and circular, run-time write positions) on float32 and int64; DeformConv
with groups, offset groups, mask and bias (a run-time filter too); MaxPool, AveragePool and
LpPool of 3-D windows (onnx_nn_ops.py, separable) with strides, pads, dilations, ceil_mode and
auto_pad; malformed nodes refused with node and reason."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember, run_ort
from tests.kernels.select_models import onnx_model


def _one(op: str, x: np.ndarray, out: type = np.float32, opset: int = 22, name: str = "",
         **attrs) -> onnx.ModelProto:
    node = helper.make_node(op, ["x"], ["y"], name=name, **attrs)
    return onnx_model(node, {"x": x}, {}, {"y": out}, opset)


def _lrn(shape: tuple, size: int) -> tuple[onnx.ModelProto, np.ndarray]:
    x = np.random.default_rng(size).standard_normal(shape).astype(np.float32) * 3
    attrs = {"alpha": 0.01, "beta": 0.6, "bias": 1.5} if size % 2 else {}
    return _one("LRN", x, opset=13, size=size, **attrs), x


@pytest.mark.parametrize("size", [1, 3, 5, 7])
@pytest.mark.parametrize("shape", [(1, 6, 4, 3), (2, 3, 2, 5)], ids=str)
def test_lrn_matches_onnx_runtime(shape: tuple, size: int) -> None:
    model, x = _lrn(shape, size)
    assert_matches_ort(model, [x], tol=1e-5)


def _numpy_lrn(x: np.ndarray, size: int, alpha: float = 1e-4, beta: float = 0.75,
               bias: float = 1.0) -> np.ndarray:
    """ONNX's LRN formula in float64 along axis 1 of any rank."""
    x64, channels = x.astype(np.float64), x.shape[1]
    sums = np.zeros_like(x64)
    for c in range(channels):
        lo, hi = max(0, c - (size - 1) // 2), min(channels - 1, c + size // 2)
        sums[:, c] = np.sum(x64[:, lo:hi + 1] ** 2, axis=1)
    return (x64 / (bias + alpha / size * sums) ** beta).astype(np.float32)


@pytest.mark.parametrize("size", [2, 4, 5])
@pytest.mark.parametrize("shape", [(2, 7, 5), (1, 6, 4, 3), (2, 5, 2, 3, 2)], ids=str)
def test_lrn_of_other_ranks_and_sizes_matches_the_formula(shape: tuple, size: int) -> None:
    """ONNX Runtime's LRN takes 4-D inputs and odd sizes only: ONNX's formula in numpy."""
    model, x = _lrn(shape, size)
    got, = run_ember(convert_onnx(model), [x])
    attrs = {a.name: helper.get_attribute_value(a) for a in model.graph.node[0].attribute}
    np.testing.assert_allclose(got, _numpy_lrn(x, **attrs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 3), (4, 2, 2), (2, 3, 3, 3), (5, 1, 1)],
                         ids=str)
def test_det_matches_onnx_runtime(shape: tuple) -> None:
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    assert_matches_ort(_one("Det", x), [x], tol=1e-5)


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
@pytest.mark.parametrize("dtype", [None, TensorProto.FLOAT, TensorProto.INT32,
                                   TensorProto.INT64])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 2)], ids=str)
def test_eye_like_matches_onnx_runtime(shape: tuple, dtype: int | None, k: int) -> None:
    x = np.zeros(shape, np.int32)
    attrs = {"k": k} if dtype is None else {"k": k, "dtype": dtype}
    out = np.int32 if dtype is None else helper.tensor_dtype_to_np_dtype(dtype)
    model = _one("EyeLike", x, out, **attrs)
    got, = run_ember(convert_onnx(model), [x])
    want, = run_ort(model, [x])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def _col2im(x: np.ndarray, image: list[int], block: list[int], name: str = "",
            **attrs) -> onnx.ModelProto:
    node = helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name=name, **attrs)
    consts = {"image": np.array(image, np.int64), "block": np.array(block, np.int64)}
    return onnx_model(node, {"x": x}, consts, {"y": np.float32}, 18)


def _blocks(image: list[int], block: list[int], dilations: list[int], pads: list[int],
            strides: list[int]) -> int:
    n = len(image)
    return int(np.prod([(i + pads[a] + pads[a + n] - d * (k - 1) - 1) // s + 1 for a, (i, k, d, s)
                        in enumerate(zip(image, block, dilations, strides))]))


# (image, block, dilations, pads, strides): overlapping and disjoint blocks, strides that leave
# the last rows unreached, uneven pads, dilation, 1-D images.
COL2IM = [([5, 5], [2, 2], [1, 1], [0, 0, 0, 0], [1, 1]),
          ([6, 7], [3, 2], [1, 2], [1, 0, 0, 2], [2, 1]),
          ([7, 6], [2, 3], [2, 1], [0, 1, 1, 0], [3, 2]),
          ([4, 4], [1, 1], [1, 1], [0, 0, 0, 0], [2, 2])]
COL2IM_1D = [([9], [3], [2], [1, 2], [2]), ([8], [4], [1], [0, 0], [4]),
             ([7], [2], [1], [1, 0], [1])]


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("image,block,dilations,pads,strides", COL2IM + COL2IM_1D, ids=str)
def test_col2im_matches_onnx_runtime(image: list[int], block: list[int], dilations: list[int],
                                     pads: list[int], strides: list[int], channels: int) -> None:
    columns = _blocks(image, block, dilations, pads, strides)
    shape = (2, channels * int(np.prod(block)), columns)
    x = np.random.default_rng(columns).standard_normal(shape).astype(np.float32)
    model = _col2im(x, image, block, dilations=dilations, pads=pads, strides=strides)
    if len(image) == 2:
        assert_matches_ort(model, [x], tol=1e-6)
        return
    # ONNX Runtime 1.32 sums 1-D columns of several channels with dilation and pads wrongly;
    # ONNX's reference evaluator is the oracle there.
    got, = run_ember(convert_onnx(model), [x])
    want, = ReferenceEvaluator(model).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("batch_axis", [0, 1])
@pytest.mark.parametrize("shape", [(5, 4), (6, 3, 2), (4, 5, 2, 3)], ids=str)
def test_reverse_sequence_matches_onnx_runtime(shape: tuple, batch_axis: int,
                                               dtype: type) -> None:
    """Run-time lengths from 0 (nothing reversed) to the whole time axis."""
    rng = np.random.default_rng(len(shape) + batch_axis)
    x = rng.integers(-50, 50, shape).astype(dtype)
    time = shape[1 - batch_axis]
    lens = rng.integers(0, time + 1, shape[batch_axis]).astype(np.int64)
    lens[0] = time
    node = helper.make_node("ReverseSequence", ["x", "lens"], ["y"], batch_axis=batch_axis,
                            time_axis=1 - batch_axis)
    model = onnx_model(node, {"x": x, "lens": lens}, {}, {"y": dtype}, 22)
    assert_matches_ort(model, [x, lens], tol=0.0)


# (cache shape, update length, axis): the default axis -2, the last axis, a 3-D cache
SCATTER = [((2, 3, 6, 4), 2, -2), ((3, 5, 4), 3, 1), ((2, 2, 3, 7), 4, -1), ((4, 5, 2), 5, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("mode", ["linear", "circular"])
@pytest.mark.parametrize("shape,length,axis", SCATTER, ids=str)
def test_tensor_scatter_matches_onnx_runtime(shape: tuple, length: int, axis: int, mode: str,
                                             dtype: type) -> None:
    rng = np.random.default_rng(length)
    cache = rng.integers(-50, 50, shape).astype(dtype)
    a = axis % len(shape)
    upd_shape = shape[:a] + (length,) + shape[a + 1:]
    update = rng.integers(100, 200, upd_shape).astype(dtype)
    top = shape[a] - 1 if mode == "circular" else shape[a] - length
    starts = rng.integers(0, top + 1, shape[0]).astype(np.int64)
    node = helper.make_node("TensorScatter", ["cache", "update", "starts"], ["y"], axis=axis,
                            mode=mode)
    model = onnx_model(node, {"cache": cache, "update": update, "starts": starts}, {},
                       {"y": dtype}, 24)
    assert_matches_ort(model, [cache, update, starts], tol=0.0)


def test_tensor_scatter_without_write_indices_matches_onnx_runtime() -> None:
    cache = np.random.default_rng(1).standard_normal((2, 1, 5, 3)).astype(np.float32)
    update = np.ones((2, 1, 2, 3), np.float32)
    node = helper.make_node("TensorScatter", ["cache", "update"], ["y"])
    model = onnx_model(node, {"cache": cache, "update": update}, {}, {"y": np.float32}, 24)
    assert_matches_ort(model, [cache, update], tol=0.0)


# 3-D pooling attributes: kernel, strides, pads, dilations, ceil_mode (auto_pad SAME_UPPER last)
POOL_3D = [([2, 2, 2], [1, 1, 1], [0] * 6, [1, 1, 1], 0),
           ([3, 2, 3], [2, 1, 2], [1, 0, 1, 1, 1, 0], [1, 1, 1], 0),
           ([2, 3, 2], [2, 2, 1], [0, 1, 0, 1, 0, 1], [2, 1, 2], 1),
           ([3, 3, 1], [3, 2, 1], [1, 1, 0, 0, 1, 0], [1, 2, 1], 1),
           ([2, 2, 3], [2, 1, 2], None, [1, 1, 1], 0)]


POOLS = [("MaxPool", {}), ("AveragePool", {}), ("AveragePool", {"count_include_pad": 1}),
         ("LpPool", {"p": 2})]


# ceil_mode with count_include_pad where the last window runs past the padding is refused
# (as in 2-D): those pairs are left out.
@pytest.mark.parametrize("op,extra,kernel,strides,pads,dilations,ceil", [
    (op, extra, *case) for op, extra in POOLS for case in POOL_3D
    if not (extra.get("count_include_pad") and case[4])], ids=str)
def test_3d_pooling_matches_onnx_runtime(kernel: list[int], strides: list[int],
                                         pads: list[int] | None, dilations: list[int],
                                         ceil: int, op: str, extra: dict) -> None:
    """Separable: the 2-D pool of each depth slice, then the pool over depth."""
    attrs = dict(extra, kernel_shape=kernel, strides=strides)
    attrs.update({"pads": pads} if pads else {"auto_pad": "SAME_UPPER"})
    if op != "LpPool":
        attrs.update(dilations=dilations, ceil_mode=ceil)
    x = np.random.default_rng(len(kernel)).standard_normal((2, 3, 7, 8, 6)).astype(np.float32)
    assert_matches_ort(_one(op, x, opset=19, **attrs), [x], tol=1e-5)


# (N, C, H, W, out channels, kernel, group, offset_group, strides, pads, dilations, mask, bias)
DEFORM = [(1, 2, 5, 6, 3, (3, 3), 1, 1, [1, 1], [1, 1, 1, 1], [1, 1], False, False),
          (2, 4, 6, 5, 4, (2, 3), 2, 2, [2, 1], [0, 1, 1, 0], [1, 2], True, True),
          (1, 6, 7, 4, 2, (3, 2), 2, 3, [1, 2], [2, 0, 0, 1], [2, 1], True, False),
          (2, 3, 1, 8, 3, (1, 3), 1, 1, [1, 1], [0, 1, 0, 1], [1, 1], False, True)]


@pytest.mark.parametrize("case", DEFORM, ids=str)
def test_deform_conv_matches_onnx_runtime(case: tuple) -> None:
    """Offsets of a few pixels, so samples fall off the image too; a run-time offset and
    mask, a constant filter."""
    n, c, h, w, oc, (kh, kw), group, offset_group, strides, pads, dilations, masked, biased = case
    rng = np.random.default_rng(c * h)
    oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    offset = (rng.standard_normal((n, offset_group * kh * kw * 2, oh, ow)) * 2).astype(
        np.float32)
    inputs = {"x": x, "offset": offset}
    consts = {"w": rng.standard_normal((oc, c // group, kh, kw)).astype(np.float32)}
    names = ["x", "w", "offset", "", ""]
    if biased:
        consts["b"], names[3] = rng.standard_normal(oc).astype(np.float32), "b"
    if masked:
        inputs["mask"] = rng.uniform(0, 1, (n, offset_group * kh * kw, oh, ow)).astype(
            np.float32)
        names[4] = "mask"
    node = helper.make_node("DeformConv", [m for m in names if m] if not masked else names,
                            ["y"], group=group, offset_group=offset_group, strides=strides,
                            pads=pads, dilations=dilations)
    model = onnx_model(node, inputs, consts, {"y": np.float32}, 22)
    assert_matches_ort(model, list(inputs.values()), tol=1e-5)


@pytest.mark.parametrize("case", [c for c in DEFORM if c[6] == 1], ids=str)
def test_deform_conv_with_run_time_filter_matches_onnx_runtime(case: tuple) -> None:
    """Filter and bias given at invoke: a batched matrix product instead of the convolution."""
    n, c, h, w, oc, (kh, kw), _, offset_group, strides, pads, dilations, _, _ = case
    rng = np.random.default_rng(c + h)
    oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    inputs = {"x": rng.standard_normal((n, c, h, w)).astype(np.float32),
              "w": rng.standard_normal((oc, c, kh, kw)).astype(np.float32),
              "offset": (rng.standard_normal((n, offset_group * kh * kw * 2, oh, ow)) * 2
                         ).astype(np.float32),
              "b": rng.standard_normal(oc).astype(np.float32)}
    node = helper.make_node("DeformConv", ["x", "w", "offset", "b"], ["y"],
                            offset_group=offset_group, strides=strides, pads=pads,
                            dilations=dilations)
    model = onnx_model(node, inputs, {}, {"y": np.float32}, 22)
    assert_matches_ort(model, list(inputs.values()), tol=1e-5)


def test_malformed_nodes_are_refused_with_node_and_reason() -> None:
    x = np.zeros((1, 4, 16), np.float32)
    with pytest.raises(ModelImportError, match=r"'c' \(Col2Im\): 16 columns do not match"):
        convert_onnx(_col2im(x, [5, 6], [2, 2], name="c"))
    with pytest.raises(ModelImportError, match=r"'c' \(Col2Im\): input must be \(N, C x 3"):
        convert_onnx(_col2im(x, [5, 6], [3, 1], name="c"))
    with pytest.raises(UnsupportedOpsError, match=r"c.*3-D images"):
        convert_onnx(_col2im(x, [5, 6, 2], [2, 2, 1], name="c"))
    with pytest.raises(ModelImportError, match=r"'c' \(Col2Im\): block_shape must be"):
        convert_onnx(_col2im(x, [5, 5], [2, 0], name="c"))
    seq = np.zeros((4, 3), np.float32)
    reverse = helper.make_node("ReverseSequence", ["x", "lens"], ["y"], name="r", batch_axis=0,
                               time_axis=0)
    with pytest.raises(ModelImportError, match=r"'r' \(ReverseSequence\): batch_axis 0 and "):
        convert_onnx(onnx_model(reverse, {"x": seq, "lens": np.zeros(4, np.int64)}, {},
                                {"y": np.float32}, 22))
    deform = helper.make_node("DeformConv", ["x", "w", "offset"], ["y"], name="dc")
    images = {"x": np.zeros((1, 2, 4, 4), np.float32), "offset": np.zeros((1, 8, 3, 3),
                                                                           np.float32)}
    grouped = helper.make_node("DeformConv", ["x", "w", "offset"], ["y"], name="dc", group=2)
    with pytest.raises(UnsupportedOpsError, match=r"dc.*run-time filter W with group > 1"):
        convert_onnx(onnx_model(grouped, {**images, "w": np.zeros((2, 1, 2, 2), np.float32)},
                                {}, {"y": np.float32}, 22))
    with pytest.raises(ModelImportError, match=r"'dc' \(DeformConv\): offset must be"):
        convert_onnx(onnx_model(deform, images, {"w": np.zeros((1, 2, 3, 3), np.float32)},
                                {"y": np.float32}, 22))
    cache = helper.make_node("TensorScatter", ["cache", "update"], ["y"], name="t", axis=1)
    with pytest.raises(ModelImportError, match=r"'t' \(TensorScatter\): update \[2, 5, 3\]"):
        convert_onnx(onnx_model(cache, {"cache": np.zeros((2, 4, 3), np.float32),
                                        "update": np.zeros((2, 5, 3), np.float32)}, {},
                                {"y": np.float32}, 24))
    square = np.zeros((4, 4), np.float32)
    with pytest.raises(UnsupportedOpsError, match=r"d4.*4x4 matrices"):
        convert_onnx(_one("Det", square, name="d4"))
    with pytest.raises(ModelImportError, match=r"'dr' \(Det\): input must be \(..., M, M\)"):
        convert_onnx(_one("Det", np.zeros((3, 4), np.float32), name="dr"))
    with pytest.raises(ModelImportError, match=r"'l' \(LRN\): input must be \(N, C, ...\)"):
        convert_onnx(_one("LRN", np.zeros((3, 4), np.float32), opset=13, name="l", size=3))
    with pytest.raises(ModelImportError, match=r"'l' \(LRN\): size must be at least 1"):
        convert_onnx(_one("LRN", np.zeros((1, 3, 4), np.float32), opset=13, name="l", size=0))
    with pytest.raises(ModelImportError, match=r"'e' \(EyeLike\): input must be 2-D"):
        convert_onnx(_one("EyeLike", np.zeros((2, 3, 4), np.float32), name="e"))
