"""The graph builder that the importers' op functions emit IR through (both ONNX's and
TFLite's), and the two exceptions an op function raises.

Op functions see tensors by IR name and call `b.node(...)`; the builder names new tensors
and nodes after the source node being converted, computes output shapes with the ops'
`infer_shape`, and folds layout helpers (transpose, reshape) on constants right away so
that weights land in the file already in Emberlite's layout.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import ShapeError
from ..ir import DType, Graph, Node, Tensor, constant_array
from ..limits import Budget
from ..ops import OpType, infer_shape
from ..ops.concatenation import ConcatenationParams
from ..ops.reshape import ReshapeParams
from ..ops.transpose import TransposeParams

class Unsupported(Exception):
    """Raised by an op function: this node uses a feature Emberlite cannot convert."""


class Invalid(Exception):
    """Raised by an op function: this node is malformed (wrong rank, inconsistent shapes)."""


class Builder:
    def __init__(self, graph: Graph, reserved: set[str], budget: Budget | None = None):
        self.graph = graph
        # Bounds the constants an op function makes from shapes (masks, positions, zeros)
        # and the nodes an unrolled recurrence makes.
        self.budget = budget or Budget()
        # Names the source model uses; generated names avoid them so its outputs keep theirs.
        self._reserved = reserved
        self.scope = ""
        self.num_outputs = 1
        self._scope_nodes: list[Node] = []
        self.declared: list[tuple[int, ...] | None] = []
        self._node_names = {n.name for n in graph.nodes}
        # Per name base, the suffix to try next: an unrolled recurrence makes thousands of
        # names from one base, and probing from _1 each time would be quadratic.
        self._next_suffix: dict[tuple[str, str], int] = {}

    def begin(self, scope: str, num_outputs: int) -> None:
        """Starts converting one source node (named `scope`, with `num_outputs` outputs);
        generated names derive from `scope`."""
        self.scope = scope
        self.num_outputs = num_outputs
        self._scope_nodes = []
        # The source node's output shapes where its model declares them (ONNX shape
        # inference), set by an importer for nodes with a run-time shape-like operand.
        self.declared: list[tuple[int, ...] | None] = []

    def fresh(self, base: str) -> str:
        """A tensor name derived from `base` that neither the graph nor the source model uses."""
        return self._unused("tensor", base, lambda name: name in self.graph.tensors)

    def _unused(self, kind: str, base: str, taken: Callable[[str], bool]) -> str:
        """`base`, else the first `base_<i>` from the last suffix given to a `kind` name of
        that base, that is not `taken` and not reserved by the source model."""
        name, i = base, self._next_suffix.get((kind, base), 1)
        while taken(name) or name in self._reserved:
            name = f"{base}_{i}"
            i += 1
        self._next_suffix[(kind, base)] = i
        return name

    # --- tensor queries -------------------------------------------------------------
    def shape(self, name: str) -> tuple[int, ...]:
        return self.graph.tensors[name].shape or ()

    def rank(self, name: str) -> int:
        return len(self.shape(name))

    def dtype(self, name: str) -> DType:
        return self.graph.tensors[name].dtype

    def value(self, name: str) -> np.ndarray | None:
        """The constant value of tensor `name`, or None if it is computed at run time."""
        return self.graph.tensors[name].data

    # --- emitting -------------------------------------------------------------------
    def const(self, value: Any, dtype: Any = None, name: str = "const") -> str:
        array = constant_array(value, dtype)
        tensor_name = self.fresh(f"{self.scope}/{name}")
        self.graph.tensors[tensor_name] = Tensor(tensor_name, DType.from_numpy(array.dtype),
                                                 array.shape, data=array)
        return tensor_name

    def reserve(self, shape: tuple[int, ...], dtype: Any) -> None:
        """Charges the constant budget for an array about to be made from shapes: a model
        with a dim of 2^31 is refused by name instead of exhausting memory."""
        self.budget.charge(f"node {self.scope!r}", shape, dtype)

    def scalar(self, value: float) -> str:
        """A float32 scalar constant (the operand of an element-wise formula)."""
        return self.const(np.array(value, np.float32), name="scalar")

    def add_constant(self, name: str, array: np.ndarray) -> None:
        """Registers a constant of the source model under its own (reserved) name."""
        self.graph.tensors[name] = Tensor(name, DType.from_numpy(array.dtype), array.shape,
                                          data=array)

    def node(self, op: OpType, inputs: list[str | None], params: Any = None, *,
             shapes: list[tuple[int, ...]] | None = None,
             dtype: DType | list[DType] | None = None, outputs: int = 1) -> list[str]:
        """Appends a node; `shapes` declares output shapes for ops whose size the output
        tensor carries (RESHAPE, SLICE, SPLIT, ...); `dtype` is every output's type or, as a
        list, each one's (TOP_K's values and indices). Returns the output tensor names."""
        self.budget.add_node(f"node {self.scope!r}")
        op_name = op.name.lower()
        node_name = self._node_name(op_name)
        names = [self.fresh(f"{node_name}:{i}" if outputs > 1 else f"{node_name}:out")
                 for i in range(outputs)]
        out_dtype = dtype if dtype is not None else self.dtype(next(i for i in inputs if i))
        for i, name in enumerate(names):
            shape = tuple(int(d) for d in shapes[i]) if shapes else None
            each = out_dtype[i] if isinstance(out_dtype, list) else out_dtype
            self.graph.tensors[name] = Tensor(name, each, shape)
        node = Node(op, node_name, [i or "" for i in inputs], names, params)
        try:
            inferred = infer_shape(node, self.graph)
        except ShapeError as e:
            raise Invalid(str(e)) from None
        for name, shape in zip(names, inferred):
            self.graph.tensors[name].shape = tuple(int(d) for d in shape)
        self.graph.nodes.append(node)
        self._scope_nodes.append(node)
        return names

    def finish(self) -> None:
        """Ends the source node: its main IR node (the first that is not a layout TRANSPOSE)
        takes the source node's name, so per-layer tools can match the two graphs."""
        main = next((n for n in self._scope_nodes if n.op != OpType.TRANSPOSE), None)
        if main is not None and self.scope not in self._node_names:
            self._node_names.discard(main.name)
            main.name = self.scope
            self._node_names.add(main.name)

    def _node_name(self, op_name: str) -> str:
        name = self._unused("node", f"{self.scope}/{op_name}", lambda n: n in self._node_names)
        self._node_names.add(name)
        return name

    def op(self, op: OpType, inputs: list[str | None], params: Any = None, **kw: Any) -> str:
        """`node` for the common single-output case."""
        return self.node(op, inputs, params, **kw)[0]

    def transpose(self, x: str, perm: tuple[int, ...]) -> str:
        perm = tuple(int(p) for p in perm)
        if perm == tuple(range(len(perm))):
            return x
        data = self.value(x)
        if data is not None:
            return self.const(np.transpose(data, perm), name="transposed")
        return self.op(OpType.TRANSPOSE, [x], TransposeParams(perm))

    def reshape(self, x: str, shape: tuple[int, ...]) -> str:
        shape = tuple(int(d) for d in shape)
        if shape == self.shape(x):
            return x
        data = self.value(x)
        if data is not None:
            return self.const(data.reshape(shape), name="reshaped")
        return self.op(OpType.RESHAPE, [x], ReshapeParams(), shapes=[shape])

    def concat(self, parts: list[str], axis: int) -> str:
        """`parts` side by side along `axis` (the part itself when it is one); any number of
        them: passes/split_wide_nodes.py makes a tree of one too wide for the runtime."""
        if len(parts) == 1:
            return parts[0]
        return self.op(OpType.CONCATENATION, parts, ConcatenationParams(axis))

    def rename_output(self, name: str, new_name: str) -> bool:
        """Gives a tensor produced by this scope's last nodes the source model's name.
        Returns False (and changes nothing) if `name` was not produced in this scope."""
        producer = next((n for n in self._scope_nodes if name in n.outputs), None)
        if producer is None or new_name in self.graph.tensors:
            return False
        tensor = self.graph.tensors.pop(name)
        tensor.name = new_name
        self.graph.tensors[new_name] = tensor
        for node in self._scope_nodes:
            node.inputs = [new_name if i == name else i for i in node.inputs]
            node.outputs = [new_name if o == name else o for o in node.outputs]
        return True


def check_indices(b: Builder, data: str, indices: str, axis: int) -> None:
    """Constant gather indices must lie in [-size, size) of `axis` of `data`: the runtime
    would refuse every invoke, so the model is refused now, naming the index and the bound."""
    values = b.value(indices)
    if values is None or values.size == 0:
        return
    size = b.shape(data)[axis]
    flat = values.reshape(-1).astype(np.int64)
    bad = np.flatnonzero((flat < -size) | (flat >= size))
    if bad.size:
        raise Invalid(f"index {int(flat[bad[0]])} (at position {int(bad[0])} of indices "
                      f"{indices!r}) is out of range [-{size}, {size}) for axis {axis} of "
                      f"size {size} of data {b.shape(data)}")


def runtime_output_shape(b: Builder, operand: str, i: int = 0) -> tuple[int, ...]:
    """Output i's shape as the model declares it, for a node whose output size follows
    run-time operand `operand`; Unsupported when the model leaves it unknown."""
    shape = b.declared[i] if i < len(b.declared) else None
    if shape is None:
        raise Unsupported(f"{operand!r} is a run-time tensor and the output's shape is not "
                          f"known at conversion: give {operand!r} as a constant (an "
                          f"initializer) or declare the output's shape")
    return shape


def axis_index(axis: int, rank: int) -> int:
    """A possibly negative axis of a rank-`rank` tensor as a dim index."""
    if not -rank <= axis < rank:
        raise Invalid(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def check_rank(b: Builder, x: str, ranks: tuple[int, ...], what: str = "input") -> None:
    if b.rank(x) not in ranks:
        want = " or ".join(f"{r}D" for r in ranks)
        raise Invalid(f"{what} must be {want}, got shape {b.shape(x)}")
