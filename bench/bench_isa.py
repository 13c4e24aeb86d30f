"""Emberlite's kernel variants on one model: the reference kernels alone (isa_mask NONE) vs
every variant this CPU allows (isa_mask ALL), one thread, batch 1, on a random input.

Prints each run's median of --runs timed calls (copy the input in, invoke) after --warmup, and
whether the two outputs are byte-identical (int8 variants must match the reference exactly).

    .venv/bin/python bench/bench_isa.py bench/out/mobilenet_v2_int8.tflite --runs 5
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np

from bench_mobilenet import cpu_name, median_ms  # bench/ is on sys.path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help=".tflite or .ember file")
    parser.add_argument("--runs", type=int, default=5, help="timed invokes per variant set")
    parser.add_argument("--warmup", type=int, default=1, help="untimed invokes first")
    args = parser.parse_args()

    from emberlite import Interpreter
    from emberlite._ember import lib
    from emberlite.converter import Converter

    data = args.model.read_bytes()
    ember = data if args.model.suffix == ".ember" else Converter.from_tflite(data).convert()
    print(f"{args.model.name}, median of {args.runs} after {args.warmup} warm-up; "
          f"{cpu_name()}, {platform.machine()}")
    outputs = []
    for label, mask in (("reference (isa_mask NONE)", lib.EMBER_ISA_NONE),
                        ("all variants (isa_mask ALL)", lib.EMBER_ISA_ALL)):
        interp = Interpreter(model_content=ember, num_threads=1, isa_mask=mask)
        interp.allocate_tensors()
        (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
        rng = np.random.default_rng(0)
        if np.issubdtype(inp["dtype"], np.integer):
            info = np.iinfo(inp["dtype"])
            x = rng.integers(info.min, info.max + 1, inp["shape"]).astype(inp["dtype"])
        else:
            x = rng.standard_normal(inp["shape"]).astype(inp["dtype"])

        def run() -> None:
            interp.set_tensor(inp["index"], x)
            interp.invoke()

        print(f"  {label}: {median_ms(run, args.warmup, args.runs):.1f} ms")
        outputs.append(interp.get_tensor(out["index"]).copy())
    same = outputs[0].tobytes() == outputs[1].tobytes()
    print(f"  outputs byte-identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
