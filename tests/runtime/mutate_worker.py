"""Loads mutated copies of a model, one after another, in this process.

Run by tests/runtime/test_mutation.py in a subprocess, so that a crash or hang is caught by
the parent. Usage: mutate_worker.py MODEL SEED START COUNT. Before each mutant it prints
"try <i>" and after it "done <i> ok" or "done <i> <ErrorClass>", flushing each line, so the
parent knows exactly which mutant killed the process.
"""
from __future__ import annotations

import sys

import numpy as np

from emberlite import EmberRuntimeError, Interpreter

INTERESTING_U32 = [0, 1, 2, 3, 4, 7, 8, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000,
                   0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFC]


def flatbuffer_end(model: bytes) -> int:
    """Where the data section starts: mutations aim at the structure, not the weights."""
    from emberlite.schema.Model import Model

    root = Model.GetRootAs(model, 0)
    offsets = [root.Buffers(i).Offset() for i in range(root.BuffersLength())]
    return min(offsets, default=len(model)) or len(model)


def mutate(model: bytes, index: int, seed: int, structure_end: int) -> bytes:
    rng = np.random.default_rng([seed, index])
    data = bytearray(model)
    kind = index % 3
    if kind == 0:  # bit flips, mostly in the structure
        for _ in range(int(rng.integers(1, 5))):
            end = structure_end if rng.random() < 0.9 else len(data)
            pos = int(rng.integers(0, end))
            data[pos] ^= 1 << int(rng.integers(0, 8))
        return bytes(data)
    if kind == 1:  # truncation: every small length, powers of two, and random lengths
        classes = list(range(0, 65)) + [2 ** k for k in range(7, 32) if 2 ** k < len(data)]
        pick = index // 3
        length = classes[pick] if pick < len(classes) else int(rng.integers(0, len(data)))
        return bytes(data[:length])
    # overwrite a 4-byte aligned word of the structure with an interesting or random value
    for _ in range(int(rng.integers(1, 3))):
        pos = int(rng.integers(0, max(1, structure_end // 4))) * 4
        if rng.random() < 0.6:
            value = INTERESTING_U32[int(rng.integers(0, len(INTERESTING_U32)))]
        else:
            value = int(rng.integers(0, len(data) * 2 + 16))
        data[pos:pos + 4] = (value & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(data)


def try_load(model: bytes, verify_hash: bool) -> str:
    try:
        interp = Interpreter(model_content=model, verify_hash=verify_hash)
        interp.allocate_tensors()
        for detail in interp.get_input_details():
            shape = tuple(int(d) for d in detail["shape"])
            interp.set_tensor(detail["index"], np.ones(shape, dtype=detail["dtype"]))
        interp.invoke()
        for detail in interp.get_output_details():
            interp.get_tensor(detail["index"])
        return "ok"
    except EmberRuntimeError as err:
        if not str(err):
            return "EmptyMessage"
        return type(err).__name__


def main() -> None:
    path, seed, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(path, "rb") as f:
        model = f.read()
    structure_end = flatbuffer_end(model)
    for index in range(start, start + count):
        print(f"try {index}", flush=True)
        # One in ten keeps the hash check on: those must all fail with a hash mismatch or earlier.
        verify_hash = index % 10 == 9
        outcome = try_load(mutate(model, index, seed, structure_end), verify_hash)
        print(f"done {index} {outcome}", flush=True)


if __name__ == "__main__":
    main()
