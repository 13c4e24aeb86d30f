"""MEAN over `axes` (non-negative, ascending); the output shape says whether dims are kept.

An output tensor without a shape yet gets the kept-dims shape (ONNX ReduceMean's default).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .common import Shape, check_arity, fail, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

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


# MEAN sums up to this many int8 values per output in int32, as its kernel checks.
MEAN_MAX_COUNT = (2 ** 31 - 1) // 256


def _mean_count(node: Node, graph: Graph) -> str:
    x, y = (graph.tensors[n].shape for n in (node.inputs[0], node.outputs[0]))
    count = int(np.prod(x)) // max(int(np.prod(y)), 1)
    return "" if 1 <= count <= MEAN_MAX_COUNT else f"int8 sums 1..{MEAN_MAX_COUNT} values"


FACTS = (OpFacts(OpType.MEAN, ReduceParams, infer_shape, int8=QuantRule(accepts=_mean_count),
                 tflite=("MEAN",),
                 onnx=("ReduceMean", "GlobalAveragePool", "LayerNormalization",
                       "InstanceNormalization", "GroupNormalization", "RMSNormalization"),
                 limits=f"int8: 1..{MEAN_MAX_COUNT} values per output"),)
