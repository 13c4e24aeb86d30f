"""fuse_int8_lookups: an int8 x * sigmoid(x) (SIGMOID with its table, then a MUL of x by the
sigmoid's output, the SiLU / swish of EfficientNet as TFLite writes it) becomes one
LOOKUP_TABLE node. Its output depends on x's byte alone, so the 256-entry table of outputs,
computed by running the two nodes themselves through the runtime's reference kernels on the
256 int8 values, gives the same bytes as the pair for every input, in one pass over the data
instead of two passes and a MUL that reads both.

Like fuse_epilogues, Converter.convert runs it after quantization; it touches only int8 nodes
whose tensors have one scale and zero point, where the MUL does not broadcast and nothing
else reads the sigmoid's output.
"""
from __future__ import annotations

import numpy as np

from ..ir import DType, Graph, Node, Tensor, constant_array
from ..ops import OpType
from ..ops.lookup_table import TABLE_SIZE
from .rewrite import only_consumer


def _int8(graph: Graph, *names: str) -> bool:
    return all(graph.tensors[n].dtype == DType.INT8 and graph.tensors[n].quant is not None
               and len(graph.tensors[n].quant.scale) == 1 for n in names)


def _swish(g: Graph, producers: dict[str, Node], mul: Node) -> Node | None:
    """The SIGMOID when `mul` is x * sigmoid(x) in int8 that may become one lookup."""
    if mul.op != OpType.MUL:
        return None
    for i in (0, 1):
        x, s = mul.inputs[i], mul.inputs[1 - i]
        sig = producers.get(s)
        if (sig is None or sig.op != OpType.SIGMOID or len(sig.inputs) != 2
                or sig.inputs[0] != x or not _int8(g, x, s, mul.outputs[0])
                or not only_consumer(g, s, mul)
                or g.tensors[mul.outputs[0]].shape != g.tensors[x].shape):
            continue
        return sig
    return None


def _pair_table(g: Graph, sig: Node, mul: Node) -> np.ndarray:
    """Runs SIGMOID and MUL on the 256 int8 values of x with the reference kernels."""
    from emberlite import ISA_NONE, Interpreter  # the runtime only where graphs are run

    from ..planner import plan_memory
    from ..writer import serialize

    x, s, out = sig.inputs[0], sig.outputs[0], mul.outputs[0]
    tensors = {name: Tensor(name, DType.INT8, (TABLE_SIZE,), quant=g.tensors[name].quant)
               for name in (x, s, out)}
    table = g.tensors[sig.inputs[1]]
    tensors[table.name] = Tensor(table.name, DType.INT8, table.shape, table.data, table.quant)
    pair = Graph(tensors, [Node(sig.op, sig.name, list(sig.inputs), [s], sig.params),
                           Node(mul.op, mul.name, list(mul.inputs), [out], mul.params)],
                 [x], [out])
    interp = Interpreter(model_content=serialize(pair, plan_memory(pair)), isa_mask=ISA_NONE)
    interp.allocate_tensors()
    values = np.arange(TABLE_SIZE, dtype=np.uint8).view(np.int8)
    interp.set_tensor(interp.get_input_details()[0]["index"], values)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy()


def _fuse(g: Graph, producers: dict[str, Node], mul: Node) -> bool:
    sig = _swish(g, producers, mul)
    if sig is None:
        return False
    name = f"{mul.name}/table"
    while name in g.tensors:
        name += "_"
    g.tensors[name] = Tensor(name, DType.INT8, (TABLE_SIZE,),
                             constant_array(_pair_table(g, sig, mul)))
    del g.tensors[sig.outputs[0]]
    g.nodes.remove(sig)
    if not any(sig.inputs[1] in node.inputs for node in g.nodes):
        del g.tensors[sig.inputs[1]]
    mul.op, mul.params = OpType.LOOKUP_TABLE, None
    mul.inputs = [sig.inputs[0], name]
    return True


def fuse_int8_lookups(graph: Graph) -> Graph:
    g = graph.copy()
    # A fused pair's sigmoid output goes, and nothing else's producer changes.
    producers = g.producers()
    for node in list(g.nodes):
        _fuse(g, producers, node)
    return g
