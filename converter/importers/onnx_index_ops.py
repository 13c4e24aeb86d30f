"""ONNX GatherElements, GatherND, ScatterND, ScatterElements and Scatter with run-time (or
constant) indices: one IR op each (GATHER_ELEMENTS, GATHER_ND, SCATTER_ND, SCATTER_ELEMENTS).
A GatherElements of constants only is folded before it gets here (onnx_fold.py). Constant
indices are range-checked now, naming the bad one; run-time ones by the kernels at invoke.
The conventions of the signatures are those of onnx_ops.py.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from ..ops import OpType
from ..ops.gather import GatherParams
from ..ops.gather_nd import GatherNDParams
from ..ops.scatter_nd import ScatterParams, ScatterReduction
from .graph_builder import Builder, Invalid, axis_index, check_indices
from .onnx_signature import Compared, Indices

Reduction = Literal["none", "add", "mul", "max", "min"]


def check_tuples(b: Builder, data: str, indices: str, first: int) -> None:
    """Constant GatherND / ScatterND index tuples [..., k] must lie in data dims
    [first, first + k): the runtime would refuse every invoke."""
    values = b.value(indices)
    if values is None or values.size == 0 or not b.shape(indices):
        return
    k = b.shape(indices)[-1]
    sizes = np.array(b.shape(data)[first:first + k], np.int64)
    if sizes.size != k:
        return  # the op's shape check names the mismatch
    flat = values.reshape(-1, k).astype(np.int64)
    bad = np.argwhere((flat < -sizes) | (flat >= sizes))
    if bad.size:
        row, col = (int(v) for v in bad[0])
        size = int(sizes[col])
        raise Invalid(f"index {int(flat[row, col])} (tuple {row}, position {col} of indices "
                      f"{indices!r}) is out of range [-{size}, {size}) for dim {first + col} "
                      f"of data {b.shape(data)}")


def _same_type(b: Builder, data: str, updates: str) -> None:
    if b.dtype(updates) != b.dtype(data):
        raise Invalid(f"updates {updates!r} must have the data's type "
                      f"{b.dtype(data).name}, got {b.dtype(updates).name}")


def gather_elements(b: Builder, data: Compared, indices: Indices, *, axis: int = 0) -> str:
    axis = axis_index(axis, b.rank(data))
    if b.rank(indices) == b.rank(data):
        check_indices(b, data, indices, axis)
    return b.op(OpType.GATHER_ELEMENTS, [data, indices], GatherParams(axis))


def gather_nd(b: Builder, data: Compared, indices: Indices, *, batch_dims: int = 0) -> str:
    check_tuples(b, data, indices, batch_dims)
    return b.op(OpType.GATHER_ND, [data, indices], GatherNDParams(batch_dims))


def scatter_nd(b: Builder, data: Compared, indices: Indices, updates: Compared, *,
               reduction: Reduction = "none") -> str:
    _same_type(b, data, updates)
    check_tuples(b, data, indices, 0)
    return b.op(OpType.SCATTER_ND, [data, indices, updates],
                ScatterParams(0, ScatterReduction[reduction.upper()]))


def scatter_elements(b: Builder, data: Compared, indices: Indices, updates: Compared, *,
                     axis: int = 0, reduction: Reduction = "none") -> str:
    axis = axis_index(axis, b.rank(data))
    _same_type(b, data, updates)
    if b.rank(indices) == b.rank(data):
        check_indices(b, data, indices, axis)
    return b.op(OpType.SCATTER_ELEMENTS, [data, indices, updates],
                ScatterParams(axis, ScatterReduction[reduction.upper()]))


def scatter(b: Builder, data: Compared, indices: Indices, updates: Compared, *,
            axis: int = 0) -> str:
    """Scatter (opsets 9-10): ScatterElements without a reduction."""
    return scatter_elements(b, data, indices, updates, axis=axis)


INDEX_OPS = {
    "GatherElements": gather_elements,
    "GatherND": gather_nd,
    "ScatterND": scatter_nd,
    "ScatterElements": scatter_elements,
    "Scatter": scatter,
}
