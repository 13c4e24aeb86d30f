"""Converts the digits CNN with Emberlite and checks it against ONNX Runtime on the test split.

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


def run_emberlite(path: Path, images: np.ndarray) -> tuple[np.ndarray, float, Interpreter]:
    """Logits for every image (one invoke each) and the mean seconds per image."""
    interp = Interpreter(model_path=path, num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    # The converter stores a 4D NCHW input as NHWC and says so in the metadata.
    nhwc = interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC"
    logits = []
    start = time.perf_counter()
    for image in images:
        x = image[None]
        interp.set_tensor(inp["index"], np.ascontiguousarray(x.transpose(TO_NHWC) if nhwc else x))
        interp.invoke()
        logits.append(interp.get_tensor(out["index"])[0])
    return np.array(logits), (time.perf_counter() - start) / len(images), interp


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
    if not onnx_path.is_file():
        print(f"{onnx_path} is missing: run examples/digits/train_export.py first",
              file=sys.stderr)
        return 2
    images, labels = np.load(OUT / "test_x.npy"), np.load(OUT / "test_y.npy")

    start = time.perf_counter()
    Converter.from_onnx(str(onnx_path)).save(str(ember_path))
    print(f"converted {onnx_path.name} -> {ember_path.name} in "
          f"{time.perf_counter() - start:.2f} s")

    ember_logits, ember_s, interp = run_emberlite(ember_path, images)
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
    print(f"size .onnx / .ember:  {onnx_path.stat().st_size} / {ember_path.stat().st_size} bytes")
    print(f"arena:                {interp.arena_size} bytes")
    print(f"ops:                  {', '.join(interp.node_ops())}")
    print(f"latency per image:    emberlite {ember_s * 1e6:.1f} us, "
          f"onnxruntime {ort_s * 1e6:.1f} us (1 thread, batch 1)")
    agreement = (ember_pred == ort_pred).mean()
    if agreement < MIN_AGREEMENT:
        print(f"FAILED: agreement {agreement:.4f} < {MIN_AGREEMENT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
