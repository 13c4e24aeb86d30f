"""Helpers shared by the ops' `infer_shape` functions: input lookup, errors, window sizes."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

from ..errors import ShapeError

if TYPE_CHECKING:
    from ..ir import Graph, Node

Shape = tuple[int, ...]
P = TypeVar("P")


def fail(node: "Node", message: str) -> ShapeError:
    """A ShapeError that names the node and its op, for the caller to raise."""
    return ShapeError(f"node {node.name!r} ({node.op.name.lower()}): {message}")


def check_finite(node: "Node", field: str, value: float, allow_inf: bool = False) -> None:
    """A float parameter the runtime refuses when NaN (and, unless allow_inf, infinite)."""
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise fail(node, f"{field} must be {'a number' if allow_inf else 'finite'}, got {value}")


def check_arity(node: "Node", min_inputs: int, max_inputs: int, outputs: int = 1) -> None:
    # Optional inputs are "" and may only be the ones beyond the required count.
    given = node.inputs
    if not min_inputs <= len(given) <= max_inputs or any(not n for n in given[:min_inputs]):
        raise fail(node, f"expected {min_inputs}..{max_inputs} inputs, got {node.inputs}")
    if outputs >= 0 and len(node.outputs) != outputs:
        raise fail(node, f"expected {outputs} output(s), got {len(node.outputs)}")


def input_shape(node: "Node", graph: "Graph", i: int) -> Shape:
    name = node.inputs[i]
    tensor = graph.tensors.get(name)
    if tensor is None:
        raise fail(node, f"input {i} names unknown tensor {name!r}")
    if tensor.shape is None:
        raise fail(node, f"input {i} ({name!r}) has no shape yet")
    return tuple(tensor.shape)


def has_input(node: "Node", i: int) -> bool:
    return len(node.inputs) > i and bool(node.inputs[i])


def output_shape(node: "Node", graph: "Graph", i: int = 0) -> Shape | None:
    """The declared shape of output i (ops whose size is carried by their output tensor)."""
    tensor = graph.tensors.get(node.outputs[i])
    return None if tensor is None or tensor.shape is None else tuple(tensor.shape)


def params_of(node: "Node", cls: type[P]) -> P:
    if node.params is None:
        return cls()
    if not isinstance(node.params, cls):
        raise fail(node, f"params must be {cls.__name__}, got {type(node.params).__name__}")
    return node.params


def window_out(node: "Node", what: str, size: int, kernel: int, stride: int, dilation: int,
               pad_before: int, pad_after: int) -> int:
    """Output length of a strided, dilated window over a padded axis (floor division)."""
    if kernel < 1 or stride < 1 or dilation < 1:
        raise fail(node, f"{what}: kernel {kernel}, stride {stride} and dilation {dilation} "
                         f"must be >= 1")
    if pad_before < 0 or pad_after < 0:
        raise fail(node, f"{what}: pads must be >= 0, got {pad_before}, {pad_after}")
    span = dilation * (kernel - 1) + 1
    padded = size + pad_before + pad_after
    if padded < span:
        raise fail(node, f"{what}: padded size {padded} is smaller than the window {span}")
    return (padded - span) // stride + 1


def grouped_filter_shapes(node: "Node", graph: "Graph", groups: int) -> tuple[Shape, Shape]:
    """Input and filter shapes of a grouped convolution (CONV2D, TRANSPOSE_CONV2D), after
    checking ranks, that the OHWI filter fits the input channels, and the bias length."""
    x = input_shape(node, graph, 0)
    w = input_shape(node, graph, 1)
    if len(x) != 4 or len(w) != 4:
        raise fail(node, f"input and filter must be 4D, got {x} and {w}")
    cout, _, _, cin_group = w
    if groups < 1 or cout % groups or cin_group * groups != x[3]:
        raise fail(node, f"filter {w} with groups={groups} does not fit input channels {x[3]}")
    if has_input(node, 2) and input_shape(node, graph, 2) != (cout,):
        raise fail(node, f"bias must be [{cout}], got {input_shape(node, graph, 2)}")
    return x, w


def broadcast(node: "Node", a: Shape, b: Shape) -> Shape:
    """numpy broadcasting of two shapes."""
    rank = max(len(a), len(b))
    a1 = (1,) * (rank - len(a)) + tuple(a)
    b1 = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a1, b1):
        if x != y and 1 not in (x, y):
            raise fail(node, f"shapes {a} and {b} do not broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)


def check_axis(node: "Node", axis: int, rank: int) -> None:
    if not 0 <= axis < rank:
        raise fail(node, f"axis {axis} out of range for rank {rank}")
