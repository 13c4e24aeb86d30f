"""infer_shapes: fills in missing tensor shapes and checks the declared ones."""
from __future__ import annotations

from ..errors import ShapeError
from ..ir import Graph
from ..ops import infer_shape


def infer_shapes(graph: Graph) -> Graph:
    g = graph.copy()
    for node in g.nodes:
        for name in node.inputs:
            if name and name not in g.tensors:
                raise ShapeError(f"node {node.name!r} reads unknown tensor {name!r}")
        for name, shape in zip(node.outputs, infer_shape(node, g)):
            tensor = g.tensors[name]
            if tensor.shape is None:
                tensor.shape = tuple(shape)
            elif tuple(tensor.shape) != tuple(shape):
                raise ShapeError(f"node {node.name!r} ({node.op.name.lower()}): output {name!r} "
                                 f"is declared {tensor.shape} but computes to {tuple(shape)}")
    return g
