"""Full-int8 models using MAXIMUM, MINIMUM, PRELU, SUM, ARG_MAX, ARG_MIN, CAST,
L2_NORMALIZATION, PACK and UNPACK, made by TensorFlow's TFLiteConverter from Keras models, and
LiteRT's outputs for them, for those ops' tests/kernels/test_<op>.py. All models are made from
one random stream, in one order, once per session (litert_results), so each op's file sees the
same models whichever ran first."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tests.importers.keras_sets import convert_keras_cases, session_cases
from tests.importers.tflite_int8_models import random_int8_samples

SAMPLES = 8


def _keras_cases(tf: Any) -> dict[str, tuple[Any, tuple[int, ...], set[str]]]:
    """name -> (Keras model, input shape, TFLite ops the converted model must contain)."""
    L = tf.keras.layers

    def model(shape: tuple[int, ...], body: Callable[[Any], Any]) -> Any:
        x = L.Input(shape)
        return tf.keras.Model(x, body(x))

    def conv(x: Any, n: int = 4) -> Any:
        return L.Conv2D(n, 3, padding="same")(x)

    def prelu(shared_axes: list[int] | None) -> Callable[[Any], Any]:
        def body(x: Any) -> Any:
            layer = L.PReLU(shared_axes=shared_axes)
            y = layer(conv(x))
            # uneven slopes of both signs, so the negative branch has interesting scales
            layer.set_weights([np.random.default_rng(1).uniform(-0.6, 1.2, w.shape)
                               for w in layer.get_weights()])
            return y
        return body

    def reduce_sum(axes: list[int], keepdims: bool) -> Callable[[Any], Any]:
        return lambda x: L.Lambda(lambda t: tf.reduce_sum(t, axes, keepdims=keepdims))(x)

    def arg(fn: Callable, **kw: Any) -> Callable[[Any], Any]:
        return lambda x: L.Lambda(lambda t: fn(t, **kw))(conv(x, 5))

    return {
        "maximum": (model((6, 7, 3), lambda x: L.Maximum()([conv(x), conv(x)])), (6, 7, 3),
                    {"MAXIMUM"}),
        "minimum": (model((6, 7, 3), lambda x: L.Minimum()([conv(x, 3), x])), (6, 7, 3),
                    {"MINIMUM"}),
        "prelu_channel": (model((6, 7, 3), prelu([1, 2])), (6, 7, 3), {"PRELU"}),
        "prelu_full": (model((5, 4, 3), prelu(None)), (5, 4, 3), {"PRELU"}),
        "sum_spatial": (model((6, 7, 3), reduce_sum([1, 2], False)), (6, 7, 3), {"SUM"}),
        "sum_last_keepdims": (model((6, 7, 3), reduce_sum([-1], True)), (6, 7, 3), {"SUM"}),
        "arg_max": (model((6, 7, 3), arg(tf.math.argmax, axis=-1, output_type=tf.int32)),
                    (6, 7, 3), {"ARG_MAX"}),
        "arg_min": (model((6, 7, 3), arg(tf.math.argmin, axis=1)), (6, 7, 3), {"ARG_MIN"}),
        # What TF emits around CAST in int8 models: indices widened or narrowed, or cast to
        # float and quantized again, and float casts after a DEQUANTIZE.
        "cast_index_float": (model((6, 7, 3), arg(lambda t: tf.cast(tf.argmax(t, -1),
                                                                    tf.float32))),
                             (6, 7, 3), {"ARG_MAX", "CAST", "QUANTIZE"}),
        "cast_index_int32": (model((6, 7, 3), arg(lambda t: tf.cast(tf.argmax(t, -1),
                                                                    tf.int32))),
                             (6, 7, 3), {"ARG_MAX", "CAST"}),
        "cast_float_int32": (model((6, 7, 3), arg(lambda t: tf.cast(t * 10.0, tf.int32))),
                             (6, 7, 3), {"DEQUANTIZE", "CAST"}),
        "l2_normalization": (model((5, 4, 6), lambda x: L.Lambda(
            lambda t: tf.math.l2_normalize(t, axis=-1))(conv(x, 6))), (5, 4, 6),
                             {"L2_NORMALIZATION"}),
        "pack_unpack": (model((4, 5, 3), lambda x: L.Lambda(lambda t: tf.stack(
            tf.unstack(t, axis=1)[::-1], axis=2))(conv(x))), (4, 5, 3), {"PACK", "UNPACK"}),
    }


_CACHE: dict[str, dict[str, Any]] = {}


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, made once per session
    (keras_sets.session_cases)."""
    return session_cases(_CACHE, tmp_path_factory, "int8_newops", 12, lambda tf, rng:
                         convert_keras_cases(tf, _keras_cases(tf), rng, lambda data, _:
                                             random_int8_samples(data, rng, SAMPLES)))
