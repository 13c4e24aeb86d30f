"""fold_pad: a zero PAD of height and width whose only reader is a CONV2D or DEPTHWISE_CONV2D
becomes that convolution's padding, and the PAD node goes.

Keras spells "same" padding of strided convolutions as ZeroPadding2D then a "valid" conv;
run as two nodes, the pad copies the whole activation once more, and the convolution's own
padding costs nothing (its kernels read a shared zero vector for out-of-image taps). A
convolution pads with real 0, and so does a PAD whose value is 0 on a float tensor, or on an
int8 tensor with the value at its zero point (the importers store a PAD's value as the real
number, so both read 0 here) and the same quantization on both sides."""
from __future__ import annotations

import dataclasses

from ..ir import Graph, Node
from ..ops import OpType
from ..ops.pad import PadMode
from .rewrite import only_consumer

CONVOLUTIONS = {OpType.CONV2D, OpType.DEPTHWISE_CONV2D}


def spatial_zero_pads(graph: Graph, pad: Node) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of a foldable PAD of an NHWC tensor, else None."""
    if pad.op != OpType.PAD:
        return None
    p = pad.params
    rank = len(p.pads) // 2
    if rank != 4 or p.mode != PadMode.CONSTANT or p.value != 0.0 or min(p.pads) < 0:
        return None
    before, after = p.pads[:rank], p.pads[rank:]
    if before[0] or before[3] or after[0] or after[3]:
        return None
    if graph.tensors[pad.inputs[0]].quant != graph.tensors[pad.outputs[0]].quant:
        return None
    return before[1], before[2], after[1], after[2]


def fold_pad(graph: Graph) -> Graph:
    g = graph.copy()
    producers = g.producers()
    for conv in list(g.nodes):
        if conv.op not in CONVOLUTIONS:
            continue
        pad = producers.get(conv.inputs[0])
        pads = spatial_zero_pads(g, pad) if pad is not None else None
        if pads is None or not only_consumer(g, pad.outputs[0], conv):
            continue
        top, left, bottom, right = pads
        p = conv.params
        conv.params = dataclasses.replace(
            p, pad_top=p.pad_top + top, pad_left=p.pad_left + left,
            pad_bottom=p.pad_bottom + bottom, pad_right=p.pad_right + right)
        del g.tensors[conv.inputs[0]]
        conv.inputs[0] = pad.inputs[0]
        g.nodes.remove(pad)
    return g
