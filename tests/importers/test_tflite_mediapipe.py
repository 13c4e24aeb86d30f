"""MediaPipe's custom TFLite ops taken as built-ins: Convolution2DTransposeBias,
MaxPoolingWithArgmax2D and MaxUnpooling2D files built in the test (custom code and options
bytes laid out as MediaPipe's kernels read them), checked against numpy references of
MediaPipe's documented semantics (LiteRT has no kernel for them): SAME and VALID, odd and even
kernels, unequal strides, ties, fused activations; MaxUnpooling2D on given indices
(overlapping windows: the later write wins) and after the pool; malformed options and
operators refused by operator index and reason."""
from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pytest

from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.errors import ModelImportError
from helpers import run_ember

from conftest import require_module
from tests.importers.tflite_files import TFLiteFile

CUSTOM = 32
SAME, VALID = 1, 2


@pytest.fixture(scope="module", autouse=True)
def _tf() -> Any:
    return require_module("tensorflow")


def _options(*fields: int) -> bytes:
    return struct.pack(f"<{len(fields)}i", *fields)


def _pads(size: int, kernel: int, stride: int, padding: int) -> tuple[int, int]:
    """Output size and padding before, as MediaPipe's pooling Prepare computes them."""
    out = (size + stride - 1) // stride if padding == SAME else (size - kernel + stride) // stride
    return out, max(((out - 1) * stride + kernel - size) // 2, 0)


# --- numpy references of MediaPipe's kernels ----------------------------------------------
def transpose_conv_bias_ref(x: np.ndarray, w: np.ndarray, bias: np.ndarray, padding: int,
                            stride_w: int, stride_h: int) -> np.ndarray:
    n, h, wd, _ = x.shape
    cout, kh, kw, _ = w.shape
    ph = max(0, kh - (h - 1) % stride_h - 1) if padding == SAME else 0
    pw = max(0, kw - (wd - 1) % stride_w - 1) if padding == SAME else 0
    oh, ow = stride_h * (h - 1) + kh - ph, stride_w * (wd - 1) + kw - pw
    out = np.broadcast_to(bias.astype(np.float64), (n, oh, ow, cout)).copy()
    for iy in range(h):
        for ix in range(wd):
            for fy in range(kh):
                for fx in range(kw):
                    oy, ox = iy * stride_h - ph // 2 + fy, ix * stride_w - pw // 2 + fx
                    if 0 <= oy < oh and 0 <= ox < ow:
                        out[:, oy, ox] += x[:, iy, ix].astype(np.float64) @ w[:, fy, fx].T
    return out.astype(np.float32)


def max_pool_argmax_ref(x: np.ndarray, padding: int, sw: int, sh: int, fw: int, fh: int,
                        activation: int) -> tuple[np.ndarray, np.ndarray]:
    n, h, w, ch = x.shape
    oh, top = _pads(h, fh, sh, padding)
    ow, left = _pads(w, fw, sw, padding)
    values = np.zeros((n, oh, ow, ch), np.float32)
    indices = np.zeros((n, oh, ow, ch), np.float32)
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(ch):
                    best, at = np.finfo(np.float32).min, (0, 0)
                    for fy in range(fh):
                        for fx in range(fw):
                            iy, ix = oy * sh - top + fy, ox * sw - left + fx
                            if 0 <= iy < h and 0 <= ix < w and x[b, iy, ix, c] > best:
                                best, at = x[b, iy, ix, c], (fy, fx)
                    values[b, oy, ox, c] = best
                    indices[b, oy, ox, c] = np.float32(at[0] * fw + at[1]) + np.float32(0.1)
    low, high = {0: (-np.inf, np.inf), 1: (0, np.inf), 2: (-1, 1), 3: (0, 6)}[activation]
    return np.clip(values, low, high), indices


# --- files ----------------------------------------------------------------------------------
def transpose_bias_file(x_shape: tuple[int, ...], w: np.ndarray, bias: np.ndarray,
                        options: bytes, out_shape: tuple[int, ...] | None = None) -> bytes:
    f = TFLiteFile()
    x = f.tensor(x_shape, name="x")
    y = f.tensor(out_shape or (), name="y")
    f.op(CUSTOM, [x, f.const(w, "weights"), f.const(bias, "bias")], [y],
         custom="Convolution2DTransposeBias", custom_options=options)
    return f.bytes([x], [y])


def argmax_file(x_shape: tuple[int, ...], options: bytes, outputs: int = 2) -> bytes:
    f = TFLiteFile()
    x = f.tensor(x_shape, name="x")
    ys = [f.tensor((), name=f"y{i}") for i in range(outputs)]
    f.op(CUSTOM, [x], ys, custom="MaxPoolingWithArgmax2D", custom_options=options)
    return f.bytes([x], ys)


TRANSPOSE_CASES = {
    "same_k3_s2": ((1, 5, 6, 3), (4, 3, 3, 3), SAME, 2, 2),
    "same_k4_s2": ((2, 4, 4, 2), (3, 4, 4, 2), SAME, 2, 2),
    "same_k2_s2": ((1, 6, 5, 4), (2, 2, 2, 4), SAME, 2, 2),
    "valid_k3_s2": ((1, 4, 5, 3), (2, 3, 3, 3), VALID, 2, 2),
    "same_unequal_strides": ((1, 5, 4, 2), (3, 3, 5, 2), SAME, 3, 1),
    "valid_k1_s1": ((1, 3, 3, 2), (2, 1, 1, 2), VALID, 1, 1),
}


@pytest.mark.parametrize("name", list(TRANSPOSE_CASES))
def test_convolution_2d_transpose_bias_matches_reference(name: str) -> None:
    x_shape, w_shape, padding, sw, sh = TRANSPOSE_CASES[name]
    rng = np.random.default_rng(len(name))
    w = rng.standard_normal(w_shape).astype(np.float32)
    bias = rng.standard_normal(w_shape[0]).astype(np.float32)
    x = rng.standard_normal(x_shape).astype(np.float32)
    want = transpose_conv_bias_ref(x, w, bias, padding, sw, sh)
    # MediaPipe's files carry the padding-free 12 bytes or the full struct (activation and
    # bias type after): both read the same.
    for options in (_options(padding, sw, sh), _options(padding, sw, sh, 0, 0)):
        data = transpose_bias_file(x_shape, w, bias, options, want.shape)
        got = run_ember(Converter.from_tflite(data).convert(), [x])[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


ARGMAX_CASES = {
    "valid_2x2_s2": ((1, 6, 8, 3), VALID, 2, 2, 2, 2, 0),
    "same_3x3_s2_padded": ((2, 7, 5, 2), SAME, 2, 2, 3, 3, 0),
    "same_2x3_unequal": ((1, 5, 7, 2), SAME, 3, 1, 3, 2, 1),
    "ties_relu6": ((1, 6, 6, 2), VALID, 2, 2, 2, 2, 3),
    "relu_n1_to_1": ((1, 4, 4, 1), SAME, 1, 1, 2, 2, 2),
}


@pytest.mark.parametrize("name", list(ARGMAX_CASES))
def test_max_pooling_with_argmax_matches_reference(name: str) -> None:
    shape, padding, sw, sh, fw, fh, act = ARGMAX_CASES[name]
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal(shape).astype(np.float32) * 4
    if name.startswith("ties"):
        x = np.round(x / 4).astype(np.float32)  # few distinct values: ties in every window
    want = max_pool_argmax_ref(x, padding, sw, sh, fw, fh, act)
    data = argmax_file(shape, _options(padding, sw, sh, fw, fh, act, 0, 0, 0, 0))
    got = run_ember(Converter.from_tflite(data).convert(), [x])
    assert [g.shape for g in got] == [w.shape for w in want]
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def max_unpool_ref(x: np.ndarray, indices: np.ndarray, sw: int, sh: int, fw: int,
                   fh: int) -> np.ndarray:
    n, h, w, ch = x.shape
    oh, ow = h * fh, w * fw
    top = max(((h - 1) * sh + fh - oh) // 2, 0)
    left = max(((w - 1) * sw + fw - ow) // 2, 0)
    out = np.zeros((n, oh, ow, ch), np.float32)
    for b in range(n):
        for iy in range(h):
            for ix in range(w):
                for c in range(ch):
                    idx = int(indices[b, iy, ix, c])
                    oy, ox = iy * sh - top + idx // fw, ix * sw - left + idx % fw
                    out[b, oy, ox, c] = x[b, iy, ix, c]
    return out


def unpool_file(shape: tuple[int, ...], options: bytes, pool_first: bool = False,
                indices_shape: tuple[int, ...] | None = None) -> bytes:
    """MaxUnpooling2D of (values, indices) graph inputs, or of a MaxPoolingWithArgmax2D's two
    outputs with the same options (`pool_first`: the input is the pool's)."""
    f = TFLiteFile()
    y = f.tensor((), name="y")
    if pool_first:
        x = f.tensor(shape, name="x")
        values, indices = f.tensor((), name="values"), f.tensor((), name="indices")
        f.op(CUSTOM, [x], [values, indices], custom="MaxPoolingWithArgmax2D",
             custom_options=options)
        inputs = [x]
    else:
        values = f.tensor(shape, name="values")
        indices = f.tensor(indices_shape or shape, name="indices")
        inputs = [values, indices]
    f.op(CUSTOM, [values, indices], [y], custom="MaxUnpooling2D", custom_options=options)
    return f.bytes(inputs, [y])


UNPOOL_CASES = {
    "2x2_s2": ((1, 3, 4, 2), 2, 2, 2, 2),
    "3x2_s_3x2": ((2, 2, 3, 1), 2, 3, 2, 3),
    "2x2_s1_overlapping": ((1, 3, 3, 2), 1, 1, 2, 2),
}


@pytest.mark.parametrize("name", list(UNPOOL_CASES))
def test_max_unpooling_matches_reference(name: str) -> None:
    shape, sw, sh, fw, fh = UNPOOL_CASES[name]
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal(shape).astype(np.float32)
    indices = (rng.integers(0, fw * fh, shape) + 0.1).astype(np.float32)
    data = unpool_file(shape, _options(VALID, sw, sh, fw, fh, 0))
    got = run_ember(Converter.from_tflite(data).convert(), [x, indices])[0]
    np.testing.assert_array_equal(got, max_unpool_ref(x, indices, sw, sh, fw, fh))


def test_pool_with_argmax_then_unpool_matches_reference() -> None:
    """The pair as segmentation models use it: each window keeps only its largest value."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 6, 8, 3)).astype(np.float32)
    data = unpool_file(x.shape, _options(VALID, 2, 2, 2, 2, 0), pool_first=True)
    got = run_ember(Converter.from_tflite(data).convert(), [x])[0]
    values, indices = max_pool_argmax_ref(x, VALID, 2, 2, 2, 2, 0)
    want = max_unpool_ref(values, indices, 2, 2, 2, 2)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, np.where(got != 0, x, 0))  # values stay in place


def test_max_unpooling_index_past_the_window_fails_at_run_time() -> None:
    """MediaPipe writes out of bounds; here the offset table's GATHER stops the run."""
    from emberlite.errors import EvalError

    data = unpool_file((1, 2, 2, 1), _options(VALID, 2, 2, 2, 2, 0))
    x = np.ones((1, 2, 2, 1), np.float32)
    ok = np.full((1, 2, 2, 1), 3.1, np.float32)
    assert run_ember(Converter.from_tflite(data).convert(), [x, ok])[0].sum() == 4
    with pytest.raises(EvalError, match=r"gather"):
        run_ember(Converter.from_tflite(data).convert(), [x, ok + 1])


# --- refused --------------------------------------------------------------------------------
W3, B3 = np.ones((2, 3, 3, 3), np.float32), np.zeros(2, np.float32)

MALFORMED: dict[str, tuple[Any, type, str]] = {
    "options_short": (lambda: transpose_bias_file((1, 4, 4, 3), W3, B3, _options(SAME, 2)),
                      ModelImportError, r"custom options of 8 bytes: 12 needed"),
    "padding_unknown": (lambda: transpose_bias_file((1, 4, 4, 3), W3, B3, _options(0, 2, 2)),
                        ModelImportError, r"padding 0 in the custom options"),
    "stride_zero": (lambda: transpose_bias_file((1, 4, 4, 3), W3, B3, _options(SAME, 0, 2)),
                    ModelImportError, r"stride_width 0 in the custom options must be in"),
    "weights_channels": (lambda: transpose_bias_file((1, 4, 4, 2), W3, B3, _options(SAME, 2, 2)),
                         ModelImportError, r"weights \[2, 3, 3, 3\] must be \[out, h, w, 2\]"),
    "bias_size": (lambda: transpose_bias_file((1, 4, 4, 3), W3, np.zeros(3, np.float32),
                                              _options(SAME, 2, 2)),
                  ModelImportError, r"bias \[3\] \[out\]"),
    "declared_shape": (lambda: transpose_bias_file((1, 4, 4, 3), W3, B3, _options(SAME, 2, 2),
                                                   (1, 9, 9, 2)),
                       ModelImportError, r"output 0 is declared \[1, 9, 9, 2\], MediaPipe's "
                                         r"kernel makes \[1, 8, 8, 2\]"),
    "argmax_one_output": (lambda: argmax_file((1, 4, 4, 1), _options(SAME, 2, 2, 2, 2, 0), 1),
                          ModelImportError, r"1 inputs and 1 outputs: 1 and 2 expected"),
    "argmax_options_short": (lambda: argmax_file((1, 4, 4, 1), _options(SAME, 2, 2, 2, 2)),
                             ModelImportError, r"custom options of 20 bytes: 24 needed"),
    "argmax_tanh": (lambda: argmax_file((1, 4, 4, 1), _options(SAME, 2, 2, 2, 2, 4)),
                    UnsupportedOpsError, r"activation 4 in the custom options"),
    "argmax_window_too_big": (lambda: argmax_file((1, 20, 20, 1),
                                                  _options(VALID, 1, 1, 17, 17, 0)),
                              UnsupportedOpsError, r"a 17x17 window: at most 256"),
    "unpool_indices_shape": (lambda: unpool_file((1, 2, 2, 1), _options(VALID, 2, 2, 2, 2, 0),
                                                 indices_shape=(1, 2, 3, 1)),
                             ModelImportError, r"indices must be float32 of the values' shape "
                                               r"\[1, 2, 2, 1\], got float32 \[1, 2, 3, 1\]"),
    "unpool_options_short": (lambda: unpool_file((1, 2, 2, 1), _options(VALID, 2, 2)),
                             ModelImportError, r"custom options of 12 bytes: 24 needed"),
    "unpool_filter_zero": (lambda: unpool_file((1, 2, 2, 1), _options(VALID, 2, 2, 0, 2, 0)),
                           ModelImportError, r"filter_width 0 in the custom options"),
    "argmax_window_past_input": (lambda: argmax_file((1, 4, 4, 1),
                                                     _options(VALID, 1, 1, 5, 5, 0)),
                                 ModelImportError, r"a 5x5 window does not fit the 4x4 input"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_custom_op_refused_by_operator(name: str) -> None:
    make, error, pattern = MALFORMED[name]
    with pytest.raises(error, match=r"operator 0.*" + pattern):
        Converter.from_tflite(make()).convert()


def test_transpose_bias_run_time_weights_refused() -> None:
    f = TFLiteFile()
    x, w, y = f.tensor((1, 4, 4, 3), name="x"), f.tensor((2, 3, 3, 3), name="w"), \
        f.tensor((), name="y")
    f.op(CUSTOM, [x, w, f.const(B3)], [y], custom="Convolution2DTransposeBias",
         custom_options=_options(SAME, 2, 2))
    with pytest.raises(UnsupportedOpsError, match=r"operator 0.*input 1 \('w'\) must be a "
                       r"constant"):
        Converter.from_tflite(f.bytes([x, w], [y])).convert()


def test_other_custom_ops_still_refused() -> None:
    f = TFLiteFile()
    x, y = f.tensor((1, 4), name="x"), f.tensor((1, 4), name="y")
    f.op(CUSTOM, [x], [y], custom="TransformTensorBilinear")
    with pytest.raises(UnsupportedOpsError, match=r"custom op 'TransformTensorBilinear' is not "
                       r"supported"):
        Converter.from_tflite(f.bytes([x], [y])).convert()
