"""The converter's intermediate representation: plain dataclasses holding numpy arrays.

A Graph is always executable with Emberlite semantics (activations NHWC for spatial ops,
filters OHWI). Importers reach that form by wrapping layout-sensitive ops in explicit
TRANSPOSE nodes; passes then move and cancel those transposes.
"""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

import ml_dtypes
import numpy as np

from .ops import OpType

# The most inputs, and outputs, one node may have: the runtime's EMBER_MAX_IO
# (csrc/ember_internal.h).
MAX_NODE_IO = 64

# The permutations between ONNX's NCHW and Emberlite's NHWC layout of 4-D activations.
TO_NHWC = (0, 2, 3, 1)
TO_NCHW = (0, 3, 1, 2)


class DType(enum.IntEnum):
    """Values equal the schema's DataType enum."""
    FLOAT32 = 0
    FLOAT16 = 1
    INT8 = 2
    UINT8 = 3
    INT16 = 4
    INT32 = 5
    INT64 = 6
    BOOL = 7
    UINT16 = 8
    UINT32 = 9
    UINT64 = 10
    FLOAT64 = 11
    BFLOAT16 = 12
    FLOAT8E4M3FN = 13
    FLOAT8E4M3FNUZ = 14
    FLOAT8E5M2 = 15
    FLOAT8E5M2FNUZ = 16
    # One element per byte, as ml_dtypes' arrays (ONNX packs them; numpy_helper unpacks)
    INT4 = 17
    UINT4 = 18
    INT2 = 19
    UINT2 = 20
    FLOAT4E2M1 = 21
    FLOAT8E8M0 = 22

    @property
    def numpy(self) -> np.dtype:
        return np.dtype(_NUMPY[self])

    @staticmethod
    def from_numpy(dtype: np.dtype) -> "DType":
        for dt, name in _NUMPY.items():
            if np.dtype(name) == np.dtype(dtype):
                return dt
        raise ValueError(f"no Emberlite type for numpy dtype {dtype}")


_NUMPY = {DType.FLOAT32: "float32", DType.FLOAT16: "float16", DType.INT8: "int8",
          DType.UINT8: "uint8", DType.INT16: "int16", DType.INT32: "int32",
          DType.INT64: "int64", DType.BOOL: "bool", DType.UINT16: "uint16",
          DType.UINT32: "uint32", DType.UINT64: "uint64", DType.FLOAT64: "float64",
          DType.BFLOAT16: ml_dtypes.bfloat16, DType.FLOAT8E4M3FN: ml_dtypes.float8_e4m3fn,
          DType.FLOAT8E4M3FNUZ: ml_dtypes.float8_e4m3fnuz,
          DType.FLOAT8E5M2: ml_dtypes.float8_e5m2,
          DType.FLOAT8E5M2FNUZ: ml_dtypes.float8_e5m2fnuz, DType.INT4: ml_dtypes.int4,
          DType.UINT4: ml_dtypes.uint4, DType.INT2: ml_dtypes.int2, DType.UINT2: ml_dtypes.uint2,
          DType.FLOAT4E2M1: ml_dtypes.float4_e2m1fn, DType.FLOAT8E8M0: ml_dtypes.float8_e8m0fnu}


@dataclass(frozen=True)
class QuantParams:
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0


@dataclass
class Tensor:
    name: str
    dtype: DType
    shape: tuple[int, ...] | None          # None until shape inference knows it
    data: np.ndarray | None = None         # constant value (read-only), else None
    quant: QuantParams | None = None
    # Per dim, -1 or the index of the Graph symbol it follows (converter/dynamic_shapes.py);
    # None: every dim fixed.
    dim_symbols: tuple[int, ...] | None = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None


def constant_array(value: Any, dtype: np.dtype | None = None) -> np.ndarray:
    """A read-only, C-contiguous copy, safe to share between graphs."""
    arr = np.array(value, dtype=dtype, copy=True, order="C")
    arr.flags.writeable = False
    return arr


@dataclass
class Node:
    op: OpType
    name: str
    inputs: list[str]                       # tensor names; "" = omitted optional input
    outputs: list[str]
    params: Any = None                      # the op's params dataclass (converter/ops/<op>.py)
    # Runs only when each (one-element bool tensor, value) holds, outermost first; set last,
    # after the passes (converter/branches.py).
    run_if: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class Signature:
    """A named entry point (TFLite's SignatureDef): a name for each of some graph inputs and
    outputs, which are given by position in Graph.inputs / Graph.outputs, since passes may
    rename the tensors behind them."""
    key: str
    inputs: tuple[tuple[str, int], ...]     # (name, index into Graph.inputs)
    outputs: tuple[tuple[str, int], ...]    # (name, index into Graph.outputs)


@dataclass(frozen=True)
class Symbol:
    """A dynamic dimension: graph input dims that follow it take any size in [min, max]."""
    name: str
    min: int
    max: int


@dataclass
class Graph:
    tensors: dict[str, Tensor]
    nodes: list[Node]                       # in execution order
    inputs: list[str]
    outputs: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    signatures: list[Signature] = field(default_factory=list)  # none: one default signature
    symbols: list[Symbol] = field(default_factory=list)         # the dynamic dimensions

    def copy(self) -> "Graph":
        """A new graph sharing the (immutable) constant arrays."""
        return Graph(tensors={k: dataclasses.replace(t) for k, t in self.tensors.items()},
                     nodes=[dataclasses.replace(n, inputs=list(n.inputs), outputs=list(n.outputs))
                            for n in self.nodes],
                     inputs=list(self.inputs), outputs=list(self.outputs),
                     metadata=dict(self.metadata), signatures=list(self.signatures),
                     symbols=list(self.symbols))

    def producers(self) -> dict[str, Node]:
        return {out: node for node in self.nodes for out in node.outputs}

    def consumers(self) -> dict[str, list[Node]]:
        users: dict[str, list[Node]] = {}
        for node in self.nodes:
            for name in node.inputs:
                if name:
                    users.setdefault(name, []).append(node)
        return users

    def tensor_order(self) -> list[str]:
        """Every tensor name the graph uses, in order of first appearance (deterministic)."""
        names = list(self.inputs)
        for node in self.nodes:
            names += node.inputs + node.outputs
        names += self.outputs
        return list(dict.fromkeys(n for n in names if n))

    def drop_unused_tensors(self) -> None:
        """Drops the tensors that are neither a graph input or output nor a node's input or
        output (constants that an importer re-laid out or a pass replaced); the others keep
        their order."""
        used = set(self.tensor_order())
        self.tensors = {k: t for k, t in self.tensors.items() if k in used}

    def unique_name(self, base: str) -> str:
        """A tensor/node name not yet used, derived from `base` (deterministic)."""
        taken = set(self.tensors) | {n.name for n in self.nodes}
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"
