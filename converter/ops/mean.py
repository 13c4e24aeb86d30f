"""MEAN over `axes` (non-negative, ascending); the output shape says whether dims are kept.

An output tensor without a shape yet gets the kept-dims shape (ONNX ReduceMean's default).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, output_shape, params_of

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class ReduceParams:
    axes: tuple[int, ...] = ()


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, ReduceParams)
    x = input_shape(node, graph, 0)
    axes = tuple(p.axes)
    if not axes or list(axes) != sorted(set(axes)) or axes[0] < 0 or axes[-1] >= len(x):
        raise fail(node, f"axes {axes} must be ascending, unique and in [0, {len(x)})")
    kept = tuple(1 if i in axes else d for i, d in enumerate(x))
    dropped = tuple(d for i, d in enumerate(x) if i not in axes)
    declared = output_shape(node, graph)
    if declared is None:
        return [kept]
    if declared not in (kept, dropped):
        raise fail(node, f"declared output {declared} is neither {kept} nor {dropped}")
    return [declared]
