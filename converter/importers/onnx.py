"""ONNX importer: onnx.ModelProto -> IR Graph.

Order of work: validate the model (structure, initializers, input shapes), scan every node
and report all unsupported ones in one UnsupportedOpsError, then convert node by node
through the op table (onnx_ops.ONNX_OPS). Nodes whose inputs are all constant are
evaluated right away with ONNX's reference evaluator (onnx_fold.py), which folds the
Shape -> Gather -> Concat -> Reshape chains that exporters emit.
"""
from __future__ import annotations

import typing
from collections.abc import Collection
from typing import Any, Callable

import numpy as np
import onnx
from google.protobuf.message import Message
from onnx import helper, numpy_helper

from ..errors import ModelImportError, UnsupportedOpsError
from ..ir import DType, Graph, Tensor, constant_array
from ..limits import Budget
from ..ops import OpType
from ..ops.reshape import ReshapeParams
from .graph_builder import Builder, Invalid, Unsupported
from .onnx_control_flow import (CONTROL_FLOW_OPS, constant_outputs, control_flow_problems,
                                convert_control_flow)
from .onnx_float_edges import RAW_OPS, FloatEdges, constant_value, scan_type
from .onnx_fold import fold_node
from .onnx_functions import convert_function, has_function
from .onnx_ops import ONNX_OPS
from .onnx_qdq import QdqLowering
from .onnx_signature import Signature, input_kind, signature

__all__ = ["ONNX_OPS", "import_onnx"]

MIN_OPSET = 7
_ONNX_DOMAINS = ("", "ai.onnx")
# Ops whose value is not a function of their inputs: never folded into constants.
_NONDETERMINISTIC = {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
                     "Multinomial", "Bernoulli"}
_INDEX_TYPES = (onnx.TensorProto.INT32, onnx.TensorProto.INT64)
# Plain integers of every width (int8, uint8 and int16 without quantization parameters).
_INTEGER_TYPES = (onnx.TensorProto.INT8, onnx.TensorProto.UINT8, onnx.TensorProto.INT16,
                  onnx.TensorProto.UINT16, *_INDEX_TYPES, onnx.TensorProto.UINT32,
                  onnx.TensorProto.UINT64)
# The element types each input kind (onnx_signature.input_kind) accepts; None: not declared.
_KIND_TYPES = {
    "indices": ("int32 or int64 indices", _INDEX_TYPES),
    "compared": ("float32, bool or an integer type", (onnx.TensorProto.FLOAT, *_INTEGER_TYPES,
                                                      onnx.TensorProto.BOOL)),
    "numeric": ("float32 or an integer type", (onnx.TensorProto.FLOAT, *_INTEGER_TYPES)),
    "bool": ("bool", (onnx.TensorProto.BOOL,)),
    "float": ("float32", (onnx.TensorProto.FLOAT,)),
}
_KIND_DTYPES = {kind: {DType.from_numpy(helper.tensor_dtype_to_np_dtype(t)) for t in types}
                for kind, (_, types) in _KIND_TYPES.items()}
_SUBGRAPH = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)

Problem = tuple[str, str, str]  # (node name, op type, reason)


def import_onnx(model: onnx.ModelProto,
                input_shapes: dict[str, list[int]] | None = None,
                budget: Budget | None = None) -> Graph:
    """Converts `model` to an IR graph (NCHW tensors, explicit layout transposes).

    input_shapes fixes graph input shapes; without it a dynamic first (batch) dimension
    becomes 1 and any other dynamic dimension is an error. `budget` bounds the bytes of the
    constants folding computes and the nodes the import makes (the default budget without it).
    """
    _check_fields(model)
    opset = _opset(model)
    _check_graph(model.graph)
    _check_nodes(model)
    shapes = _input_shapes(model.graph, input_shapes or {})
    problems = _scan(model.graph, opset, _value_types(model))
    if problems:
        raise UnsupportedOpsError(problems)
    return _Conversion(model, opset, shapes, budget or Budget()).run()


# --- validation ----------------------------------------------------------------------------
def _opset(model: onnx.ModelProto) -> int:
    versions = [o.version for o in model.opset_import if o.domain in _ONNX_DOMAINS]
    if not versions:
        raise ModelImportError("the model imports no default-domain ONNX opset")
    if versions[0] < MIN_OPSET:
        raise ModelImportError(f"opset {versions[0]} is older than {MIN_OPSET}, the oldest "
                               f"Emberlite reads; upgrade it with onnx.version_converter")
    return versions[0]


_INT32_MAX = (1 << 31) - 1


def _check_fields(model: onnx.ModelProto) -> None:
    """What the onnx library's C++ checks cannot take, refused before they run: versions
    beyond 32 bits, text fields that are not UTF-8 (protobuf hands those out as bytes), and
    tensors whose data is still in an external file."""
    versions = [("ir_version", model.ir_version)] + [
        (f"the version of opset {o.domain or 'ai.onnx'!r}", o.version) for o in model.opset_import
        if isinstance(o.domain, str)]
    for what, version in versions:
        if not 0 <= version <= _INT32_MAX:
            raise ModelImportError(f"{what} {version} is out of range [0, {_INT32_MAX}]")
    problem = _field_problem(model, "model")
    if problem:
        raise ModelImportError(problem)


def _field_problem(message: Message, path: str) -> str | None:
    """The first field under `message` that the importer must not read, and why."""
    if (isinstance(message, onnx.TensorProto)
            and message.data_location == onnx.TensorProto.EXTERNAL):
        # _load_onnx reads external data (from the model's folder) for a path only; reading
        # it here would take files from the working directory into the converted model.
        return (f"{path} keeps its data in an external file; external data is read only "
                f"when the model is given by its path")
    for field, value in message.ListFields():
        # is_repeated in newer protobuf; label, its older spelling, is gone in 7.
        repeated = getattr(field, "is_repeated", None)
        if repeated is None:
            repeated = field.label == field.LABEL_REPEATED
        items = list(value) if repeated else [value]
        for i, item in enumerate(items):
            where = f"{path}.{field.name}" + (f"[{i}]" if len(items) > 1 else "")
            if field.type == field.TYPE_STRING and isinstance(item, bytes):
                return f"{where} is not valid UTF-8 text"
            if field.type == field.TYPE_MESSAGE:
                found = _field_problem(item, where)
                if found:
                    return found
    return None


def _node_label(node: onnx.NodeProto, index: int) -> str:
    return node.name or f"{node.op_type}_{index}"


def _has_subgraph(node: onnx.NodeProto) -> bool:
    return any(a.type in _SUBGRAPH for a in node.attribute)


def _foldable(node: onnx.NodeProto, constant: Collection[str]) -> bool:
    """Whether the node's outputs are constants computed at import time: its inputs are all
    constant (CastLike's second only gives a type) and its value depends on nothing else (no
    randomness, no subgraph that may read run-time values from the outer graph)."""
    valued = node.input[:1] if node.op_type == "CastLike" else node.input
    return (node.domain in _ONNX_DOMAINS and node.op_type not in _NONDETERMINISTIC
            and not _has_subgraph(node) and all(i in constant for i in valued if i))


def _check_graph(graph: onnx.GraphProto) -> None:
    """Every value defined once, before its use (the graph is topologically sorted)."""
    if not graph.output:
        raise ModelImportError("the graph has no outputs")
    for kind, values in (("input", graph.input), ("output", graph.output)):
        seen: set[str] = set()
        for index, value in enumerate(values):
            if not value.name:
                raise ModelImportError(f"graph {kind} {index} has an empty name")
            if value.name in seen:
                raise ModelImportError(f"graph {kind} {index} {value.name!r} is listed twice")
            seen.add(value.name)
    known = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    for index, node in enumerate(graph.node):
        label = f"node {_node_label(node, index)!r} ({node.op_type})"
        for i, name in enumerate(node.input):
            if name and name not in known:
                raise ModelImportError(
                    f"{label}: input {i} {name!r} is not a graph input, an initializer or "
                    f"an earlier node's output (missing initializer?)")
        for name in node.output:
            if name in known:
                raise ModelImportError(f"{label}: output {name!r} is defined twice")
        known.update(o for o in node.output if o)
    for out in graph.output:
        if out.name not in known:
            raise ModelImportError(f"graph output {out.name!r} is produced by no node")
        if out.type.WhichOneof("value") not in (None, "tensor_type"):
            raise ModelImportError(f"graph output {out.name!r} is not a tensor "
                                   f"({out.type.WhichOneof('value')})")


def _check_nodes(model: onnx.ModelProto) -> None:
    """ONNX's schema checks (attribute names and types, required attributes, arity) for
    nodes of known ops; unknown ops are left to the pre-scan, which lists them all.
    (onnx.checker.check_model would also reject graph outputs without a declared shape,
    which ONNX Runtime accepts.)"""
    ctx = _checker_context(model)
    for index, node in enumerate(model.graph.node):
        if (node.domain not in _ONNX_DOMAINS or not onnx.defs.has(node.op_type)
                or _has_subgraph(node)):
            continue
        try:
            onnx.checker.check_node(node, ctx)
        except (onnx.checker.ValidationError, ValueError) as e:
            raise ModelImportError(f"node {_node_label(node, index)!r} ({node.op_type}): "
                                   f"{str(e).splitlines()[0]}") from None


def declared_input_dims(graph: onnx.GraphProto) -> dict[str, list[int | str | None]]:
    """Each graph input's dims as the model declares them: a size, a symbol name, or None."""
    initializers = {i.name for i in graph.initializer}
    dims = {}
    for value in graph.input:
        t = value.type.tensor_type if value.type.HasField("tensor_type") else None
        if value.name in initializers or t is None or not t.HasField("shape"):
            continue
        dims[value.name] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                            for d in t.shape.dim]
    return dims


def _checker_context(model: onnx.ModelProto) -> Any:
    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version = model.ir_version
    ctx.opset_imports = {o.domain or "": o.version for o in model.opset_import}
    return ctx


def _input_shapes(graph: onnx.GraphProto,
                  given: dict[str, list[int]]) -> dict[str, tuple[int, ...]]:
    initializers = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    unknown = sorted(set(given) - {i.name for i in inputs})
    if unknown:
        raise ModelImportError(f"input_shapes names {unknown}, which are not graph inputs "
                               f"(inputs: {[i.name for i in inputs]})")
    return {i.name: _input_shape(i, given.get(i.name)) for i in inputs}


def _input_shape(value: onnx.ValueInfoProto, given: list[int] | None) -> tuple[int, ...]:
    name = value.name
    if not value.type.HasField("tensor_type"):
        raise ModelImportError(f"graph input {name!r} is not a tensor")
    declared = value.type.tensor_type.shape if value.type.tensor_type.HasField("shape") else None
    hint = (f"pass input_shapes={{{name!r}: [...]}} (ember convert: --input-shape "
            f"{name}:D0,D1,...) to fix it, or a range (lo, hi) (LO..HI) to keep it dynamic")
    if given is not None:
        shape = tuple(int(d) for d in given)
        if min(shape, default=0) < 0:
            raise ModelImportError(f"input_shapes[{name!r}] = {list(given)} must not be "
                                   f"negative")
        if declared is not None:
            fixed = [d.dim_value if d.HasField("dim_value") else None for d in declared.dim]
            if len(fixed) != len(shape) or any(f not in (None, s) for f, s in zip(fixed, shape)):
                raise ModelImportError(f"input_shapes[{name!r}] = {list(shape)} does not fit "
                                       f"the model's shape {fixed}")
        return shape
    if declared is None:
        raise ModelImportError(f"graph input {name!r} has no shape; {hint}")
    shape = []
    for i, dim in enumerate(declared.dim):
        if dim.HasField("dim_value"):
            if dim.dim_value < 0:
                raise ModelImportError(f"graph input {name!r}: dimension {i} has size "
                                       f"{dim.dim_value}")
            shape.append(dim.dim_value)
        elif i == 0:
            shape.append(1)  # a dynamic batch dimension: convert for batch 1
        else:
            what = dim.dim_param or "unknown"
            raise ModelImportError(f"graph input {name!r}: dimension {i} is dynamic ({what}); "
                                   f"{hint}")
    return tuple(shape)


def _value_types(model: onnx.ModelProto) -> dict[str, int]:
    """ONNX element type of every value whose type is known (after type inference)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError,
            ValueError) as e:  # ValueError: e.g. an element type ONNX does not define
        raise ModelImportError(f"ONNX type inference failed: {e}") from None
    graph = inferred.graph
    types = {i.name: i.data_type for i in graph.initializer}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        if value.type.HasField("tensor_type") and value.type.tensor_type.elem_type:
            types.setdefault(value.name, value.type.tensor_type.elem_type)
    return types


# --- the op table ------------------------------------------------------------------------------
def _lookup(op_type: str, opset: int) -> Callable[..., Any] | None:
    """The table entry for `op_type` with the highest since-version <= opset."""
    best, best_since = None, 0
    for key, fn in ONNX_OPS.items():
        name, since = (key, 1) if isinstance(key, str) else key
        if name == op_type and best_since <= since <= opset:
            best, best_since = fn, since
    return best


# --- the pre-scan ------------------------------------------------------------------------------
def _scan(graph: onnx.GraphProto, opset: int, types: dict[str, int]) -> list[Problem]:
    constant = {i.name for i in graph.initializer}
    problems: list[Problem] = []
    for index, node in enumerate(graph.node):
        label = _node_label(node, index)
        if node.domain not in _ONNX_DOMAINS:
            problems.append((label, node.op_type, f"custom domain {node.domain!r}"))
            continue
        if node.op_type in CONTROL_FLOW_OPS:
            problems.extend((label, node.op_type, r)
                            for r in control_flow_problems(node, constant))
            constant.update(constant_outputs(node, constant, _foldable))
            continue
        if _foldable(node, constant):
            constant.update(o for o in node.output if o)
            continue
        fn = _lookup(node.op_type, opset)
        if fn is None and has_function(node.op_type, opset):
            continue  # its function body is inlined; its nodes' problems show then
        if fn is None:
            problems.append((label, node.op_type, f"op not supported (opset {opset})"))
            continue
        reasons = _node_problems(node, signature(fn), constant, types)
        problems.extend((label, node.op_type, r) for r in reasons)
        if signature(fn).constant_output:
            constant.update(o for o in node.output if o)
    return problems


def _node_problems(node: onnx.NodeProto, sig: Signature, constant: set[str],
                   types: dict[str, int]) -> list[str]:
    reasons = []
    for attr in node.attribute:
        if attr.name not in sig.attributes:
            reasons.append(f"attribute {attr.name!r} is not supported")
            continue
        if attr.type in _SUBGRAPH:
            # Such nodes skip ONNX's checker (it needs the scope of a subgraph).
            reasons.append(f"attribute {attr.name!r} holds a graph; {node.op_type} takes "
                           f"no graph attributes")
            continue
        allowed = sig.attributes[attr.name]
        value = _attribute(attr)
        if allowed is not None and value not in allowed:
            reasons.append(f"attribute {attr.name}={value!r} is not supported "
                           f"(supported: {', '.join(map(repr, allowed))})")
    if len(node.input) > len(sig.inputs) and not sig.variadic:
        reasons.append(f"{len(node.input)} inputs given, at most {len(sig.inputs)} supported")
    for i, name in enumerate(node.input):
        if i >= len(sig.inputs) and not sig.variadic:
            break  # too many inputs: said above
        kind = sig.kind(i)
        elem = types.get(name)
        if not name:
            hint = sig.inputs[i] if i < len(sig.inputs) else None
            if (hint is None and sig.variadic) or (hint is not None
                                                   and type(None) not in typing.get_args(hint)):
                reasons.append(f"input {i} is empty, but it is not optional")
            continue
        if kind == "constant" and name not in constant:
            reasons.append(f"input {i} ({name!r}) must be a constant (an initializer or "
                           f"computed from initializers only)")
        # float16, float64 and the like are computed as float32 (onnx_float_edges.py).
        elif kind in _KIND_TYPES and scan_type(elem) not in (None, *_KIND_TYPES[kind][1]):
            reasons.append(f"input {i} ({name!r}) has type {_type_name(elem)}; "
                           f"{_KIND_TYPES[kind][0]} is supported")
    extra = [o for o in node.output[1:] if o]
    if extra and not sig.multi_output:
        reasons.append(f"output(s) {extra} are not supported (only the first output is)")
    return reasons


def _attribute(attr: onnx.AttributeProto) -> Any:
    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        # Not UTF-8: shown with replacement characters in the "not supported" message.
        return value.decode("utf-8", "replace")
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, list):
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value]
    return value


# --- conversion ---------------------------------------------------------------------------------
class _Conversion:
    def __init__(self, model: onnx.ModelProto, opset: int, shapes: dict[str, tuple[int, ...]],
                 budget: Budget):
        self.model = model
        self.opset = opset
        self.budget = budget
        g = model.graph
        reserved = {i.name for i in g.input} | {i.name for i in g.initializer}
        reserved |= {o for n in g.node for o in n.output} | {n.name for n in g.node}
        self.graph = Graph(tensors={}, nodes=[], inputs=[], outputs=[])
        self.b = Builder(self.graph, reserved, budget)
        # ONNX values known at conversion time, as arrays of any ONNX type; they become IR
        # tensors only when a runtime node reads them.
        self.consts = {i.name: _initializer(i) for i in g.initializer}
        self.env: dict[str, str] = {}         # other ONNX values -> IR tensor name
        self.qdq = QdqLowering(g)           # int8 groups of a QDQ model
        self.edges = FloatEdges(self.graph, self.b)  # float16/float64 in, float32 inside
        # Value name -> shape by ONNX shape inference, made on first use (_static_shape).
        self._static_shapes: dict[str, tuple[int, ...]] | None = None
        for value in g.input:
            if value.name in shapes:
                dtype = _dtype(value.type.tensor_type.elem_type, value.name)
                self.graph.tensors[value.name] = Tensor(value.name, dtype, shapes[value.name])
                self.graph.inputs.append(value.name)
                self.env[value.name] = value.name

    def run(self) -> Graph:
        problems: list[Problem] = []
        failed: set[str] = set()  # ONNX values a failed node should have produced
        for index, node in enumerate(self.model.graph.node):
            label = _node_label(node, index)
            if failed.intersection(node.input):
                failed.update(node.output)
                continue
            try:
                self._convert(node, label)
            except Unsupported as e:
                problems.append((label, node.op_type, str(e)))
                failed.update(node.output)
            except Invalid as e:
                raise ModelImportError(f"node {label!r} ({node.op_type}): {e}") from None
        self.edges.narrow_outputs(list(self.model.graph.output), self.env, self.consts)
        problems += self._set_outputs(failed)
        if problems:
            raise UnsupportedOpsError(problems)
        self.graph.drop_unused_tensors()
        return self.graph

    def op_function(self, op_type: str) -> Callable[..., Any] | None:
        """The op table's function for `op_type` at the model's opset (onnx_qdq.py's groups
        convert their op through it)."""
        return _lookup(op_type, self.opset)

    @staticmethod
    def attributes(node: onnx.NodeProto) -> dict[str, Any]:
        return {a.name: _attribute(a) for a in node.attribute}

    def _tensor(self, name: str, raw: bool = False) -> str:
        """The IR tensor of ONNX value `name`, materialising a constant on first use; as
        float32 if computed in float32 (onnx_float_edges.py) unless `raw`."""
        if name not in self.env:
            value = self.consts[name]
            try:
                self.b.add_constant(name, constant_value(value))
            except ValueError:
                raise Unsupported(f"constant {name!r} has unsupported type {value.dtype}") \
                    from None
            self.env[name] = name
        return self.env[name] if raw else self.edges.widen(self.env[name])

    def convert_inner(self, node: onnx.NodeProto, label: str) -> None:
        """Converts a node of an inlined subgraph (onnx_control_flow.py), after the pre-scan's
        checks, which never saw it."""
        if node.domain not in _ONNX_DOMAINS:
            raise Unsupported(f"custom domain {node.domain!r}")
        if onnx.defs.has(node.op_type) and not _has_subgraph(node):
            try:
                onnx.checker.check_node(node, _checker_context(self.model))
            except (onnx.checker.ValidationError, ValueError) as e:
                raise Invalid(str(e).splitlines()[0]) from None
        if node.op_type in CONTROL_FLOW_OPS:
            reasons = control_flow_problems(node, self.consts.keys())
        elif _foldable(node, self.consts.keys()) or (
                _lookup(node.op_type, self.opset) is None
                and has_function(node.op_type, self.opset)):
            reasons = []
        else:
            fn = _lookup(node.op_type, self.opset)
            reasons = ([f"op not supported (opset {self.opset})"] if fn is None else
                       _node_problems(node, signature(fn), set(self.consts), {}))
        if reasons:
            raise Unsupported("; ".join(reasons))
        self._convert(node, label)

    def _convert(self, node: onnx.NodeProto, label: str) -> None:
        if node.op_type in CONTROL_FLOW_OPS:
            convert_control_flow(self, node, label, self.opset)
            return
        if self.qdq.convert(self, node, label):
            return
        if _foldable(node, self.consts.keys()):
            for name, value in zip(node.output, self._fold(node, label)):
                if name:
                    self.consts[name] = value
            return
        fn = _lookup(node.op_type, self.opset)
        if fn is None:
            convert_function(self, node, label, self.opset)
            return
        sig = signature(fn)
        args: list[Any] = []
        for i, name in enumerate(node.input):
            if not name:
                args.append(None)
            elif i < len(sig.inputs) and input_kind(sig.inputs[i]) == "constant":
                args.append(self.consts[name])
            elif sig.kind(i) == "operand":
                args.append(self.consts[name] if name in self.consts else
                            self._tensor(name, node.op_type in RAW_OPS))
            else:
                kind = sig.kind(i)
                value = self.consts.get(name)
                tensor = self._tensor(name, node.op_type in RAW_OPS)
                actual = self.b.dtype(tensor)
                if kind in _KIND_DTYPES and actual not in _KIND_DTYPES[kind]:
                    # A type the scan could not know: a folded constant's, or one the model
                    # does not declare.
                    raise Unsupported(f"input {i} ({name!r}) has type {actual.name.lower()}; "
                                      f"only {_KIND_TYPES[kind][0]} is supported")
                args.append(tensor)
        kwargs = {a.name: _attribute(a) for a in node.attribute}
        self.b.begin(label, len(node.output))
        if any(sig.kind(i) == "operand" and name and name not in self.consts
               for i, name in enumerate(node.input)):
            self.b.declared = [self._static_shape(o) for o in node.output]
        result = fn(self.b, *args, **kwargs)
        self.b.finish()
        results = result if isinstance(result, list) else [result]
        for name, value in zip(node.output, results):
            if not name:
                continue
            if isinstance(value, np.ndarray):
                self.consts[name] = value
            elif self.b.rename_output(value, name):
                self.env[name] = name
            else:
                self.env[name] = value

    def _static_shape(self, name: str) -> tuple[int, ...] | None:
        """The shape ONNX shape inference gives value `name` at the graph inputs' converted
        shapes, if every dim is known: an op whose output size follows a run-time operand
        (a Reshape's shape, a Pad's pads) runs only where it is known."""
        if self._static_shapes is None:
            model = onnx.ModelProto()
            model.CopyFrom(self.model)
            for value in model.graph.input:
                tensor = self.graph.tensors.get(value.name)
                if value.name in self.graph.inputs and tensor is not None:
                    shape = value.type.tensor_type.shape
                    shape.ClearField("dim")
                    for d in tensor.shape:
                        shape.dim.add().dim_value = int(d)
            try:
                inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
            except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError,
                    ValueError):
                inferred = model
            g = inferred.graph
            self._static_shapes = {}
            for value in [*g.value_info, *g.output]:
                t = value.type.tensor_type
                if (value.type.HasField("tensor_type") and t.HasField("shape")
                        and all(d.HasField("dim_value") for d in t.shape.dim)):
                    self._static_shapes[value.name] = tuple(d.dim_value for d in t.shape.dim)
            _shapes_from_consumers(g, self._static_shapes)
        return self._static_shapes.get(name)

    def _fold(self, node: onnx.NodeProto, label: str) -> list[np.ndarray]:
        """Evaluates a node whose inputs are all constant (onnx_fold.py); a run-time input
        that only gives a type (CastLike's second) is fed as an empty array of that type."""
        feeds = {name: self.consts[name] if name in self.consts else
                 np.zeros(0, self.graph.tensors[self.env[name]].dtype.numpy)
                 for name in node.input if name}
        return fold_node(node, feeds, self.model, self.budget, f"node {label!r} ({node.op_type})")

    def _set_outputs(self, failed: set[str]) -> list[Problem]:
        producers = {o: (_node_label(n, i), n.op_type)
                     for i, n in enumerate(self.model.graph.node) for o in n.output}
        problems = []
        for out in self.model.graph.output:
            if out.name in failed:
                continue
            if out.name in self.consts:  # stored in the file; the runtime reads it as is
                label, op = producers.get(out.name, (out.name, "initializer"))
                value = self.consts[out.name]
                try:
                    DType.from_numpy(value.dtype)
                except ValueError:
                    problems.append((label, op, f"graph output {out.name!r} is a constant of "
                                                f"type {value.dtype}, which Emberlite has not"))
                    continue
                if out.name not in self.graph.tensors:
                    self.b.add_constant(out.name, constant_array(value))
                self.graph.outputs.append(out.name)
                continue
            name = self.env[out.name]
            if name != out.name or name in self.graph.inputs or name in self.graph.outputs:
                # The value has another name already (Identity, Dropout) or is a graph input
                # or another output: the output gets its own copy.
                self.b.begin(f"{out.name}/copy", 1)
                copy = self.b.op(OpType.RESHAPE, [name], ReshapeParams(),
                                 shapes=[self.graph.tensors[name].shape])
                name = out.name if self.b.rename_output(copy, out.name) else copy
            self.graph.outputs.append(name)
        return problems


# Ops whose output has their input 0's shape: element-wise unary ops and casts.
_SAME_SHAPE = {"Abs", "Cast", "CastLike", "Ceil", "Erf", "Exp", "Floor", "Identity", "Log",
               "Neg", "Reciprocal", "Relu", "Sigmoid", "Sign", "Softplus", "Sqrt", "Tanh"}


def _shapes_from_consumers(graph: onnx.GraphProto, shapes: dict[str, tuple[int, ...]]) -> None:
    """Gives a value ONNX shape inference leaves unknown (a reduction over run-time axes
    inside an expanded function: ReduceSum, then Cast, Sqrt, CastLike to a declared output)
    the shape of a same-shape op's known output that reads it; the kernel still checks it."""
    for node in reversed(graph.node):
        if (node.op_type in _SAME_SHAPE and node.input and node.output
                and node.output[0] in shapes and node.input[0] not in shapes):
            shapes[node.input[0]] = shapes[node.output[0]]


def _type_name(elem_type: int) -> str:
    """The ONNX name of an element type, also for numbers no ONNX type has."""
    try:
        return onnx.TensorProto.DataType.Name(elem_type)
    except ValueError:
        return f"unknown type {elem_type}"


def _initializer(tensor: onnx.TensorProto) -> np.ndarray:
    """An initializer's value; dims that disagree with its data are a ModelImportError."""
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise ModelImportError(f"initializer {tensor.name!r} "
                               f"(dims {list(tensor.dims)}, "
                               f"{_type_name(tensor.data_type)}): "
                               f"its data does not fit its dims ({type(e).__name__}: {e})") \
            from None


def _dtype(elem_type: int, name: str) -> DType:
    try:
        return DType.from_numpy(helper.tensor_dtype_to_np_dtype(elem_type))
    except (KeyError, ValueError):
        raise ModelImportError(f"graph input {name!r} has unsupported type "
                               f"{_type_name(elem_type)}") from None
