"""Run in a subprocess by test_tflite_int8.py, since LiteRT can abort the process: for every
NAME.tflite in DIR with inputs NAME.in.npz (arrays x0, x1, ...: one batch-1 sample each),
runs LiteRT with its reference kernels (BUILTIN_REF) and with its default kernels (XNNPACK),
single-threaded, and saves the outputs as NAME.out.npz (ref0, ref1, ..., xnn0, xnn1, ...;
each sample's first output).

Usage: python litert_tflite_worker.py DIR"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def run_all(model: bytes, samples: list[np.ndarray], resolver: object) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model, num_threads=1,
                         experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    outputs = []
    for x in samples:
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        outputs.append(interp.get_tensor(out["index"]).copy())
    return outputs


def main(folder: Path) -> None:
    from ai_edge_litert.interpreter import OpResolverType

    for path in sorted(folder.glob("*.tflite")):
        stored = np.load(path.with_suffix(".in.npz"))
        samples = [stored[f"x{i}"] for i in range(len(stored.files))]
        model = path.read_bytes()
        saved = {}
        for key, resolver in (("ref", OpResolverType.BUILTIN_REF),
                              ("xnn", OpResolverType.AUTO)):
            for i, y in enumerate(run_all(model, samples, resolver)):
                saved[f"{key}{i}"] = y
        np.savez(path.with_suffix(".out.npz"), **saved)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
