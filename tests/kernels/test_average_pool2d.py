"""AVERAGE_POOL2D in every type:
- float32: ONNX AveragePool (pads, strides, ceil_mode, count_include_pad) and
  GlobalAveragePool against ONNX Runtime.
- int8 against a numpy model of LiteRT's reference kernel (pool2d_models.py: padding
  excluded, the average rounded half away from zero, activation clamp): bit-exact in
  test_pool2d_family.py, with MAX_POOL2D; here the rounding of ties.
- int8 .tflite files from TFLiteConverter (a Keras AveragePooling2D,
  tests/importers/keras_int8_layers.py): byte for byte LiteRT's reference kernels
  (BUILTIN_REF) and within 1 LSB of its default kernels."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from emberlite.converter.ops import OpType
from emberlite.converter.ops.pool2d import Pool2DParams
from tests.helpers import run_ort
from tests.importers import keras_int8_layers
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.fixed_point import run_graph
from tests.kernels.fast_paths import check_fast_path
from tests.kernels.pool2d_models import (average_reference, check_global_pool, check_pool,
                                         pool_graph, pool_model, random_fast_case,
                                         run_pool)


# (input NCHW, kernel_shape, strides, pads [t, l, b, r], ceil_mode)
AVG_CASES = [
    ((1, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0), 0),
    ((2, 5, 7, 9), (3, 3), (2, 2), (1, 1, 1, 1), 0),
    ((1, 4, 7, 7), (3, 3), (1, 1), (0, 1, 2, 1), 0),
    ((1, 3, 9, 10), (2, 3), (1, 2), (1, 0, 1, 2), 0),
    ((1, 3, 7, 8), (3, 3), (2, 2), (0, 0, 0, 0), 1),
    ((1, 3, 6, 6), (3, 3), (2, 2), (1, 1, 1, 1), 1),
    ((1, 2, 5, 6), (2, 2), (3, 3), (1, 1, 1, 1), 1),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0, 0, 0), 0),
    ((1, 32, 14, 14), (3, 3), (1, 1), (1, 1, 1, 1), 0),
]


@pytest.mark.parametrize("count_include_pad", [0, 1], ids=["exclude_pad", "include_pad"])
@pytest.mark.parametrize("shape,kernel,strides,pads,ceil", AVG_CASES, ids=str)
def test_average_pool(shape: tuple[int, ...], kernel: tuple[int, int],
                      strides: tuple[int, int], pads: tuple[int, ...], ceil: int,
                      count_include_pad: int) -> None:
    """A window that ceil_mode pushes past input and pads divides by the cells inside both
    (the importer pads explicitly then: tests/importers/test_pool_ceil.py)."""
    rng = np.random.default_rng(sum(shape) * 3 + sum(kernel))
    x = rng.standard_normal(shape).astype(np.float32)
    model = pool_model("AveragePool", shape, kernel_shape=kernel, strides=strides,
                       pads=list(pads), ceil_mode=ceil, count_include_pad=count_include_pad)
    check_pool(model, x, "average_pool2d")


def test_average_pool_divisor_counts_real_cells() -> None:
    """Ones in, pads excluded: every output is exactly 1, so a wrong divisor shows."""
    x = np.ones((1, 2, 5, 5), np.float32)
    model = pool_model("AveragePool", x.shape, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    out = run_pool(model, x)
    np.testing.assert_allclose(out, run_ort(model, [x])[0], rtol=1e-6)
    np.testing.assert_allclose(out, 1.0, rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 8, 7, 7), (2, 3, 1, 1), (1, 5, 13, 4)], ids=str)
@pytest.mark.parametrize("op,kernel", [("GlobalAveragePool", ("average_pool2d", "mean"))],
                         ids=str)
def test_global_pool(op: str, kernel: tuple[str, ...], shape: tuple[int, ...]) -> None:
    check_global_pool(op, kernel, shape)


def test_average_pool2d_i8_rounds_half_away_from_zero() -> None:
    # Windows of two values summing to odd numbers: every average is a tie.
    x = np.array([1, 2, -1, -2, 3, 4, -3, -4], dtype=np.int8).reshape(1, 1, 8, 1)
    p = Pool2DParams(filter_h=1, filter_w=2, stride_h=1, stride_w=2)
    got = run_graph(pool_graph(OpType.AVERAGE_POOL2D, x, p, 0.05, 0, (1, 1, 4, 1)), [x])[0]
    assert np.array_equal(got, average_reference(x, p, -128, 127))
    assert got.ravel().tolist() == [2, -2, 4, -4]


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_layers.py) --------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_layers.litert_results(tmp_path_factory)


TFLITE_CASES = ["average_pool"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


@pytest.mark.parametrize("seed", range(24))
def test_fast_f32_matches_reference(seed: int) -> None:
    """The channel-vectorised microkernel (default isa_mask) equals the reference loop
    (ISA_NONE) bit for bit, on 1 and 2 threads (tests/kernels/fast_paths.py)."""
    model, x = random_fast_case(seed, average=True)
    check_fast_path(model, [x], "average_pool2d")
