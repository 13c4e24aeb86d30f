"""Converts the digits CNN with Emberlite (float32, and int8 calibrated on training images) and
checks both against ONNX Runtime on the test split.

Run train_export.py first (or `make demo`, which does both).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from emberlite import Interpreter
from emberlite.converter import Converter

OUT = Path(__file__).resolve().parent / "out"
TO_NHWC = (0, 2, 3, 1)
# Float kernels differ from ONNX Runtime only by rounding; a label flip is a near tie at most.
MIN_AGREEMENT = 0.99
# Post-training int8 should cost at most a point of accuracy on this model.
MAX_INT8_DROP = 0.01


def run_emberlite(path: Path, images: np.ndarray) -> tuple[np.ndarray, float, Interpreter]:
    """Logits for every image (one invoke each) and the mean seconds per image. An int8 model
    takes quantized inputs and gives quantized logits: (de)quantize with the tensor details."""
    interp = Interpreter(model_path=path, num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    # The file keeps the ONNX model's NCHW input unless it was converted with io_layout="nhwc"
    # (or before 0.5): then the metadata says the input is NHWC.
    if interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC":
        images = images.transpose(TO_NHWC)
    if inp["dtype"] == np.int8:
        scale, zero_point = inp["quantization"]
        images = np.clip(np.round(images / scale) + zero_point, -128, 127).astype(np.int8)
    logits = []
    start = time.perf_counter()
    for image in images:
        interp.set_tensor(inp["index"], np.ascontiguousarray(image[None]))
        interp.invoke()
        logits.append(interp.get_tensor(out["index"])[0])
    seconds = (time.perf_counter() - start) / len(images)
    logits = np.array(logits)
    if out["dtype"] == np.int8:
        scale, zero_point = out["quantization"]
        logits = (logits.astype(np.float32) - zero_point) * scale
    return logits, seconds, interp


def run_onnxruntime(path: Path, images: np.ndarray) -> tuple[np.ndarray, float]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    logits = []
    start = time.perf_counter()
    for image in images:
        logits.append(session.run(None, {name: image[None]})[0][0])
    return np.array(logits), (time.perf_counter() - start) / len(images)


def main() -> int:
    onnx_path, ember_path = OUT / "digits.onnx", OUT / "digits.ember"
    int8_path = OUT / "digits_int8.ember"
    if not onnx_path.is_file():
        print(f"{onnx_path} is missing: run examples/digits/train_export.py first",
              file=sys.stderr)
        return 2
    images, labels = np.load(OUT / "test_x.npy"), np.load(OUT / "test_y.npy")

    start = time.perf_counter()
    Converter.from_onnx(str(onnx_path)).save(str(ember_path))
    print(f"converted {onnx_path.name} -> {ember_path.name} in "
          f"{time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    Converter.from_onnx(str(onnx_path)).quantize(
        "int8", dataset=OUT / "calib.npz", method="minmax", progress=True).save(str(int8_path))
    print(f"quantized {onnx_path.name} -> {int8_path.name} (int8, min-max calibration on "
          f"training images) in {time.perf_counter() - start:.2f} s")

    ember_logits, ember_s, interp = run_emberlite(ember_path, images)
    int8_logits, int8_s, _ = run_emberlite(int8_path, images)
    ort_logits, ort_s = run_onnxruntime(onnx_path, images)
    ember_pred, ort_pred = ember_logits.argmax(1), ort_logits.argmax(1)

    print("first predictions (label: emberlite / onnxruntime):")
    for i in range(8):
        print(f"  image {i}: {labels[i]}: {ember_pred[i]} / {ort_pred[i]}")
    print(f"test images:          {len(labels)}")
    print(f"accuracy emberlite:   {(ember_pred == labels).mean():.4f}")
    print(f"accuracy onnxruntime: {(ort_pred == labels).mean():.4f}")
    print(f"agreement:            {(ember_pred == ort_pred).mean():.4f}")
    print(f"max |logit diff|:     {np.abs(ember_logits - ort_logits).max():.3g}")
    print(f"accuracy int8:        {(int8_logits.argmax(1) == labels).mean():.4f} "
          f"(float vs int8 agreement {(int8_logits.argmax(1) == ember_pred).mean():.4f})")
    print(f"size .onnx / .ember / int8 .ember: {onnx_path.stat().st_size} / "
          f"{ember_path.stat().st_size} / {int8_path.stat().st_size} bytes")
    print(f"arena:                {interp.arena_size} bytes")
    print(f"ops:                  {', '.join(interp.node_ops())}")
    print(f"latency per image:    emberlite {ember_s * 1e6:.1f} us, int8 {int8_s * 1e6:.1f} us, "
          f"onnxruntime {ort_s * 1e6:.1f} us (1 thread, batch 1)")
    agreement = (ember_pred == ort_pred).mean()
    if agreement < MIN_AGREEMENT:
        print(f"FAILED: agreement {agreement:.4f} < {MIN_AGREEMENT}", file=sys.stderr)
        return 1
    drop = (ember_pred == labels).mean() - (int8_logits.argmax(1) == labels).mean()
    if drop > MAX_INT8_DROP:
        print(f"FAILED: int8 loses {drop:.4f} accuracy (> {MAX_INT8_DROP})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
