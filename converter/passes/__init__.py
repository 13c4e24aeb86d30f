"""Graph passes, each a function Graph -> Graph returning a new graph, run in this order:

1. infer_shapes: every later pass reads shapes (and a bad model should fail here, by name).
2. fold_constants: evaluates constant sub-graphs (weight transposes, shape arithmetic) so
   later passes see plain constants.
3. to_nhwc: cancels the importer's NCHW<->NHWC transposes. It must precede fold_batchnorm:
   the importer leaves BatchNormalization as MUL/ADD behind a TRANSPOSE(0,3,1,2), so the
   MUL only follows the convolution directly once that transpose has sunk past it.
4. fold_pad: a zero PAD of height and width before a convolution becomes its padding (Keras
   writes strided "same" convolutions as ZeroPadding2D + "valid"); after to_nhwc, which
   leaves the PAD in NHWC.
5. fold_batchnorm: folds the per-channel MUL/ADD into the convolution's filter and bias; it
   precedes fuse_activations because the RELU follows the ADD, not the convolution.
6. fuse_activations: RELU/RELU6/CLAMP into the producing op.
7. remove_dead: to clean up what the others left (reshape chains such as the one
   to_nhwc makes of a global pool's transpose and the flatten, unused constants).
8. split_wide_nodes: last, over the nodes the others kept: a concatenation or split wider
   than a node may be becomes a tree, before quantization calibrates it by running the graph.

fuse_epilogues (residual ADD, SiLU, HARD_SWISH into a float32 convolution) and
fuse_int8_lookups (an int8 x * sigmoid(x) into one table lookup) are not in this pipeline:
Converter.convert runs them after quantization, so that each touches its own types only.
"""
from __future__ import annotations

from typing import Callable

from ..ir import Graph
from ..limits import Budget
from .fold_batchnorm import fold_batchnorm
from .fold_constants import fold_constants
from .fold_pad import fold_pad
from .fuse_activations import fuse_activations
from .infer_shapes import infer_shapes
from .remove_dead import remove_dead
from .split_wide_nodes import split_wide_nodes
from .to_nhwc import to_nhwc

PIPELINE: list[Callable[[Graph], Graph]] = [
    infer_shapes,
    fold_constants,
    to_nhwc,
    fold_pad,
    fold_batchnorm,
    fuse_activations,
    remove_dead,
    split_wide_nodes,
]


def run_passes(graph: Graph, budget: Budget | None = None,
               io_layout: str = "nhwc") -> Graph:
    """`budget` bounds the bytes fold_constants may compute (the default budget without
    it); the conversion shares one with the importer. `io_layout` "nhwc" lets to_nhwc store
    4-D graph inputs and outputs channels-last where that saves transposes; "source" keeps
    them as the importer made them (Converter.from_onnx's default, the ONNX model's layout)."""
    for run in PIPELINE:
        if run is fold_constants:
            graph = fold_constants(graph, budget)
        elif run is to_nhwc:
            graph = to_nhwc(graph, nhwc_io=io_layout == "nhwc")
        else:
            graph = run(graph)
    return graph
