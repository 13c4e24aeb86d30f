"""The TFLite forms of TOP_K, CUM_SUM, ONE_HOT and MOD: TOPK_V2, CUMSUM, ONE_HOT and FLOOR_MOD
models made by TensorFlow's TFLiteConverter in the test, checked against LiteRT on float32 and
int32 tensors (ties, every CUMSUM axis with exclusive and reverse, negative and out-of-range
one-hot indices, mixed-sign remainders); malformed forms refused with node and reason."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from emberlite.converter import Converter, UnsupportedOpsError
from helpers import run_ember
from tests.importers.tflite_files import litert, operator_names

from conftest import require_module

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def tf() -> Any:
    return require_module("tensorflow")


def _from_fn(tf: Any, fn: Callable, specs: list[tuple[tuple[int, ...], Any]]) -> bytes:
    concrete = tf.function(fn).get_concrete_function(
        *[tf.TensorSpec(shape, dtype) for shape, dtype in specs])
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


def _check(data: bytes, op: str, inputs: list[np.ndarray], rtol: float = 0.0) -> None:
    assert op in operator_names(data), f"TF emitted {operator_names(data)}, not {op}"
    got = run_ember(Converter.from_tflite(data).convert(), inputs)
    want = litert(data, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def _ties(dtype: Any, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Few distinct values, so that equal ones are common."""
    return np.random.default_rng(seed).integers(-3, 4, shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.int32], ids=lambda t: t.__name__)
@pytest.mark.parametrize("shape,k", [((7,), 1), ((3, 6), 3), ((2, 3, 5), 5),
                                     ((2, 1, 3, 8), 4)], ids=str)
def test_top_k_v2_matches_litert(tf: Any, shape: tuple, k: int, dtype: Any) -> None:
    data = _from_fn(tf, lambda x: tf.math.top_k(x, k), [(shape, tf.as_dtype(dtype))])
    _check(data, "TOPK_V2", [_ties(dtype, shape, k)])


@pytest.mark.parametrize("dtype", [np.float32, np.int32], ids=lambda t: t.__name__)
@pytest.mark.parametrize("exclusive,reverse", [(False, False), (True, False), (False, True),
                                               (True, True)])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_matches_litert(tf: Any, axis: int, exclusive: bool, reverse: bool,
                               dtype: Any) -> None:
    shape = (3, 4, 5)
    fn = lambda x: tf.math.cumsum(x, axis, exclusive=exclusive, reverse=reverse)  # noqa: E731
    x = (np.random.default_rng(axis + 5).standard_normal(shape) * 50).astype(dtype)
    _check(_from_fn(tf, fn, [(shape, tf.as_dtype(dtype))]), "CUMSUM", [x], rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot_matches_litert(tf: Any, axis: int, dtype: str) -> None:
    """Negative indices (and ones past the depth) are off everywhere in LiteRT."""
    on, off = {"float32": (2.5, -1.0), "int32": (7, 3), "bool": (True, False)}[dtype]
    fn = lambda i: tf.one_hot(i, 4, on_value=on, off_value=off, axis=axis,  # noqa: E731
                              dtype=getattr(tf, dtype))
    indices = np.array([[0, 3, -1, 4], [2, -4, 1, 5], [3, 3, 0, -2]], np.int32)
    _check(_from_fn(tf, fn, [((3, 4), tf.int32)]), "ONE_HOT", [indices])


@pytest.mark.parametrize("dtype", [np.float32, np.int32], ids=lambda t: t.__name__)
@pytest.mark.parametrize("shapes", [((2, 5), (2, 5)), ((2, 3, 4), (4,)), ((3, 1), (1, 6))],
                         ids=str)
def test_floor_mod_matches_litert(tf: Any, shapes: tuple, dtype: Any) -> None:
    rng = np.random.default_rng(len(shapes[0]))
    x = (rng.standard_normal(shapes[0]) * 20).astype(dtype)
    y = rng.choice(np.array([-7, -3, -2, 2, 3, 5], dtype), shapes[1])
    data = _from_fn(tf, tf.math.floormod, [(s, tf.as_dtype(dtype)) for s in shapes])
    _check(data, "FLOOR_MOD", [x, y], rtol=1e-6)


def test_run_time_k_is_refused_with_node_and_reason(tf: Any) -> None:
    data = _from_fn(tf, lambda x, k: tf.math.top_k(x, k[0]),
                    [((3, 6), tf.float32), ((1,), tf.int32)])
    with pytest.raises(UnsupportedOpsError, match=r"TOPK_V2.*must be a constant"):
        Converter.from_tflite(data).convert()


def test_run_time_axis_and_depth_are_refused_with_node_and_reason(tf: Any) -> None:
    cumsum = _from_fn(tf, lambda x, a: tf.math.cumsum(x, a[0]),
                      [((3, 6), tf.float32), ((1,), tf.int32)])
    with pytest.raises(UnsupportedOpsError, match=r"CUMSUM.*input 1 .* must be a constant"):
        Converter.from_tflite(cumsum).convert()
    one_hot = _from_fn(tf, lambda i, d: tf.one_hot(i, d[0]), [((4,), tf.int32), ((1,), tf.int32)])
    with pytest.raises(UnsupportedOpsError, match=r"ONE_HOT.*input 1 .* must be a constant"):
        Converter.from_tflite(one_hot).convert()
