"""CAST: float32 and integer types as C's casts (truncation toward zero, two's complement
wrap when narrowing) against numpy and the reference evaluator, int8 taking and giving stored
integers (LiteRT's CAST is a static_cast; quantization is ignored), BOOL both ways, ONNX's Cast
between float32, int32, int64 and bool against ONNX Runtime, and int8 models on .tflite files
(what TensorFlow emits around CAST) against LiteRT."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper

from emberlite.converter.ir import DType, Tensor
from emberlite.converter.ops import OpType
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.fixed_point import empty_graph, int8_tensor, run_graph, single_op
from tests.kernels.single_node import run_node

RNG = np.random.default_rng(5)

CASTS = [(np.float32, np.int32), (np.float32, np.int8), (np.float32, np.int64),
         (np.int32, np.float32), (np.int32, np.int8), (np.int8, np.int32),
         (np.int8, np.float32), (np.int64, np.int32), (np.int32, np.int64)]


@pytest.mark.parametrize("src, dst", CASTS, ids=lambda t: np.dtype(t).name)
def test_cast_like_c(src: type, dst: type) -> None:
    if np.issubdtype(src, np.floating):
        # Truncation toward zero, with exact halves, negatives and values beyond int8.
        x = np.concatenate([RNG.uniform(-300, 300, 40), [-2.5, -0.5, 0.5, 2.5, -1.0, 127.9,
                                                         -128.9, 255.0]]).astype(src)
        want = np.trunc(x.astype(np.float64)).astype(np.int64).astype(dst)
    else:
        lo, hi = np.iinfo(src).min, np.iinfo(src).max
        x = np.concatenate([RNG.integers(lo, hi, 40, dtype=np.int64),
                            [lo, hi, -1, 0, 128, -129]]).clip(lo, hi).astype(src)
        want = x.astype(dst)  # two's complement wrap when narrowing
    got, ref = run_node(OpType.CAST, [x], x.shape, DType.from_numpy(np.dtype(dst)))
    assert got.dtype == np.dtype(dst)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ref, want)


@pytest.mark.parametrize("dst", [DType.INT32, DType.FLOAT32, DType.INT64])
def test_cast_from_int8_takes_the_stored_integer(dst: DType) -> None:
    x = np.arange(-128, 128, dtype=np.int8)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, 0.25, 7)  # ignored: LiteRT's CAST is a static_cast
    g.tensors["out"] = Tensor("out", dst, x.shape)
    got = run_graph(single_op(OpType.CAST, ["x"], None, g), [x])[0]
    assert got.dtype == dst.numpy and np.array_equal(got, x.astype(dst.numpy))


@pytest.mark.parametrize("src", [DType.INT32, DType.FLOAT32])
def test_cast_to_int8_truncates_and_wraps(src: DType) -> None:
    x = np.array([-300, -129, -128, -2.7, -0.5, 0, 0.9, 1.5, 127, 128, 255, 1000],
                 dtype=src.numpy)
    g = empty_graph()
    g.tensors["x"] = Tensor("x", src, x.shape)
    int8_tensor(g, "out", x.shape, 0.5, -3)
    got = run_graph(single_op(OpType.CAST, ["x"], None, g), [x])[0]
    want = np.trunc(x.astype(np.float64)).astype(np.int64).astype(np.int8)
    assert np.array_equal(got, want)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


# cast_index_int32 and cast_float_int32 end in an integer output: nothing int8 to compare with
# LiteRT's default kernels.
@pytest.mark.parametrize("name", ["cast_index_float", "cast_index_int32", "cast_float_int32"])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", ["cast_index_float"])
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


@pytest.mark.parametrize("src", [np.float32, np.int8, np.int32, np.int64],
                         ids=lambda t: np.dtype(t).name)
def test_cast_to_bool_is_nonzero(src: type) -> None:
    """Anything but zero is true, NaN and -0.0 included as C, numpy and ONNX have it."""
    if np.issubdtype(src, np.floating):
        x = np.array([0.0, -0.0, 0.5, -3.0, np.nan, np.inf, 1e-40], src)
    else:
        x = np.array([0, 1, -1, np.iinfo(src).min, np.iinfo(src).max, 2], src)
    got, ref = run_node(OpType.CAST, [x], x.shape, DType.BOOL)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, x.astype(bool))
    np.testing.assert_array_equal(ref, got)


@pytest.mark.parametrize("dst", [np.float32, np.int8, np.int32, np.int64],
                         ids=lambda t: np.dtype(t).name)
def test_cast_from_bool_is_zero_or_one(dst: type) -> None:
    """Bytes other than 0 and 1 in a bool buffer still read as 1."""
    x = np.array([0, 1, 2, 255, 0, 128], np.uint8).view(np.bool_)
    got, _ = run_node(OpType.CAST, [x], x.shape, DType.from_numpy(np.dtype(dst)))
    np.testing.assert_array_equal(got, np.array([0, 1, 1, 1, 0, 1], dst))


@pytest.mark.parametrize("to", ["FLOAT", "INT32", "INT64", "BOOL"])
@pytest.mark.parametrize("src", ["FLOAT", "INT32", "INT64", "BOOL"])
def test_onnx_cast_matches_onnx_runtime(src: str, to: str) -> None:
    src_type, to_type = getattr(TensorProto, src), getattr(TensorProto, to)
    graph = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["y"], to=to_type)], "cast",
        [helper.make_tensor_value_info("x", src_type, (3, 5))],
        [helper.make_tensor_value_info("y", to_type, (3, 5))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    pool = {"FLOAT": [-2.7, -0.5, 0.0, 0.5, 3.9, 1e9], "INT32": [-7, 0, 1, 2 ** 31 - 1],
            "INT64": [-(2 ** 40), -1, 0, 5], "BOOL": [0, 1]}[src]
    x = RNG.choice(np.array(pool), (3, 5)).astype(helper.tensor_dtype_to_np_dtype(src_type))
    got, = run_ember(convert_onnx(model), [x])
    want, = run_ort(model, [x])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
