"""What the ONNX I/O layout costs (0.5): a model converted with its inputs in the ONNX layout
(the default: NCHW in, so one TRANSPOSE before the first convolution) against the same model
with channels-last edges (io_layout="nhwc"), in interleaved rounds in one process.

Usage: .venv/bin/python bench/bench_io_layout.py [MODEL.onnx] [--threads N] [--runs N]
(default model: bench/out/mobilenet_v2_224.onnx, which `make bench` exports)
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from emberlite import Interpreter
from emberlite.converter import Converter

DEFAULT = Path(__file__).resolve().parent / "out" / "mobilenet_v2_224.onnx"


def _cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def _ready(data: bytes, threads: int) -> Interpreter:
    interp = Interpreter(model_content=data, num_threads=threads)
    interp.allocate_tensors()
    for d in interp.get_input_details():
        x = np.random.default_rng(0).standard_normal(d["shape"]).astype(d["dtype"])
        interp.set_tensor(d["index"], x)
    return interp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(DEFAULT))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    interps = {layout: _ready(Converter.from_onnx(args.model, io_layout=layout).convert(),
                              args.threads) for layout in ("onnx", "nhwc")}
    times: dict[str, list[float]] = {layout: [] for layout in interps}
    for _ in range(args.runs + 10):  # the first ten rounds warm up
        for layout, interp in interps.items():
            start = time.perf_counter()
            interp.invoke()
            times[layout].append(time.perf_counter() - start)
    print(f"{Path(args.model).name}, {args.threads} thread(s), {_cpu()}")
    for layout, interp in interps.items():
        ms = np.array(times[layout][10:]) * 1e3
        print(f"  io_layout={layout:5} median {np.median(ms):6.2f} ms  p10 "
              f"{np.percentile(ms, 10):6.2f}  p90 {np.percentile(ms, 90):6.2f}  "
              f"transposes {interp.node_ops().count('transpose')}")


if __name__ == "__main__":
    main()
