"""GRID_SAMPLE (format 9): samples a float32 image (N, C, H, W) or volume (N, C, D, H, W) at
the normalized points of a float32 grid (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3),
x (along W) first; the output is (N, C, the grid's middle dims). Modes LINEAR, NEAREST (half
to even) and CUBIC (Keys, a = -0.75); padding ZEROS, BORDER or REFLECTION; align_corners, as
ONNX GridSample defines them, but CUBIC with BORDER clamps only its taps, as ONNX Runtime and
PyTorch do (ONNX's reference clamps the coordinate as well)."""
from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .common import Shape, check_arity, fail, input_shape, params_of
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


class GridSampleMode(enum.IntEnum):
    LINEAR = 0
    NEAREST = 1
    CUBIC = 2


class GridSamplePadding(enum.IntEnum):
    ZEROS = 0
    BORDER = 1
    REFLECTION = 2


@dataclass(frozen=True)
class GridSampleParams:
    mode: GridSampleMode = GridSampleMode.LINEAR
    padding: GridSamplePadding = GridSamplePadding.ZEROS
    align_corners: bool = False


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    params_of(node, GridSampleParams)
    x, grid = input_shape(node, graph, 0), input_shape(node, graph, 1)
    if len(x) not in (4, 5):
        raise fail(node, f"X must be (N, C, H, W) or (N, C, D, H, W), got {list(x)}")
    if len(grid) != len(x) or grid[0] != x[0] or grid[-1] != len(x) - 2:
        raise fail(node, f"grid must be (N, ..., {len(x) - 2}) with X's rank and batch "
                         f"{x[0]}, got {list(grid)}")
    for i in node.inputs:
        if graph.tensors[i].dtype.name != "FLOAT32":
            raise fail(node, f"input {i!r} must be float32, got "
                             f"{graph.tensors[i].dtype.name.lower()}")
    return [(x[0], x[1], *grid[1:-1])]


FACTS = (OpFacts(OpType.GRID_SAMPLE, GridSampleParams, infer_shape, onnx=("GridSample", "DeformConv"),
                 limits="4-D and 5-D inputs; every mode, padding and align_corners"),)


def _reflect(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """x mirrored into [lo, hi] as often as needed (in float64, as the kernel does)."""
    span = hi - lo
    if span <= 0:
        return np.full_like(x, lo)
    x64 = x.astype(np.float64)
    below = x64 < lo
    dx = np.where(below, lo - x64, x64 - hi)
    flips = np.floor(dx / span)
    rest = dx - flips * span
    even = np.fmod(flips, 2.0) == 0.0
    moved = np.where(below, np.where(even, lo + rest, hi - rest),
                     np.where(even, hi - rest, lo + rest))
    return np.where((x64 >= lo) & (x64 <= hi), x64, moved).astype(np.float32)


def _cubic_weights(t: np.ndarray) -> list[np.ndarray]:
    a = np.float32(-0.75)
    t1, u, u1 = t + 1, 1 - t, 2 - t
    return [((a * t1 - 5 * a) * t1 + 8 * a) * t1 - 4 * a, ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * u - (a + 3)) * u * u + 1, ((a * u1 - 5 * a) * u1 + 8 * a) * u1 - 4 * a]


def _taps(p: GridSampleParams, g: np.ndarray, size: int
          ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(index, weight) per tap of normalized coordinates g along a dim of `size`; index -1
    reads 0."""
    n = np.float32(size)
    x = ((g + 1) / 2 * (n - 1) if p.align_corners else ((g + 1) * n - 1) / 2).astype(np.float32)
    if p.mode == GridSampleMode.NEAREST:
        x = np.rint(x)
    lo, hi = (0.0, size - 1.0) if p.align_corners else (-0.5, size - 0.5)
    if p.padding == GridSamplePadding.BORDER and p.mode != GridSampleMode.CUBIC:
        x = np.where((x < lo) | (x > hi), np.clip(x, 0, size - 1), x).astype(np.float32)
    elif p.padding == GridSamplePadding.REFLECTION:
        x = _reflect(x, lo, hi)
    x = np.clip(np.nan_to_num(x, nan=-size - 8.0), -size - 8.0, 2.0 * size + 8.0)

    def index(i: np.ndarray) -> np.ndarray:
        if p.padding == GridSamplePadding.BORDER:
            return np.clip(i, 0, size - 1)
        if p.padding == GridSamplePadding.REFLECTION:
            return np.clip(np.trunc(_reflect(i.astype(np.float32), lo, hi)), 0, size - 1
                           ).astype(np.int64)
        return np.where((i >= 0) & (i < size), i, -1)

    if p.mode == GridSampleMode.NEAREST:
        return [(index(np.trunc(x).astype(np.int64)), np.ones_like(x))]
    x0 = np.floor(x)
    f, i0 = (x - x0).astype(np.float32), x0.astype(np.int64)
    if p.mode == GridSampleMode.LINEAR:
        return [(index(i0), 1 - f), (index(i0 + 1), f)]
    return [(index(i0 - 1 + k), w) for k, w in enumerate(_cubic_weights(f))]


def reference(x: np.ndarray, grid: np.ndarray, p: GridSampleParams) -> np.ndarray:
    """numpy GRID_SAMPLE: the weighted sum over every combination of the dims' taps."""
    batch, channels, *spatial = x.shape
    dims = len(spatial)
    g = grid.reshape(batch, -1, dims)
    # g's last axis holds the innermost dim's coordinate first
    per_dim = [_taps(p, g[..., dims - 1 - k], spatial[k]) for k in range(dims)]
    out = np.zeros((batch, channels, g.shape[1]), np.float32)
    for combo in itertools.product(*per_dim):
        weight = np.prod([w for _, w in combo], axis=0).astype(np.float32)
        valid = np.all([i >= 0 for i, _ in combo], axis=0)
        where = tuple(np.where(valid, i, 0) for i, _ in combo)
        for n in range(batch):
            values = x[n][(slice(None), *(w[n] for w in where))]
            out[n] += np.where(valid[n], weight[n], 0)[None, :] * values
    return out.reshape(batch, channels, *grid.shape[1:-1])
