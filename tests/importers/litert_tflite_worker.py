"""Run in a subprocess by the int8 TFLite tests, since LiteRT can abort the process: for
NAME.tflite in DIR with inputs NAME.in.npz (array x{i}_{j}: input j of sample i, batch 1),
runs LiteRT with its reference kernels (BUILTIN_REF) and with its default kernels (XNNPACK),
single-threaded, and saves every output as NAME.out.npz (ref{i}_{k}, xnn{i}_{k}: output k of
sample i).

Usage: python litert_tflite_worker.py DIR NAME"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def run_all(model: bytes, samples: list[list[np.ndarray]],
            resolver: object) -> list[list[np.ndarray]]:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model, num_threads=1,
                         experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    inputs, outputs = interp.get_input_details(), interp.get_output_details()
    results = []
    for sample in samples:
        for detail, x in zip(inputs, sample, strict=True):
            interp.set_tensor(detail["index"], x)
        interp.invoke()
        results.append([interp.get_tensor(d["index"]).copy() for d in outputs])
    return results


def read_samples(path: Path) -> list[list[np.ndarray]]:
    stored = np.load(path)
    keys = sorted((tuple(int(p) for p in k[1:].split("_")), k) for k in stored.files)
    samples: list[list[np.ndarray]] = []
    for (i, _), key in keys:
        while len(samples) <= i:
            samples.append([])
        samples[i].append(stored[key])
    return samples


def main(folder: Path, name: str) -> None:
    from ai_edge_litert.interpreter import OpResolverType

    samples = read_samples(folder / f"{name}.in.npz")
    model = (folder / f"{name}.tflite").read_bytes()
    saved = {}
    for key, resolver in (("ref", OpResolverType.BUILTIN_REF), ("xnn", OpResolverType.AUTO)):
        for i, ys in enumerate(run_all(model, samples, resolver)):
            for k, y in enumerate(ys):
                saved[f"{key}{i}_{k}"] = y
    np.savez(folder / f"{name}.out.npz", **saved)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
