"""int8 activation models from .tflite files (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU,
RELU6, RELU_N1_TO_1), made by TensorFlow's TFLiteConverter from Keras single-op models, and
LiteRT's outputs for them, for the activations' tests/kernels/test_<op>.py.

Two kinds of model per op: the op right on the int8 input, fed every int8 value, with
calibration ranges drawn at random (so the input scale and zero point vary, and for LOGISTIC
and TANH every entry of the table built at import is compared); and the op after a Conv2D
(RELU-like ops after a Reshape too, since TF fuses them into a directly preceding Conv2D),
so input and output scales differ as in real models. All models are made from one random
stream, in one order, once per session (litert_results), so each op's file sees the same
models whichever ran first."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tests.importers.keras_sets import Built, session_cases
from tests.importers.tflite_int8_models import int8_tflite, tflite_ops, uniform

SAMPLES = 3
ALL_VALUES = np.arange(-128, 128, dtype=np.int8)[None]  # every int8 input value once


def _layers(tf: Any) -> dict[str, tuple[Callable[[], Any], str]]:
    """op name -> (a fresh Keras layer applying the activation, the TFLite op it becomes)."""
    L = tf.keras.layers
    return {
        "sigmoid": (lambda: L.Activation("sigmoid"), "LOGISTIC"),
        "tanh": (lambda: L.Activation("tanh"), "TANH"),
        "hard_swish": (lambda: L.Activation("hard_swish"), "HARD_SWISH"),
        "leaky_relu": (lambda: L.LeakyReLU(negative_slope=0.2), "LEAKY_RELU"),
        "relu": (lambda: L.ReLU(), "RELU"),
        "relu6": (lambda: L.ReLU(max_value=6.0), "RELU6"),
        "relu6_nn": (lambda: L.Lambda(lambda t: tf.nn.relu6(t)), "RELU6"),
        "relu_n1_to_1": (lambda: L.Lambda(lambda t: tf.clip_by_value(t, -1.0, 1.0)),
                         "RELU_N1_TO_1"),
    }


# Ops TF would fuse into a Conv2D right before them.
_FUSIBLE = {"relu", "relu6", "relu6_nn", "relu_n1_to_1"}
# How many random calibration ranges the every-value models of an op get.
_RANGES = {"sigmoid": 3, "tanh": 3, "hard_swish": 3, "leaky_relu": 2}


def _models(tf: Any, rng: np.random.Generator) -> dict[str, tuple[bytes, list, str]]:
    """name -> (.tflite, input samples, the op it must contain)."""
    L = tf.keras.layers
    out = {}
    for name, (layer, op) in _layers(tf).items():
        for k in range(_RANGES.get(name, 1)):
            x = L.Input((256,))
            # A range around 0 of random width and asymmetry: random scale and zero point.
            low, high = -rng.uniform(0.3, 12.0), rng.uniform(0.3, 12.0)
            data = int8_tflite(tf, tf.keras.Model(x, layer()(x)),
                               uniform(rng, (256,), low, high))
            out[f"{name}_all_values_{k}"] = (data, [[ALL_VALUES]], op)
        x = L.Input((6, 6, 3))
        y = L.Conv2D(4, 3, padding="same")(x)
        if name in _FUSIBLE:
            y = L.Reshape((36, 4))(y)
        data = int8_tflite(tf, tf.keras.Model(x, layer()(y)), uniform(rng, (6, 6, 3)))
        samples = [[rng.integers(-128, 128, (1, 6, 6, 3)).astype(np.int8)]
                   for _ in range(SAMPLES)]
        out[f"conv_{name}"] = (data, samples, op)
    return out


_CACHE: dict[str, dict[str, Any]] = {}


def _build(tf: Any, rng: np.random.Generator) -> Built:
    models = _models(tf, rng)
    for name, (data, _, op) in models.items():
        assert op in tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}, not {op}"
    return {n: m[0] for n, m in models.items()}, {n: m[1] for n, m in models.items()}


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, made once per session
    (keras_sets.session_cases)."""
    return session_cases(_CACHE, tmp_path_factory, "int8_act", 11, _build)

