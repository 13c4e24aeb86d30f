"""Full-int8 models of the ops that move values (SQUEEZE, EXPAND_DIMS, SPLIT, SPLIT_V,
STRIDED_SLICE with negative strides, begin/end masks and shrink_axis, SLICE, PAD, PADV2 with a
constant other than real 0, GATHER along axis 0 and middle axes with int32 and int64 indices,
constant or fed as a graph input, TRANSPOSE, CONCATENATION along every axis, PACK/UNPACK along
the last axis, RESHAPE with a dynamic batch and downscaling RESIZE_NEAREST_NEIGHBOR), made by
TensorFlow's TFLiteConverter from Keras models, and LiteRT's outputs for them, for those ops'
tests/kernels/test_<op>.py. All models are made from one random stream, in one order, once per
session (litert_results), so each op's file sees the same models whichever ran first.

TFLiteConverter rewrites SQUEEZE and EXPAND_DIMS into RESHAPE when every dimension is static,
so those two models leave dimensions dynamic (the file stores them as 1)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from tflite.TensorType import TensorType

from emberlite.converter.importers.tflite_reader import read_tflite
from tests.importers.keras_sets import Built, convert_keras_cases, session_cases
from tests.importers.tflite_int8_models import Sample, int8_tflite, tflite_ops, uniform

SAMPLES = 6
IMG = (6, 5, 3)


def _keras_cases(tf: Any) -> dict[str, tuple[Any, tuple[int, ...], set[str]]]:
    """name -> (Keras model, calibration input shape, TFLite ops the converted model must
    contain)."""
    L = tf.keras.layers

    class Fn(L.Layer):
        """A layer calling `fn` (Lambda cannot infer the shapes of some of these)."""

        def __init__(self, fn: Callable[..., Any]) -> None:
            super().__init__()
            self.fn = fn

        def call(self, *xs: Any) -> Any:
            return self.fn(*xs)

    def model(body: Callable[[Any], Any], shape: tuple[int | None, ...] = IMG,
              batch: int | None = 1) -> Any:
        x = L.Input(shape, batch_size=batch)
        return tf.keras.Model(x, body(x))

    def conv(x: Any, ch: int = 4) -> Any:
        return L.Conv2D(ch, 3, padding="same")(x)

    def on_conv(fn: Callable[[Any], Any], ch: int = 4) -> Callable[[Any], Any]:
        return lambda x: Fn(fn)(conv(x, ch))

    def pad(value: float) -> Callable[[Any], Any]:
        return on_conv(lambda t: tf.pad(t, [[0, 0], [1, 2], [0, 1], [2, 0]],
                                        constant_values=value))

    def resize_down(**kw: bool) -> Callable[[Any], Any]:
        return on_conv(lambda t: tf.compat.v1.image.resize_nearest_neighbor(t, (4, 2), **kw))

    def concat(axis: int) -> Callable[[Any], Any]:
        return lambda x: L.Concatenate(axis=axis)([conv(x), conv(x), conv(x)])

    i64 = tf.constant([3, 0, 3, 1, 4], tf.int64)
    return {
        "squeeze": (model(on_conv(lambda t: tf.squeeze(t, 2), 6), (None, 1, 3), batch=None),
                    (4, 1, 3), {"SQUEEZE"}),
        "expand_dims": (model(on_conv(lambda t: tf.expand_dims(t, 2)), batch=None), IMG,
                        {"EXPAND_DIMS"}),
        "split": (model(on_conv(lambda t: tf.split(t, 2, axis=3))), IMG, {"SPLIT"}),
        "split_v": (model(on_conv(lambda t: tf.split(t, [1, 3, 2], axis=1))), IMG,
                    {"SPLIT_V"}),
        "strided_slice_reverse": (model(on_conv(lambda t: t[:, ::-2, 1:, ::-1])), IMG,
                                  {"STRIDED_SLICE"}),
        "strided_slice_bounds": (model(on_conv(lambda t: t[:, 4:0:-1, -1:0:-2, 1:3])), IMG,
                                 {"STRIDED_SLICE"}),
        "strided_slice_shrink": (model(on_conv(lambda t: t[:, 1:-1:2, :3, 2])), IMG,
                                 {"STRIDED_SLICE"}),
        "strided_slice_shrink2": (model(on_conv(lambda t: t[0, -2])), IMG, {"STRIDED_SLICE"}),
        "slice": (model(on_conv(lambda t: tf.slice(t, [0, 1, 2, 0], [1, 3, -1, 3]))), IMG,
                  {"SLICE"}),
        "pad": (model(pad(0.0)), IMG, {"PAD"}),
        "padv2_positive": (model(pad(0.7)), IMG, {"PADV2"}),
        "padv2_negative": (model(pad(-1.3)), IMG, {"PADV2"}),
        "gather_axis0": (model(on_conv(lambda t: tf.gather(tf.reshape(t, (6, 20)),
                                                           [3, 0, 3, 1, 5], axis=0))), IMG,
                         {"GATHER"}),
        "gather_axis2": (model(on_conv(lambda t: tf.gather(t, [3, 0, 3, 1], axis=2))), IMG,
                         {"GATHER"}),
        "gather_int64": (model(on_conv(lambda t: tf.gather(t, i64, axis=1))), IMG,
                         {"GATHER"}),
        "gather_2d_indices": (model(on_conv(lambda t: tf.gather(t, [[1, 4], [0, 0], [2, 3]],
                                                                axis=2))), IMG, {"GATHER"}),
        "transpose": (model(on_conv(lambda t: tf.transpose(t, [0, 2, 3, 1]))), IMG,
                      {"TRANSPOSE"}),
        "transpose_3d": (model(on_conv(lambda t: tf.transpose(tf.reshape(t, (6, 5, 4)),
                                                              [2, 0, 1]))), IMG,
                         {"TRANSPOSE"}),
        "concat_axis0": (model(concat(0)), IMG, {"CONCATENATION"}),
        "concat_axis1": (model(concat(1)), IMG, {"CONCATENATION"}),
        "concat_axis2": (model(concat(2)), IMG, {"CONCATENATION"}),
        "pack_last": (model(lambda x: Fn(lambda a, b: tf.stack([a, b], axis=-1))(
            conv(x), conv(x))), IMG, {"PACK"}),
        "unpack_last": (model(on_conv(lambda t: tf.unstack(t, axis=3))), IMG, {"UNPACK"}),
        "reshape_dynamic_batch": (model(lambda x: L.Reshape((3, 2, 5, 4))(conv(x)),
                                        batch=None), IMG, {"RESHAPE"}),
        "resize_nearest_down": (model(resize_down()), IMG, {"RESIZE_NEAREST_NEIGHBOR"}),
        "resize_nearest_down_half": (model(resize_down(half_pixel_centers=True)), IMG,
                                     {"RESIZE_NEAREST_NEIGHBOR"}),
        "resize_nearest_down_align": (model(resize_down(align_corners=True)), IMG,
                                      {"RESIZE_NEAREST_NEIGHBOR"}),
    }


def _index_input_model(tf: Any, dtype: str) -> Any:
    """GATHER along axis 2 whose indices are a graph input of type `dtype`."""
    L = tf.keras.layers

    class Gather(L.Layer):
        def call(self, x: Any, i: Any) -> Any:
            return tf.gather(x, i[0], axis=2)

    x = L.Input(IMG, batch_size=1, name="in0")
    i = L.Input((7,), batch_size=1, dtype=dtype, name="in1")
    return tf.keras.Model([x, i], Gather()(L.Conv2D(4, 3, padding="same")(x), i))


def _samples(data: bytes, rng: np.random.Generator, count: int) -> list[Sample]:
    """Random int8 values for int8 inputs, valid indices along axis 2 (size 5) for the
    others."""
    model = read_tflite(data)
    inputs = [model.tensors[i] for i in model.inputs]
    types = [np.int8 if t.quant is not None else
             np.int64 if t.type == TensorType.INT64 else np.int32 for t in inputs]
    return [[rng.integers(-128, 128, t.shape).astype(np.int8) if kind == np.int8
             else rng.integers(0, 5, t.shape).astype(kind) for t, kind in zip(inputs, types)]
            for _ in range(count)]


_CACHE: dict[str, dict[str, Any]] = {}


def _build(tf: Any, rng: np.random.Generator) -> Built:
    models, inputs = convert_keras_cases(tf, _keras_cases(tf), rng,
                                         lambda data, _: _samples(data, rng, SAMPLES))
    for dtype in ("int32", "int64"):
        name = f"gather_{dtype}_input"
        draw_x = uniform(rng, IMG)
        data = int8_tflite(tf, _index_input_model(tf, dtype), lambda: [
            draw_x(), rng.integers(0, 5, (1, 7)).astype(dtype)])
        assert "GATHER" in tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        model = read_tflite(data)
        assert [model.tensors[i].type for i in model.inputs] == [
            TensorType.INT8, getattr(TensorType, dtype.upper())], name
        models[name] = data
        inputs[name] = _samples(data, rng, SAMPLES)
    return models, inputs


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, made once per session
    (keras_sets.session_cases)."""
    return session_cases(_CACHE, tmp_path_factory, "int8_moves", 21, _build)
