"""MAX_POOL2D in every type:
- float32: ONNX MaxPool (pads, strides, dilations, ceil_mode) and GlobalMaxPool against ONNX
  Runtime.
- int8 against a numpy model of LiteRT's reference kernel (pool2d_models.py): bit-exact in
  test_pool2d_family.py, with AVERAGE_POOL2D; here the quantization rule it enforces.
- int16 against LiteRT's reference arithmetic (stored values, padding never wins, activation
  clamp): bit-exact.
- int8 .tflite files from TFLiteConverter (a Keras MaxPooling2D,
  tests/importers/keras_int8_layers.py): byte for byte LiteRT's reference kernels
  (BUILTIN_REF) and within 1 LSB of its default kernels."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_layers
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_qs8_checks
from tests.kernels.fixed_point import (activation_range, empty_graph, log_uniform, run_graph,
                                       single_op)
from tests.kernels.fixed_point16 import INT16_MIN, activation_range16, int16_tensor
from tests.kernels.int16_graphs import int16_values
from tests.kernels.fast_paths import check_fast_path
from tests.kernels.pool2d_models import (check_global_pool, check_pool, max_reference, pool_graph,
                                         pool_model, random_fast_case, run_pool)

# (input NCHW, kernel_shape, strides, pads [t, l, b, r], dilations, ceil_mode)
MAX_CASES = [
    ((1, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1), 0),
    ((2, 5, 7, 9), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 0),
    ((1, 4, 7, 7), (3, 3), (1, 1), (0, 1, 2, 1), (1, 1), 0),
    ((1, 3, 9, 10), (2, 3), (1, 2), (0, 0, 0, 0), (1, 1), 0),
    ((1, 2, 10, 11), (3, 3), (2, 2), (2, 2, 2, 2), (2, 2), 0),
    ((1, 2, 9, 8), (2, 3), (1, 2), (1, 0, 1, 2), (3, 2), 0),
    ((1, 3, 7, 8), (3, 3), (2, 2), (0, 0, 0, 0), (1, 1), 1),
    ((1, 3, 6, 6), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1),
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 0),
    ((1, 7, 5, 1), (5, 1), (1, 1), (0, 0, 0, 0), (1, 1), 0),
    ((1, 16, 56, 56), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 0),
]


@pytest.mark.parametrize("shape,kernel,strides,pads,dilations,ceil", MAX_CASES, ids=str)
def test_max_pool(shape: tuple[int, ...], kernel: tuple[int, int], strides: tuple[int, int],
                  pads: tuple[int, ...], dilations: tuple[int, int], ceil: int) -> None:
    rng = np.random.default_rng(sum(shape) + sum(kernel))
    x = rng.standard_normal(shape).astype(np.float32)
    model = pool_model("MaxPool", shape, kernel_shape=kernel, strides=strides, pads=list(pads),
                       dilations=dilations, ceil_mode=ceil)
    check_pool(model, x, "max_pool2d")


def test_max_pool_padding_never_wins() -> None:
    """All inputs negative: a padded zero must not become a window's maximum."""
    rng = np.random.default_rng(7)
    x = (-1.0 - rng.random((1, 3, 6, 5))).astype(np.float32)
    model = pool_model("MaxPool", x.shape, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    out = run_pool(model, x)
    assert np.all(out < 0)
    assert_matches_ort(model, [x])


@pytest.mark.parametrize("shape", [(1, 8, 7, 7), (2, 3, 1, 1), (1, 5, 13, 4)], ids=str)
@pytest.mark.parametrize("op,kernel", [("GlobalMaxPool", ("max_pool2d",))], ids=str)
def test_global_pool(op: str, kernel: tuple[str, ...], shape: tuple[int, ...]) -> None:
    check_global_pool(op, kernel, shape)


def test_pool2d_i8_rejects_different_output_quant() -> None:
    x = np.zeros((1, 4, 4, 2), dtype=np.int8)
    p = Pool2DParams(filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    g = pool_graph(OpType.MAX_POOL2D, x, p, 0.05, 3, (1, 2, 2, 2))
    g.tensors["out"].quant = replace(g.tensors["out"].quant, zero_point=(4,))
    with pytest.raises(InvalidModelError, match="share scale and zero point"):
        run_graph(g, [x])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), stride=st.integers(1, 3),
       pad=st.integers(0, 2), act=st.integers(0, 3))
def test_max_pool2d_i16(seed: int, k: int, stride: int, pad: int, act: int) -> None:
    rng = np.random.default_rng(seed)
    x = int16_values(rng, (1, 7, 6, 3))
    scale = float(log_uniform(rng, 1e-5, 1e-3))
    p = Pool2DParams(filter_h=k, filter_w=k, stride_h=stride, stride_w=stride, pad_top=pad,
                     pad_left=pad, pad_bottom=pad, pad_right=pad,
                     activation=FusedActivation(act))
    padded = np.pad(x.astype(np.int64), ((0, 0), (pad, pad), (pad, pad), (0, 0)),
                    constant_values=INT16_MIN)
    oh, ow = [(d + 2 * pad - k) // stride + 1 for d in x.shape[1:3]]
    want = np.array([[[padded[0, i * stride:i * stride + k, j * stride:j * stride + k, c].max()
                       for c in range(3)] for j in range(ow)] for i in range(oh)])[None]
    lo, hi = activation_range16(act, scale)
    g = empty_graph()
    int16_tensor(g, "x", x.shape, scale)
    int16_tensor(g, "out", want.shape, scale)
    got = run_graph(single_op(OpType.MAX_POOL2D, ["x"], p, g), [x])[0]
    assert np.array_equal(got, np.clip(want, lo, hi).astype(np.int16))


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_layers.py) --------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_layers.litert_results(tmp_path_factory)


TFLITE_CASES = ["max_pool"]


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
    model, x = random_fast_case(seed, average=False)
    check_fast_path(model, [x], "max_pool2d")


# ---- int8 microkernels (csrc/ukernels/pool_qs8.h) -------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """The int8 max pool microkernels over random windows, strides, dilations and pads (up to
    windows of padding only), channel counts around the 16/32-channel steps, zero points
    -128/127 and fused activations: the reference loop's bytes and the numpy model's, 1 and 2
    threads."""
    rng = np.random.default_rng(seed)
    for c in (1, 5, 16, 17, 32, 33, 47, 64, 70):
        k_h, k_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s_h, s_w = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        d_h, d_w = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pads = [int(v) for v in rng.integers(0, 3, 4)]
        pads[2] = max(pads[2], k_h - 1)  # a bottom row of windows of mostly padding
        p = Pool2DParams(filter_h=k_h, filter_w=k_w, stride_h=s_h, stride_w=s_w,
                         dilation_h=d_h, dilation_w=d_w, pad_top=pads[0], pad_left=pads[1],
                         pad_bottom=pads[2], pad_right=pads[3],
                         activation=FusedActivation(int(rng.integers(0, 3))))
        x = elementwise_qs8_checks.int8_data(rng, (int(rng.integers(1, 3)),
                                                   int(rng.integers(3, 12)),
                                                   int(rng.integers(3, 12)), c))
        scale, zp = float(log_uniform(rng, 1e-3, 1.0)), elementwise_qs8_checks.zero_point(rng)
        lo, hi = activation_range(int(p.activation), scale, zp)
        want = max_reference(x, p, lo, hi)
        elementwise_qs8_checks.check_variant(pool_graph(OpType.MAX_POOL2D, x, p, scale, zp,
                                                        want.shape),
                                             [x], "max_pool2d", isa_mask, suffix, want)
