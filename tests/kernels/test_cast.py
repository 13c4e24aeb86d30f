"""CAST: float32 and integer types as C's casts (truncation toward zero, two's complement
wrap when narrowing) against numpy and the reference evaluator, int8 taking and giving stored
integers (LiteRT's CAST is a static_cast; quantization is ignored), and int8 models on .tflite
files (what TensorFlow emits around CAST) against LiteRT."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from emberlite.converter.ir import DType, Tensor
from emberlite.converter.ops import OpType
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
