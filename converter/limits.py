"""Size budgets of a conversion: a few hundred bytes of model must not make the converter
allocate gigabytes, nor write a file whose arena can never be allocated.

- `max_constant_bytes`: the bytes of all the constants that constant folding computes (ONNX
  and TFLite importers, the fold_constants pass), counted as each is made and checked
  before its array is allocated, from its shape. Weights stored in the source file do not
  count; a 139-byte ConstantOfShape [16384, 16384] does.
- `max_arena_bytes`: the planned arena (activation memory) of the written file, and before
  that every single activation tensor (checked before calibration runs the model).
- `max_nodes`: the IR nodes the importers make. Unrolling is linear work per step, but a
  2 KB file can hold many LSTMs of 4096 steps each: this bounds the converter's time and
  memory (a node costs ~20 us and ~1 KB to import and plan).

Each is raised with `Converter.from_onnx(..., max_constant_bytes=..., max_arena_bytes=...,
max_nodes=...)` (and `from_tflite`), or `ember convert --max-constant-mb N --max-arena-mb N
--max-nodes N`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .errors import SizeLimitError

MIB = 1 << 20
DEFAULT_MAX_CONSTANT_BYTES = 512 * MIB
DEFAULT_MAX_ARENA_BYTES = 4096 * MIB
# A bidirectional layer-norm LSTM with projection over the longest sequence unrolled (4096
# steps) makes about 540,000 nodes.
DEFAULT_MAX_NODES = 1 << 20
_NUMPY_MAX_BYTES = int(np.iinfo(np.intp).max)

_CONSTANT_HOW = ("raise it with Converter.from_onnx/from_tflite(..., max_constant_bytes=N) "
                 "or ember convert --max-constant-mb N")
_ARENA_HOW = ("raise it with Converter.from_onnx/from_tflite(..., max_arena_bytes=N) "
              "or ember convert --max-arena-mb N")
_NODES_HOW = ("raise it with Converter.from_onnx/from_tflite(..., max_nodes=N) "
              "or ember convert --max-nodes N")


def format_bytes(n: int) -> str:
    """`n` bytes in the largest binary unit that keeps it >= 1, e.g. '1.0 GiB (1073741824 B)'."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit} ({n} B)"
    return f"{n} B"


def nbytes(shape: Iterable[int], dtype: np.dtype | type) -> int:
    """The size of an array of `shape` and `dtype`, in exact (unbounded) integers."""
    return math.prod(int(d) for d in shape) * np.dtype(dtype).itemsize


@dataclass(frozen=True)
class Limits:
    max_constant_bytes: int = DEFAULT_MAX_CONSTANT_BYTES
    max_arena_bytes: int = DEFAULT_MAX_ARENA_BYTES
    max_nodes: int = DEFAULT_MAX_NODES

    def __post_init__(self) -> None:
        for name, unit in (("max_constant_bytes", "bytes"), ("max_arena_bytes", "bytes"),
                           ("max_nodes", "nodes")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int ({unit}), got {value!r}")

    def check_tensor(self, what: str, shape: Iterable[int], dtype: np.dtype | type) -> None:
        """One activation tensor larger than the arena budget (it needs at least its size).
        `what`: e.g. "output 'y' of node 'pad' (pad)"."""
        shape = tuple(int(d) for d in shape)
        size = nbytes(shape, dtype)
        if size > self.max_arena_bytes:
            raise SizeLimitError(
                f"{what} {list(shape)} {np.dtype(dtype).name} needs {format_bytes(size)} of "
                f"arena, more than the arena budget of {format_bytes(self.max_arena_bytes)}; "
                f"{_ARENA_HOW}")

    def check_arena(self, arena_size: int, largest: str) -> None:
        """The planned arena; `largest` describes its largest tensor and its producer."""
        if arena_size > self.max_arena_bytes:
            raise SizeLimitError(
                f"the planned arena is {format_bytes(arena_size)}, more than the arena budget "
                f"of {format_bytes(self.max_arena_bytes)} (largest tensor: {largest}); "
                f"{_ARENA_HOW}")


class Budget:
    """What one conversion may still make: the bytes of folded constants (`charge` before
    allocating one) and the IR nodes (`add_node` before appending one). Each raises a
    SizeLimitError naming the node instead of going past its limit."""

    def __init__(self, limits: Limits | None = None):
        limits = limits or Limits()
        self.limit = limits.max_constant_bytes
        self.used = 0
        self.node_limit = limits.max_nodes
        self.nodes = 0

    def add_node(self, where: str) -> None:
        """`where`: the source node being imported, e.g. "node 'lstm' (LSTM)"."""
        if self.nodes >= self.node_limit:
            raise SizeLimitError(f"{where}: importing it would make more than "
                                 f"{self.node_limit} IR nodes, the node budget; {_NODES_HOW}")
        self.nodes += 1

    def charge(self, where: str, shape: Iterable[int], dtype: np.dtype | type) -> None:
        """`where`: the node, e.g. "node 'c' (ConstantOfShape)"."""
        shape = tuple(int(d) for d in shape)
        if min(shape, default=1) < 0:
            raise SizeLimitError(f"{where}: folding it would make a constant of negative "
                                 f"shape {list(shape)}")
        if nbytes([d or 1 for d in shape], dtype) > _NUMPY_MAX_BYTES:
            # numpy sizes an empty array by its non-zero dims too, and refuses it
            raise SizeLimitError(f"{where}: folding it would make a constant of shape "
                                 f"{list(shape)}, whose dims multiply past what an array "
                                 f"can address")
        size = nbytes(shape, dtype)
        if self.used + size > self.limit:
            before = f" (after {format_bytes(self.used)} folded before it)" if self.used else ""
            raise SizeLimitError(
                f"{where}: folding it would make a constant {list(shape)} "
                f"{np.dtype(dtype).name} of {format_bytes(size)}{before}, more than the "
                f"folded-constant budget of {format_bytes(self.limit)}; {_CONSTANT_HOW}")
        self.used += size
