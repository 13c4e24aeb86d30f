"""Run in a subprocess by litert_int8.py (TensorFlow and LiteRT can abort the process):
builds a one-layer Keras model, converts it to a full-int8 .tflite with TFLiteConverter, runs
LiteRT's reference kernels (BUILTIN_REF) on a random int8 input, and saves the input, output,
the layer's int8 weights, int32 bias and every quantization parameter to an .npz.

Usage: python litert_int8_worker.py {conv2d,depthwise_conv2d,fully_connected} SEED OUT.npz"""
from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def keras_model(kind: str, rng: np.random.Generator):
    import tensorflow as tf
    if kind == "conv2d":
        shape = (9, 11, 3)
        layer = tf.keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")
    elif kind == "depthwise_conv2d":
        shape = (8, 7, 4)
        layer = tf.keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                                activation="relu6")
    else:
        shape = (37,)
        layer = tf.keras.layers.Dense(64)
    model = tf.keras.Sequential([tf.keras.Input(shape), layer])
    # Random, uneven weights and bias, so per-channel scales differ.
    model.set_weights([(rng.standard_normal(w.shape) * rng.uniform(0.1, 2.0, w.shape[-1]))
                       .astype(np.float32) for w in model.get_weights()])
    return model, shape


def main(kind: str, seed: int, out_path: str) -> None:
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    rng = np.random.default_rng(seed)
    model, shape = keras_model(kind, rng)

    def representative():
        for _ in range(20):
            yield [rng.uniform(-3, 3, (1,) + shape).astype(np.float32)]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    flat = converter.convert()
    interp = Interpreter(model_content=flat,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    x = rng.integers(-128, 128, inp["shape"]).astype(np.int8)
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    saved = {"x": x, "y": interp.get_tensor(out["index"])}
    for name, detail in (("x", inp), ("y", out)):
        q = detail["quantization_parameters"]
        saved[f"{name}_scale"], saved[f"{name}_zp"] = q["scales"], q["zero_points"]
    for d in interp.get_tensor_details():
        q = d["quantization_parameters"]
        rank = len(d["shape"])
        role = ("w" if d["dtype"] == np.int8 and rank in (2, 4) and d["index"] not in
                (inp["index"], out["index"]) else "b" if d["dtype"] == np.int32 and rank == 1
                else None)
        if role is not None:
            saved[role] = interp.get_tensor(d["index"])
            saved[f"{role}_scale"], saved[f"{role}_zp"] = q["scales"], q["zero_points"]
            saved[f"{role}_axis"] = np.array(q["quantized_dimension"])
    np.savez(out_path, **saved)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
