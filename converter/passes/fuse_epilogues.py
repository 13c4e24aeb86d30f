"""fuse_epilogues: what real models spell out op by op after a float32 convolution becomes
part of it, so its output is written once instead of read and written again by each op:

- a residual ADD(conv, r) where the CONV2D's output is read only by the ADD and r has the
  output's exact shape (no broadcast) becomes the conv's input 3, and the ADD's clamp
  activation (NONE, RELU, RELU6, RELU_N1_TO_1, which fuse_activations may have put there)
  becomes the conv's: output = act(conv + bias + r). ResNets end every block so.
- SiLU as x * sigmoid(x) (SIGMOID + MUL; EfficientNet, YOLOv8) after a CONV2D,
  DEPTHWISE_CONV2D or FULLY_CONNECTED becomes its activation SILU; a HARD_SWISH node that is
  the sole reader of one becomes HARD_SWISH (MobileNetV3).

The residual goes first, so that act(conv + r) with a SiLU after the ADD fuses as well. Only
float32 nodes change: the pass runs after quantization (Converter.convert), and the int8 and
int16 kernels have neither the residual nor these activations, so a quantized graph comes out
as it went in. The runtime computes SILU with its sigmoid approximation (vunary.h's bound).
"""
from __future__ import annotations

import dataclasses

from ..ir import DType, Graph, Node
from ..ops import OPS, FusedActivation, OpType
from .rewrite import is_output, only_consumer

ACTIVATED = {OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.FULLY_CONNECTED}
CLAMPS = {FusedActivation.NONE, FusedActivation.RELU, FusedActivation.RELU6,
          FusedActivation.RELU_N1_TO_1}


def _activation(node: Node) -> FusedActivation:
    return FusedActivation.NONE if node.params is None else node.params.activation


def _set_activation(node: Node, activation: FusedActivation) -> None:
    params = node.params if node.params is not None else OPS[node.op].params_cls()
    node.params = dataclasses.replace(params, activation=activation)


def _is_float(graph: Graph, *names: str) -> bool:
    return all(graph.tensors[n].dtype == DType.FLOAT32 for n in names)


def _float_node(graph: Graph, node: Node | None, ops: set[OpType]) -> bool:
    """A plain float32 op of `ops` whose output may take an epilogue: activation NONE."""
    return (node is not None and node.op in ops and _activation(node) == FusedActivation.NONE
            and _is_float(graph, node.inputs[0], node.outputs[0]))


def _take_output(graph: Graph, src: Node, last: Node, dropped: list[str],
                 producers: dict[str, Node]) -> None:
    """src now writes last's output; last and the intermediate tensors go."""
    src.outputs[0] = last.outputs[0]
    producers[src.outputs[0]] = src
    for name in dropped:
        del graph.tensors[name]
        producers.pop(name, None)
    graph.nodes.remove(last)


def _available(graph: Graph, name: str, position: dict[str, int], at: int) -> bool:
    """Whether tensor `name` exists before the node at index `at` runs."""
    return name not in position or position[name] < at


def _fuse_residual(g: Graph, add: Node, producers: dict[str, Node],
                   position: dict[str, int]) -> bool:
    """`producers` is kept current; `position` (each tensor's producer's index before any
    fusion) only orders nodes, which fusing does not change: a fused output keeps its
    former, later position, so it only ever looks available later than it is."""
    if add.op != OpType.ADD or _activation(add) not in CLAMPS:
        return False
    out = add.outputs[0]
    for i in (0, 1):
        conv_out, r = add.inputs[i], add.inputs[1 - i]
        conv = producers.get(conv_out)
        if (not _float_node(g, conv, {OpType.CONV2D}) or len(conv.inputs) > 3 or r == conv_out
                or not only_consumer(g, conv_out, add) or not _is_float(g, r, out)
                or g.tensors[r].shape != g.tensors[conv_out].shape
                or g.tensors[out].shape != g.tensors[conv_out].shape
                or not _available(g, r, position, position[conv_out])):
            continue
        inputs = conv.inputs + [""] * (3 - len(conv.inputs))
        conv.inputs = inputs + [r]
        _set_activation(conv, _activation(add))
        _take_output(g, conv, add, [conv_out], producers)
        return True
    return False


def _silu_parts(g: Graph, mul: Node, producers: dict[str, Node]) -> tuple[Node, Node] | None:
    """(producer of x, the SIGMOID) when mul is x * sigmoid(x) that may fuse into x's op."""
    if mul.op != OpType.MUL or _activation(mul) != FusedActivation.NONE:
        return None
    for i in (0, 1):
        x, s = mul.inputs[i], mul.inputs[1 - i]
        sig, src = producers.get(s), producers.get(x)
        if (sig is None or sig.op != OpType.SIGMOID or sig.inputs[0] != x
                or not _float_node(g, src, ACTIVATED) or not _is_float(g, s, mul.outputs[0])
                or is_output(g, x) or not only_consumer(g, s, mul)
                or g.tensors[mul.outputs[0]].shape != g.tensors[x].shape):
            continue
        if all(node is sig or node is mul for node in g.nodes if x in node.inputs):
            return src, sig
    return None


def _fuse_activation(g: Graph, node: Node, producers: dict[str, Node]) -> list[Node]:
    """The nodes the fusion removed (none when nothing fused)."""
    if node.op == OpType.HARD_SWISH:
        src = producers.get(node.inputs[0])
        if (not _float_node(g, src, ACTIVATED) or not _is_float(g, node.outputs[0])
                or not only_consumer(g, node.inputs[0], node)):
            return []
        _set_activation(src, FusedActivation.HARD_SWISH)
        _take_output(g, src, node, [node.inputs[0]], producers)
        return [node]
    parts = _silu_parts(g, node, producers)
    if parts is None:
        return []
    src, sig = parts
    _set_activation(src, FusedActivation.SILU)
    g.nodes.remove(sig)
    _take_output(g, src, node, [src.outputs[0], sig.outputs[0]], producers)
    return [node, sig]


def fuse_epilogues(graph: Graph) -> Graph:
    # One producer map for the whole pass: rebuilt per node it made unrolled recurrent
    # graphs (thousands of ADD and MUL nodes) quadratic.
    g = graph.copy()
    producers = g.producers()
    position = {name: i for i, node in enumerate(g.nodes) for name in node.outputs}
    for node in list(g.nodes):
        _fuse_residual(g, node, producers, position)
    removed: set[int] = set()
    for node in list(g.nodes):
        if id(node) not in removed:
            removed.update(id(n) for n in _fuse_activation(g, node, producers))
    return g
