"""Float16, bfloat16, float64 and float8 values in an ONNX graph: kept in their declared type
at the file's edges, computed in float32 inside.

A graph input of such a type stays that type in the file (the caller feeds float16 or float64
arrays); the first node that reads it, other than a Cast, reads a CAST of it to float32. A
constant of such a type becomes float32 at conversion. A graph output the model declares with
such a type gets a CAST from float32 at the end. Cast and CastLike read their input as it is,
so a Cast between two of these types rounds once, as ONNX's does. Float16 and bfloat16 values
lose nothing in float32 (results can differ from a float16 computation's in the last bits:
Emberlite's are the more precise); float64 values are rounded to float32, which
PrecisionWarning says once per conversion.
"""
from __future__ import annotations

import warnings

import numpy as np
import onnx

from ..ir import DType, Graph
from ..ops import OpType
from .graph_builder import Builder

# Element types computed in float32 (ONNX numbering).
COMPUTED_AS_FLOAT = frozenset({
    onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16,
    onnx.TensorProto.FLOAT8E4M3FN, onnx.TensorProto.FLOAT8E4M3FNUZ,
    onnx.TensorProto.FLOAT8E5M2, onnx.TensorProto.FLOAT8E5M2FNUZ})
EDGE_DTYPES = frozenset({DType.FLOAT16, DType.FLOAT64, DType.BFLOAT16, DType.FLOAT8E4M3FN,
                         DType.FLOAT8E4M3FNUZ, DType.FLOAT8E5M2, DType.FLOAT8E5M2FNUZ})
# Ops that read these types as they are (Shape and Size read no values).
RAW_OPS = frozenset({"Cast", "CastLike", "Shape", "Size"})


class PrecisionWarning(UserWarning):
    """A float64 value of the source model is computed in float32."""


def scan_type(elem_type: int | None) -> int | None:
    """The element type an op's type gate should see for `elem_type`: FLOAT for the types
    computed in float32."""
    return onnx.TensorProto.FLOAT if elem_type in COMPUTED_AS_FLOAT else elem_type


def constant_value(value: np.ndarray) -> np.ndarray:
    """A constant as a run-time node reads it: float32 for the types computed in float32."""
    try:
        edge = DType.from_numpy(value.dtype) in EDGE_DTYPES
    except ValueError:
        return value
    return value.astype(np.float32) if edge else value


class FloatEdges:
    """The CASTs at the edges of one conversion."""

    def __init__(self, graph: Graph, builder: Builder):
        self.graph = graph
        self.b = builder
        self._float32: dict[str, str] = {}  # edge-typed tensor -> its float32 CAST
        self._warned = False

    def widen(self, tensor: str) -> str:
        """`tensor` as float32 if its type is computed in float32, else itself."""
        dtype = self.graph.tensors[tensor].dtype
        if dtype not in EDGE_DTYPES:
            return tensor
        if tensor not in self._float32:
            if dtype == DType.FLOAT64:
                self._warn(f"{tensor!r} is float64")
            self.b.begin(f"{tensor}/to_float32", 1)
            self._float32[tensor] = self.b.op(OpType.CAST, [tensor], dtype=DType.FLOAT32)
            self.b.finish()
        return self._float32[tensor]

    def narrow_outputs(self, outputs: list[onnx.ValueInfoProto], env: dict[str, str],
                       consts: dict[str, np.ndarray]) -> None:
        """Before the graph outputs are set: each output the model declares with a type
        computed in float32 gets a CAST to it, named as the output (`env`, ONNX value -> IR
        tensor, follows); a constant output that a node read as float32 leaves its name to
        the constant in its own type."""
        for out in outputs:
            elem = out.type.tensor_type.elem_type if out.type.HasField("tensor_type") else 0
            if elem not in COMPUTED_AS_FLOAT:
                continue
            if out.name in consts:
                if out.name in self.graph.tensors:
                    self._rename(out.name, env)
                continue
            tensor = env.get(out.name)
            if tensor is None or self.graph.tensors[tensor].dtype != DType.FLOAT32:
                continue
            dtype = DType.from_numpy(onnx.helper.tensor_dtype_to_np_dtype(elem))
            if dtype == DType.FLOAT64:
                self._warn(f"graph output {out.name!r} is float64")
            if tensor == out.name and out.name not in self.graph.inputs:
                tensor = self._rename(out.name, env)
            self.b.begin(f"{out.name}/to_{dtype.name.lower()}", 1)
            cast = self.b.op(OpType.CAST, [tensor], dtype=dtype)
            env[out.name] = out.name if self.b.rename_output(cast, out.name) else cast
            self.b.finish()

    def _rename(self, name: str, env: dict[str, str]) -> str:
        """Gives tensor `name` a fresh name everywhere it appears; returns the new name."""
        new = self.b.fresh(f"{name}/float32")
        tensor = self.graph.tensors.pop(name)
        tensor.name = new
        self.graph.tensors[new] = tensor
        for node in self.graph.nodes:
            node.inputs = [new if i == name else i for i in node.inputs]
            node.outputs = [new if o == name else o for o in node.outputs]
        self.graph.outputs = [new if o == name else o for o in self.graph.outputs]
        self._float32 = {new if k == name else k: v for k, v in self._float32.items()}
        for key, value in env.items():
            if value == name:
                env[key] = new
        return new

    def _warn(self, what: str) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(f"{what}: Emberlite computes float64 values in float32 (inputs and "
                          f"outputs keep float64 in the file; values round to float32 inside)",
                          PrecisionWarning, stacklevel=4)
