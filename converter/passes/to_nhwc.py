"""to_nhwc: removes the TRANSPOSE nodes the importer wraps around layout-sensitive ops.

The importer keeps ONNX's NCHW between ops and brackets each NHWC op with TRANSPOSE(0,2,3,1)
before and TRANSPOSE(0,3,1,2) after. This pass sinks transposes towards the outputs through
ops that do not care about layout (elementwise, binary, concatenation, split, softmax, gather,
mean, pad, slice, most reshapes), rewriting their axis parameters, until they meet an inverse
transpose and cancel. The rewrite rules:

- consecutive transposes compose into one; identity ones disappear;
- a node absorbs transposed inputs when that does not add transposes: constant operands are
  permuted in place, other operands get an inverse transpose (counted as added), and each
  output gets one transpose after the node;
- when no such move is left, a move that adds transposes is tried on a copy and kept if the
  graph ends with fewer after further sinking, during which a transpose read by several nodes
  is copied for each (a SPLIT, x * sigmoid(x) or a channel shuffle needs this look-ahead);
- a transpose before a RESHAPE moves below it when the reshape only splits or merges dims that
  are adjacent before the transpose (a channel shuffle keeps a single transpose);
- a transpose before a flatten that feeds FULLY_CONNECTED nodes is folded into their weights;
- transposes with the same input and perm are merged;
- at the end, a transpose that only moves size-1 dims becomes a RESHAPE.

With nhwc_io (the converter's io_layout "nhwc"), a 4D graph input becomes NHWC (metadata
"layout.input.<name>" = "NHWC") when trying it leaves fewer transposes, and a 4D graph output
produced by TRANSPOSE(0,3,1,2) is stored NHWC ("layout.output.<name>" = "NHWC"). Without it
the inputs and outputs keep the source model's layout.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from ..ir import TO_NCHW, TO_NHWC, Graph, Node, Tensor, constant_array
from ..ops import OpType
from ..ops.reshape import ReshapeParams
from ..ops.operands import runtime_operands
from ..ops.transpose import TransposeParams
from .rewrite import (bypass, drop_unused_nodes, is_output, only_consumer, rename_tensor,
                      replace_uses)

UNARY = {OpType.RELU, OpType.RELU6, OpType.CLAMP, OpType.LEAKY_RELU, OpType.SIGMOID,
         OpType.TANH, OpType.HARD_SIGMOID, OpType.HARD_SWISH, OpType.ABS, OpType.NEG,
         OpType.SQRT, OpType.RSQRT, OpType.EXP, OpType.LOG, OpType.FLOOR, OpType.CEIL,
         OpType.ROUND, OpType.SIGN, OpType.SIN, OpType.COS, OpType.RECIPROCAL, OpType.ERF,
         OpType.SOFTPLUS, OpType.MISH, OpType.SQUARE, OpType.ELU, OpType.SELU, OpType.GELU,
         OpType.LOGICAL_NOT}
# Element-wise with numpy broadcasting of every input (WHERE has three).
BINARY = {OpType.ADD, OpType.SUB, OpType.MUL, OpType.DIV, OpType.POW, OpType.EQUAL,
          OpType.NOT_EQUAL, OpType.LESS, OpType.LESS_EQUAL, OpType.GREATER,
          OpType.GREATER_EQUAL, OpType.LOGICAL_AND, OpType.LOGICAL_OR, OpType.LOGICAL_XOR,
          OpType.WHERE}
SINGLE_INPUT = UNARY | {OpType.SOFTMAX, OpType.SPLIT, OpType.MEAN, OpType.PAD, OpType.SLICE,
                        OpType.GATHER, OpType.RESHAPE}
PUSHABLE = SINGLE_INPUT | BINARY | {OpType.CONCATENATION}

Perm = tuple[int, ...]


class Absorbed(NamedTuple):
    params: object                  # the node's params for pre-transpose data
    out_perms: list[Perm]           # the transpose to put after each output
    local: Perm | None = None       # RESHAPE only: a transpose still needed before the node


def inverse(perm: Perm) -> Perm:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _perm(node: Node) -> Perm:
    return tuple(node.params.perm)


def count_transposes(graph: Graph) -> tuple[int, int]:
    """(transposes that move data, those that move only size-1 dims and so become reshapes)."""
    unit = [_moves_only_unit_dims(_perm(node), graph.tensors[node.inputs[0]].shape)
            for node in graph.nodes if node.op == OpType.TRANSPOSE]
    return len(unit) - sum(unit), sum(unit)


def _add_transpose(graph: Graph, src: str, dst: str, perm: Perm, at: int, base: str) -> Node:
    node = Node(OpType.TRANSPOSE, graph.unique_name(base), [src], [dst], TransposeParams(perm))
    graph.nodes.insert(at, node)
    return node


def _new_tensor(graph: Graph, like: str, base: str, shape: tuple[int, ...]) -> str:
    name = graph.unique_name(base)
    graph.tensors[name] = dataclasses.replace(graph.tensors[like], name=name, shape=shape,
                                              data=None)
    return name


# --- local rewrites ---------------------------------------------------------------------------

def _compose_or_drop(graph: Graph) -> bool:
    """Composes one transpose with the transpose feeding it, or drops one identity transpose."""
    producers = graph.producers()
    for node in graph.nodes:
        if node.op != OpType.TRANSPOSE:
            continue
        perm = _perm(node)
        if perm == tuple(range(len(perm))) and bypass(graph, node):
            return True
        src = producers.get(node.inputs[0])
        if src is not None and src.op == OpType.TRANSPOSE:
            first = _perm(src)
            if only_consumer(graph, node.inputs[0], node):
                graph.nodes.remove(src)
            node.inputs[0] = src.inputs[0]
            node.params = TransposeParams(tuple(first[i] for i in perm))
            return True
    return False


def _fold_into_fully_connected(graph: Graph) -> bool:
    """TRANSPOSE (batch axis kept) -> RESHAPE to [N, K] read only by FULLY_CONNECTED nodes with
    constant weights: permuting the weights' K columns instead makes the transpose needless
    (a VGG-style flatten of a NHWC feature map)."""
    producers, consumers = graph.producers(), graph.consumers()
    for node in graph.nodes:
        src = producers.get(node.inputs[0])
        if node.op != OpType.RESHAPE or src is None or src.op != OpType.TRANSPOSE:
            continue
        perm, out = _perm(src), node.outputs[0]
        readers = consumers.get(out, [])
        shape = graph.tensors[src.inputs[0]].shape
        if (perm[0] != 0 or _moves_only_unit_dims(perm, shape) or not readers
                or tuple(graph.tensors[out].shape) != (shape[0], int(np.prod(shape[1:])))
                or is_output(graph, out)
                or not all(r.op == OpType.FULLY_CONNECTED and r.inputs[0] == out
                           and out not in r.inputs[1:] and graph.tensors[r.inputs[1]].is_constant
                           and graph.tensors[r.inputs[1]].quant is None for r in readers)):
            continue
        transposed = tuple(shape[i] for i in perm)
        for reader in readers:
            weights = graph.tensors[reader.inputs[1]]
            rows = weights.data.shape[0]
            # Weight column for transposed position y serves plain position x = y permuted.
            # The final reshape copies (the transposed view is not contiguous).
            value = np.ascontiguousarray(np.transpose(
                weights.data.reshape((rows,) + transposed[1:]), inverse(perm)).reshape(
                    weights.data.shape))
            value.flags.writeable = False
            name = graph.unique_name(f"{reader.inputs[1]}_{reader.name}")
            graph.tensors[name] = Tensor(name, weights.dtype, value.shape, value)
            reader.inputs[1] = name
        if only_consumer(graph, node.inputs[0], node):
            graph.nodes.remove(src)
        node.inputs[0] = src.inputs[0]
        return True
    return False


# --- pushing a transpose below a node ---------------------------------------------------------

def _layout_inputs(node: Node) -> list[int]:
    if node.op in SINGLE_INPUT:
        return [0]
    return list(range(len(node.inputs)))


def _removed_dims_perm(perm: Perm, removed: set[int]) -> Perm:
    """The output perm after the axes `removed` (in the transposed layout) disappear."""
    kept_src = sorted(perm[i] for i in range(len(perm)) if i not in removed)
    return tuple(kept_src.index(perm[i]) for i in range(len(perm)) if i not in removed)


def _segments(src: tuple[int, ...], dst: tuple[int, ...]) -> list[tuple[range, range]] | None:
    """Splits a reshape src -> dst into runs of dims with equal products (size-1 dims only
    pair with size-1 dims); None when that is not possible."""
    if 0 in src or 0 in dst:
        return None
    segments = []
    i = j = 0
    while i < len(src) or j < len(dst):
        if i == len(src) or j == len(dst) or (src[i] == 1) != (dst[j] == 1):
            return None
        i0, j0, a, b = i, j, src[i], dst[j]
        i, j = i + 1, j + 1
        while a != b:
            if a < b:
                if i == len(src) or src[i] == 1:
                    return None
                a, i = a * src[i], i + 1
            else:
                if j == len(dst) or dst[j] == 1:
                    return None
                b, j = b * dst[j], j + 1
        segments.append((range(i0, i), range(j0, j)))
    return segments


def _absorb_reshape(perm: Perm, shape: tuple[int, ...], out: tuple[int, ...]) -> Absorbed | None:
    """transpose(x, perm) then reshape to `out` equals [transpose(x, local)] then a reshape then
    a transpose, when each run of merged/split dims comes from adjacent dims of x. `shape` is
    the reshape's input shape."""
    segments = _segments(shape, out)
    if segments is None:
        return None
    sources = [[perm[i] for i in ys] for ys, _ in segments]
    if any(sorted(xs) != list(range(min(xs), max(xs) + 1)) for xs in sources):
        return None
    order = sorted(range(len(segments)), key=lambda k: min(sources[k]))
    local = tuple(x for k in order for x in sources[k])
    start, position = 0, {}
    for k in order:
        position[k] = start
        start += len(segments[k][1])
    q = tuple(position[k] + t for k, (_, zs) in enumerate(segments) for t in range(len(zs)))
    return Absorbed(ReshapeParams(), [q], None if local == tuple(range(len(perm))) else local)


def _absorb(node: Node, graph: Graph, perm: Perm) -> Absorbed | None:
    """How `node` works on pre-transpose data; None when it cannot absorb `perm`."""
    if runtime_operands(node):
        return None  # its run-time axes, pads or shape name the dims as they are
    p = node.params
    rank = len(perm)
    out_rank = len(graph.tensors[node.outputs[0]].shape)
    if node.op in UNARY or node.op in BINARY:
        return Absorbed(p, [perm]) if out_rank == rank else None
    if node.op in (OpType.CONCATENATION, OpType.SOFTMAX):
        return Absorbed(dataclasses.replace(p, axis=perm[p.axis]), [perm])
    if node.op == OpType.SPLIT:
        return Absorbed(dataclasses.replace(p, axis=perm[p.axis]), [perm] * len(node.outputs))
    if node.op == OpType.RESHAPE:
        return _absorb_reshape(perm, tuple(graph.tensors[node.inputs[0]].shape),
                               tuple(graph.tensors[node.outputs[0]].shape))
    if node.op == OpType.MEAN:
        axes = tuple(sorted(perm[a] for a in p.axes))
        out = perm if out_rank == rank else _removed_dims_perm(perm, set(p.axes))
        return Absorbed(dataclasses.replace(p, axes=axes), [out])
    if node.op in (OpType.PAD, OpType.SLICE):
        def permute(values: tuple[int, ...]) -> tuple[int, ...]:
            moved = [0] * rank
            for i, v in enumerate(values):
                moved[perm[i]] = v
            return tuple(moved)
        if node.op == OpType.PAD:
            pads = permute(p.pads[:rank]) + permute(p.pads[rank:])
            return Absorbed(dataclasses.replace(p, pads=pads), [perm])
        return Absorbed(dataclasses.replace(p, begin=permute(p.begin), step=permute(p.step)),
                        [perm])
    if node.op == OpType.GATHER:
        index_rank = len(graph.tensors[node.inputs[1]].shape)
        if index_rank > 1:
            return None
        out = perm if index_rank == 1 else _removed_dims_perm(perm, {p.axis})
        return Absorbed(dataclasses.replace(p, axis=perm[p.axis]), [out])
    return None


def _permuted_constant(graph: Graph, name: str, perm: Perm, node: Node) -> str:
    """A constant laid out so that transposing it by `perm` gives `name` broadcast to rank."""
    data = graph.tensors[name].data
    full = data.reshape((1,) * (len(perm) - data.ndim) + data.shape)
    value = constant_array(np.transpose(full, inverse(perm)))
    new = graph.unique_name(f"{name}_{node.name}")
    graph.tensors[new] = Tensor(new, graph.tensors[name].dtype, value.shape, value,
                                graph.tensors[name].quant)
    return new


def _try_push(graph: Graph, node: Node, producers: dict[str, Node],
              consumers: dict[str, list[Node]], force: bool = False) -> bool:
    """Moves the transposes on `node`'s inputs below it; unless `force`, only when that does not
    add transposes."""
    if node.op not in PUSHABLE:
        return False
    layout = _layout_inputs(node)
    sources = [producers.get(node.inputs[i]) for i in layout]
    first = next((s for s in sources if s is not None and s.op == OpType.TRANSPOSE), None)
    if first is None:
        return False
    perm = _perm(first)
    absorbed = _absorb(node, graph, perm)
    if absorbed is None:
        return False
    removed: dict[str, Node] = {}
    plan: list[tuple[int, str]] = []            # (input index, how: "transposed"/"const"/"insert")
    for i, src in zip(layout, sources):
        name = node.inputs[i]
        tensor = graph.tensors[name]
        if src is not None and src.op == OpType.TRANSPOSE and _perm(src) == perm:
            plan.append((i, "transposed"))
            if not is_output(graph, name) and all(c is node for c in consumers[name]):
                removed[src.name] = src
        elif tensor.is_constant:
            if tensor.data.ndim > len(perm) or (
                    node.op not in BINARY and tensor.data.ndim != len(perm)):
                return False
            plan.append((i, "const"))
        elif len(tensor.shape) == len(perm):
            plan.append((i, "insert"))
        else:
            return False
    added = (len(node.outputs) + sum(how == "insert" for _, how in plan)
             + (absorbed.local is not None))
    if added > len(removed) and not force:
        return False
    new_inputs = list(node.inputs)
    for i, how in plan:
        name = node.inputs[i]
        if how == "transposed" and absorbed.local is not None:
            source = producers[name].inputs[0]
            shape = tuple(graph.tensors[source].shape[j] for j in absorbed.local)
            new_inputs[i] = _new_tensor(graph, source, f"{source}_{node.name}", shape)
            _add_transpose(graph, source, new_inputs[i], absorbed.local,
                           graph.nodes.index(node), f"{node.name}_in{i}")
        elif how == "transposed":
            new_inputs[i] = producers[name].inputs[0]
        elif how == "const":
            new_inputs[i] = _permuted_constant(graph, name, perm, node)
        else:
            shape = tuple(graph.tensors[name].shape[j] for j in inverse(perm))
            pre = _new_tensor(graph, name, f"{name}_{node.name}", shape)
            _add_transpose(graph, name, pre, inverse(perm), graph.nodes.index(node),
                           f"{node.name}_in{i}")
            new_inputs[i] = pre
    node.inputs = new_inputs
    node.params = absorbed.params
    at = graph.nodes.index(node) + 1
    for k, (out, out_perm) in enumerate(zip(list(node.outputs), absorbed.out_perms)):
        shape = graph.tensors[out].shape
        pre_shape = [0] * len(shape)
        for i, q in enumerate(out_perm):
            pre_shape[q] = shape[i]
        pre = _new_tensor(graph, out, f"{out}_pre", tuple(pre_shape))
        node.outputs[k] = pre
        _add_transpose(graph, pre, out, out_perm, at + k, f"{node.name}_out{k}")
    for src in removed.values():
        graph.nodes.remove(src)
    return True


def _has_transposed_input(node: Node, producers: dict[str, Node]) -> bool:
    return node.op in PUSHABLE and any(
        producers.get(node.inputs[i]) is not None
        and producers[node.inputs[i]].op == OpType.TRANSPOSE for i in _layout_inputs(node))


def _split_shared(graph: Graph) -> bool:
    """Gives each sinkable reader of a shared transpose its own copy of it."""
    consumers = graph.consumers()
    for index, node in enumerate(graph.nodes):
        out = node.outputs[0]
        if node.op != OpType.TRANSPOSE:
            continue
        readers = list({id(r): r for r in consumers.get(out, [])}.values())
        movable = [r for r in readers if r.op in PUSHABLE]
        if len(movable) == len(readers) and not is_output(graph, out):
            movable = movable[1:]           # the original keeps one reader
        if not movable:
            continue
        for reader in movable:
            copy = _new_tensor(graph, out, f"{out}_copy", graph.tensors[out].shape)
            _add_transpose(graph, node.inputs[0], copy, _perm(node), index + 1,
                           f"{node.name}_copy")
            reader.inputs = [copy if n == out else n for n in reader.inputs]
        return True
    return False


# The node visits one to_nhwc may spend searching, per node of the graph (of at least 100
# nodes): torchvision's MobileNetV2 and EfficientNet-B0 exported without constant folding
# take about 130 per node. Each greedy sweep visits every node and pushes one transpose, and
# each trial sweeps again, so a transpose read by hundreds of nodes (a 64x2 max pool with
# indices is 128 slices) took 24,000 per node: 15 s for a 265-node graph. Past the budget
# the search keeps the graph it has, as correct, with more transposes.
_SEARCH_VISITS_PER_NODE = 1000


class _Effort:
    """The node visits left to one to_nhwc call on `graph`."""

    def __init__(self, graph: Graph) -> None:
        self.left = _SEARCH_VISITS_PER_NODE * max(len(graph.nodes), 100)

    def spend(self, visits: int) -> bool:
        self.left -= visits
        return self.left >= 0


def _greedy(graph: Graph, effort: _Effort, split_shared: bool = False) -> None:
    # Pushes keep the transpose count and move transposes towards the outputs; the bound
    # guards termination should an unforeseen pattern cycle.
    for _ in range(10 * len(graph.nodes) + 10):
        if (_compose_or_drop(graph) or _fold_into_fully_connected(graph)
                or (split_shared and _split_shared(graph))):
            continue
        if not effort.spend(len(graph.nodes)):
            return
        producers, consumers = graph.producers(), graph.consumers()
        if not any(_try_push(graph, n, producers, consumers) for n in list(graph.nodes)):
            return


def sink_transposes(graph: Graph, effort: _Effort) -> Graph:
    g = graph.copy()
    _greedy(g, effort)
    improved = True
    while improved:
        improved = False
        producers = g.producers()
        for i, node in enumerate(g.nodes):
            if not _has_transposed_input(node, producers):
                continue
            if not effort.spend(len(g.nodes)):
                break
            trial = g.copy()
            if not _try_push(trial, trial.nodes[i], trial.producers(), trial.consumers(),
                             force=True):
                continue
            _greedy(trial, effort, split_shared=True)
            _merge_duplicates(trial)
            if count_transposes(trial) < count_transposes(g):
                g, improved = trial, True
                break
    _merge_duplicates(g)
    return g


def _merge_duplicates(graph: Graph) -> None:
    """Transposes with the same input and perm share one output again."""
    seen: dict[tuple[str, Perm], str] = {}
    for node in list(graph.nodes):
        if node.op != OpType.TRANSPOSE:
            continue
        key = (node.inputs[0], _perm(node))
        if key in seen and not is_output(graph, node.outputs[0]):
            replace_uses(graph, node.outputs[0], seen[key])
            graph.nodes.remove(node)
        else:
            seen.setdefault(key, node.outputs[0])


# --- graph inputs and outputs -----------------------------------------------------------------

def _input_as_nhwc(graph: Graph, name: str, effort: _Effort) -> Graph:
    """A copy where input `name` is NHWC, followed by TRANSPOSE(0,3,1,2), then sunk."""
    g = graph.copy()
    shape = g.tensors[name].shape
    nchw = _new_tensor(g, name, f"{name}_nchw", shape)
    replace_uses(g, name, nchw)
    g.tensors[name].shape = tuple(shape[i] for i in TO_NHWC)
    _add_transpose(g, name, nchw, TO_NCHW, 0, f"{name}_to_nchw")
    g = sink_transposes(g, effort)
    g.metadata[f"layout.input.{name}"] = "NHWC"
    return g


def _outputs_as_nhwc(graph: Graph) -> None:
    producers = graph.producers()
    for name in list(graph.outputs):
        node = producers.get(name)
        if (node is None or node.op != OpType.TRANSPOSE or _perm(node) != TO_NCHW
                or graph.outputs.count(name) != 1 or graph.consumers().get(name)):
            continue
        src = node.inputs[0]
        if src in graph.inputs or is_output(graph, src) or graph.tensors[src].is_constant:
            continue
        graph.nodes.remove(node)
        shape = graph.tensors[src].shape
        rename_tensor(graph, src, name)
        graph.tensors[name].shape = shape
        graph.metadata[f"layout.output.{name}"] = "NHWC"


def _moves_only_unit_dims(perm: Perm, shape: tuple[int, ...]) -> bool:
    order = [i for i in perm if shape[i] != 1]
    return order == sorted(order)


def _unit_transposes_to_reshapes(graph: Graph) -> None:
    for i, node in enumerate(graph.nodes):
        if node.op == OpType.TRANSPOSE and _moves_only_unit_dims(
                _perm(node), graph.tensors[node.inputs[0]].shape):
            graph.nodes[i] = Node(OpType.RESHAPE, node.name, node.inputs, node.outputs,
                                  ReshapeParams())


def to_nhwc(graph: Graph, nhwc_io: bool = True) -> Graph:
    """`nhwc_io` False keeps the graph inputs and outputs in the importer's layout."""
    effort = _Effort(graph)
    g = sink_transposes(graph, effort)
    for name in list(g.inputs) if nhwc_io else []:
        tensor = g.tensors[name]
        # With no transpose left, a permuted input can only add some.
        if tensor.shape is None or len(tensor.shape) != 4 or count_transposes(g) == 0:
            continue
        candidate = _input_as_nhwc(g, name, effort)
        if count_transposes(candidate) < count_transposes(g):
            g = candidate
    if nhwc_io:
        _outputs_as_nhwc(g)
    _unit_transposes_to_reshapes(g)
    drop_unused_nodes(g)
    g.drop_unused_tensors()
    return g
