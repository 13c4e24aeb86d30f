"""ONNX If, Loop and Scan, inlined at conversion (onnx.py calls CONTROL_FLOW_OPS from its
conversion, not through the op table: a subgraph's nodes are converted like the graph's own).

- If whose condition is constant after folding becomes its taken branch. On a run-time
  condition both branches are inlined and each output is a WHERE on the condition; the nodes
  only one side reads then run only when the condition picks that side
  (converter/branches.py), so the branch not taken costs nothing and cannot fail. Both
  branches must give each output the same shape and type.
- Loop with a trip count known at conversion is unrolled, each step's body inlined with the
  step number and the carried values bound to its inputs; its condition must be absent or
  constant, and the condition each step computes must fold to a constant (a false one ends
  the loop there). Scan outputs are stacked along a new first axis.
- Scan (opset 8's batched form and opset 9's) is unrolled over the scan inputs' length, each
  step given one slice of each scan input (either direction), its outputs stacked along
  their axes.
At most MAX_STEPS steps of one loop are unrolled, as the recurrent ops do, MAX_UNROLLED of
all (nested loops once per outer step) and MAX_INLINED_NODES body nodes in all. A subgraph
reads outer values by name; its own values get names prefixed with the node's label and the
step, so a name stays unique however deep the nesting.
"""
from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Callable, Collection, Iterator
from typing import Protocol

import numpy as np
import onnx
from onnx import numpy_helper

from ..ir import DType
from ..ops import OpType
from ..ops.slice import SliceParams
from .graph_builder import Builder, Invalid, Unsupported, axis_index
from .onnx_recurrent_ops import MAX_STEPS

LOOP_NO_COUNT = ("Loop without a trip count (M absent): only loops of a trip count known at "
                 "conversion are unrolled")
LOOP_RUN_TIME_COUNT = ("Loop with a run-time trip count: only loops of a trip count known at "
                       "conversion are unrolled")
LOOP_RUN_TIME_COND = ("Loop with a run-time condition: only a condition that is absent, "
                      "constant or computed from constants is supported")

# Each op's graph attributes and its other attributes (all integers).
_ATTRIBUTES = {
    "If": (("then_branch", "else_branch"), ()),
    "Loop": (("body",), ()),
    "Scan": (("body",), ("num_scan_inputs", "scan_input_axes", "scan_input_directions",
                         "scan_output_axes", "scan_output_directions", "directions")),
}


class Scope(Protocol):
    """What inlining needs of the importer's conversion (onnx.py's _Conversion): ONNX values
    known at conversion, the IR tensor of every other value, the builder, and the conversion
    of one node of a subgraph."""
    consts: dict[str, np.ndarray]
    env: dict[str, str]
    b: Builder

    def convert_inner(self, node: onnx.NodeProto, label: str) -> None: ...

    def _tensor(self, name: str) -> str: ...


# The name prefixes each conversion has handed out (a conversion lives for one model).
_PREFIXES: weakref.WeakKeyDictionary[Scope, set[str]] = weakref.WeakKeyDictionary()
# The steps and body nodes each conversion has unrolled, nested loops' once per outer step;
# the steps left of the loops being unrolled, outermost first.
_UNROLLED: weakref.WeakKeyDictionary[Scope, tuple[int, int]] = weakref.WeakKeyDictionary()
_ENCLOSING: weakref.WeakKeyDictionary[Scope, list[int]] = weakref.WeakKeyDictionary()
MAX_UNROLLED = MAX_STEPS
# ... and the body nodes they inline: the passes after the import take seconds per few
# thousand nodes.
MAX_INLINED_NODES = 4096


# --- the pre-scan ---------------------------------------------------------------------------
def control_flow_problems(node: onnx.NodeProto, constant: Collection[str]) -> list[str]:
    """Why `node` cannot be inlined, from its attributes and which inputs are constant."""
    graphs, ints = _ATTRIBUTES[node.op_type]
    reasons = []
    for attr in node.attribute:
        kind = onnx.AttributeProto.GRAPH if attr.name in graphs else onnx.AttributeProto.INTS
        if attr.name not in graphs + ints:
            reasons.append(f"attribute {attr.name!r} is not supported")
        elif attr.type != kind and not (attr.name == "num_scan_inputs"
                                        and attr.type == onnx.AttributeProto.INT):
            reasons.append(f"attribute {attr.name!r} must be a "
                           f"{'graph' if kind == onnx.AttributeProto.GRAPH else 'list of ints'}")
    missing = [g for g in graphs if g not in {a.name for a in node.attribute}]
    if missing:
        reasons.append(f"the graph attribute {missing[0]!r} is missing")
    inputs = list(node.input) + ["", ""]
    if node.op_type == "Loop":
        if not inputs[0]:
            reasons.append(LOOP_NO_COUNT)
        elif inputs[0] not in constant:
            reasons.append(LOOP_RUN_TIME_COUNT)
        if inputs[1] and inputs[1] not in constant:
            reasons.append(LOOP_RUN_TIME_COND)
    return reasons


def constant_outputs(node: onnx.NodeProto, constant: Collection[str],
                     foldable: Callable[[onnx.NodeProto, Collection[str]], bool]) -> set[str]:
    """The outputs of an If on a constant condition that both branches compute from
    constants only (the pre-scan knows which values are constant, not which branch is
    taken; Loop and Scan outputs count as run-time there)."""
    if node.op_type != "If" or not node.input or node.input[0] not in constant:
        return set()
    found = set(node.output) - {""}
    for attr in node.attribute:
        if attr.type != onnx.AttributeProto.GRAPH:
            continue
        known = set(constant) | {i.name for i in attr.g.initializer}
        for inner in attr.g.node:
            if foldable(inner, known):
                known.update(o for o in inner.output if o)
        found &= {out for out, value in zip(node.output, attr.g.output) if value.name in known}
    return found


# --- inlining -------------------------------------------------------------------------------
def _graph(node: onnx.NodeProto, name: str) -> onnx.GraphProto:
    for attr in node.attribute:
        if attr.name == name and attr.type == onnx.AttributeProto.GRAPH:
            return attr.g
    raise Invalid(f"the graph attribute {name!r} is missing")


def _ints(node: onnx.NodeProto, name: str, count: int, default: int) -> list[int]:
    for attr in node.attribute:
        if attr.name == name:
            values = [int(v) for v in attr.ints]
            if len(values) != count:
                raise Invalid(f"{name} has {len(values)} entries, {count} expected")
            return values
    return [default] * count


def _scalar(value: np.ndarray, what: str) -> bool | int:
    if value.size != 1 or not (np.issubdtype(value.dtype, np.integer)
                               or value.dtype == np.bool_):
        raise Invalid(f"{what} must be one integer or bool, got {value.dtype} of shape "
                      f"{list(value.shape)}")
    return value.reshape(-1)[0].item()


def _defined(graph: onnx.GraphProto) -> list[str]:
    """The names `graph` itself defines (not those of its own subgraphs)."""
    return ([v.name for v in graph.input] + [i.name for i in graph.initializer]
            + [o for n in graph.node for o in n.output if o])


def _prefix(scope: Scope, label: str, graph: onnx.GraphProto) -> str:
    """A prefix under which none of `graph`'s names is taken yet."""
    used = _PREFIXES.setdefault(scope, set())
    names = _defined(graph)
    candidate, i = f"{label}/", 1
    while candidate in used or any(candidate + n in scope.consts or candidate + n in scope.env
                                   for n in names):
        candidate, i = f"{label}_{i}/", i + 1
    used.add(candidate)
    return candidate


def bind(scope: Scope, name: str, source: str | np.ndarray) -> None:
    """Makes ONNX value `name` the constant `source` or the value named `source`."""
    if isinstance(source, np.ndarray):
        scope.consts[name] = source
    elif source in scope.consts:
        scope.consts[name] = scope.consts[source]
    else:
        scope.env[name] = scope.env[source]


def _renamed_graph(graph: onnx.GraphProto, names: dict[str, str]) -> onnx.GraphProto:
    """A copy of nested `graph` reading the renamed values of the enclosing one."""
    copy = onnx.GraphProto()
    copy.CopyFrom(graph)
    for node in copy.node:
        node.input[:] = [names.get(i, i) for i in node.input]
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                attr.g.CopyFrom(_renamed_graph(attr.g, names))
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    g.CopyFrom(_renamed_graph(g, names))
    for value in copy.output:
        value.name = names.get(value.name, value.name)
    return copy


def _renamed(node: onnx.NodeProto, names: dict[str, str], prefix: str) -> onnx.NodeProto:
    copy = onnx.NodeProto()
    copy.CopyFrom(node)
    copy.input[:] = [names.get(i, i) for i in node.input]
    for attr in copy.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            attr.g.CopyFrom(_renamed_graph(attr.g, names))
        elif attr.type == onnx.AttributeProto.GRAPHS:
            for g in attr.graphs:
                g.CopyFrom(_renamed_graph(g, names))
    for i, out in enumerate(node.output):
        if out:
            names[out] = copy.output[i] = prefix + out
    return copy


def inline(scope: Scope, graph: onnx.GraphProto, label: str,
           inputs: list[str | np.ndarray]) -> list[str]:
    """Converts `graph`'s nodes with its inputs bound to `inputs` (values, constants, or ""
    for an optional input not given); returns the names of the values its outputs are."""
    if len(inputs) != len(graph.input):
        raise Invalid(f"the subgraph {graph.name!r} takes {len(graph.input)} inputs, "
                      f"{len(inputs)} are given")
    prefix = _prefix(scope, label, graph)
    names: dict[str, str] = {}
    for value, source in zip(graph.input, inputs):
        if isinstance(source, str) and not source:
            names[value.name] = ""  # an optional input not given: absent inside too
            continue
        names[value.name] = prefix + value.name
        bind(scope, names[value.name], source)
    for init in graph.initializer:
        names[init.name] = prefix + init.name
        try:
            scope.consts[names[init.name]] = numpy_helper.to_array(init)
        except (ValueError, TypeError, KeyError, IndexError):
            raise Invalid(f"initializer {init.name!r} of subgraph {graph.name!r}: its data "
                          f"does not fit its dims") from None
    for index, node in enumerate(graph.node):
        inner = f"{label}/{node.name or f'{node.op_type}_{index}'}"
        renamed = _renamed(node, names, prefix)
        for name in renamed.input:
            if name and name not in scope.consts and name not in scope.env:
                raise Unsupported(f"{inner} ({node.op_type}) reads {name!r}: no graph input, "
                                  f"initializer or converted node before it gives that value")
        try:
            scope.convert_inner(renamed, inner)
        except Unsupported as e:
            raise Unsupported(f"{inner} ({node.op_type}): {e}") from None
        except Invalid as e:
            raise Invalid(f"{inner} ({node.op_type}): {e}") from None
    outputs = [names.get(v.name, v.name) for v in graph.output]
    for name in outputs:
        if name not in scope.consts and name not in scope.env:
            raise Invalid(f"the subgraph {graph.name!r} returns {name!r}, which nothing "
                          f"defines")
    return outputs


def _fresh_value(scope: Scope, label: str, value: str | np.ndarray) -> str:
    """Binds `value` (a constant, or an IR tensor name) to a new ONNX value name."""
    used = _PREFIXES.setdefault(scope, set())
    name, i = label, 1
    while name in used or name in scope.consts or name in scope.env:
        name, i = f"{label}_{i}", i + 1
    used.add(name)
    if isinstance(value, np.ndarray):
        scope.consts[name] = value
    else:
        scope.env[name] = value
    return name


def _shape(scope: Scope, name: str) -> tuple[int, ...]:
    if name in scope.consts:
        return tuple(scope.consts[name].shape)
    return scope.b.shape(scope.env[name])


def _take(scope: Scope, name: str, axis: int, index: int, label: str) -> str:
    """Element `index` of value `name` along `axis`, the axis dropped."""
    if name in scope.consts:
        taken = np.asarray(np.take(scope.consts[name], index, axis=axis))  # 0-d stays an array
        return _fresh_value(scope, label, taken)
    b = scope.b
    x = scope.env[name]
    dims = b.shape(x)
    b.begin(label, 1)
    begin = tuple(index if i == axis else 0 for i in range(len(dims)))
    part = b.op(OpType.SLICE, [x], SliceParams(begin, (1,) * len(dims)),
                shapes=[tuple(1 if i == axis else d for i, d in enumerate(dims))])
    dropped = b.reshape(part, dims[:axis] + dims[axis + 1:])
    b.finish()
    return _fresh_value(scope, label, dropped)


def _stack(scope: Scope, names: list[str], axis: int, label: str) -> str:
    """The values `names` stacked along a new `axis`."""
    shapes = {_shape(scope, n) for n in names}
    if len(shapes) != 1:
        raise Invalid(f"the steps' outputs to stack differ in shape: {sorted(shapes)}")
    shape = shapes.pop()
    axis = axis_index(axis, len(shape) + 1)
    if all(n in scope.consts for n in names):
        scope.b.reserve((len(names),) + shape, scope.consts[names[0]].dtype)
        return _fresh_value(scope, label, np.stack([scope.consts[n] for n in names], axis))
    b = scope.b
    parts = [scope._tensor(n) for n in names]
    b.begin(label, 1)
    lifted = [b.reshape(p, shape[:axis] + (1,) + shape[axis:]) for p in parts]
    stacked = b.concat(lifted, axis)
    b.finish()
    return _fresh_value(scope, label, stacked)


def _steps(scope: Scope, count: int, what: str, body: onnx.GraphProto | None = None) -> int:
    """`count` after checking it against the bounds of one loop and of all of the model's:
    the steps unrolled so far and this loop's, and the body nodes inlined so far and this
    loop's, each once per remaining step of the loops around it."""
    if count > MAX_STEPS:
        raise Unsupported(f"{what} of {count} steps: at most {MAX_STEPS} are unrolled")
    outer = math.prod(_ENCLOSING.get(scope, []))
    steps, nodes = _UNROLLED.get(scope, (0, 0))
    size = len(body.node) if body is not None else 0
    if steps + count * outer > MAX_UNROLLED:
        raise Unsupported(f"{what} of {count} steps: the model's loops would unroll "
                          f"{steps + count * outer} steps in all, at most {MAX_UNROLLED} are")
    if nodes + count * outer * size > MAX_INLINED_NODES:
        raise Unsupported(f"{what} of {count} steps of a {size}-node body: the model's loops "
                          f"would inline {nodes + count * outer * size} nodes in all, at most "
                          f"{MAX_INLINED_NODES} are")
    _UNROLLED[scope] = (steps + count, nodes + count * size)
    return count


@contextlib.contextmanager
def _enclosing(scope: Scope, remaining: int) -> Iterator[None]:
    """While a step of a loop with `remaining` steps left (this one included) is inlined."""
    stack = _ENCLOSING.setdefault(scope, [])
    stack.append(remaining)
    try:
        yield
    finally:
        stack.pop()


# --- the ops --------------------------------------------------------------------------------
def convert_if(scope: Scope, node: onnx.NodeProto, label: str) -> None:
    then_branch, else_branch = _graph(node, "then_branch"), _graph(node, "else_branch")
    for what, branch in (("then_branch", then_branch), ("else_branch", else_branch)):
        if len(branch.output) != len(node.output):
            raise Invalid(f"{what} has {len(branch.output)} outputs, the node "
                          f"{len(node.output)}: both branches must give each output")
    if not node.input or not node.input[0]:
        raise Invalid("the condition (input 0) is missing")
    if node.input[0] not in scope.consts:
        _select_branches(scope, node, label, then_branch, else_branch)
        return
    taken = bool(_scalar(scope.consts[node.input[0]], "the condition"))
    branch = then_branch if taken else else_branch
    results = inline(scope, branch, f"{label}/{'then' if taken else 'else'}", [])
    for out, value in zip(node.output, results):
        if out:
            bind(scope, out, value)


def _select_branches(scope: Scope, node: onnx.NodeProto, label: str,
                     then_branch: onnx.GraphProto, else_branch: onnx.GraphProto) -> None:
    """An If on a run-time condition: both branches inlined, each output selected by the
    condition."""
    b = scope.b
    cond = scope._tensor(node.input[0])
    if b.dtype(cond) != DType.BOOL or math.prod(b.shape(cond)) != 1:
        raise Invalid(f"the condition must be one bool, got {b.dtype(cond).name.lower()} of "
                      f"shape {list(b.shape(cond))}")
    thens = inline(scope, then_branch, f"{label}/then", [])
    elses = inline(scope, else_branch, f"{label}/else", [])
    for k, (out, then_value, else_value) in enumerate(zip(node.output, thens, elses)):
        if not out:
            continue
        sides = [scope._tensor(then_value), scope._tensor(else_value)]
        kinds = [(b.shape(t), b.dtype(t)) for t in sides]
        if kinds[0] != kinds[1]:
            (ts, tt), (es, et) = kinds
            raise Unsupported(f"output {k} ({out!r}): the then branch gives {tt.name.lower()} "
                              f"{list(ts)}, the else branch {et.name.lower()} {list(es)}; a "
                              f"run-time If needs both the same")
        b.begin(f"{label}/select_{k}", 1)
        selected = b.op(OpType.WHERE, [cond, *sides], dtype=kinds[0][1])
        b.finish()
        scope.env[out] = selected


def convert_loop(scope: Scope, node: onnx.NodeProto, label: str) -> None:
    body = _graph(node, "body")
    count_name, cond_name = (list(node.input) + ["", ""])[:2]
    carried: list[str | np.ndarray] = list(node.input[2:])
    if not all(carried):
        raise Invalid("a carried value's input is empty, but none is optional")
    if not count_name:
        raise Unsupported(LOOP_NO_COUNT)
    if count_name not in scope.consts:
        raise Unsupported(LOOP_RUN_TIME_COUNT)
    count = int(_scalar(scope.consts[count_name], "the trip count M"))
    going = True
    if cond_name:
        if cond_name not in scope.consts:
            raise Unsupported(LOOP_RUN_TIME_COND)
        going = bool(_scalar(scope.consts[cond_name], "the condition"))
    scans = len(body.output) - 1 - len(carried)
    if len(body.input) != 2 + len(carried) or scans < 0:
        raise Invalid(f"the body takes {len(body.input)} inputs and gives {len(body.output)} "
                      f"outputs; with {len(carried)} carried values it must take "
                      f"{2 + len(carried)} and give at least {1 + len(carried)}")
    if len(node.output) > len(carried) + scans:
        raise Invalid(f"{len(node.output)} outputs for {len(carried)} carried values and "
                      f"{scans} scan outputs of the body")
    _steps(scope, count, "a Loop", body)
    stacked: list[list[str]] = [[] for _ in range(scans)]
    step = 0
    while step < count and going:
        with _enclosing(scope, count - step):
            results = inline(scope, body, f"{label}/{step}",
                             [np.array(step, np.int64), np.array(going), *carried])
        if results[0] not in scope.consts:
            raise Unsupported(f"step {step} computes its condition at run time: "
                              f"{LOOP_RUN_TIME_COND}")
        going = bool(_scalar(scope.consts[results[0]], "the body's condition"))
        carried = list(results[1:1 + len(carried)])
        for k in range(scans):
            stacked[k].append(results[1 + len(carried) + k])
        step += 1
    outputs = list(node.output)
    for out, value in zip(outputs, carried):
        if out:
            bind(scope, out, value)
    for k, out in enumerate(outputs[len(carried):]):
        if not out:
            continue
        if not stacked[k]:
            bind(scope, out, _no_steps(body.output[1 + len(carried) + k], out))
            continue
        bind(scope, out, _stack(scope, stacked[k], 0, f"{label}/{out}"))


def _no_steps(step: onnx.ValueInfoProto, out: str) -> np.ndarray:
    """The empty scan output of a loop that runs no step: [0, *the body's declared shape]."""
    kind = step.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in kind.shape.dim]
    if not kind.HasField("shape") or None in dims or not kind.elem_type:
        raise Unsupported(f"the loop runs no step, and the body does not declare the type and "
                          f"shape of scan output {out!r}'s step, which its empty value needs")
    return np.zeros([0, *dims], onnx.helper.tensor_dtype_to_np_dtype(kind.elem_type))


def _scan_steps(scope: Scope, body: onnx.GraphProto, label: str, states: list[str],
                xs: list[str], axes: list[int], reverse: list[int]
                ) -> tuple[list[str], list[list[str]]]:
    """Runs the body over the scan inputs: the final states and each scan output's steps, in
    the order of the steps."""
    lengths = {_shape(scope, x)[a] for x, a in zip(xs, axes)}
    if len(lengths) != 1:
        raise Invalid(f"the scan inputs differ in length along their scan axes: "
                      f"{sorted(lengths)}")
    length = _steps(scope, lengths.pop(), "a Scan", body)
    outs: list[list[str]] = [[] for _ in range(len(body.output) - len(states))]
    for t in range(length):
        slices = [_take(scope, x, a, length - 1 - t if r else t, f"{label}/{t}/in{k}")
                  for k, (x, a, r) in enumerate(zip(xs, axes, reverse))]
        with _enclosing(scope, length - t):
            results = inline(scope, body, f"{label}/{t}", [*states, *slices])
        states = results[:len(states)]
        for k, value in enumerate(results[len(states):]):
            outs[k].append(value)
    return states, outs


def _scan_counts(node: onnx.NodeProto, body: onnx.GraphProto, inputs: list[str]
                 ) -> tuple[int, int]:
    """(state count, scan input count) of a Scan node with `inputs` (states and scan
    inputs)."""
    scans = next((int(a.i) for a in node.attribute if a.name == "num_scan_inputs"), None)
    if scans is None:
        raise Invalid("the attribute num_scan_inputs is missing")
    if not all(inputs):
        raise Invalid("a state or scan input is empty, but none is optional")
    states = len(inputs) - scans
    if (scans < 1 or states < 0 or len(body.input) != len(inputs)
            or len(body.output) < max(states, len(node.output))):
        raise Invalid(f"num_scan_inputs={scans} with {len(inputs)} inputs and "
                      f"{len(node.output)} outputs does not fit a body of {len(body.input)} "
                      f"inputs and {len(body.output)} outputs")
    return states, scans


def convert_scan(scope: Scope, node: onnx.NodeProto, label: str, opset: int) -> None:
    body = _graph(node, "body")
    if opset < 9:
        _convert_scan_8(scope, node, label, body)
        return
    states, scans = _scan_counts(node, body, list(node.input))
    xs = list(node.input[states:])
    axes = [axis_index(a, len(_shape(scope, x))) for a, x in
            zip(_ints(node, "scan_input_axes", scans, 0), xs)]
    reverse = _ints(node, "scan_input_directions", scans, 0)
    final, outs = _scan_steps(scope, body, label, list(node.input[:states]), xs, axes, reverse)
    _scan_outputs(scope, node, label, final, outs,
                  _ints(node, "scan_output_axes", len(outs), 0),
                  _ints(node, "scan_output_directions", len(outs), 0))


def _scan_outputs(scope: Scope, node: onnx.NodeProto, label: str, final: list[str],
                  outs: list[list[str]], axes: list[int], reverse: list[int]) -> None:
    for out, value in zip(node.output, final):
        if out:
            bind(scope, out, value)
    for out, steps, axis, back in zip(node.output[len(final):], outs, axes, reverse):
        if out:
            bind(scope, out, _stack(scope, steps[::-1] if back else steps, axis,
                                     f"{label}/{out}"))


def _convert_scan_8(scope: Scope, node: onnx.NodeProto, label: str,
                    body: onnx.GraphProto) -> None:
    """Opset 8: every input has a batch axis 0 and scans along axis 1; the body sees one
    batch entry. Run as opset 9's scan once per batch entry, the results stacked."""
    lengths_name = node.input[0] if node.input else ""
    inputs = list(node.input[1:])
    states, scans = _scan_counts(node, body, inputs)
    batch = {_shape(scope, x)[0] for x in inputs}
    if len(batch) != 1:
        raise Invalid(f"the inputs differ in their batch size (axis 0): {sorted(batch)}")
    size = batch.pop()
    length = _shape(scope, inputs[states])[1]
    if lengths_name:
        if lengths_name not in scope.consts:
            raise Unsupported("sequence_lens given at run time: only full-length sequences "
                              "are supported")
        if np.any(scope.consts[lengths_name] != length):
            raise Unsupported(f"sequence_lens {scope.consts[lengths_name].tolist()} shorter "
                              f"than the sequence ({length}): only full-length sequences "
                              f"are supported")
    reverse = _ints(node, "directions", scans, 0)
    finals: list[list[str]] = [[] for _ in range(states)]
    outs: list[list[str]] = []
    for n in range(_steps(scope, size, "a Scan batch")):
        entry = [_take(scope, x, 0, n, f"{label}/batch{n}/in{k}") for k, x in enumerate(inputs)]
        with _enclosing(scope, size - n):
            final, steps = _scan_steps(scope, body, f"{label}/batch{n}", entry[:states],
                                       entry[states:], [0] * scans, reverse)
        for k, value in enumerate(final):
            finals[k].append(value)
        outs.append([_stack(scope, s, 0, f"{label}/batch{n}/out{k}")
                     for k, s in enumerate(steps)])
    merged = [_stack(scope, values, 0, f"{label}/state{k}") for k, values in enumerate(finals)]
    per_output = [[outs[n][k] for n in range(size)] for k in range(len(outs[0]))]
    _scan_outputs(scope, node, label, merged, per_output, [0] * len(per_output),
                  [0] * len(per_output))


CONTROL_FLOW_OPS = ("If", "Loop", "Scan")


def convert_control_flow(scope: Scope, node: onnx.NodeProto, label: str, opset: int) -> None:
    """Inlines If, Loop or Scan `node` into the conversion `scope`."""
    if node.op_type == "If":
        convert_if(scope, node, label)
    elif node.op_type == "Loop":
        convert_loop(scope, node, label)
    else:
        convert_scan(scope, node, label, opset)
