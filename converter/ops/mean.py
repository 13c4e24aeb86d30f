"""MEAN over `axes` (non-negative, ascending); the output shape says whether dims are kept.

An output tensor without a shape yet gets the kept-dims shape (ONNX ReduceMean's default).
Format 9: the axes may instead be input 1, a run-time INT32 or INT64 vector of 1..rank axes
(negative ones count from the end) with `axes` empty, float32 data only (or bool for REDUCE_MAX
and REDUCE_MIN); the output shape must then be declared (the kernel checks at every invoke
that the axes give it).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .common import Shape, check_arity, fail, has_input, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class ReduceParams:
    axes: tuple[int, ...] = ()


def reduced_shapes(x: Shape, axes: tuple[int, ...]) -> tuple[Shape, Shape]:
    """`x` reduced over `axes` (non-negative): the kept-dims shape and the dropped-dims one."""
    kept = tuple(1 if i in axes else d for i, d in enumerate(x))
    return kept, tuple(d for i, d in enumerate(x) if i not in axes)


def _runtime_axes_shape(node: Node, graph: Graph, x: Shape) -> Shape:
    """The declared output of a reduction over run-time axes: some choice of as many axes as
    input 1 holds must give it."""
    if params_of(node, ReduceParams).axes:
        raise fail(node, "run-time axes (input 1) leave the axes parameter empty")
    types = ("FLOAT32", "BOOL") if node.op.name in ("REDUCE_MAX", "REDUCE_MIN") else ("FLOAT32",)
    if graph.tensors[node.inputs[0]].dtype.name not in types:
        raise fail(node, "run-time axes (input 1) need float32 data (or bool: REDUCE_MAX, "
                         "REDUCE_MIN)")
    shape, dtype = input_shape(node, graph, 1), graph.tensors[node.inputs[1]].dtype.name
    if dtype not in ("INT32", "INT64") or len(shape) != 1 or \
            not 1 <= shape[0] <= len(x):
        raise fail(node, f"input 1 (axes) must be int32 or int64 of shape [1..{len(x)}], got "
                         f"{dtype.lower()} {list(shape)}")
    declared = output_shape(node, graph)
    if declared is None:
        raise fail(node, "run-time axes (input 1) need the output shape declared")
    if not any(declared in reduced_shapes(x, chosen)
               for chosen in itertools.combinations(range(len(x)), shape[0])):
        raise fail(node, f"declared output {declared} is not {x} reduced over {shape[0]} "
                         f"axes")
    return declared


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 2)
    x = input_shape(node, graph, 0)
    if has_input(node, 1):
        return [_runtime_axes_shape(node, graph, x)]
    p = params_of(node, ReduceParams)
    axes = tuple(p.axes)
    if not axes or list(axes) != sorted(set(axes)) or axes[0] < 0 or axes[-1] >= len(x):
        raise fail(node, f"axes {axes} must be ascending, unique and in [0, {len(x)})")
    kept, dropped = reduced_shapes(x, axes)
    declared = output_shape(node, graph)
    if declared is None:
        return [kept]
    if declared not in (kept, dropped):
        raise fail(node, f"declared output {declared} is neither {kept} nor {dropped}")
    return [declared]


# MEAN sums up to this many int8 values per output in int32, as its kernel checks.
MEAN_MAX_COUNT = (2 ** 31 - 1) // 256


def float_axes_only(node: Node, graph: Graph) -> str:
    """Why a reduction stays float32: its axes are read at run time (the int8 kernels fix
    their walk and requantization at prepare)."""
    return "run-time axes are float32 only" if has_input(node, 1) else ""


def _mean_count(node: Node, graph: Graph) -> str:
    if has_input(node, 1):
        return float_axes_only(node, graph)
    x, y = (graph.tensors[n].shape for n in (node.inputs[0], node.outputs[0]))
    count = int(np.prod(x)) // max(int(np.prod(y)), 1)
    return "" if 1 <= count <= MEAN_MAX_COUNT else f"int8 sums 1..{MEAN_MAX_COUNT} values"


FACTS = (OpFacts(OpType.MEAN, ReduceParams, infer_shape, int8=QuantRule(accepts=_mean_count),
                 tflite=("MEAN",),
                 onnx=("ReduceMean", "GlobalAveragePool", "LayerNormalization",
                       "InstanceNormalization", "GroupNormalization", "RMSNormalization"),
                 limits=f"int8: 1..{MEAN_MAX_COUNT} values per output; run-time axes "
                        f"(input 1): float32 only"),)
