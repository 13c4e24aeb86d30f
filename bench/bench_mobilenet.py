"""MobileNetV2 float32, batch 1, one thread: Emberlite vs ONNX Runtime vs LiteRT.

torchvision's mobilenet_v2 (random weights) goes to ONNX, then to .ember; ONNX Runtime runs
the same .onnx. LiteRT runs Keras's MobileNetV2 (same architecture, its own random weights)
converted to .tflite, because LiteRT does not read ONNX. Each runtime gets warm-up runs, then
the median of --runs timed calls (copy the input in, invoke) is reported, with its ratio to
Emberlite's.

    make bench                       # installs tensorflow-cpu, then runs this
    .venv/bin/python bench/bench_mobilenet.py --runs 20
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

# TensorFlow's C++ start-up chatter would bury the table; read before TF is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
OUT = Path(__file__).resolve().parent / "out"
SIZE = 224
TO_NHWC = (0, 2, 3, 1)
TO_NCHW = (0, 3, 1, 2)


def median_ms(run: Callable[[], object], warmup: int, runs: int) -> float:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def export_onnx(path: Path) -> None:
    import torch
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), str(path), opset_version=17,
                          input_names=["input"], output_names=["logits"], dynamo=False)


def export_tflite(path: Path) -> None:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.applications.MobileNetV2(weights=None, input_shape=(SIZE, SIZE, 3))
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


def bench_emberlite(path: Path, x_nchw: np.ndarray, warmup: int, runs: int
                    ) -> tuple[float, np.ndarray, int]:
    from emberlite import Interpreter

    interp = Interpreter(model_path=path, num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    nhwc = interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC"
    x = np.ascontiguousarray(x_nchw.transpose(TO_NHWC) if nhwc else x_nchw)

    def run() -> None:
        # Input copied in on every call, as ONNX Runtime's session.run does.
        interp.set_tensor(inp["index"], x)
        interp.invoke()

    ms = median_ms(run, warmup, runs)
    return ms, interp.get_tensor(out["index"]), interp.arena_size


def bench_onnxruntime(path: Path, x_nchw: np.ndarray, warmup: int, runs: int
                      ) -> tuple[float, np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x_nchw}
    ms = median_ms(lambda: session.run(None, feed), warmup, runs)
    return ms, session.run(None, feed)[0]


def bench_litert(path: Path, x_nhwc: np.ndarray, warmup: int, runs: int) -> float:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]

    def run() -> None:
        interp.set_tensor(index, x_nhwc)
        interp.invoke()

    return median_ms(run, warmup, runs)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed invokes per runtime")
    parser.add_argument("--warmup", type=int, default=3, help="untimed invokes first")
    parser.add_argument("--no-litert", action="store_true", help="skip the LiteRT column")
    args = parser.parse_args()

    from emberlite.converter import Converter

    OUT.mkdir(parents=True, exist_ok=True)
    onnx_path, ember_path = OUT / "mobilenet_v2.onnx", OUT / "mobilenet_v2.ember"
    tflite_path = OUT / "mobilenet_v2.tflite"
    export_onnx(onnx_path)
    start = time.perf_counter()
    Converter.from_onnx(str(onnx_path)).save(str(ember_path))
    convert_s = time.perf_counter() - start

    x = np.random.default_rng(0).standard_normal((1, 3, SIZE, SIZE)).astype(np.float32)
    ember_ms, ember_out, arena = bench_emberlite(ember_path, x, args.warmup, args.runs)
    ort_ms, ort_out = bench_onnxruntime(onnx_path, x, args.warmup, args.runs)
    rows = [("emberlite", ember_ms, ember_path), ("onnxruntime", ort_ms, onnx_path)]
    if not args.no_litert:
        export_tflite(tflite_path)
        litert_ms = bench_litert(tflite_path, np.ascontiguousarray(x.transpose(TO_NHWC)),
                                 args.warmup, args.runs)
        rows.append(("litert", litert_ms, tflite_path))

    print(f"MobileNetV2 224x224 float32, batch 1, 1 thread, median of {args.runs} "
          f"after {args.warmup} warm-up; {cpu_name()}, {platform.machine()}")
    print(f"{'runtime':12} {'median ms':>10} {'x emberlite':>12} {'file bytes':>12}")
    for name, ms, path in rows:
        print(f"{name:12} {ms:10.2f} {ms / ember_ms:12.2f} {path.stat().st_size:12d}")
    scale = float(np.abs(ort_out).max()) or 1.0
    print(f"emberlite vs onnxruntime: max |diff| / max |ref| = "
          f"{float(np.abs(ember_out - ort_out).max()) / scale:.3g}; "
          f"emberlite arena {arena} bytes; conversion {convert_s:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
