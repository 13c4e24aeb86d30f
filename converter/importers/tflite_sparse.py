"""Sparse TFLite constants (a Tensor's SparsityParameters) densified at read time.

The buffer holds the stored values in traversal order: `traversal_order` lists the dims
(the tensor's own, then one per block dim) from outermost to innermost, `block_map` says which
dim each block dim splits, and `dim_metadata` gives each traversal level as DENSE (all
`dense_size` entries) or SPARSE_CSR (per parent, the segment of `array_indices` it keeps).
Every level is expanded at once with numpy, so a large weight costs no Python loop per value;
anything inconsistent is a ValueError saying what, which the reader turns into a
ModelImportError naming the tensor.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import tflite
from tflite.DimensionType import DimensionType
from tflite.SparseIndexVector import SparseIndexVector


__all__ = ["densify"]

_INDEX_VECTORS = {SparseIndexVector.Int32Vector: tflite.Int32Vector,
                  SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
                  SparseIndexVector.Uint8Vector: tflite.Uint8Vector}


def _ints(get: Any, n: int, limit: int, what: str) -> list[int]:
    if not 0 <= n <= limit:
        raise ValueError(f"{what} claims {n} entries")
    return [int(v) for v in get()] if n else []


def _index_vector(kind: int, table: Any, limit: int, what: str) -> np.ndarray:
    cls = _INDEX_VECTORS.get(kind)
    if cls is None or table is None:
        raise ValueError(f"{what} is missing (vector type {kind})")
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    n = vec.ValuesLength()
    if not 0 <= n <= limit:
        raise ValueError(f"{what} claims {n} entries")
    return vec.ValuesAsNumpy().astype(np.int64) if n else np.zeros(0, np.int64)


def _expanded_dims(shape: tuple[int, ...], order: list[int], block_map: list[int],
                   block_sizes: list[int]) -> list[int]:
    """The size of each traversal level: a blocked dim counts blocks, a block dim its size."""
    rank = len(shape)
    if sorted(order[:rank]) != list(range(rank)) or order[rank:] != list(range(rank, len(order))):
        raise ValueError(f"traversal_order {order} must list the {rank} dims in some order, "
                         f"then the block dims {list(range(rank, len(order)))} in order")
    if len(set(block_map)) != len(block_map) or any(not 0 <= d < rank for d in block_map):
        raise ValueError(f"block_map {block_map} must name distinct dims in [0, {rank})")
    sizes = list(shape)
    for d, size in zip(block_map, block_sizes):
        if size < 1 or shape[d] % size:
            raise ValueError(f"block size {size} does not divide dim {d} of size {shape[d]}")
        sizes[d] = shape[d] // size
    return [sizes[d] for d in order[:rank]] + list(block_sizes)


def densify(values: np.ndarray, shape: tuple[int, ...], sparsity: Any,
            file_size: int) -> np.ndarray:
    """The dense array of `shape` that the stored `values` and `sparsity` (a
    tflite.SparsityParameters) describe; ValueError says what is inconsistent."""
    rank = len(shape)
    order = _ints(sparsity.TraversalOrderAsNumpy, sparsity.TraversalOrderLength(), file_size,
                  "traversal_order")
    block_map = _ints(sparsity.BlockMapAsNumpy, sparsity.BlockMapLength(), file_size,
                      "block_map")
    levels = len(order)
    if levels != rank + len(block_map):
        raise ValueError(f"traversal_order has {levels} dims, expected {rank} + "
                         f"{len(block_map)} (the rank and the block dims)")
    if sparsity.DimMetadataLength() != levels:
        raise ValueError(f"dim_metadata has {sparsity.DimMetadataLength()} entries, expected "
                         f"{levels}")
    meta = [sparsity.DimMetadata(i) for i in range(levels)]
    for i in range(rank, levels):
        if meta[i].Format() != DimensionType.DENSE:
            raise ValueError(f"dim_metadata {i} is a block dim: it must be DENSE")
    sizes = _expanded_dims(shape, order, block_map, [meta[i].DenseSize() for i in
                                                     range(rank, levels)])
    # One row per path from the root: its position in the level (the next level's parent
    # index) and its coordinate at each level so far.
    position = np.zeros(1, np.int64)
    coords: list[np.ndarray] = []
    for level, (m, size) in enumerate(zip(meta, sizes)):
        if m.Format() == DimensionType.DENSE:
            if m.DenseSize() != size:
                raise ValueError(f"dim_metadata {level} has dense_size {m.DenseSize()}, "
                                 f"expected {size}")
            # Each path ends at a stored value or at an entry of a later level's
            # array_segments: more than both hold is a corrupt (or hostile) file.
            if len(position) * size > len(values) + file_size:
                raise ValueError(f"level {level} expands to {len(position) * size} entries, "
                                 f"more than the {len(values)} stored values and the file "
                                 f"could index")
            coords = [np.repeat(c, size) for c in coords]
            coords.append(np.tile(np.arange(size, dtype=np.int64), len(position)))
            position = (np.repeat(position, size) * size + coords[-1])
        elif m.Format() == DimensionType.SPARSE_CSR:
            segments = _index_vector(m.ArraySegmentsType(), m.ArraySegments(), file_size,
                                     f"dim_metadata {level}'s array_segments")
            indices = _index_vector(m.ArrayIndicesType(), m.ArrayIndices(), file_size,
                                    f"dim_metadata {level}'s array_indices")
            if len(segments) != len(position) + 1:
                raise ValueError(f"dim_metadata {level}'s array_segments has {len(segments)} "
                                 f"entries, expected {len(position) + 1} (one more than the "
                                 f"level above keeps)")
            counts = np.diff(segments)
            if segments[0] != 0 or np.any(counts < 0) or segments[-1] != len(indices):
                raise ValueError(f"dim_metadata {level}'s array_segments must rise from 0 to "
                                 f"{len(indices)} (the array_indices)")
            if np.any((indices < 0) | (indices >= size)):
                raise ValueError(f"dim_metadata {level}'s array_indices must be in [0, {size})")
            parent = np.repeat(np.arange(len(position)), counts)
            coords = [c[parent] for c in coords]
            coords.append(indices)
            position = np.arange(len(indices), dtype=np.int64)
        else:
            raise ValueError(f"dim_metadata {level} has format {m.Format()}")
    if len(position) != len(values):
        raise ValueError(f"the sparsity describes {len(position)} stored values, the buffer "
                         f"holds {len(values)}")
    return _scatter(values, shape, order, block_map, sizes, coords)


def _scatter(values: np.ndarray, shape: tuple[int, ...], order: list[int],
             block_map: list[int], sizes: list[int], coords: list[np.ndarray]) -> np.ndarray:
    rank = len(shape)
    index = [np.zeros(len(values), np.int64) for _ in range(rank)]
    for level in range(rank):
        index[order[level]] = coords[level]
    for j, d in enumerate(block_map):
        index[d] = index[d] * sizes[rank + j] + coords[rank + j]
    flat = np.ravel_multi_index(index, shape) if rank else np.zeros(len(values), np.int64)
    if len(np.unique(flat)) != len(flat):
        raise ValueError("two stored values fall on the same element")
    dense = np.zeros(math.prod(shape), values.dtype)
    dense[flat] = values
    return dense.reshape(shape)
