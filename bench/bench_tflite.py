"""The same .tflite files in Emberlite and in LiteRT: Keras MobileNetV2 (random weights),
float32 and full-int8, batch 1.

Both files come from TensorFlow's TFLiteConverter (int8: full-integer, int8 input and output,
calibrated on random inputs). Emberlite converts each .tflite to .ember and runs it with one
thread; LiteRT runs the very same .tflite with its default kernels (XNNPACK) on one thread and
on all cores, and with its reference kernels (BUILTIN_REF, the int8 oracle) on one thread.
Each column is the median of --runs timed calls (copy the input in, invoke) after --warmup,
with its ratio to Emberlite's. Also printed: how closely the outputs agree (float: max |diff|
/ max |out| vs LiteRT; int8: elements identical to BUILTIN_REF).

    make bench                       # installs tensorflow-cpu, then runs this
    .venv/bin/python bench/bench_tflite.py --runs 10 --size 224
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from bench_mobilenet import cpu_name, median_ms  # noqa: E402  (bench/ is on sys.path)

OUT = Path(__file__).resolve().parent / "out"


def export(size: int, calibration: int) -> dict[str, bytes]:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.applications.MobileNetV2(weights=None, input_shape=(size, size, 3))
    rng = np.random.default_rng(0)
    # BatchNorm statistics of random inputs: with the initial ones the activations shrink
    # layer by layer, and the int8 SOFTMAX input scale falls below what LiteRT accepts.
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(rng.uniform(-1, 1, (16, size, size, 3)).astype(np.float32), training=True)

    def representative():
        for _ in range(calibration):
            yield [rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32)]

    files = {"float32": tf.lite.TFLiteConverter.from_keras_model(model).convert()}
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    files["int8"] = converter.convert()
    return files


def time_emberlite(ember: bytes, x: np.ndarray, warmup: int, runs: int
                   ) -> tuple[float, np.ndarray]:
    from emberlite import Interpreter

    return _time_interpreter(Interpreter(model_content=ember, num_threads=1), x, warmup, runs)


def time_litert(data: bytes, x: np.ndarray, warmup: int, runs: int, threads: int,
                reference: bool) -> tuple[float, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.BUILTIN_REF if reference else OpResolverType.AUTO
    interp = Interpreter(model_content=data, num_threads=threads,
                         experimental_op_resolver_type=resolver)
    return _time_interpreter(interp, x, warmup, runs)


def _time_interpreter(interp: Any, x: np.ndarray, warmup: int, runs: int
                      ) -> tuple[float, np.ndarray]:
    """Median milliseconds of set input + invoke on a one-input, one-output interpreter (either
    runtime's: Emberlite's follows tflite's API), and the output of the last run."""
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()

    def run() -> None:
        interp.set_tensor(inp["index"], x)
        interp.invoke()

    return median_ms(run, warmup, runs), interp.get_tensor(out["index"]).copy()


def sample(kind: str, size: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    if kind == "int8":
        return rng.integers(-128, 128, (1, size, size, 3)).astype(np.int8)
    return rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32)


def agreement(kind: str, ours: np.ndarray, ref: np.ndarray) -> str:
    if kind == "int8":
        same = int(np.count_nonzero(ours == ref))
        return f"{same}/{ref.size} elements identical to LiteRT BUILTIN_REF"
    scale = float(np.abs(ref).max()) or 1.0
    return f"max |diff| / max |out| vs LiteRT = {float(np.abs(ours - ref).max()) / scale:.3g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed invokes per runtime")
    parser.add_argument("--warmup", type=int, default=2, help="untimed invokes first")
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--calibration", type=int, default=8,
                        help="random samples for the int8 conversion")
    args = parser.parse_args()

    from emberlite.converter import Converter

    OUT.mkdir(parents=True, exist_ok=True)
    threads = os.cpu_count() or 1
    print(f"Keras MobileNetV2 {args.size}x{args.size}, batch 1, median of {args.runs} after "
          f"{args.warmup} warm-up; {cpu_name()}, {platform.machine()}, {threads} cores")
    for kind, data in export(args.size, args.calibration).items():
        (OUT / f"mobilenet_v2_{kind}.tflite").write_bytes(data)
        start = time.perf_counter()
        ember = Converter.from_tflite(data).convert()
        convert_s = time.perf_counter() - start
        x = sample(kind, args.size)
        ember_ms, ours = time_emberlite(ember, x, args.warmup, args.runs)
        rows = [("emberlite, 1 thread", ember_ms)]
        for label, n, ref in (("litert xnnpack, 1 thread", 1, False),
                              (f"litert xnnpack, {threads} threads", threads, False),
                              ("litert builtin_ref, 1 thread", 1, True)):
            ms, out = time_litert(data, x, args.warmup, args.runs, n, ref)
            rows.append((label, ms))
            if ref:
                reference_out = out
        print(f"\n{kind}: .tflite {len(data)} bytes, .ember {len(ember)} bytes, "
              f"conversion {convert_s:.2f} s; {agreement(kind, ours, reference_out)}")
        print(f"{'runtime':32} {'median ms':>10} {'x emberlite':>12}")
        for label, ms in rows:
            print(f"{label:32} {ms:10.2f} {ms / ember_ms:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
