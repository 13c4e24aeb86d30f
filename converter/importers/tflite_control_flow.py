"""TFLite WHILE and IF, inlined at conversion (tflite.py's conversion calls CONTROL_FLOW_OPS
for them instead of the op table; their subgraphs' operators are converted like the main
graph's, each checked as the scan checks those, with the values bound to its inputs).

- WHILE is unrolled when its trip count is known at conversion: the cond subgraph runs on
  the carried values (a constant counter and limit fold), and while it folds to true the body
  subgraph is inlined once more, its inputs bound to the carried values (constants stay
  constants, so the counter and every index computed from it fold). This is what TF's
  converter makes of a Keras 3 LSTM or GRU. A condition that depends on a run-time value is
  refused, as is a loop past MAX_STEPS steps (MAX_STEPS of all loops, nested ones once per
  outer step) or past MAX_INLINED_NODES IR nodes inlined in all.
- IF whose condition is constant after folding becomes its taken branch; a run-time
  condition is refused.
Each inlined copy of a subgraph prefixes its tensor names with the control-flow op and the
step (`while1.3/...`, `while1.c3/...` for the cond), so names stay unique however deep the
nesting. The subgraph's own constants are shared by all its copies (the weights of an LSTM's
body are stored once).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, Union

import numpy as np
from tflite.BuiltinOperator import BuiltinOperator

from .graph_builder import Invalid, Unsupported
from .onnx_recurrent_ops import MAX_STEPS
from .tflite_reader import NUMPY_TYPES, TFLModel, TFLOperator, check_order

__all__ = ["CONTROL_FLOW_OPS", "MAX_INLINED_NODES", "MAX_STEPS", "UnrollState",
           "without_empty_values"]

# The passes after the import take seconds per few thousand nodes.
MAX_INLINED_NODES = 4096

Value = Union[np.ndarray, str]   # a value known at conversion, or an IR tensor name


@dataclass
class UnrollState:
    """What one model's conversion has inlined so far (shared by the subgraphs' conversions)."""
    names: set[str] = field(default_factory=set)          # tensor names handed out
    steps: int = 0                                        # loop steps unrolled
    nodes: int = 0                                        # IR nodes inlined
    stack: list[int] = field(default_factory=list)        # subgraphs being inlined
    prefixes: list[str] = field(default_factory=list)     # ... and their names' prefixes
    # Per subgraph, the IR tensors its constants were given by an earlier copy.
    shared: dict[int, dict[int, str]] = field(default_factory=dict)


class Conversion(Protocol):
    """What inlining needs of tflite.py's _Conversion."""
    model: TFLModel
    consts: dict[int, np.ndarray]
    env: dict[int, str]
    names: list[str]
    graph: Any
    unroll: UnrollState

    def inner(self, sub: TFLModel, prefix: str) -> Conversion: ...

    def convert_operators(self, where: str = "") -> None: ...


def _subgraph(conv: Conversion, op: TFLOperator, field_name: str) -> tuple[int, TFLModel]:
    """The subgraph an option field of `op` names (the scan checked the index)."""
    if op.options is None:
        raise Invalid("the operator has no options naming its subgraphs")
    index = getattr(op.options, field_name)()
    if not 0 < index < len(conv.model.subgraphs):
        raise Invalid(f"{field_name} {index} is out of range [1, {len(conv.model.subgraphs)})")
    if index in conv.unroll.stack:
        raise Invalid(f"{field_name} {index} is a subgraph being inlined already (the "
                      f"subgraphs call each other in a cycle)")
    return index, conv.model.subgraphs[index]


def _value(conv: Conversion, t: int) -> Value:
    if t in conv.consts:
        return conv.consts[t]
    if t not in conv.env:
        raise Invalid(f"input tensor {t} is not computed before the operator")
    return conv.env[t]


def _shape_type(conv: Conversion, v: Value) -> tuple[tuple[int, ...], np.dtype]:
    if isinstance(v, np.ndarray):
        return tuple(v.shape), v.dtype
    tensor = conv.graph.tensors[v]
    return tuple(tensor.shape or ()), np.dtype(tensor.dtype.numpy)


def _run(conv: Conversion, index: int, sub: TFLModel, values: list[Value], prefix: str,
         where: str) -> list[Value]:
    """Inlines subgraph `index` once with `values` bound to its inputs; its outputs."""
    if len(values) != len(sub.inputs):
        raise Invalid(f"subgraph {index} has {len(sub.inputs)} inputs, the operator binds "
                      f"{len(values)} values")
    check_order(sub)
    child = conv.inner(sub, prefix)
    child.model = replace(sub, tensors=list(sub.tensors))  # a SLICE may refine its shapes
    shared = conv.unroll.shared.setdefault(index, {})
    child.env.update(shared)
    for pos, (t, v) in enumerate(zip(sub.inputs, values)):
        declared = sub.tensors[t]
        shape, dtype = _shape_type(conv, v)
        want = NUMPY_TYPES.get(declared.type)
        if want is not None and np.dtype(want) != dtype or declared.shape and \
                tuple(declared.shape) != shape:
            raise Invalid(f"subgraph {index} input {pos} ({declared.name!r}) is "
                          f"{np.dtype(want) if want else declared.type} {list(declared.shape)}, "
                          f"the value bound to it {dtype} {list(shape)}")
        child.env.pop(t, None)
        if isinstance(v, np.ndarray):
            child.consts[t] = v
        else:
            child.consts.pop(t, None)
            child.env[t] = v
    conv.unroll.stack.append(index)
    conv.unroll.prefixes.append(prefix)
    try:
        child.convert_operators(where)
    finally:
        conv.unroll.stack.pop()
        conv.unroll.prefixes.pop()
    own = {i for i, t in enumerate(sub.tensors) if t.data is not None} - set(sub.inputs)
    shared.update((t, child.env[t]) for t in own if t in child.env)
    return [_value(child, t) for t in sub.outputs]


def _bind_outputs(conv: Conversion, op: TFLOperator, values: list[Value]) -> None:
    if len(values) != len(op.outputs):
        raise Invalid(f"the operator has {len(op.outputs)} outputs, its subgraph gives "
                      f"{len(values)}")
    for t, v in zip(op.outputs, values):
        declared = conv.model.tensors[t].shape
        shape, _ = _shape_type(conv, v)
        if declared and tuple(declared) != shape:
            raise Invalid(f"output {conv.names[t]!r} is declared {list(declared)}, computed "
                          f"{list(shape)}")
        if isinstance(v, np.ndarray):
            conv.consts[t] = v
        else:
            conv.env[t] = v


def _condition(v: Value, what: str, refusal: str) -> bool:
    if not isinstance(v, np.ndarray):
        raise Unsupported(refusal)
    if v.size != 1:
        raise Invalid(f"{what} has {v.size} elements, expected 1")
    return bool(v.reshape(-1)[0])


def _base(conv: Conversion, op: TFLOperator) -> str:
    """What the names of `op`'s inlined tensors start with: the enclosing copies' prefix and
    the op (a subgraph's names already say which layer they belong to)."""
    outer = conv.unroll.prefixes[-1] if conv.unroll.prefixes else ""
    return f"{outer}{'while' if op.code == BuiltinOperator.WHILE else 'if'}{op.index}"


def _count_nodes(conv: Conversion, start: int) -> None:
    """Adds the nodes inlined since `start` to the total; a nested op's count in its
    outermost op's."""
    if not conv.unroll.stack:
        conv.unroll.nodes += len(conv.graph.nodes) - start


def convert_while(conv: Conversion, op: TFLOperator) -> None:
    cond_index, cond = _subgraph(conv, op, "CondSubgraphIndex")
    body_index, body = _subgraph(conv, op, "BodySubgraphIndex")
    n = len(op.inputs)
    if len(op.outputs) != n or len(body.outputs) != n or len(cond.outputs) != 1:
        raise Invalid(f"the loop carries {n} values: its outputs ({len(op.outputs)}) and the "
                      f"body subgraph {body_index}'s outputs ({len(body.outputs)}) must be as "
                      f"many, and the cond subgraph {cond_index} must have 1 output (it has "
                      f"{len(cond.outputs)})")
    values = [_value(conv, t) for t in op.inputs]
    base = _base(conv, op)
    start = len(conv.graph.nodes)
    for step in range(MAX_STEPS + 1):
        where = f"{op.label} ({op.op_name}) step {step}, "
        [c] = _run(conv, cond_index, cond, values, f"{base}.c{step}/", where)
        if not _condition(c, f"the cond subgraph {cond_index}'s output",
                          f"the loop condition (cond subgraph {cond_index}) depends on "
                          f"run-time values at step {step}: only loops whose trip count is "
                          f"known at conversion are unrolled"):
            break
        if step == MAX_STEPS or conv.unroll.steps >= MAX_STEPS:
            raise Unsupported(f"the loop runs more than {MAX_STEPS} steps (all loops together "
                              f"at most {MAX_STEPS} are unrolled)")
        conv.unroll.steps += 1
        values = _run(conv, body_index, body, values, f"{base}.{step}/", where)
        if conv.unroll.nodes + len(conv.graph.nodes) - start > MAX_INLINED_NODES:
            raise Unsupported(f"unrolling the loop inlines more than {MAX_INLINED_NODES} IR "
                              f"nodes (after {step + 1} steps)")
    _count_nodes(conv, start)
    _bind_outputs(conv, op, values)


def convert_if(conv: Conversion, op: TFLOperator) -> None:
    if not op.inputs or op.inputs[0] < 0:
        raise Invalid("the condition (input 0) is missing")
    taken = _condition(_value(conv, op.inputs[0]), "the condition (input 0)",
                       "IF with a run-time condition: only a condition known at conversion "
                       "(its taken branch is inlined) is supported")
    field_name = "ThenSubgraphIndex" if taken else "ElseSubgraphIndex"
    index, branch = _subgraph(conv, op, field_name)
    values = [_value(conv, t) for t in op.inputs[1:]]
    base = _base(conv, op)
    start = len(conv.graph.nodes)
    outputs = _run(conv, index, branch, values, f"{base}.{'then' if taken else 'else'}/",
                   f"{op.label} ({op.op_name}) {'then' if taken else 'else'} branch, ")
    _count_nodes(conv, start)
    if conv.unroll.nodes > MAX_INLINED_NODES:
        raise Unsupported(f"inlining the branch makes more than {MAX_INLINED_NODES} IR nodes "
                          f"inlined in all")
    _bind_outputs(conv, op, outputs)


def without_empty_values(conv: Conversion, op: TFLOperator) -> TFLOperator | None:
    """An unrolled loop's first and last steps slice nothing off the tensors it accumulates
    (TF's lowered tensor lists: the steps before this one, and the steps after): such a SLICE
    is an empty constant (None: nothing left to convert), a CONCATENATION drops it. A SLICE
    of a size computed from the step gets its output shape (the file's is a placeholder)."""
    if op.code == BuiltinOperator.SLICE and len(op.inputs) == 3 and op.inputs[0] >= 0 \
            and all(t in conv.consts for t in op.inputs[1:]) and len(op.outputs) == 1:
        shape, dtype = _shape_type(conv, _value(conv, op.inputs[0]))
        begin, size = (conv.consts[t].reshape(-1) for t in op.inputs[1:])
        if len(begin) == len(size) == len(shape) and all(
                0 <= b <= dim and (n == -1 or 0 <= n <= dim - b)
                for dim, b, n in zip(shape, begin, size)):
            counts = [dim - int(b) if n == -1 else int(n)
                      for dim, b, n in zip(shape, begin, size)]
            if 0 in counts:
                conv.consts[op.outputs[0]] = np.zeros(counts, dtype)
                return None
            out = conv.model.tensors[op.outputs[0]]
            if out.dynamic:   # the file's shape holds 1 for each unknown dimension
                conv.model.tensors[op.outputs[0]] = replace(out, shape=tuple(counts))
    if op.code == BuiltinOperator.CONCATENATION and op.options is not None:
        axis = op.options.Axis()
        empty = [t for t in op.inputs if t in conv.consts and conv.consts[t].ndim > 0
                 and conv.consts[t].shape[axis % conv.consts[t].ndim] == 0]
        if empty and len(empty) < len(op.inputs):
            return replace(op, inputs=[t for t in op.inputs if t not in empty])
    return op


CONTROL_FLOW_OPS: dict[int, Callable[[Any, TFLOperator], None]] = {
    BuiltinOperator.WHILE: convert_while,
    BuiltinOperator.IF: convert_if,
}
