"""Weight-only quantization: the weights are stored small and every op still computes in
float32. No calibration data is needed.

- "dynamic" (dynamic range): the weights of CONV2D, DEPTHWISE_CONV2D, TRANSPOSE_CONV2D,
  FULLY_CONNECTED and BATCH_MATMUL (its constant `b`) become int8, symmetric per output
  channel (scale max|w| / 127, zero point 0); biases stay float32.
- "fp16": the same weights, and the biases of the first four ops, become float16. A tensor
  with a value float16 cannot hold (|x| > 65504) stays float32.

Each stored constant is read through a DEQUANTIZE node whose float32 output replaces the
weight at the op's input. The runtime computes such an output once, at prepare, outside the
activation arena (converter/planner.py), so a converted model needs no more arena than the
float one and invoke does the same float work.

"dynamic" with compute="int8" instead gives the int8 weights of CONV2D (groups 1) and
FULLY_CONNECTED to the op itself: a float32 input with int8 weights is the hybrid form, which
quantizes its input per inference (per image, per row) and sums in int8 (LiteRT's hybrid
kernels; csrc/kernels/hybrid_gemm.h). Faster, at the cost of the input's rounding error. The
other weighted ops keep their DEQUANTIZE.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import QuantizationError
from ..ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from ..ops import OPS, OpType
from .quantize_int8 import ZERO_CHANNEL_SCALE

FLOAT16_MAX = 65504.0


@dataclass(frozen=True)
class _Stored:
    """A constant's stored form: `key` tells forms of one constant apart."""
    key: tuple
    dtype: DType
    data: np.ndarray
    quant: QuantParams | None = None
    direct: bool = False  # read by the op itself: no DEQUANTIZE


def output_channel_axis(node: Node, graph: Graph) -> int | None:
    """The output-channel axis of the weights of an op whose facts name a weights input
    (converter/ops/<op>.py), else None: filters [Cout,KH,KW,Cin] and FC weights [N,K] axis 0,
    depthwise filters [1,KH,KW,C] the last, BATCH_MATMUL's b [...,K,N] the last ([...,N,K]
    with adj_b)."""
    facts = OPS[node.op]
    return None if facts.weights is None else facts.output_channel_axis(node, graph)


def symmetric_int8(data: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values, float32 scales): symmetric per channel along `axis`, in [-127, 127]."""
    w = np.asarray(data, np.float32)
    amax = np.max(np.abs(np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)), axis=1,
                  initial=0.0)
    scales = np.where(amax > 0, amax / np.float32(127), ZERO_CHANNEL_SCALE).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def _dynamic_form(node: Node, index: int, t: Tensor, graph: Graph) -> _Stored | None:
    axis = output_channel_axis(node, graph) if index == OPS[node.op].weights else None
    if axis is None or t.data.ndim == 0:
        return None
    q, scales = symmetric_int8(t.data, axis)
    quant = QuantParams(tuple(float(s) for s in scales), (0,) * len(scales), axis)
    return _Stored(("int8", axis), DType.INT8, q, quant)


def _fp16_form(node: Node, index: int, t: Tensor, graph: Graph) -> _Stored | None:
    weight = index == OPS[node.op].weights
    bias = index == OPS[node.op].bias
    if not (weight or bias) or np.max(np.abs(t.data), initial=0.0) > FLOAT16_MAX:
        return None
    return _Stored(("float16",), DType.FLOAT16, np.asarray(t.data).astype(np.float16))


DYNAMIC_COMPUTE = ("float", "int8")


def _hybrid_form(node: Node, index: int, t: Tensor, graph: Graph) -> _Stored | None:
    """_dynamic_form, read by the op itself (no DEQUANTIZE) where it has a hybrid kernel."""
    stored = _dynamic_form(node, index, t, graph)
    if stored is None or not _has_hybrid_kernel(node, graph):
        return stored
    return _Stored(("int8", stored.quant.axis, "hybrid"), stored.dtype, stored.data,
                   stored.quant, direct=True)


# The longest sum a hybrid node takes: 255 x 127 x K must fit in int32 (its input quantized
# to [-128, 127] with any zero point, weights in [-127, 127]; csrc/kernels/hybrid_gemm.h).
HYBRID_MAX_K = 66311


def _has_hybrid_kernel(node: Node, graph: Graph) -> bool:
    """CONV2D with one group and FULLY_CONNECTED on a float32 input, weights at input 1, with
    sums of at most HYBRID_MAX_K products."""
    weights = graph.tensors[node.inputs[1]].shape
    if graph.tensors[node.inputs[0]].dtype != DType.FLOAT32 or \
            int(np.prod(weights[1:])) > HYBRID_MAX_K:
        return False
    if node.op == OpType.CONV2D:
        return node.params is None or node.params.groups == 1
    return node.op == OpType.FULLY_CONNECTED


def quantize_dynamic(graph: Graph, compute: str = "float") -> Graph:
    """Dynamic range: int8 per-channel weights, float32 activations; compute "int8" runs
    CONV2D and FULLY_CONNECTED on int8 sums (the hybrid kernels)."""
    if compute not in DYNAMIC_COMPUTE:
        raise QuantizationError(f"dynamic compute must be one of {', '.join(DYNAMIC_COMPUTE)}, "
                                f"got {compute!r}")
    form = _hybrid_form if compute == "int8" else _dynamic_form
    g = _rewrite(graph, form, "dynamic")
    if compute == "int8":
        g.metadata["dynamic_compute"] = "int8"
    return g


def quantize_fp16(graph: Graph) -> Graph:
    """float16 weights and biases, float32 activations."""
    return _rewrite(graph, _fp16_form, "fp16")


def _rewrite(graph: Graph, form: Callable[[Node, int, Tensor, Graph], _Stored | None],
             mode: str) -> Graph:
    """A copy of `graph` where each float32 constant input that `form` picks is stored in its
    form and read through a DEQUANTIZE placed before its first reader; a constant that
    readers need in several forms gets one per form. A float constant no longer read is
    dropped (the writer writes only the tensors the nodes use)."""
    g = graph.copy()
    taken = {n.name for n in g.nodes}
    done: dict[tuple, str] = {}                  # (constant, form key) -> float32 tensor
    nodes: list[Node] = []
    for node in g.nodes:
        for i, name in enumerate(node.inputs):
            t = g.tensors.get(name) if name else None
            if t is None or not t.is_constant or t.dtype != DType.FLOAT32:
                continue
            stored = form(node, i, t, g)
            if stored is None:
                continue
            if (name, stored.key) not in done and stored.direct:
                done[(name, stored.key)] = _stored_tensor(g, taken, t, stored)
            elif (name, stored.key) not in done:
                nodes.append(_dequantize_node(g, taken, t, stored))
                done[(name, stored.key)] = nodes[-1].outputs[0]
            node.inputs[i] = done[(name, stored.key)]
        nodes.append(node)
    g.nodes = nodes
    g.drop_unused_tensors()
    g.metadata["quantization"] = mode
    return g


def _stored_tensor(g: Graph, taken: set[str], t: Tensor, stored: _Stored) -> str:
    """Adds the stored constant; returns its name."""
    small = _fresh(g, taken, f"{t.name}/{stored.dtype.name.lower()}")
    g.tensors[small] = Tensor(small, stored.dtype, t.shape, constant_array(stored.data),
                              stored.quant)
    return small


def _dequantize_node(g: Graph, taken: set[str], t: Tensor, stored: _Stored) -> Node:
    """Adds the stored constant and the float32 tensor its DEQUANTIZE makes; `taken` holds
    the node names in use (the graph's and the new ones)."""
    small = _stored_tensor(g, taken, t, stored)
    wide = _fresh(g, taken, f"{t.name}/dequantized")
    g.tensors[wide] = Tensor(wide, DType.FLOAT32, t.shape)
    name = _fresh(g, taken, f"{t.name}/dequantize")
    taken.add(name)
    return Node(OpType.DEQUANTIZE, name, [small], [wide])


def _fresh(g: Graph, taken: set[str], base: str) -> str:
    """A name no tensor or node uses, derived from `base` (deterministic)."""
    name, i = base, 1
    while name in taken or name in g.tensors:
        name, i = f"{base}_{i}", i + 1
    return name
