"""Builds an Interpreter over model bytes held one way, changes those bytes, then invokes.

Run by tests/runtime/test_model_ownership.py in a subprocess, so that a crash (SIGSEGV from a
SLICE begin changed after verification, SIGBUS from a truncated mapping) fails that one test
instead of killing pytest.

Usage: ownership_worker.py KIND MUTATION MODEL INPUT OUTPUT
  KIND      how the caller holds the model (see HOLDERS)
  MUTATION  begin | weight | zero | truncate (see MUTATIONS)
  MODEL     the .ember file; it is copied first, the copy is what gets changed
  INPUT     .npy of the model's input; OUTPUT: where the output is saved as .npy
"""
from __future__ import annotations

import ctypes
import mmap
import os
import shutil
import struct
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from emberlite import Interpreter

ALIGN = 16  # EMBER_MODEL_ALIGNMENT: aligned buffers are the ones a careless binding uses in place
HUGE_BEGIN = 0x7FFFFF00
# What the test's model stores and the worker changes: the one SLICE begin and the ADD weight.
SLICE_BEGIN = 3217
WEIGHT = np.arange(1, 8, dtype=np.float32) * 0.5

# A writer gets (offset, new bytes) and changes the caller's copy of the model.
Writer = Callable[[int, bytes], None]


def _aligned(buf: Any) -> int:
    """The first offset in `buf` at an ALIGN-aligned address."""
    address = np.frombuffer(buf, dtype=np.uint8).ctypes.data
    return -address % ALIGN


def _bytearray_slice(model: bytes, readonly: bool) -> tuple[Any, Writer]:
    raw = bytearray(len(model) + ALIGN)
    start = _aligned(raw)
    raw[start:start + len(model)] = model
    view = memoryview(raw)[start:start + len(model)]

    def write(offset: int, data: bytes) -> None:
        raw[start + offset:start + offset + len(data)] = data
    return (view.toreadonly() if readonly else view), write


def _readonly_numpy(model: bytes) -> tuple[Any, Writer]:
    base = np.zeros(len(model) + ALIGN, dtype=np.uint8)
    start = _aligned(base)
    base[start:start + len(model)] = np.frombuffer(model, dtype=np.uint8)
    frozen = base[start:start + len(model)]
    frozen.flags.writeable = False  # the base stays writable

    def write(offset: int, data: bytes) -> None:
        base[start + offset:start + offset + len(data)] = np.frombuffer(data, dtype=np.uint8)
    return frozen, write


def _memoryview_of_bytes(model: bytes) -> tuple[Any, Writer]:
    immutable = bytes(model)
    address = np.frombuffer(immutable, dtype=np.uint8).ctypes.data

    def write(offset: int, data: bytes) -> None:
        # Only C code (an extension, ctypes) can do this; the rule is about the object type.
        ctypes.memmove(address + offset, data, len(data))
    return memoryview(immutable), write


def _file_writer(path: str) -> Writer:
    def write(offset: int, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.pwrite(fd, data, offset)
        finally:
            os.close(fd)
    return write


def main(argv: list[str]) -> int:
    kind, mutation, model_file, input_file, output_file = argv
    path = output_file + ".model"
    shutil.copyfile(model_file, path)
    with open(path, "rb") as f:
        model = f.read()
    if kind == "readonly_memoryview_over_bytearray":
        content, write = _bytearray_slice(model, readonly=True)
    elif kind == "bytearray":
        content, write = _bytearray_slice(model, readonly=False)
    elif kind == "readonly_numpy_over_writable_base":
        content, write = _readonly_numpy(model)
    elif kind == "memoryview_of_bytes":
        content, write = _memoryview_of_bytes(model)
    elif kind == "mmap":
        with open(path, "rb") as f:
            content = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        write = _file_writer(path)
    elif kind == "path_read":
        content, write = None, _file_writer(path)
    else:
        raise SystemExit(f"unknown kind {kind}")

    if content is None:
        interp = Interpreter(model_path=path, use_mmap=False)
    else:
        interp = Interpreter(model_content=content)

    if mutation == "begin":
        where = model.find(struct.pack("<Ii", 1, SLICE_BEGIN))
        write(where + 4, struct.pack("<i", HUGE_BEGIN))
    elif mutation == "weight":
        write(model.find(WEIGHT.tobytes()), (-WEIGHT).tobytes())
    elif mutation == "zero":
        write(0, bytes(len(model)))
    elif mutation == "truncate":
        os.truncate(path, 0)
    else:
        raise SystemExit(f"unknown mutation {mutation}")

    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], np.load(input_file))
    interp.invoke()
    np.save(output_file, interp.get_tensor(interp.get_output_details()[0]["index"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
