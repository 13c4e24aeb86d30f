"""Run in a subprocess by test_quantize.py (TensorFlow and LiteRT can abort the process):
converts a Keras float -> Reshape -> float model to an int8 .tflite whose input and output stay
float32, so TFLiteConverter wraps it in QUANTIZE and DEQUANTIZE, runs LiteRT's reference
kernels (BUILTIN_REF) on float inputs that include exact rounding ties, and saves the input, the
QUANTIZE output, the float output and the int8 tensor's scale and zero point to an .npz.

Usage: python litert_qdq_worker.py SEED OUT.npz"""
from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SIZE = 1200


def main(seed: int, out_path: str) -> None:
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    rng = np.random.default_rng(seed)
    lo, hi = -rng.uniform(0.1, 10.0), rng.uniform(0.1, 10.0)
    model = tf.keras.Sequential([tf.keras.Input((SIZE,)), tf.keras.layers.Reshape((SIZE // 4, 4))])

    def representative():
        for _ in range(10):
            yield [rng.uniform(lo, hi, (1, SIZE)).astype(np.float32)]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    interp = Interpreter(model_content=converter.convert(),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    ops = {d["op_name"]: d for d in interp._get_ops_details()}
    q_index = ops["QUANTIZE"]["outputs"][0]
    q = interp.get_tensor_details()[q_index]["quantization_parameters"]
    scale, zp = float(q["scales"][0]), int(q["zero_points"][0])
    # Values whose float32 quotient by the scale is often exactly k + 0.5 (the ties), values
    # far outside the int8 range (saturation), and plain random ones. No quotient beyond the
    # int32 range: LiteRT's float -> int conversion of those is undefined in C++ (x86 gives
    # INT32_MIN, so +1e30 would become -128), where Emberlite saturates.
    ties = ((np.arange(-133, 133) - zp + 0.5) * scale).astype(np.float32)
    wide = np.array([-1e6, -300 * scale, 300 * scale, 1e6, 0.0, -0.0], np.float32)
    rand = rng.uniform(1.5 * lo, 1.5 * hi, SIZE - ties.size - wide.size).astype(np.float32)
    x = np.concatenate([ties, wide, rand]).astype(np.float32).reshape(1, SIZE)
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    np.savez(out_path, x=x, q=interp.get_tensor(q_index), y=interp.get_tensor(out["index"]),
             scale=np.float32(scale), zp=np.int32(zp),
             ops=np.array([d["op_name"] for d in interp._get_ops_details()]))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
