"""Dynamic-range MobileNetV2 computing in int8 vs the float32 model (issue 12's acceptance:
>= 1.3x faster), with the cosine of its outputs against float32.

torchvision's mobilenet_v2 (random weights, BatchNorm statistics from 4 train-mode batches,
224x224) is converted three ways: float32, quantize("dynamic") (int8 weights dequantized at
load) and quantize("dynamic", compute="int8") (the hybrid kernels). The three interpreters run
in interleaved rounds of PER_ROUND calls in one process, so a busy machine slows them alike.

Usage: .venv/bin/python bench/bench_dynamic_int8.py [--threads N] [--runs N] [--size S]
"""
from __future__ import annotations

import argparse
import io
import time
import warnings

import numpy as np

PER_ROUND = 5


def export(size: int):
    import onnx
    import torch
    import torchvision

    torch.manual_seed(0)
    net = torchvision.models.mobilenet_v2(weights=None)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, 3, size, size))
    net.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, size, size),), buffer, opset_version=17,
                          dynamo=False, input_names=["image"], output_names=["logits"])
    return onnx.load_from_string(buffer.getvalue())


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def main() -> None:
    from emberlite import Interpreter
    from emberlite.converter import Converter

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--size", type=int, default=224)
    args = p.parse_args()
    model = export(args.size)
    files = {"float32": Converter.from_onnx(model).convert(),
             "dynamic (dequantized at load)": Converter.from_onnx(model).quantize("dynamic")
             .convert(),
             "dynamic, compute int8": Converter.from_onnx(model)
             .quantize("dynamic", compute="int8").convert()}
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((1, args.size, args.size, 3)).astype(np.float32)
              for _ in range(4)]
    interps, cos = {}, {}
    for name, data in files.items():
        it = Interpreter(model_content=data, num_threads=args.threads)
        it.allocate_tensors()
        interps[name] = it
    outs: dict[str, list[np.ndarray]] = {name: [] for name in files}
    for x in inputs:
        for name, it in interps.items():
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            outs[name].append(it.get_tensor(it.get_output_details()[0]["index"]).copy())
    for name in files:
        cos[name] = min(cosine(o, f) for o, f in zip(outs[name], outs["float32"]))
    # Rounds of consecutive calls per interpreter, each after an untimed one: calling the
    # three in turn put each one's pool threads to sleep between its calls, and every call
    # then paid for waking them (2 threads ran no faster than 1).
    times: dict[str, list[float]] = {name: [] for name in files}
    for _ in range(-(-args.runs // PER_ROUND)):
        for name, it in interps.items():
            it.invoke()
            for _ in range(PER_ROUND):
                t = time.perf_counter()
                it.invoke()
                times[name].append((time.perf_counter() - t) * 1e3)
    base = np.median(times["float32"])
    print(f"MobileNetV2 {args.size}x{args.size}, {args.threads} thread(s), "
          f"{len(times['float32'])} runs in interleaved rounds of {PER_ROUND}")
    print(f"| model | file bytes | least cosine vs float32 | median ms | min ms | "
          f"x float32 speed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in files:
        med = np.median(times[name])
        print(f"| {name} | {len(files[name]):,} | {cos[name]:.6f} | {med:.2f} | "
              f"{min(times[name]):.2f} | {base / med:.2f} |")


if __name__ == "__main__":
    main()
