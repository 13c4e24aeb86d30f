"""TFLite RFFT2D, COMPLEX_ABS, REAL and IMAG (converter/importers/tflite_spectral_ops.py)
made by TensorFlow against LiteRT: signals padded and cut to fft_length, a batch of them,
magnitude and parts; a complex64 graph output refused with the reason."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from conftest import require_module
from emberlite.converter import Converter, UnsupportedOpsError
from helpers import run_ember
from tests.importers.tflite_files import litert, operator_names

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def tf() -> Any:
    return require_module("tensorflow")


def _tflite(tf: Any, fn: Any, shape: tuple[int, ...]) -> bytes:
    concrete = tf.function(fn).get_concrete_function(tf.TensorSpec(shape, tf.float32))
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


@pytest.mark.parametrize("shape,lengths", [((2, 8, 16), (8, 16)), ((2, 6, 20), (8, 16)),
                                           ((3, 1, 16, 4), (16, 4))])
def test_spectrogram_parts_match_litert(tf: Any, shape: tuple[int, ...],
                                        lengths: tuple[int, int]) -> None:
    def spectrum(x: Any) -> Any:
        z = tf.signal.rfft2d(x, fft_length=list(lengths))
        return tf.abs(z) + tf.math.real(z) * 2.0 - tf.math.imag(z)

    data = _tflite(tf, spectrum, shape)
    assert {"RFFT2D", "COMPLEX_ABS", "REAL", "IMAG"} <= set(operator_names(data))
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    got, = run_ember(Converter.from_tflite(data).convert(), [x])
    want, = litert(data, [x])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * float(np.abs(want).max()))


def test_a_complex_graph_output_is_refused(tf: Any) -> None:
    data = _tflite(tf, lambda x: tf.signal.rfft2d(x, fft_length=[4, 8]), (1, 4, 8))
    with pytest.raises(UnsupportedOpsError, match="complex64 graph output: take its "
                                                  "COMPLEX_ABS, REAL or IMAG"):
        Converter.from_tflite(data).convert()
