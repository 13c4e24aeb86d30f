"""Full-integer int8 models of the arithmetic ops (MEAN, SUB, MUL, BATCH_MATMUL, RESIZE_*,
TRANSPOSE_CONV) made by TensorFlow's TFLiteConverter from Keras models, and LiteRT's outputs
for them, for those ops' tests/kernels/test_<op>.py. Convolutions before the op under test give
its inputs and output different scales, so the requantization paths run. All models are made
from one random stream, in one order, once per session (litert_results), so each op's file
sees the same models whichever ran first."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from emberlite.converter.importers.tflite_reader import read_tflite
from tests.importers.keras_sets import (Built, Shapes, calibration_draw, inputs_model,
                                        session_cases, uneven_weights)
from tests.importers.tflite_int8_models import int8_tflite, random_int8_samples, tflite_ops

SAMPLES = 4


def _keras_cases(tf: Any) -> dict[str, tuple[Any, Shapes, set[str]]]:
    """name -> (Keras model, input shapes, TFLite ops the converted model must contain)."""
    L = tf.keras.layers
    model = partial(inputs_model, tf)

    def conv(x: Any, ch: int = 6) -> Any:
        return L.Conv2D(ch, 3, padding="same")(x)

    def mean(axis: Any, keep: bool) -> Callable[[Any], Any]:
        return lambda x: L.Lambda(lambda t: tf.reduce_mean(t, axis=axis, keepdims=keep))(
            conv(x))

    def branches(op: Callable[[Any, Any], Any], act: str | None = None) -> Callable:
        return lambda x: L.Activation(act)(op(conv(x), conv(x))) if act else op(conv(x),
                                                                                conv(x))

    def two_inputs(op: Callable[[Any, Any], Any]) -> Callable:
        return lambda x, y: op(conv(x, 4), L.Conv2D(4, 1)(y))

    def lam(fn: Callable) -> Callable[[Any, Any], Any]:
        return lambda a, b: L.Lambda(lambda ts: fn(*ts))([a, b])

    class MatMul(L.Layer):
        def __init__(self, **kw: bool) -> None:
            super().__init__()
            self.kw = kw

        def call(self, a: Any, b: Any) -> Any:
            return tf.matmul(a, b, **self.kw)

    def matmul(units: tuple[int, int], **kw: bool) -> Callable[[Any], Any]:
        # Two projections of the same input multiplied, as in attention scores.
        return lambda x: MatMul(**kw)(L.Dense(units[0])(x), L.Dense(units[1])(x))

    def resize(kind: str, size: tuple[int, int], **kw: bool) -> Callable[[Any], Any]:
        fn = getattr(tf.compat.v1.image, f"resize_{kind}")
        return lambda x: L.Lambda(lambda t: fn(t, size, **kw))(conv(x, 4))

    img = [(7, 9, 3)]
    small = [(8, 5, 3)]
    seq, heads = [(5, 6)], [(2, 5, 6)]
    pair, scaled = [(6, 5, 3), (6, 5, 2)], [(6, 5, 3), (1, 1, 2)]
    return {
        "gap_keepdims": (model(img, lambda x: L.GlobalAveragePooling2D(keepdims=True)(
            conv(x))), img, {"MEAN"}),
        "gap_flat": (model(img, lambda x: L.GlobalAveragePooling2D()(conv(x, 16))),
                     img, {"MEAN"}),
        "mean_axis1": (model(img, mean(1, False)), img, {"MEAN"}),
        "mean_last_keep": (model(img, mean(-1, True)), img, {"MEAN"}),
        "mean_axis12_keep": (model(img, mean([1, 2], True)), img, {"MEAN"}),
        "sub_branches": (model(img, branches(lambda a, b: L.Subtract()([a, b]))), img, {"SUB"}),
        "sub_relu": (model(img, branches(lambda a, b: L.Subtract()([a, b]), "relu")), img,
                     {"SUB"}),
        "sub_two_inputs": (model(pair, two_inputs(lam(tf.subtract))), pair, {"SUB"}),
        "sub_broadcast": (model(scaled, two_inputs(lam(tf.subtract))), scaled, {"SUB"}),
        "sub_constant": (model(img, lambda x: L.Lambda(lambda t: 0.75 - t)(conv(x))), img,
                         {"SUB"}),
        "mul_branches": (model(img, branches(lambda a, b: L.Multiply()([a, b]))), img, {"MUL"}),
        "mul_relu6": (model(img, branches(lambda a, b: L.Multiply()([a, b]), "relu6")), img,
                      {"MUL"}),
        "mul_two_inputs": (model(pair, two_inputs(lam(tf.multiply))), pair, {"MUL"}),
        "mul_broadcast": (model(scaled, two_inputs(lam(tf.multiply))), scaled, {"MUL"}),
        "mul_gap_gate": (model(img, lambda x: (lambda c: L.Multiply()([
            c, L.GlobalAveragePooling2D(keepdims=True)(c)]))(conv(x))), img, {"MUL", "MEAN"}),
        "matmul": (model(seq, matmul((5, 8))), seq, {"BATCH_MATMUL"}),
        "matmul_adj_b": (model(seq, matmul((8, 8), transpose_b=True)), seq, {"BATCH_MATMUL"}),
        "matmul_adj_a": (model(seq, matmul((8, 4), transpose_a=True)), seq, {"BATCH_MATMUL"}),
        "matmul_heads": (model(heads, matmul((8, 8), transpose_b=True)), heads,
                         {"BATCH_MATMUL"}),
        "matmul_two_inputs": (model([(4, 6), (6, 3)], lambda x, y: MatMul()(L.Dense(6)(x), y)),
                              [(4, 6), (6, 3)], {"BATCH_MATMUL"}),
        "upsample_bilinear": (model(small, lambda x: L.UpSampling2D(
            interpolation="bilinear")(conv(x, 4))), small, {"RESIZE_BILINEAR"}),
        **{f"resize_{kind}_{mode}": (model(small, resize(
            kind, size, align_corners=mode == "align", half_pixel_centers=mode == "half")),
            small, {f"RESIZE_{kind.upper()}"})
           for kind in ("bilinear", "nearest_neighbor") for mode in ("align", "half", "plain")
           for size in [(11, 7)]},
        "resize_bilinear_down": (model(small, resize("bilinear", (5, 3), half_pixel_centers=True)),
                                 small, {"RESIZE_BILINEAR"}),
        "transpose_conv_same": (model(small, lambda x: L.Conv2DTranspose(
            5, 3, strides=2, padding="same")(conv(x, 4))), small, {"TRANSPOSE_CONV"}),
        # (TF does not fuse an activation into TRANSPOSE_CONV: it emits a separate RELU.)
        "transpose_conv_valid": (model(small, lambda x: L.Conv2DTranspose(
            4, (3, 2), strides=(2, 1))(conv(x, 3))), small, {"TRANSPOSE_CONV"}),
        "transpose_conv_no_bias": (model(small, lambda x: L.Conv2DTranspose(
            6, 4, strides=2, padding="same", use_bias=False)(x)), small, {"TRANSPOSE_CONV"}),
        # On the input itself: after a convolution TF folds the constant into its weights.
        "mul_constant": (model(img, lambda x: L.Lambda(lambda t: t * tf.constant(
            [0.5, 2.5, -1.5]))(x)), img, {"MUL"}),
        "gmp_flat": (model(img, lambda x: L.GlobalMaxPooling2D()(conv(x, 8))), img,
                     {"REDUCE_MAX"}),
        "reduce_min_keep": (model(img, lambda x: L.Lambda(lambda t: tf.reduce_min(
            t, axis=2, keepdims=True))(conv(x, 6))), img, {"REDUCE_MIN"}),
    }


_CACHE: dict[str, dict[str, Any]] = {}


def _build(tf: Any, rng: np.random.Generator) -> Built:
    models, inputs = {}, {}
    for name, (model, shapes, ops) in _keras_cases(tf).items():
        uneven_weights(model, rng)
        data = int8_tflite(tf, model, calibration_draw(rng, shapes))
        assert ops <= tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        inputs[name] = random_int8_samples(data, rng, SAMPLES)
    return models, inputs


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, made once per session
    (keras_sets.session_cases)."""
    return session_cases(_CACHE, tmp_path_factory, "int8_arith", 11, _build)


def check_activation_is_fused_into_the_op(results: dict, name: str, op: str, act: str) -> None:
    """The model `name` has one `op` with activation `act` fused into it."""
    from tflite.ActivationFunctionType import ActivationFunctionType

    ops = [o for o in read_tflite(results[name]["data"]).operators if o.op_name == op]
    assert [o.options.FusedActivationFunction() for o in ops] == \
        [getattr(ActivationFunctionType, act)]
