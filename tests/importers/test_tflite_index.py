"""TFLite GATHER_ND and SCATTER_ND (converter/importers/tflite_index_ops.py) against LiteRT:
float32, int32 and int64 data, int32 and int64 run-time indices, repeated SCATTER_ND indices
summed; a constant SCATTER_ND shape that is not a vector of positive sizes and constant
indices out of range are refused with the reason."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from emberlite.converter import Converter, ModelImportError
from conftest import require_module
from helpers import run_ember
from tests.importers.tflite_files import litert, operator_names

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def tf() -> Any:
    return require_module("tensorflow")


def _tflite(tf: Any, fn: Any, specs: list[Any]) -> bytes:
    concrete = tf.function(fn).get_concrete_function(*specs)
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


def _check(data: bytes, inputs: list[np.ndarray], op: str) -> None:
    assert op in operator_names(data)
    got, = run_ember(Converter.from_tflite(data).convert(), inputs)
    want, = litert(data, inputs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
@pytest.mark.parametrize("index_type", ["int32", "int64"])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_gather_nd_matches_litert(tf: Any, dtype: str, index_type: str, depth: int) -> None:
    rng = np.random.default_rng(depth)
    shape = (4, 3, 5)
    data = (rng.standard_normal(shape) * 10).astype(dtype)
    indices = np.stack([rng.integers(0, n, (2, 3)) for n in shape[:depth]], -1).astype(
        index_type)
    specs = [tf.TensorSpec(shape, dtype), tf.TensorSpec(indices.shape, index_type)]
    _check(_tflite(tf, lambda d, i: tf.gather_nd(d, i), specs), [data, indices], "GATHER_ND")


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
@pytest.mark.parametrize("depth", [1, 2])
def test_scatter_nd_sums_repeated_indices_as_litert(tf: Any, dtype: str, depth: int) -> None:
    rng = np.random.default_rng(10 + depth)
    shape = (4, 3, 2)
    indices = np.stack([rng.integers(0, n, 7) for n in shape[:depth]], -1).astype(np.int32)
    updates = (rng.standard_normal((7, *shape[depth:])) * 10).astype(dtype)
    specs = [tf.TensorSpec(indices.shape, tf.int32), tf.TensorSpec(updates.shape, dtype)]
    data = _tflite(tf, lambda i, u: tf.scatter_nd(i, u, shape), specs)
    _check(data, [indices, updates], "SCATTER_ND")


def test_constant_indices_out_of_range_are_refused(tf: Any) -> None:
    indices = tf.constant([[0, 1], [3, 0]], tf.int32)   # 3 is past the 3 rows
    data = _tflite(tf, lambda d: tf.gather_nd(d, indices), [tf.TensorSpec((3, 2), tf.float32)])
    with pytest.raises(ModelImportError, match="index 3 \\(tuple 1, position 0 .*\\[-3, 3\\)"):
        Converter.from_tflite(data).convert()
