"""Post-training quantization, Emberlite vs ONNX Runtime's quantize_static (QDQ int8).

The same ONNX models, quantized by Emberlite's converter and by ONNX Runtime:

1. The digits CNN of examples/digits (trained here on scikit-learn's digits): test-split
   accuracy of the float model, of Emberlite int8 per calibration method, and of ONNX Runtime's
   QDQ int8 (per-channel int8 weights, int8 activations, MinMax calibration on the same samples).
2. torchvision mobilenet_v2 and resnet18 (random weights, BatchNorm statistics from 4 train-mode
   passes with PyTorch's default momentum 0.1, as tests/quantize/test_torchvision_int8.py): file
   sizes, least cosine vs the float model on held-out random inputs, and the median latency of
   --runs timed calls after --warmup (copy the input in, invoke), one thread unless the row says
   otherwise, with its ratio to Emberlite float.
Emberlite int8 and int16x8 keep float inputs and outputs (QUANTIZE/DEQUANTIZE at the edges, as
a QDQ model has) and are minmax-calibrated in part 2; its weight-only "dynamic" and "fp16"
modes get rows too.

    make bench                       # installs tensorflow-cpu, then runs every bench script
    .venv/bin/python bench/bench_quantize.py --runs 20 --size 224
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import warnings
from pathlib import Path

import numpy as np

from bench_mobilenet import cpu_name, median_ms  # bench/ is on sys.path

OUT = Path(__file__).resolve().parent / "out"
DIGITS = Path(__file__).resolve().parents[1] / "examples" / "digits"
METHODS = ("minmax", "percentile", "entropy", "mse")
WEIGHT_ONLY = ("dynamic", "fp16")
MODELS = ("digits", "mobilenet_v2", "resnet18")
HELD_OUT = 8
# Calibration samples when --calibration is not given: the 200 training images the digits
# example uses, and the 16 random inputs of the torchvision tests.
DIGITS_CALIBRATION = 200
VISION_CALIBRATION = 16


class Ember:
    """One Emberlite interpreter, one thread, float inputs in the source's NCHW layout."""

    def __init__(self, path: Path):
        from emberlite import Interpreter

        self.interp = Interpreter(model_path=path, num_threads=1)
        self.interp.allocate_tensors()
        (self.inp,), (self.out,) = self.interp.get_input_details(), self.interp.get_output_details()
        layout = self.interp.get_metadata().get(f"layout.input.{self.inp['name']}")
        self.nhwc = layout == "NHWC"

    def feed(self, x_nchw: np.ndarray) -> np.ndarray:
        """The input as set_tensor takes it; done once, outside the timed calls."""
        return np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1) if self.nhwc else x_nchw)

    def run(self, x: np.ndarray) -> np.ndarray:
        self.interp.set_tensor(self.inp["index"], x)
        self.interp.invoke()
        return self.interp.get_tensor(self.out["index"])

    def outputs(self, xs: np.ndarray) -> np.ndarray:
        return np.stack([self.run(self.feed(x[None])).reshape(-1).copy() for x in xs])

    def ms(self, x_nchw: np.ndarray, warmup: int, runs: int) -> float:
        x = self.feed(x_nchw)
        return median_ms(lambda: self.run(x), warmup, runs)


class Ort:
    """One ONNX Runtime session on the CPU provider with `threads` intra-op threads."""

    def __init__(self, path: Path, threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: no notes on unused initializers
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self.name = self.session.get_inputs()[0].name

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.name: x})[0]

    def outputs(self, xs: np.ndarray) -> np.ndarray:
        return np.stack([self.run(x[None]).reshape(-1) for x in xs])

    def ms(self, x: np.ndarray, warmup: int, runs: int) -> float:
        return median_ms(lambda: self.run(x), warmup, runs)


def ort_qdq(onnx_path: Path, calib: list[np.ndarray], out: Path) -> Path:
    """ONNX Runtime's static QDQ int8: per-channel int8 weights, int8 activations, MinMax."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self, name: str):
            self.samples = iter({name: x} for x in calib)

        def get_next(self) -> dict | None:
            return next(self.samples, None)

    name = Ort(onnx_path).name
    # Its advice to run quant_pre_process first is a warning per call; the graphs here are
    # already shape-inferred and BatchNorm-folded by the exporter.
    logging.getLogger().setLevel(logging.ERROR)
    quantize_static(onnx_path, out, Reader(name), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)
    return out


def emberlite_files(onnx_path: Path, calib: list[np.ndarray], methods: tuple[str, ...]
                    ) -> dict[str, Path]:
    """.ember files by label: float32, int8 per method, int16x8 (minmax) and the weight-only
    modes."""
    from emberlite.converter import Converter

    stem = onnx_path.stem
    files = {"float32": OUT / f"{stem}.ember"}
    Converter.from_onnx(str(onnx_path)).save(str(files["float32"]))
    for method in methods:
        label = f"int8 {method}"
        files[label] = OUT / f"{stem}_int8_{method}.ember"
        Converter.from_onnx(str(onnx_path)).quantize(
            "int8", dataset=calib, method=method, io="float").save(str(files[label]))
    files["int16x8 minmax"] = OUT / f"{stem}_int16x8.ember"
    Converter.from_onnx(str(onnx_path)).quantize(
        "int16x8", dataset=calib, method="minmax").save(str(files["int16x8 minmax"]))
    for mode in WEIGHT_ONLY:
        files[mode] = OUT / f"{stem}_{mode}.ember"
        Converter.from_onnx(str(onnx_path)).quantize(mode).save(str(files[mode]))
    return files


def export_onnx(net, shape: tuple[int, ...], path: Path) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # dynamo=False: the TorchScript exporter writes opset 17 directly.
        torch.onnx.export(net, (torch.zeros(shape),), str(path), opset_version=17, dynamo=False,
                          input_names=["image"], output_names=["logits"])


def digits(calibration: int) -> None:
    import torch

    sys.path.insert(0, str(DIGITS))
    from train_export import SEED, load_split, make_model, train

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    x_train, x_test, y_train, y_test = load_split()
    net = make_model()
    train(net, x_train, y_train)
    path = OUT / "digits.onnx"
    export_onnx(net, (1, 1, 8, 8), path)
    calib = list(x_train[:calibration, None])
    files = emberlite_files(path, calib, METHODS)
    qdq = ort_qdq(path, calib, OUT / "digits_qdq.onnx")

    def accuracy(runner) -> float:
        return 100.0 * float(np.mean(runner.outputs(x_test).argmax(1) == y_test))

    rows = [(f"Emberlite {label}", accuracy(Ember(p)), p) for label, p in files.items()]
    rows += [("ONNX Runtime float32", accuracy(Ort(path)), path),
             ("ONNX Runtime QDQ int8 minmax", accuracy(Ort(qdq)), qdq)]
    float_acc = rows[0][1]
    print(f"\n### Digits CNN: accuracy on the {len(y_test)}-image test split "
          f"(calibration: {calibration} training images)\n")
    print("| model | accuracy % | vs Emberlite float32 | file bytes |")
    print("|---|---:|---:|---:|")
    for label, acc, p in rows:
        print(f"| {label} | {acc:.2f} | {acc - float_acc:+.2f} | {p.stat().st_size:,} |")


def vision_onnx(name: str, size: int) -> Path:
    import torch
    import torchvision

    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = 0.1
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, 3, size, size))
    net.eval()
    path = OUT / f"{name}_{size}.onnx"
    export_onnx(net, (1, 3, size, size), path)
    return path


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The least, over the inputs (rows), cosine similarity of a and b."""
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return float(np.min(np.sum(a * b, axis=1) / norms))


def vision(name: str, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(0)
    shape = (1, 3, args.size, args.size)
    count = args.calibration or VISION_CALIBRATION
    calib = list(rng.standard_normal((count, *shape)).astype(np.float32))
    held_out = rng.standard_normal((HELD_OUT, *shape[1:])).astype(np.float32)
    x = held_out[:1]
    path = vision_onnx(name, args.size)
    ember = emberlite_files(path, calib, ("minmax",))
    qdq = ort_qdq(path, calib, OUT / f"{path.stem}_qdq.onnx")
    threads = os.cpu_count() or 1

    ember_float, ort_float, ort_int8 = Ember(ember["float32"]), Ort(path), Ort(qdq)
    ember_want, ort_want = ember_float.outputs(held_out), ort_float.outputs(held_out)
    # label, runner, its file, the float file it quantizes, the float outputs it approximates
    rows: list[tuple[str, Ember | Ort, Path | None, Path | None, np.ndarray | None]] = [
        ("Emberlite float32", ember_float, ember["float32"], None, None)]
    rows += [(f"Emberlite {label}", Ember(p), p, ember["float32"], ember_want)
             for label, p in ember.items() if label != "float32"]
    rows += [("ONNX Runtime float32", ort_float, path, None, None),
             ("ONNX Runtime QDQ int8 minmax", ort_int8, qdq, path, ort_want),
             (f"ONNX Runtime float32, {threads} threads", Ort(path, threads), None, None, None),
             (f"ONNX Runtime QDQ int8 minmax, {threads} threads", Ort(qdq, threads), None, None,
              None)]
    base_ms = ember_float.ms(x, args.warmup, args.runs)
    print(f"\n### {name} {args.size}x{args.size} (calibration: {count} random inputs; cosine: "
          f"least over {HELD_OUT} held-out random inputs)\n")
    print("| model | file bytes | x float file | cosine vs float | median ms | x Emberlite float |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, runner, p, float_path, want in rows:
        ms = base_ms if runner is ember_float else runner.ms(x, args.warmup, args.runs)
        size = f"{p.stat().st_size:,}" if p else ""
        ratio = f"{p.stat().st_size / float_path.stat().st_size:.3f}" if float_path else ""
        cos = "" if want is None else f"{cosine(runner.outputs(held_out), want):.4f}"
        print(f"| {label} | {size} | {ratio} | {cos} | {ms:.2f} | {ms / base_ms:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed invokes per row")
    parser.add_argument("--warmup", type=int, default=3, help="untimed invokes first")
    parser.add_argument("--size", type=int, default=224,
                        help="torchvision input height and width")
    parser.add_argument("--calibration", type=int, default=None,
                        help=f"calibration samples for every model (default: "
                             f"{DIGITS_CALIBRATION} digits training images, "
                             f"{VISION_CALIBRATION} random inputs for torchvision)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                        help="which models to run")
    args = parser.parse_args()

    import emberlite
    import onnxruntime

    # quantize_static's own calibration sessions log through the default logger.
    onnxruntime.set_default_logger_severity(3)
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"Emberlite {emberlite.__version__} vs ONNX Runtime {onnxruntime.__version__}, "
          f"batch 1, median of {args.runs} after {args.warmup} warm-up; {cpu_name()}, "
          f"{platform.machine()}, {os.cpu_count()} cores")
    for name in args.models:
        if name == "digits":
            digits(args.calibration or DIGITS_CALIBRATION)
        else:
            vision(name, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
