"""16x8 models (int16 activations, int8 weights, int64 biases) made by TensorFlow's
TFLiteConverter with EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 from Keras
single-layer models (Conv2D, DepthwiseConv2D, Dense, Add) and a small CNN, with float32 inputs
and outputs (QUANTIZE/DEQUANTIZE at the edges) and some again with int16 ones, and LiteRT's
outputs for them: for the layers' tests/kernels/test_<op>.py and the whole-model tests of
tests/importers/test_tflite_int16x8.py. Weights are scaled unevenly so that every layer has
its own scales, and the test inputs reach beyond the calibration range so the int16 clamps
run. All models are made from one random stream, in one order, once per session
(litert_results), so each file sees the same models whichever ran first."""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from tests.importers.keras_sets import (Built, Shapes, calibration_draw, inputs_model,
                                        session_cases, uneven_weights)
from tests.importers.tflite_int8_models import (int16x8_tflite, random_int8_samples, tflite_ops,
                                                uniform)

SAMPLES = 4


def _keras_cases(tf: Any) -> dict[str, tuple[Any, Shapes, set[str]]]:
    """name -> (Keras model, input shapes, TFLite ops the converted model must contain)."""
    L = tf.keras.layers
    model = partial(inputs_model, tf)

    def residual(x: Any) -> Any:
        a = L.Conv2D(6, 3, padding="same", activation="relu")(x)
        return L.Add()([a, L.Conv2D(6, 1)(a)])

    def cnn(x: Any) -> Any:
        a = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        a = L.MaxPooling2D()(a)
        b = L.DepthwiseConv2D(3, padding="same", activation="relu6")(a)
        b = L.Conv2D(8, 1)(b)
        a = L.Add()([a, b])
        a = L.Flatten()(a)
        a = L.Dense(16, activation="relu")(a)
        return L.Dense(10)(a)

    img, wide = [(9, 7, 3)], [(8, 8, 4)]
    two = [(6, 5, 3), (6, 5, 3)]
    return {
        "conv_same_relu": (model(img, lambda x: L.Conv2D(
            6, 3, padding="same", activation="relu")(x)), img, {"CONV_2D"}),
        "conv_stride2_relu6": (model(img, lambda x: L.Conv2D(
            5, (3, 2), strides=2, activation="relu6")(x)), img, {"CONV_2D"}),
        "conv_dilated_no_bias": (model(img, lambda x: L.Conv2D(
            4, 3, dilation_rate=2, use_bias=False)(x)), img, {"CONV_2D"}),
        "depthwise_multiplier2": (model(wide, lambda x: L.DepthwiseConv2D(
            3, padding="same", depth_multiplier=2)(x)), wide, {"DEPTHWISE_CONV_2D"}),
        "depthwise_stride2_relu": (model(wide, lambda x: L.DepthwiseConv2D(
            3, strides=2, activation="relu")(L.Conv2D(6, 1)(x))), wide,
            {"DEPTHWISE_CONV_2D"}),
        "dense": (model([(20,)], lambda x: L.Dense(7)(x)), [(20,)], {"FULLY_CONNECTED"}),
        "dense_3d_relu": (model([(5, 12)], lambda x: L.Dense(9, activation="relu")(x)),
                          [(5, 12)], {"FULLY_CONNECTED"}),
        "dense_wide": (model([(64,)], lambda x: L.Dense(96)(x)), [(64,)], {"FULLY_CONNECTED"}),
        "add_residual": (model(img, residual), img, {"ADD", "CONV_2D"}),
        "add_two_inputs": (model(two, lambda x, y: L.Add()([L.Conv2D(4, 3)(x), L.Conv2D(
            4, 3)(y)])), two, {"ADD"}),
        "cnn": (model([(12, 12, 1)], cnn), [(12, 12, 1)],
                {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "ADD", "RESHAPE",
                 "FULLY_CONNECTED"}),
    }


# Models converted a second time with int16 inputs and outputs.
INT16_IO = ["conv_same_relu", "dense_3d_relu", "add_two_inputs", "cnn"]


_CACHE: dict[str, dict[str, Any]] = {}


def _build(tf: Any, rng: np.random.Generator) -> Built:
    models, inputs = {}, {}
    for name, (model, shapes, ops) in _keras_cases(tf).items():
        uneven_weights(model, rng, bias_shift=0.3)  # and non-zero biases
        draw = calibration_draw(rng, shapes)
        data = int16x8_tflite(tf, model, draw)
        assert ops <= tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        # 1.5x the calibration range: some outputs saturate at the int16 limits.
        inputs[name] = [[uniform(rng, s, -3.0, 3.0)() for s in shapes] for _ in range(SAMPLES)]
        if name in INT16_IO:
            data16 = int16x8_tflite(tf, model, draw, io_type=tf.int16)
            models[f"{name}_int16_io"] = data16
            inputs[f"{name}_int16_io"] = random_int8_samples(data16, rng, SAMPLES, np.int16)
    return models, inputs


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, made once per session
    (keras_sets.session_cases)."""
    return session_cases(_CACHE, tmp_path_factory, "int16x8", 16, _build)
