"""Full-int8 models of single Keras layers (Conv2D, DepthwiseConv2D, Dense, Add, pools,
Reshape, Concatenate), a small CNN and a CNN trained on sklearn's digits, made by TensorFlow's
TFLiteConverter (int8 weights and activations; int8, uint8 or float32 input and output), and
LiteRT's outputs for them, for the layers' tests/kernels/test_<op>.py and the whole-model tests
of tests/importers/test_tflite_int8.py. All models are made from one random stream, in one
order, once per session (litert_results), so each file sees the same models whichever ran
first. LiteRT runs in a subprocess (litert_tflite_worker.py), since it can abort the process."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from emberlite.converter.importers.tflite_reader import read_tflite
from tests.importers.keras_sets import Built, convert_keras_cases, session_cases
from tests.importers.tflite_int8_models import int8_tflite, uniform

SAMPLES = 4


def _keras_cases(tf: Any) -> dict[str, tuple[Any, tuple[int, ...], set[str]]]:
    """name -> (Keras model, input shape, TFLite ops the converted model must contain)."""
    L = tf.keras.layers

    def model(shape: tuple[int, ...], body: Callable[[Any], Any]) -> Any:
        x = L.Input(shape)
        return tf.keras.Model(x, body(x))

    def residual(x: Any) -> Any:
        a = L.Conv2D(4, 3, padding="same")(x)
        return L.Add()([a, L.Conv2D(4, 1, activation="relu")(a)])

    def cnn(x: Any) -> Any:
        x = L.MaxPooling2D(2)(L.Conv2D(8, 3, padding="same", activation="relu")(x))
        x = L.MaxPooling2D(2)(L.Conv2D(12, 3, activation="relu")(x))
        return L.Dense(10)(L.Flatten()(x))

    def swish_cnn(x: Any) -> Any:
        # x * sigmoid(x) after a conv and after a depthwise conv (EfficientNet's swish):
        # LOGISTIC + MUL in the .tflite, one LOOKUP_TABLE each in Emberlite.
        x = L.Conv2D(8, 3, padding="same", activation="swish")(x)
        return L.DepthwiseConv2D(3, padding="same", activation="swish")(x)

    return {
        "conv_bias_relu": (model((10, 9, 3), L.Conv2D(8, 3, padding="same",
                                                       activation="relu")),
                           (10, 9, 3), {"CONV_2D"}),
        "conv_no_bias_relu6": (model((11, 11, 3), L.Conv2D(6, 3, strides=2, use_bias=False,
                                                           activation="relu6")),
                               (11, 11, 3), {"CONV_2D"}),
        "conv_linear": (model((8, 8, 4), L.Conv2D(5, 1)), (8, 8, 4), {"CONV_2D"}),
        "depthwise_m1": (model((9, 8, 4), L.DepthwiseConv2D(3, padding="same",
                                                            activation="relu")),
                         (9, 8, 4), {"DEPTHWISE_CONV_2D"}),
        "depthwise_m2": (model((9, 8, 3), L.DepthwiseConv2D(3, strides=2, depth_multiplier=2)),
                         (9, 8, 3), {"DEPTHWISE_CONV_2D"}),
        "dense": (model((20,), L.Dense(16, activation="relu")), (20,), {"FULLY_CONNECTED"}),
        "add_residual": (model((6, 6, 3), residual), (6, 6, 3), {"ADD"}),
        "max_pool": (model((8, 9, 3), L.MaxPooling2D(3, strides=2, padding="same")),
                     (8, 9, 3), {"MAX_POOL_2D"}),
        "average_pool": (model((8, 9, 3), L.AveragePooling2D(2)), (8, 9, 3),
                         {"AVERAGE_POOL_2D"}),
        "reshape": (model((4, 6, 2), lambda x: L.Reshape((8, 6))(L.Conv2D(2, 1)(x))),
                    (4, 6, 2), {"RESHAPE"}),
        "concatenate": (model((5, 5, 3), lambda x: L.Concatenate()([
            x, L.MaxPooling2D(3, strides=1, padding="same")(x)])), (5, 5, 3),
                        {"CONCATENATION"}),
        "small_cnn": (model((16, 16, 3), cnn), (16, 16, 3),
                      {"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED"}),
        "swish_cnn": (model((12, 12, 3), swish_cnn), (12, 12, 3),
                      {"CONV_2D", "DEPTHWISE_CONV_2D", "LOGISTIC", "MUL"}),
    }


def digits_cnn(tf: Any, seed: int, epochs: int, softmax: bool
               ) -> tuple[Any, np.ndarray, np.ndarray]:
    """A small CNN trained on sklearn's digits (Keras seeded with `seed`), ending in a softmax
    or in logits, and the test split (images, labels)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.3,
                                                        random_state=0)
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential([
        L.Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2), L.Flatten(), L.Dense(10, activation="softmax" if softmax else None)])
    model.compile("adam", "sparse_categorical_crossentropy" if softmax else
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    return model, x_test, y_test


def _quantize_input(data: bytes, x: np.ndarray) -> np.ndarray:
    model = read_tflite(data)
    quant = model.tensors[model.inputs[0]].quant
    q = np.round(x / np.float32(quant.scale[0])) + quant.zero_point[0]
    return np.clip(q, -128, 127).astype(np.int8)


# uint8-io variants of these models: name -> the model they convert.
UINT8_CASES = {"uint8_io_cnn": "small_cnn", "uint8_io_dense": "dense"}
_CACHE: dict[str, dict[str, Any]] = {}
_DIGITS_LABELS: list[int] = []


def _build(tf: Any, rng: np.random.Generator) -> Built:
    cases = _keras_cases(tf)
    models, inputs = convert_keras_cases(tf, cases, rng, lambda _, shape: [
        [rng.integers(-128, 128, (1, *shape)).astype(np.int8)] for _ in range(SAMPLES)])
    digits, x_test, y_test = digits_cnn(tf, 5, 30, softmax=False)
    train = iter(np.concatenate([x_test] * 2))
    models["digits"] = int8_tflite(tf, digits, lambda: next(train)[None])
    inputs["digits"] = [[_quantize_input(models["digits"], x[None])] for x in x_test]
    _DIGITS_LABELS[:] = list(y_test)
    # The same int8 CNN with float32 input and output: TFLiteConverter wraps it in QUANTIZE
    # and DEQUANTIZE.
    cnn, shape, _ = cases["small_cnn"]
    models["float_io"] = int8_tflite(tf, cnn, uniform(rng, shape), io_type=tf.float32)
    inputs["float_io"] = [[uniform(rng, shape)()] for _ in range(SAMPLES)]
    # uint8 input and output: QUANTIZE uint8 -> int8 and int8 -> uint8 at the edges.
    for name, base in UINT8_CASES.items():
        model, shape, _ = cases[base]
        models[name] = int8_tflite(tf, model, uniform(rng, shape), io_type=tf.uint8)
        inputs[name] = [[rng.integers(0, 256, (1, *shape)).astype(np.uint8)]
                        for _ in range(SAMPLES)]
    return models, inputs


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, plus the digits labels
    (under "labels"), made once per session (keras_sets.session_cases)."""
    cases = session_cases(_CACHE, tmp_path_factory, "int8", 8, _build)
    cases["digits"]["labels"] = _DIGITS_LABELS
    return cases


