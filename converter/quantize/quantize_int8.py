"""Int8 rewrite: a float graph (after the passes) plus calibrated activation ranges becomes a
graph whose tensors are int8 wherever an op with an int8 kernel reads or writes them, as the
int8 kernels expect (csrc/kernels/quant.h). int8_rules.py has one rule per such op, derived
from the ops' facts (converter/ops/<op>.py); in short:

- weights of CONV2D / DEPTHWISE_CONV2D / FULLY_CONNECTED / TRANSPOSE_CONV2D: int8, symmetric
  per output channel (depthwise: the last axis, else axis 0), scale max|w| / 127, zero point 0;
- their bias: int32 scaled by input_scale x weight_scale of the channel, written without
  params (the kernels imply them);
- activations (graph inputs and outputs included) and the constants other int8 ops read: int8
  asymmetric per tensor from the range, except the outputs of ops whose int8 form fixes them
  (SOFTMAX, SIGMOID, TANH, L2_NORMALIZATION); SIGMOID and TANH get their lookup table.

Ops that only move or select values (pools, reshape, transpose, slice, split, pad, gather,
resize) need the same params on input and output, CONCATENATION, MAXIMUM and MINIMUM on every
input too, so those tensors are grouped and each group is quantized from one range covering
every member.

Float fallback: a node without an int8 rule, or refused by its rule (int8_refusal), or that
the caller keeps float, runs in float32; a DEQUANTIZE gives it each int8 input it reads and a
QUANTIZE turns each float output an int8 node (or an int8 graph output) needs back into int8.

With io="int8" the graph inputs and outputs are int8 (users read their params from the tensor
details); with io="float" they are float32, converted by the same QUANTIZE/DEQUANTIZE ops;
with io="uint8" each int8 input and output gets a uint8 twin with the same scale and zero
point + 128 (as TFLite's inference_input_type=tf.uint8), joined to it by a QUANTIZE, which
then shifts the stored values by 128.

16x8 (quantize_int16x8) is the same rewrite with another Scheme: int16 activations, symmetric
(zero point 0, scale max|range| / 32767), int8 weights as above and int64 biases, for the ops
of int16_rules.py; io "int16" or "float".
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import QuantizationError
from ..ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from ..ops import OpType
from ..ops.lookup_table import TABLE_SIZE, int8_lookup_table
from .int16_rules import INT16_RULES, int16_refusal
from .int8_rules import INT8_RULES, SchemeRule, int8_refusal
from .ranges import asymmetric_int8_params, symmetric_int16_params

# The scale given to an all-zero weight channel: any positive scale quantizes it to zeros.
ZERO_CHANNEL_SCALE = 1e-8
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
# int64 biases are kept within +-2^62: the 16x8 kernels saturate their sums at 2^47 anyway.
INT64_BOUND = 2 ** 62


def _int8_params(lo: float, hi: float) -> QuantParams:
    scale, zero_point = asymmetric_int8_params(lo, hi)
    return QuantParams((scale,), (zero_point,))


def _int16_params(lo: float, hi: float) -> QuantParams:
    scale, zero_point = symmetric_int16_params(lo, hi)
    return QuantParams((scale,), (zero_point,))


@dataclass(frozen=True)
class Scheme:
    """One quantized form of the graph: the activation type, the rules of the ops that have
    a kernel for it, and how a range becomes params."""
    mode: str                                    # the metadata's "quantization"
    io: tuple[str, ...]                          # the io values that make io integer
    dtype: DType                                 # of the activations
    rules: dict[OpType, SchemeRule]
    refusal: Callable[[Node, Graph], str]
    params: Callable[[float, float], QuantParams]
    bias_dtype: DType
    bias_bounds: tuple[int, int]


INT8 = Scheme("int8", ("int8", "uint8"), DType.INT8, INT8_RULES, int8_refusal, _int8_params,
              DType.INT32, (INT32_MIN, INT32_MAX))
INT16X8 = Scheme("int16x8", ("int16",), DType.INT16, INT16_RULES, int16_refusal,
                 _int16_params, DType.INT64, (-INT64_BOUND, INT64_BOUND))
SCHEMES = {s.mode: s for s in (INT8, INT16X8)}


def check_io(scheme: Scheme, io: str) -> None:
    if io not in (*scheme.io, "float"):
        raise QuantizationError(f"quantize io must be one of "
                                f"{', '.join(map(repr, (*scheme.io, 'float')))}, got {io!r}")


def quantize_int8(graph: Graph, ranges: dict[str, tuple[float, float]],
                  method: str, io: str = "int8", keep_float: Iterable[str] = ()) -> Graph:
    """An int8 copy of `graph`; `ranges` holds the calibrated (lo, hi) of every float
    activation tensor (calibrate()), `method` the calibration method (kept as metadata), `io`
    the type of the graph inputs and outputs: "int8", "uint8" or "float", `keep_float` names
    of nodes to run in float32 although they have an int8 kernel."""
    return quantize_graph(INT8, graph, ranges, method, io, keep_float)


def quantize_int16x8(graph: Graph, ranges: dict[str, tuple[float, float]],
                     method: str, io: str = "float", keep_float: Iterable[str] = ()) -> Graph:
    """A 16x8 copy of `graph` (int16 activations, int8 weights), as quantize_int8 with `io`
    "int16" or "float"."""
    return quantize_graph(INT16X8, graph, ranges, method, io, keep_float)


def quantize_graph(scheme: Scheme, graph: Graph, ranges: dict[str, tuple[float, float]],
                   method: str, io: str, keep_float: Iterable[str] = ()) -> Graph:
    """`graph` quantized by `scheme` (quantize_int8 says what the arguments are)."""
    check_io(scheme, io)
    keep = set(keep_float)
    unknown = sorted(keep - {n.name for n in graph.nodes})
    if unknown:
        raise QuantizationError(f"keep_float names no node of the graph: {unknown}")
    g = graph.copy()
    in_float = [bool(scheme.refusal(n, g)) or n.name in keep for n in g.nodes]
    int_nodes = [n for n, f in zip(g.nodes, in_float) if not f]
    io_tensors = g.inputs + g.outputs if io != "float" else []
    activation = _activation_params(scheme, g, ranges, int_nodes, io_tensors)
    for name, params in activation.items():
        t = g.tensors[name]
        data = None if t.data is None else constant_array(_quantize(t.data, params,
                                                                    scheme.dtype))
        g.tensors[name] = dataclasses.replace(t, dtype=scheme.dtype, data=data, quant=params)
    done: dict[tuple, str] = {}
    for node in int_nodes:
        rule = scheme.rules[node.op]
        if rule.weights is not None:
            _quantize_weights(scheme, g, graph, node.inputs, rule.weights, done)
        if rule.table is not None:
            _add_table(g, node, rule.table)
    float_nodes = [n for n, f in zip(g.nodes, in_float) if f]
    _float_constants(g, graph, float_nodes)
    _split_domains(g, graph, in_float, io == "float", scheme.dtype.name.lower())
    if io == "uint8":
        _uint8_edges(g)
    g.metadata["quantization"] = scheme.mode
    g.metadata["quantization.method"] = method
    if float_nodes:
        g.metadata["quantization.float_nodes"] = json.dumps([n.name for n in float_nodes])
    return g


def _float_constants(g: Graph, source: Graph, float_nodes: list[Node]) -> None:
    """Float nodes read the float value of a constant that an int8 node also reads (and that
    was therefore quantized in place) from a float copy."""
    copies: dict[str, str] = {}
    for node in float_nodes:
        for i, name in enumerate(node.inputs):
            t, original = g.tensors.get(name), source.tensors.get(name)
            if t is None or not t.is_constant or t.dtype == original.dtype:
                continue
            if name not in copies:
                copies[name] = g.unique_name(f"{name}/float")
                g.tensors[copies[name]] = dataclasses.replace(original, name=copies[name])
            node.inputs[i] = copies[name]


def _split_domains(g: Graph, source: Graph, in_float: list[bool], io_float: bool,
                   tag: str) -> None:
    """Gives each float32 activation read or written both by int8 and by float code (graph
    inputs and outputs count as `io_float` code) one tensor per domain, joined by a QUANTIZE
    or DEQUANTIZE right after the tensor is made. The graph's inputs and outputs keep their
    names in the io domain, every other tensor in the domain of its producer; the other
    domain's tensor gets a fresh name, ending in /float or /`tag` (the integer type)."""
    made: dict[str, bool] = {name: io_float for name in g.inputs}
    for node, is_float in zip(g.nodes, in_float):
        made.update((name, is_float) for name in node.outputs)
    wanted: dict[str, set[bool]] = {name: {io_float} for name in g.outputs}
    for node, is_float in zip(g.nodes, in_float):
        for name in node.inputs:
            if name in made:
                wanted.setdefault(name, set()).add(is_float)
    names: dict[str, dict[bool, str]] = {}
    convert: dict[str, Node] = {}
    for name in g.tensor_order():
        if name not in made or source.tensors[name].dtype != DType.FLOAT32:
            continue
        if wanted.get(name, set()) <= {made[name]}:
            continue
        int8 = g.tensors[name]
        primary = io_float if name in g.inputs or name in g.outputs else made[name]
        other = g.unique_name(f"{name}/{tag if primary else 'float'}")
        names[name] = {primary: name, not primary: other}
        g.tensors[names[name][False]] = dataclasses.replace(int8, name=names[name][False])
        g.tensors[names[name][True]] = dataclasses.replace(source.tensors[name],
                                                           name=names[name][True])
        src, dst = names[name][made[name]], names[name][not made[name]]
        op = OpType.QUANTIZE if made[name] else OpType.DEQUANTIZE
        convert[name] = Node(op, g.unique_name(f"{name}/{op.name.lower()}"), [src], [dst])
    nodes = [convert[name] for name in g.inputs if name in convert]
    for node, is_float in zip(g.nodes, in_float):
        made_here = [n for n in node.outputs if n in convert]
        node.inputs = [names[n][is_float] if n in names else n for n in node.inputs]
        node.outputs = [names[n][is_float] if n in names else n for n in node.outputs]
        nodes.append(node)
        nodes.extend(convert[n] for n in made_here)
    g.nodes = nodes


def _uint8_edges(g: Graph) -> None:
    """Makes the int8 graph inputs and outputs uint8: each keeps its name and scale, and its
    zero point gains 128; the int8 tensor the graph computes with gets a fresh name, and a
    QUANTIZE joins the two (right after the producer, for an output). An input that is also
    an output is converted once, as an input."""
    fresh: dict[str, str] = {}
    for name in dict.fromkeys(g.inputs + g.outputs):
        t = g.tensors[name]
        if t.dtype == DType.INT8 and t.quant is not None:
            fresh[name] = g.unique_name(f"{name}/int8")
            g.tensors[fresh[name]] = dataclasses.replace(t, name=fresh[name])
            g.tensors[name] = dataclasses.replace(
                t, dtype=DType.UINT8,
                quant=QuantParams(t.quant.scale, (t.quant.zero_point[0] + 128,)))
    edges = {name: Node(OpType.QUANTIZE, g.unique_name(f"{name}/quantize"),
                        [name] if name in g.inputs else [int8],
                        [int8] if name in g.inputs else [name])
             for name, int8 in fresh.items()}
    nodes = [edges[name] for name in g.inputs if name in edges]
    for node in g.nodes:
        node.inputs = [fresh.get(n, n) for n in node.inputs]
        node.outputs = [fresh.get(n, n) for n in node.outputs]
        nodes.append(node)
        nodes.extend(edges[n] for n in fresh if fresh[n] in node.outputs)
    g.nodes = nodes


def _activation_params(scheme: Scheme, g: Graph, ranges: dict[str, tuple[float, float]],
                       int8_nodes: list[Node], io_tensors: list[str]
                       ) -> dict[str, QuantParams]:
    """Params of every float tensor a node of `int8_nodes` (those quantized by `scheme`)
    reads or writes (weights and bias aside), and of `io_tensors`, shared within groups
    (int8_rules.py)."""
    rules = scheme.rules
    weights = {name for node in int8_nodes if rules[node.op].weights is not None
               for name in node.inputs[1:]}
    touched = set(io_tensors) | {name for node in int8_nodes
                                 for name in node.inputs + node.outputs}
    floats = [name for name in g.tensor_order()
              if name in touched and g.tensors[name].dtype == DType.FLOAT32
              and name not in weights]
    missing = [n for n in floats if not g.tensors[n].is_constant and n not in ranges]
    if missing:
        raise QuantizationError(f"no calibrated range for tensor(s) {missing}")
    parent = {name: name for name in floats}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    def join(names: list[str]) -> None:
        members = [root(n) for n in names if n in parent]
        for other in members[1:]:
            parent[other] = members[0]

    for node in int8_nodes:
        shared = rules[node.op].shared
        if shared:
            join((node.inputs if shared == "all" else node.inputs[:1]) + node.outputs)
    fixed = {root(name): rules[node.op].fixed for node in int8_nodes
             if rules[node.op].fixed is not None
             for name in node.outputs if name in parent}
    bounds: dict[str, tuple[float, float]] = {}
    for name in floats:
        t = g.tensors[name]
        lo, hi = ranges[name] if not t.is_constant else (float(np.min(t.data, initial=0.0)),
                                                         float(np.max(t.data, initial=0.0)))
        r = root(name)
        old_lo, old_hi = bounds.get(r, (0.0, 0.0))
        bounds[r] = (min(old_lo, lo), max(old_hi, hi))
    groups = {r: fixed.get(r) or scheme.params(*b) for r, b in bounds.items()}
    for node in int8_nodes:
        _widen_output(scheme, node, groups, bounds, fixed, root, parent)
    return {name: groups[root(name)] for name in floats}


def _widen_output(scheme: Scheme, node: Node, groups: dict[str, QuantParams],
                  bounds: dict[str, tuple[float, float]], fixed: dict[str, QuantParams],
                  root: Callable[[str], str], parent: dict[str, str]) -> None:
    """Widens the range of `node`'s output where the kernel needs a larger output scale than
    calibration gave (the rule's min_out_scale x the largest input scale)."""
    least = scheme.rules[node.op].min_out_scale
    if not least or node.outputs[0] not in parent or root(node.outputs[0]) in fixed:
        return
    scales = [groups[root(n)].scale[0] for n in node.inputs if n in parent]
    # The kernels need the multiplier strictly below their bound: a margin of 0.1%.
    need = max(scales, default=0.0) * least * 1.001
    r = root(node.outputs[0])
    if groups[r].scale[0] >= need:
        return
    factor = need / groups[r].scale[0]
    lo, hi = bounds[r]
    info = np.iinfo(scheme.dtype.numpy)
    bounds[r] = (lo * factor, hi * factor) if lo != hi else (need * info.min, need * info.max)
    groups[r] = scheme.params(*bounds[r])


def _add_table(g: Graph, node: Node, fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """Input 1 of a lookup-table op: its 256 outputs, built from the node's params as the
    TFLite importer builds them; the entries are output values, quantized as the output."""
    out_quant = g.tensors[node.outputs[0]].quant
    table = int8_lookup_table(fn, g.tensors[node.inputs[0]].quant, out_quant)
    name = g.unique_name(f"{node.name}/table")
    g.tensors[name] = Tensor(name, DType.INT8, (TABLE_SIZE,), constant_array(table), out_quant)
    node.inputs.append(name)


def _quantize(x: np.ndarray, q: QuantParams, dtype: DType) -> np.ndarray:
    """Per tensor, to int8 or int16 (numpy rounds half to even)."""
    info = np.iinfo(dtype.numpy)
    v = np.round(np.asarray(x, np.float32) / np.float32(q.scale[0])) + q.zero_point[0]
    return np.clip(v, info.min, info.max).astype(dtype.numpy)


def _quantize_weights(scheme: Scheme, g: Graph, source: Graph, inputs: list[str], axis: int,
                      done: dict[tuple, str]) -> None:
    """Weights (inputs[1]) per channel along `axis`, then the bias (inputs[2]) from them.

    `source` holds the float values; `done` maps (constant, form) to the quantized tensor, so
    a constant shared by ops that need it in different forms (another axis, a bias under
    another input scale) gets one tensor per form."""
    w = source.tensors[inputs[1]]
    if not w.is_constant or w.dtype != DType.FLOAT32:
        raise QuantizationError(f"weights {inputs[1]!r} must be float constants to quantize")
    data = np.asarray(w.data, np.float32)
    moved = np.moveaxis(data, axis, 0).reshape(data.shape[axis], -1)
    amax = np.max(np.abs(moved), axis=1, initial=0.0)
    w_scale = np.where(amax > 0, amax / np.float32(127), ZERO_CHANNEL_SCALE).astype(np.float32)
    shape = [1] * data.ndim
    shape[axis] = -1
    q = np.clip(np.round(data / w_scale.reshape(shape)), -127, 127).astype(np.int8)
    inputs[1] = _store(g, inputs[1], ("weights", axis), q, DType.INT8,
                       QuantParams(tuple(float(s) for s in w_scale), (0,) * len(w_scale), axis),
                       done)
    if len(inputs) < 3 or not inputs[2]:
        return
    b = source.tensors[inputs[2]]
    if not b.is_constant or b.dtype != DType.FLOAT32:
        raise QuantizationError(f"bias {inputs[2]!r} must be a float constant to quantize")
    # float32 products, as the kernels' check (and LiteRT) compute the expected bias scale
    scale = (np.float32(g.tensors[inputs[0]].quant.scale[0]) * w_scale).astype(np.float32)
    v = np.round(np.asarray(b.data, np.float64) / scale.astype(np.float64))
    q = np.clip(v, *scheme.bias_bounds).astype(scheme.bias_dtype.numpy)
    # No params are stored: the kernels take a bias without them as scaled input x weight
    # scale, and per-channel params would add 12 bytes a channel to the file.
    inputs[2] = _store(g, inputs[2], ("bias", tuple(float(s) for s in scale)), q,
                       scheme.bias_dtype, None, done)


def _store(g: Graph, name: str, how: tuple, data: np.ndarray, dtype: DType,
           quant: QuantParams | None, done: dict[tuple, str]) -> str:
    """The name of constant `name` quantized `how`: in place for its first form, a fresh
    tensor for each other form."""
    key = (name, how)
    if key not in done:
        first = not any(n == name for n, _ in done)
        stored = name if first else g.unique_name(name)
        g.tensors[stored] = Tensor(stored, dtype, tuple(data.shape), constant_array(data), quant)
        done[key] = stored
    return done[key]
