"""Bounded dynamic shapes: a graph input dim given as a range (lo, hi) stays dynamic in the file.

The converter lowers the model twice: at the bound (every dynamic dim at hi, the shapes the
file stores and the arena is planned for) and at a probe (each at another value in range).
Both lowerings must be the same graph; what differs between them says which dims follow which
input dim. The runtime derives every tensor's shape from the resized inputs through each op's
shape rule; the file only has to say what no rule can know:

- graph inputs: which dims follow which symbol (Tensor.dim_symbols, Subgraph.symbols);
- RESHAPE: its target shape as entries that follow the input (ReshapeParams.new_shape);
- SLICE: how many elements each axis takes (SliceParams.size);
- a constant computed from a dynamic dim (BERT's position ids): when the probe's value is the
  leading part of the bound's, the runtime uses the leading part of the stored one.

Anything else that differs between the lowerings (a parameter computed from an input size,
such as the padding of a strided "same" convolution) is refused, naming the node.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelImportError
from .ir import TO_NHWC, Graph, Node, Symbol, Tensor
from .ops import OpType
from .ops.operands import runtime_operands

DimSpec = int | tuple[int, int]


@dataclass(frozen=True)
class DynamicInputs:
    """What `plan_inputs` derived from the user's input_shapes."""
    bound: dict[str, tuple[int, ...]]           # every dynamic dim at its max
    probe: dict[str, tuple[int, ...]]           # every dynamic dim at its probe value
    symbols: tuple[Symbol, ...]
    probes: tuple[int, ...]                     # each symbol's value in the probe shapes
    dim_symbols: dict[str, tuple[int, ...]]     # graph input -> per dim, -1 or a symbol


def parse_dim(text: str) -> DimSpec:
    """"640" -> 640, "32..640" -> (32, 640) (the CLI's --input-shape syntax)."""
    lo, sep, hi = text.partition("..")
    return (int(lo), int(hi)) if sep else int(text)


def plan_inputs(given: Mapping[str, Sequence[Any]],
                declared: Mapping[str, Sequence[int | str | None]]) -> DynamicInputs:
    """The bound and probe shapes of the graph inputs (the same when no dim is a range).

    `given`: input name -> dims, each an int, -1 (the model's own, fixed size) or a range
    (lo, hi). `declared`: input name -> the model's dims (an int, a symbol name, or None).
    Ranges over one model symbol (an ONNX dim_param) share one Emberlite symbol."""
    dims = {name: [_dim_spec(name, d, v, declared.get(name)) for d, v in enumerate(shape)]
            for name, shape in given.items()}
    dims.update(_sharing_inputs(dims, declared))
    symbols: dict[str, Symbol] = {}
    dim_symbols: dict[str, tuple[int, ...]] = {}
    for name, shape in dims.items():
        marks = []
        for d, spec in enumerate(shape):
            if not isinstance(spec, tuple) or spec[0] == spec[1]:
                marks.append(-1)
                continue
            key = _symbol_name(name, d, declared.get(name))
            symbol = symbols.setdefault(key, Symbol(key, spec[0], spec[1]))
            if (symbol.min, symbol.max) != spec:
                raise ModelImportError(f"input_shapes: dimension {key!r} is given the ranges "
                                       f"{symbol.min}..{symbol.max} and {spec[0]}..{spec[1]}")
            marks.append(list(symbols).index(key))
        dim_symbols[name] = tuple(marks)
    maxima = [s.max for s in symbols.values()]
    probes = _probes(list(symbols.values()))
    return DynamicInputs({n: _at(shape, dim_symbols[n], maxima) for n, shape in dims.items()},
                         {n: _at(shape, dim_symbols[n], probes) for n, shape in dims.items()},
                         tuple(symbols.values()), tuple(probes),
                         {n: m for n, m in dim_symbols.items() if any(k >= 0 for k in m)})


def _sharing_inputs(dims: dict[str, list[DimSpec]],
                    declared: Mapping[str, Sequence[int | str | None]]
                    ) -> dict[str, list[DimSpec]]:
    """Inputs not given whose model dims name a symbol given a range elsewhere (BERT's
    attention_mask beside its input_ids): that range for those dims, the model's sizes for the
    others, and 1 for a dynamic batch dim."""
    ranges = {_symbol_name(name, d, declared.get(name)): spec
              for name, shape in dims.items() for d, spec in enumerate(shape)
              if isinstance(spec, tuple)}
    shared = {}
    for name, model_dims in declared.items():
        if name in dims or not any(isinstance(m, str) and m in ranges for m in model_dims):
            continue
        shared[name] = [ranges[m] if isinstance(m, str) and m in ranges else
                        (m if isinstance(m, int) and m > 0 else 1) for m in model_dims]
        if any(not isinstance(m, int) and m not in ranges for m in model_dims[1:]):
            del shared[name]  # another dynamic dim: the importer asks for its shape
    return shared


def _at(shape: list[DimSpec], marks: tuple[int, ...], values: list[int]) -> tuple[int, ...]:
    """The shape with each dim that follows symbol k at values[k] (a fixed range at hi)."""
    return tuple(values[k] if k >= 0 else (spec[1] if isinstance(spec, tuple) else spec)
                 for spec, k in zip(shape, marks))


def _dim_spec(name: str, d: int, value: Any, declared: Sequence[int | str | None] | None
              ) -> DimSpec:
    where = f"input_shapes[{name!r}] dim {d}"
    if isinstance(value, str):
        value = parse_dim(value)
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(isinstance(v, (int, np.integer)) for v in value):
            raise ModelImportError(f"{where}: a range is (lo, hi), got {value!r}")
        lo, hi = int(value[0]), int(value[1])
        if not 1 <= lo <= hi < 2**31:
            raise ModelImportError(f"{where}: the range {lo}..{hi} needs 1 <= lo <= hi")
        return (lo, hi)
    if int(value) == -1:
        model_dim = declared[d] if declared is not None and d < len(declared) else None
        if not isinstance(model_dim, int) or model_dim < 1:
            raise ModelImportError(f"{where} is -1 but the model's dim is dynamic: give its "
                                   f"range as (lo, hi) (ember convert: --input-shape "
                                   f"{name}:...,LO..HI,...)")
        return model_dim
    return int(value)


def _symbol_name(name: str, d: int, declared: Sequence[int | str | None] | None) -> str:
    model_dim = declared[d] if declared is not None and d < len(declared) else None
    return model_dim if isinstance(model_dim, str) and model_dim else f"{name}:{d}"


def _probes(symbols: list[Symbol]) -> list[int]:
    """A value in range other than max for each symbol, distinct from the others' values:
    a multiple of the largest power of two (up to 64) dividing both ends, so that strided
    models that need sizes of a multiple of 32 get one, and >= 2 where the range allows."""
    taken = {s.max for s in symbols}
    probes = []
    for s in symbols:
        align = 1
        while align < 64 and s.min % (align * 2) == 0 and s.max % (align * 2) == 0:
            align *= 2
        start = max(s.min, 2, (s.min + s.max) // 2 // align * align)
        candidates = [v for v in range(start, s.min - 1, -align) if v < s.max] + \
                     [v for v in range(start + align, s.max, align)]
        fresh = [v for v in candidates if v not in taken and v % align == 0] or \
                [v for v in range(s.min, s.max) if v not in taken]
        if not fresh:
            raise ModelImportError(f"dimension {s.name!r}: the range {s.min}..{s.max} leaves no "
                                   f"second value to check the model at")
        probes.append(fresh[0])
        taken.add(fresh[0])
    return probes


# --- binding -------------------------------------------------------------------------------
def bind(bound: Graph, probe: Graph, inputs: DynamicInputs) -> Graph:
    """The bound graph with what the runtime needs to follow resized inputs (see the module
    docstring); `probe` is the same model lowered at the probe shapes."""
    _same_structure(bound, probe)
    values = ([s.max for s in inputs.symbols], list(inputs.probes))
    graph = bound.copy()
    graph.symbols = list(inputs.symbols)
    for name in graph.inputs:
        marks = inputs.dim_symbols.get(name)
        if marks is not None and graph.metadata.get(f"layout.input.{name}") == "NHWC":
            marks = tuple(marks[p] for p in TO_NHWC)  # the file stores this input as NHWC
        graph.tensors[name] = dataclasses.replace(graph.tensors[name], dim_symbols=marks)
    producers = bound.producers()
    for name, t in bound.tensors.items():
        if t.is_constant and not _same_array(t.data, probe.tensors[name].data):
            graph.tensors[name] = _cropped_constant(t, probe.tensors[name], values,
                                                    producers.get(name))
    graph.nodes = [_bind_node(n, bound, probe, values) for n in bound.nodes]
    return graph


def _same_structure(bound: Graph, probe: Graph) -> None:
    if [(n.op, n.name) for n in bound.nodes] != [(n.op, n.name) for n in probe.nodes] or \
            bound.inputs != probe.inputs or bound.outputs != probe.outputs:
        first = next((f"node {a.name!r} ({a.op.name.lower()}) vs {b.name!r} "
                      f"({b.op.name.lower()})" for a, b in zip(bound.nodes, probe.nodes)
                      if (a.op, a.name) != (b.op, b.name)), "the node count")
        raise ModelImportError(f"the model lowers to different graphs at different sizes of "
                               f"its dynamic dims (first difference: {first}); convert it "
                               f"with fixed shapes")
    for a, b in zip(bound.nodes, probe.nodes):
        if a.inputs != b.inputs or a.outputs != b.outputs:
            raise ModelImportError(f"node {a.name!r} ({a.op.name.lower()}) is wired differently "
                                   f"at different sizes of the dynamic dims; convert it with "
                                   f"fixed shapes")
        for name in a.inputs + a.outputs:
            ta, tb = bound.tensors.get(name), probe.tensors.get(name)
            if name and (ta.dtype != tb.dtype or ta.quant != tb.quant or
                         len(ta.shape or ()) != len(tb.shape or ())):
                raise ModelImportError(f"tensor {name!r} of node {a.name!r} changes type, "
                                       f"quantization or rank with the dynamic dims")


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return (a is None) == (b is None) and (a is None or (a.shape == b.shape and
                                                         np.array_equal(a, b)))


def _same_params(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if not dataclasses.is_dataclass(a):
        return _same_value(a, b)
    return all(_same_value(getattr(a, f.name), getattr(b, f.name))
               for f in dataclasses.fields(a))


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _same_array(np.asarray(a), np.asarray(b))
    if dataclasses.is_dataclass(a):
        return _same_params(a, b)
    return bool(a == b)


def _follows(values: tuple[list[int], list[int]], dims: tuple[int, int]) -> int | None:
    """The symbol whose values at the bound and the probe are these dims, if one is."""
    for k, (hi, lo) in enumerate(zip(*values)):
        if dims == (hi, lo):
            return k
    return None


def _cropped_constant(t: Tensor, small: Tensor, values: tuple[list[int], list[int]],
                      producer: Node | None) -> Tensor:
    made = f" (made by node {producer.name!r})" if producer else ""
    differ = [d for d, (a, b) in enumerate(zip(t.shape, small.shape)) if a != b]
    symbol = _follows(values, (t.shape[differ[0]], small.shape[differ[0]])) if differ else None
    lead = differ[0] if differ else 0
    if len(differ) != 1 or symbol is None or any(d != 1 for d in t.shape[:lead]) or \
            not np.array_equal(t.data[(slice(None),) * lead + (slice(0, small.shape[lead]),)],
                               small.data):
        raise ModelImportError(f"constant {t.name!r}{made} depends on the dynamic dims in a way "
                               f"Emberlite cannot follow at run time (shape {list(t.shape)} at "
                               f"the bound, {list(small.shape)} at another size); convert the "
                               f"model with fixed shapes")
    marks = tuple(symbol if d == lead else -1 for d in range(len(t.shape)))
    return dataclasses.replace(t, dim_symbols=marks)


def _bind_node(node: Node, bound: Graph, probe: Graph,
               values: tuple[list[int], list[int]]) -> Node:
    other = next(n for n in probe.nodes if n.name == node.name)
    if runtime_operands(node):
        raise ModelImportError(f"node {node.name!r} ({node.op.name.lower()}): its output shape "
                               f"follows a run-time operand ({runtime_operands(node)[0]!r}), "
                               f"which cannot follow the dynamic dims; give it as a constant "
                               f"or convert the model with fixed shapes")
    if node.op == OpType.RESHAPE:
        return dataclasses.replace(node, params=dataclasses.replace(
            node.params, new_shape=_reshape_spec(node, bound, probe, values)))
    if node.op == OpType.SLICE:
        if not _same_params(node.params, other.params):
            raise _param_error(node)
        size = _slice_size(node, bound, probe, values)
        return dataclasses.replace(node, params=dataclasses.replace(node.params, size=size))
    if not _same_params(node.params, other.params):
        raise _param_error(node)
    return node


def _param_error(node: Node) -> ModelImportError:
    return ModelImportError(f"node {node.name!r} ({node.op.name.lower()}): its parameters "
                            f"depend on the sizes of the dynamic dims (a strided 'same' "
                            f"padding, a size computed from the input); convert the model with "
                            f"fixed shapes")


def _shapes(node: Node, bound: Graph, probe: Graph, name: str) -> tuple[tuple, tuple]:
    return tuple(bound.tensors[name].shape), tuple(probe.tensors[name].shape)


def _reshape_spec(node: Node, bound: Graph, probe: Graph,
                  values: tuple[list[int], list[int]]) -> tuple[int, ...]:
    (x_hi, x_lo), (y_hi, y_lo) = (_shapes(node, bound, probe, node.inputs[0]),
                                  _shapes(node, bound, probe, node.outputs[0]))
    spec = []
    for d, (hi, lo) in enumerate(zip(y_hi, y_lo)):
        symbol = _follows(values, (hi, lo))
        if hi == lo:
            spec.append(hi)
        elif d < len(x_hi) and (x_hi[d], x_lo[d]) == (hi, lo):
            spec.append(0)
        elif symbol is not None:
            spec.append(-2 - symbol)
        else:
            spec.append(-1)
    if spec.count(-1) > 1:
        raise ModelImportError(f"node {node.name!r} (reshape): {spec.count(-1)} of its output "
                               f"dims {list(y_hi)} follow the dynamic dims in ways Emberlite "
                               f"cannot state (at most one may); convert it with fixed shapes")
    return tuple(spec)


def _slice_size(node: Node, bound: Graph, probe: Graph,
                values: tuple[list[int], list[int]]) -> tuple[int, ...]:
    (x_hi, x_lo), (y_hi, y_lo) = (_shapes(node, bound, probe, node.inputs[0]),
                                  _shapes(node, bound, probe, node.outputs[0]))
    if y_hi == y_lo:
        return ()
    size = []
    for d, (hi, lo) in enumerate(zip(y_hi, y_lo)):
        begin, step = node.params.begin[d], node.params.step[d]
        to_end = (_count(x_hi[d], begin, step), _count(x_lo[d], begin, step)) == (hi, lo)
        symbol = _follows(values, (hi, lo))
        if hi == lo:
            size.append(hi)
        elif to_end:
            size.append(-1)
        elif symbol is not None:
            size.append(-2 - symbol)
        else:
            raise ModelImportError(f"node {node.name!r} (slice): axis {d} takes {hi} elements at "
                                   f"the bound and {lo} at another size, which is neither the "
                                   f"rest of the axis nor a dynamic dim; convert it with fixed "
                                   f"shapes")
    return tuple(size)


def _count(dim: int, begin: int, step: int) -> int:
    room = dim - begin if step > 0 else begin + 1
    return max(0, -(-room // abs(step)))


# --- the runtime's view -----------------------------------------------------------------
def check_at_probe(data: bytes, probe: Graph) -> None:
    """Resizes the written file's inputs to the probe shapes in the runtime and compares every
    tensor's derived shape with the probe lowering's: the ops' shape rules and the converter
    must agree before the file is handed out."""
    from emberlite import Interpreter
    from emberlite.errors import EmberRuntimeError

    interp = Interpreter(model_content=data)
    try:
        for detail in interp.get_input_details():
            interp.resize_tensor_input(detail["index"], probe.tensors[detail["name"]].shape)
        interp.allocate_tensors()
    except EmberRuntimeError as e:
        raise ModelImportError(f"the converted file does not follow its inputs to the sizes "
                               f"the converter checked ({e}); convert it with fixed shapes") \
            from None
    for detail in interp.get_tensor_details():
        want = probe.tensors.get(detail["name"])
        if want is not None and tuple(detail["shape"]) != tuple(want.shape or ()):
            raise ModelImportError(f"tensor {detail['name']!r}: the runtime derives shape "
                                   f"{list(detail['shape'])} at the checked sizes, the "
                                   f"converter {list(want.shape or ())}; convert the model "
                                   f"with fixed shapes")
