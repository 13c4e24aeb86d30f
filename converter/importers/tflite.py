"""TFLite importer: .tflite bytes -> IR Graph (float32 and full-integer int8 models).

Order of work: tflite_reader reads the whole FlatBuffer into plain records (every low-level
read error becomes a ModelImportError saying where) and validates indices, buffer sizes and
the operator order; then every operator is scanned and all unsupported ones are reported in
one UnsupportedOpsError; then the operators are converted one by one through the op table
(tflite_ops.TFLITE_OPS; tflite_ops.COMPOSED_OPS for the operators built out of several IR
ops, tflite_custom_ops.CUSTOM_OPS for MediaPipe's custom ops by custom code; sparse constants
are densified by the reader). TFLite is already NHWC with OHWI filters, so no layout transposes
are needed. Operators whose inputs are all constant are evaluated at import time with the
IR's reference evaluator. Operators on int8 tensors go through the same op table;
tflite_quantized says which have int8 kernels and puts the file's quantization parameters
on the IR tensors.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from ..errors import ModelImportError, UnsupportedOpsError
from ..ir import DType, Graph, QuantParams, Tensor, constant_array
from ..limits import Budget
from ..ops import OpType
from ..ops.reshape import ReshapeParams
from ..reference import EvaluationError, evaluate_node
from .graph_builder import Builder, Invalid, Unsupported
from .tflite_metadata import READ_ERRORS as _READ_ERRORS
from .tflite_control_flow import CONTROL_FLOW_OPS, UnrollState, without_empty_values
from .tflite_custom_ops import CUSTOM_OPS
from .tflite_ops import COMPOSED_OPS, TFLITE_OPS, TFLiteOp, fused_activation_problem
from .tflite_quantized import assign_quant, int8_problems, is_quantized_op, type_name
from .tflite_recurrent_ops import STATE_INPUTS
from .tflite_reader import (NUMPY_TYPES, TFLModel, TFLOperator, TFLTensor, check_order,
                            read_tflite, tensor_names)

__all__ = ["import_tflite"]

# Ops whose output never depends on run-time values (static shapes).
_SHAPE_ONLY = {BuiltinOperator.SHAPE}
# Ops evaluated with numpy when all their inputs are constant (Keras' Flatten packs a folded
# batch size into a RESHAPE's shape); on run-time inputs they go through the op table.
_NUMPY_FOLDS = {
    BuiltinOperator.PACK: lambda op, args, out: np.stack(
        args, axis=op.options.Axis() if op.options else 0),
    BuiltinOperator.CAST: lambda op, args, out: args[0].astype(out),
    # The reader densified the sparse constant DENSIFY reads: nothing is left to do.
    BuiltinOperator.DENSIFY: lambda op, args, out: args[0],
}

Problem = tuple[str, str, str]  # (operator label, op name, reason)


def import_tflite(data: bytes, budget: Budget | None = None) -> Graph:
    """Converts the .tflite file `data` to an IR graph (NHWC, as TFLite is). `budget` bounds
    the bytes of the constants folding computes and the nodes the import makes (the default
    budget without it)."""
    budget = budget or Budget()
    model = read_tflite(data, budget)
    check_order(model)
    problems = _scan(model)
    if problems:
        raise UnsupportedOpsError(problems)
    return _Conversion(model, budget).run()


# --- the pre-scan ---------------------------------------------------------------------------
def _scan(model: TFLModel) -> list[Problem]:
    constant = {i for i, t in enumerate(model.tensors) if t.data is not None}
    problems: list[Problem] = []
    for op in model.operators:
        try:
            reasons = _op_problems(model, op, constant)
        except _READ_ERRORS as e:
            raise ModelImportError(f"malformed .tflite file: cannot read the options of "
                                   f"{op.label} ({op.op_name}) ({type(e).__name__}: {e})") \
                from None
        problems.extend((op.label, op.op_name, r) for r in reasons)
        all_constant = all(t in constant for t in op.inputs if t >= 0)
        if (_spec(op) is not None and (op.code in _SHAPE_ONLY or all_constant)
                or op.code in _NUMPY_FOLDS and all_constant):
            constant.update(op.outputs)
    return problems


def _op_problems(model: TFLModel, op: TFLOperator, constant: set[int]) -> list[str]:
    if op.code == BuiltinOperator.CUSTOM and op.custom_code not in CUSTOM_OPS:
        return [f"custom op {op.custom_code!r} is not supported"]
    if op.code in CONTROL_FLOW_OPS:  # the subgraphs' operators are checked as inlined
        return _subgraph_problems(model, op)
    if op.code in _SUBGRAPH_FIELDS:
        return ["control flow is not supported", *_subgraph_problems(model, op)]
    states = STATE_INPUTS.get(op.code, ())
    variables = [f"input {pos} ({model.tensors[t].name!r}) is a variable tensor; only the "
                 f"state inputs of a sequence LSTM may be"
                 for pos, t in enumerate(op.inputs)
                 if t >= 0 and model.tensors[t].variable and pos not in states]
    if variables:
        return variables
    if op.code in _NUMPY_FOLDS and all(t in constant for t in op.inputs if t >= 0):
        return _densify_problems(model, op) if op.code == BuiltinOperator.DENSIFY else []
    if op.code == BuiltinOperator.DENSIFY:
        return ["DENSIFY of a run-time tensor is not supported (only of a sparse constant)"]
    spec = _spec(op)
    if op.code not in _SHAPE_ONLY and is_quantized_op(model, op):
        return int8_problems(model, op, spec, constant)
    if spec is None:
        return ["op not supported"]
    reasons = []
    activation = fused_activation_problem(op.options)
    if activation:
        reasons.append(activation)
    if len(op.inputs) < spec.min_inputs:
        reasons.append(f"{len(op.inputs)} inputs given, at least {spec.min_inputs} needed")
    folded = op.code in _SHAPE_ONLY or all(t in constant for t in op.inputs if t >= 0)
    for pos, t in enumerate(op.inputs):
        if t < 0:
            continue
        tensor = model.tensors[t]
        if pos in spec.const_inputs and t not in constant:
            reasons.append(f"input {pos} ({tensor.name!r}) must be a constant")
        elif tensor.quant is not None and tensor.type != TensorType.FLOAT32 and not folded:
            reasons.append(f"input {pos} ({tensor.name!r}) is quantized "
                           f"{type_name(tensor.type)}; only float32 is supported so far")
        elif (not folded and pos not in spec.const_inputs and pos not in spec.index_inputs
              and tensor.type not in spec.in_types):
            reasons.append(f"input {pos} ({tensor.name!r}) has type "
                           f"{type_name(tensor.type)}; only "
                           f"{', '.join(type_name(t).lower() for t in spec.in_types)} "
                           f"{'is' if len(spec.in_types) == 1 else 'are'} supported")
        elif pos in spec.index_inputs and tensor.type not in (TensorType.INT32,
                                                               TensorType.INT64):
            reasons.append(f"input {pos} ({tensor.name!r}) must be int32 or int64 indices")
    if op.code == BuiltinOperator.DEQUANTIZE and op.inputs and op.inputs[0] >= 0:
        src = model.tensors[op.inputs[0]]
        if src.type != TensorType.FLOAT16 or op.inputs[0] not in constant:
            reasons.append(f"only constant float16 inputs are supported, got "
                           f"{'constant' if op.inputs[0] in constant else 'run-time'} "
                           f"{type_name(src.type)}")
    if not folded:
        for t in op.outputs:
            if model.tensors[t].type not in spec.out_types:
                reasons.append(f"output {model.tensors[t].name!r} has type "
                               f"{type_name(model.tensors[t].type)}; only "
                               f"{', '.join(type_name(t).lower() for t in spec.out_types)} "
                               f"{'is' if len(spec.out_types) == 1 else 'are'} supported")
    if not reasons and spec.check is not None:
        reason = spec.check(op.options, model.tensors, op)
        if reason:
            reasons.append(reason)
    return reasons


def _densify_problems(model: TFLModel, op: TFLOperator) -> list[str]:
    if len(op.inputs) != 1 or op.inputs[0] < 0 or len(op.outputs) != 1:
        return [f"expected 1 input and 1 output, got {len(op.inputs)} and {len(op.outputs)}"]
    src, dst = model.tensors[op.inputs[0]], model.tensors[op.outputs[0]]
    if (src.type, src.shape) != (dst.type, dst.shape):
        return [f"the output is {type_name(dst.type)} {list(dst.shape)}, the input "
                f"{type_name(src.type)} {list(src.shape)}"]
    return []


def _spec(op: TFLOperator) -> TFLiteOp | None:
    """The op table's entry for `op`: by custom code for the custom ops taken as built-ins."""
    if op.code == BuiltinOperator.CUSTOM:
        return CUSTOM_OPS.get(op.custom_code)
    return TFLITE_OPS.get(op.code) or COMPOSED_OPS.get(op.code)


# Control-flow ops and the option fields naming the subgraphs they run.
_SUBGRAPH_FIELDS = {
    BuiltinOperator.WHILE: ("CondSubgraphIndex", "BodySubgraphIndex"),
    BuiltinOperator.IF: ("ThenSubgraphIndex", "ElseSubgraphIndex"),
    BuiltinOperator.CALL_ONCE: ("InitSubgraphIndex",),
}


def _subgraph_problems(model: TFLModel, op: TFLOperator) -> list[str]:
    """What is wrong with the subgraph indices of a control-flow op in subgraph 0."""
    reasons = []
    for field in _SUBGRAPH_FIELDS[op.code] if op.options is not None else ():
        index = getattr(op.options, field)()
        if index == 0:
            reasons.append(f"{field} is 0, the subgraph the operator is in: it references "
                           f"itself")
        elif not 0 <= index < model.subgraph_count:
            reasons.append(f"{field} {index} is out of range [0, {model.subgraph_count})")
    return reasons


# --- conversion -----------------------------------------------------------------------------
def _numpy_fold_shape(op: TFLOperator, args: list[np.ndarray],
                      out: type) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and type of a _NUMPY_FOLDS result, known before computing it (inputs of
    different shapes, which np.stack refuses, are charged as the first one's)."""
    if op.code != BuiltinOperator.PACK:
        return args[0].shape, np.dtype(out)
    shape = list(args[0].shape)
    axis = op.options.Axis() if op.options else 0
    shape.insert(axis % (len(shape) + 1) if -len(shape) - 1 <= axis <= len(shape) else 0,
                 len(args))
    return tuple(shape), np.result_type(*args)


class _Conversion:
    def __init__(self, model: TFLModel, budget: Budget):
        self.model = model
        self.budget = budget
        self.names = tensor_names(model.tensors)
        self.graph = Graph(tensors={}, nodes=[], inputs=[], outputs=[],
                           metadata=dict(model.metadata), signatures=list(model.signatures))
        self.b = Builder(self.graph, set(self.names), budget)
        self.consts: dict[int, np.ndarray] = {i: t.data for i, t in enumerate(model.tensors)
                                              if t.data is not None}
        self.env: dict[int, str] = {}          # run-time TFLite tensor -> IR tensor name
        self.unroll = UnrollState()             # what control flow has inlined so far
        for i in model.inputs:
            name = self.names[i]
            self.graph.tensors[name] = _input_tensor(model.tensors[i], name)
            self.graph.inputs.append(name)
            self.env[i] = name

    def run(self) -> Graph:
        self.convert_operators()
        self._set_outputs()
        self.graph.drop_unused_tensors()
        return self.graph

    def convert_operators(self, where: str = "") -> None:
        """Converts every operator; those of an inlined subgraph (labelled after `where`, the
        control-flow op and step) are checked first, with the values bound to its inputs."""
        for op in self.model.operators:
            label = f"{where}{op.label}"
            try:
                if where and (op := without_empty_values(self, op)) is None:
                    continue
                reasons = _op_problems(self.model, op, set(self.consts)) if where else []
                if reasons:
                    raise UnsupportedOpsError([(label, op.op_name, r) for r in reasons])
                self._convert(op)
            except Unsupported as e:
                raise UnsupportedOpsError([(label, op.op_name, str(e))]) from None
            except (Invalid, EvaluationError) as e:
                raise ModelImportError(f"{label} ({op.op_name}): {e}") from None
            except _READ_ERRORS as e:
                raise ModelImportError(f"{label} ({op.op_name}): malformed options or "
                                       f"inputs ({type(e).__name__}: {e})") from None

    def inner(self, sub: TFLModel, prefix: str) -> _Conversion:
        """A conversion of subgraph `sub` into this graph (control flow inlines it), its tensor
        names prefixed with `prefix` and kept unique; nothing is bound to its inputs yet."""
        child = object.__new__(_Conversion)
        child.model, child.budget, child.graph, child.b = sub, self.budget, self.graph, self.b
        child.unroll = self.unroll
        child.names = []
        for name in tensor_names(sub.tensors):
            name = f"{prefix}{name}"
            while name in self.graph.tensors or name in self.unroll.names:
                name = f"{name}_"
            self.unroll.names.add(name)
            child.names.append(name)
        child.consts = {i: t.data for i, t in enumerate(sub.tensors) if t.data is not None}
        child.env = {}
        return child

    def _convert(self, op: TFLOperator) -> None:
        if op.code in CONTROL_FLOW_OPS:
            CONTROL_FLOW_OPS[op.code](self, op)
            return
        if op.code in _NUMPY_FOLDS and all(t in self.consts for t in op.inputs if t >= 0):
            if len(op.outputs) != 1:
                raise Invalid(f"expected 1 output, got {len(op.outputs)}")
            out = NUMPY_TYPES.get(self.model.tensors[op.outputs[0]].type)
            if out is None:
                raise Unsupported("unsupported output type")
            args = [self.consts[t] for t in op.inputs if t >= 0]
            if not args:
                raise Invalid("no inputs")
            # A PACK may list one large constant thousands of times: charged before stacking.
            self.budget.charge(f"{op.label} ({op.op_name})", *_numpy_fold_shape(op, args, out))
            self.consts[op.outputs[0]] = constant_array(_NUMPY_FOLDS[op.code](op, args, out))
            return
        spec = _spec(op)
        if spec is None:  # the scan refused it already
            raise Unsupported("op not supported")
        start = len(self.graph.nodes)
        self.b.begin(self.names[op.outputs[0]] if op.outputs else op.label, len(op.outputs))
        results = spec.fn(_OpContext(self, op))
        self.b.finish()
        if len(results) != len(op.outputs):
            raise Invalid(f"expected {len(op.outputs)} outputs, the op gives {len(results)}")
        folded = all(t in self.consts for t in op.inputs if t >= 0)
        if folded:
            results = self._fold(start, results, f"{op.label} ({op.op_name})")
        elif op.code not in _SHAPE_ONLY and is_quantized_op(self.model, op):
            assign_quant(self.graph, self.graph.nodes[start:], results,
                         [self.model.tensors[t].quant for t in op.outputs])
        for t, value in zip(op.outputs, results):
            if isinstance(value, np.ndarray):
                declared_type = NUMPY_TYPES.get(self.model.tensors[t].type)
                if declared_type is not None and value.dtype != declared_type:
                    # e.g. an EXPAND_DIMS of float16 weights where a DEQUANTIZE belongs
                    raise Invalid(f"output {self.names[t]!r} is declared "
                                  f"{type_name(self.model.tensors[t].type)}, computed "
                                  f"{value.dtype}")
                self.consts[t] = constant_array(value)
                continue
            declared = self.model.tensors[t].shape
            if self.model.tensors[t].type == TensorType.COMPLEX64:
                declared = (*declared, 2)   # (real, imaginary) pairs: tflite_spectral_ops.py
            got = self.graph.tensors[value].shape
            if declared and tuple(declared) != tuple(got or ()):
                raise Invalid(f"output {self.names[t]!r} is declared {declared}, computed {got}")
            self.env[t] = self.names[t] if self.b.rename_output(value, self.names[t]) else value

    def _fold(self, start: int, results: list[Any], where: str) -> list[Any]:
        """Evaluates the IR nodes just emitted for an all-constant operator, each after its
        outputs' size (known from shape inference) is charged to the budget."""
        nodes = self.graph.nodes[start:]
        del self.graph.nodes[start:]
        # Only the nodes' own inputs: an unrolled loop folds thousands of times in a graph
        # of thousands of constants.
        values = {name: self.graph.tensors[name].data for node in nodes for name in node.inputs
                  if name and self.graph.tensors[name].data is not None}
        for node in nodes:
            for name in node.outputs:
                t = self.graph.tensors[name]
                self.budget.charge(where, t.shape or (), t.dtype.numpy)
            values.update(zip(node.outputs, evaluate_node(node, self.graph, values)))
        return [r if isinstance(r, np.ndarray) else
                values[r] if r in values else self.graph.tensors[r].data for r in results]

    def tensor(self, t: int) -> str:
        """The IR tensor of TFLite tensor `t`, materialising a constant on first use."""
        if t not in self.env:
            value = self.consts[t]
            name = self.names[t]
            try:
                self.b.add_constant(name, value)
            except ValueError:
                raise Unsupported(f"constant {name!r} has unsupported type {value.dtype}") \
                    from None
            if self.model.tensors[t].type in (TensorType.INT8, TensorType.INT32,
                                              TensorType.INT64):
                # int8 weights and int32 (int8) or int64 (16x8) biases keep the file's scales.
                self.graph.tensors[name].quant = self.model.tensors[t].quant
            self.env[t] = name
        return self.env[t]

    def _set_outputs(self) -> None:
        for t in self.model.outputs:
            name = self.names[t]
            if t not in self.env:
                raise UnsupportedOpsError([(f"output {name!r}", "OUTPUT", "the graph output "
                                            "is a constant (it depends on no graph input)")])
            if self.model.tensors[t].type == TensorType.COMPLEX64:
                raise UnsupportedOpsError([(f"output {name!r}", "OUTPUT", "a complex64 graph "
                                            "output: take its COMPLEX_ABS, REAL or IMAG in "
                                            "the model")])
            ir = self.env[t]
            if ir != name or ir in self.graph.inputs or ir in self.graph.outputs:
                self.b.begin(f"{name}/copy", 1)
                copy = self.b.op(OpType.RESHAPE, [ir], ReshapeParams(),
                                 shapes=[self.graph.tensors[ir].shape])
                self.graph.tensors[copy].quant = self.graph.tensors[ir].quant
                ir = name if self.b.rename_output(copy, name) else copy
            self.graph.outputs.append(ir)


# Graph input types besides int8: int32 and int64 inputs carry indices (GATHER) or integers
# that a CAST converts.
_INPUT_TYPES = {TensorType.FLOAT32: DType.FLOAT32, TensorType.INT32: DType.INT32,
                TensorType.INT64: DType.INT64}
# Plain integer inputs without quantization params (the bitwise ops read them).
_PLAIN_INPUT_TYPES = {TensorType.INT16: DType.INT16, TensorType.UINT16: DType.UINT16,
                      TensorType.UINT32: DType.UINT32, TensorType.UINT64: DType.UINT64}


# Quantized graph input types; a uint8 input must feed QUANTIZEs to int8 only (the scan
# refuses any other reader).
_QUANTIZED_INPUT_TYPES = {TensorType.INT8: DType.INT8, TensorType.UINT8: DType.UINT8}


def _input_tensor(t: TFLTensor, name: str) -> Tensor:
    """The IR tensor of graph input `t`: float32, int8 or uint8 with one scale, int16 with one
    scale and zero point 0 (16x8), int32 or int64."""
    one_scale = t.quant is not None and len(t.quant.scale) == 1
    quantized = t.type in _QUANTIZED_INPUT_TYPES and one_scale
    int16 = t.type == TensorType.INT16 and one_scale and t.quant.zero_point[0] == 0
    plain = t.type in _PLAIN_INPUT_TYPES and t.quant is None
    if t.type not in _INPUT_TYPES and not quantized and not int16 and not plain:
        raise UnsupportedOpsError([(f"input {name!r}", "INPUT",
                                    f"type {type_name(t.type)}; only float32, int8 and uint8 "
                                    f"(one scale), int16 (one scale, zero point 0), int32 and "
                                    f"int64 inputs are supported")])
    if min(t.shape, default=1) < 1:
        raise ModelImportError(f"graph input {name!r} has an empty or unknown dimension: "
                               f"{t.shape}")
    if quantized or int16:
        return Tensor(name, _QUANTIZED_INPUT_TYPES.get(t.type, DType.INT16), t.shape,
                      quant=t.quant)
    return Tensor(name, {**_INPUT_TYPES, **_PLAIN_INPUT_TYPES}[t.type], t.shape)


class _OpContext:
    """What an op function sees: its operator, inputs by position, the builder."""

    def __init__(self, conv: _Conversion, op: TFLOperator):
        self._conv = conv
        self.op = op
        self.b = conv.b
        self.options = op.options

    def has(self, pos: int) -> bool:
        return pos < len(self.op.inputs) and self.op.inputs[pos] >= 0

    def input(self, pos: int) -> str:
        if not self.has(pos):
            raise Invalid(f"input {pos} is missing")
        return self._conv.tensor(self.op.inputs[pos])

    def optional(self, pos: int) -> str | None:
        return self.input(pos) if self.has(pos) else None

    def const(self, pos: int) -> np.ndarray:
        if not self.has(pos):
            raise Invalid(f"input {pos} is missing")
        t = self.op.inputs[pos]
        if t not in self._conv.consts:
            raise Unsupported(f"input {pos} must be a constant")
        return self._conv.consts[t]

    def is_variable(self, pos: int) -> bool:
        """Whether input `pos` is a variable tensor (a state the op starts at zeros)."""
        return self.has(pos) and self._conv.model.tensors[self.op.inputs[pos]].variable

    def in_shape(self, pos: int) -> tuple[int, ...]:
        if not self.has(pos):
            raise Invalid(f"input {pos} is missing")
        t = self.op.inputs[pos]
        if self.is_variable(pos):
            return self._conv.model.tensors[t].shape
        if t in self._conv.consts:
            return tuple(self._conv.consts[t].shape)
        return tuple(self._conv.graph.tensors[self._conv.env[t]].shape or ())

    def out_shape(self, pos: int = 0) -> tuple[int, ...]:
        return self._conv.model.tensors[self.op.outputs[pos]].shape

    def in_quant(self, pos: int) -> QuantParams | None:
        """The file's quantization of input `pos` (None for float tensors)."""
        if not self.has(pos):
            raise Invalid(f"input {pos} is missing")
        return self._conv.model.tensors[self.op.inputs[pos]].quant

    def out_quant(self, pos: int = 0) -> QuantParams | None:
        return self._conv.model.tensors[self.op.outputs[pos]].quant

    def out_type(self, pos: int = 0) -> int:
        """The TensorType of output `pos`."""
        return self._conv.model.tensors[self.op.outputs[pos]].type
