"""The .tflite reader: FlatBuffer bytes -> plain records (TFLModel, TFLTensor, TFLOperator).

It reads the whole file at once, so that every low-level read error becomes a
ModelImportError saying where, and checks what holds the records together: vector lengths,
tensor, buffer and opcode indices, buffer sizes, signatures, and (check_order) that the
operators form an execution order. What the records mean is importers/tflite.py's business.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

from ..errors import ModelImportError
from ..ir import QuantParams, Signature, constant_array
from ..limits import Budget
from .tflite_metadata import READ_ERRORS as _READ_ERRORS
from .tflite_metadata import read_metadata
from .tflite_quantized import read_quant, type_name
from .tflite_sparse import densify

__all__ = ["NUMPY_TYPES", "TFLModel", "TFLOperator", "TFLTensor", "check_order",
           "read_tflite", "tensor_names"]

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
_OPTION_NAMES = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}
NUMPY_TYPES = {TensorType.FLOAT32: np.float32, TensorType.FLOAT16: np.float16,
               TensorType.INT32: np.int32, TensorType.INT64: np.int64, TensorType.INT8: np.int8,
               TensorType.UINT8: np.uint8, TensorType.INT16: np.int16, TensorType.BOOL: np.bool_}


@dataclass
class TFLTensor:
    name: str
    type: int
    shape: tuple[int, ...]
    data: np.ndarray | None       # constant value, or None for a run-time tensor
    quant: QuantParams | None     # the file's scales and zero points, None if it has none
    variable: bool = False        # a state tensor (an LSTM's), zeros before the first step
    dynamic: bool = False         # its shape signature has an unknown (-1) dimension


@dataclass
class TFLOperator:
    index: int
    code: int                     # BuiltinOperator value
    custom_code: str
    inputs: list[int]             # -1: omitted optional input
    outputs: list[int]
    options: Any                  # the tflite.<Name>Options table, or None
    custom_options: bytes = b""   # a custom op's options, as the file stores them
    subgraph: int = 0             # the subgraph the operator is in (control flow runs others)

    @property
    def op_name(self) -> str:
        if self.code == BuiltinOperator.CUSTOM:
            return f"CUSTOM:{self.custom_code}"
        return _OP_NAMES.get(self.code, f"BUILTIN_{self.code}")

    @property
    def label(self) -> str:
        where = f"subgraph {self.subgraph} " if self.subgraph else ""
        return f"{where}operator {self.index}"


@dataclass
class TFLModel:
    tensors: list[TFLTensor]
    operators: list[TFLOperator]
    inputs: list[int]
    outputs: list[int]
    metadata: dict[str, str]
    signatures: list[Signature]
    subgraph_count: int
    # Every subgraph, this one at its own index: a WHILE's or IF's subgraphs have no metadata
    # or signatures, and their inputs are the values the control-flow op binds.
    subgraphs: list[TFLModel] = field(default_factory=list)


def read_tflite(data: bytes, budget: Budget | None = None) -> TFLModel:
    """Parses and validates the structure of a .tflite file; any inconsistency is a
    ModelImportError naming what and where. Sparse constants are densified, charged to
    `budget` (the default budget without it)."""
    data = bytes(data)
    if len(data) < 8:
        raise ModelImportError(f"not a .tflite file: only {len(data)} bytes")
    if data[4:8] != b"TFL3":
        raise ModelImportError(f"not a .tflite file: file identifier is {data[4:8]!r}, "
                               f"expected b'TFL3'")
    reader = _Reader(data, budget or Budget())
    try:
        return reader.model()
    except _READ_ERRORS as e:
        raise ModelImportError(f"malformed .tflite file: cannot read {reader.where} "
                               f"({type(e).__name__}: {e})") from None


class _Reader:
    def __init__(self, data: bytes, budget: Budget):
        self.data = data
        self.budget = budget
        self.where = "the model table"
        self.entries = 0   # tensors and operators read, over all subgraphs

    def count(self, n: int, what: str) -> int:
        """A vector length that fits in the file (each element takes >= 1 byte): a corrupt
        length must not make the reader loop over billions of entries."""
        if not 0 <= n <= len(self.data):
            raise ModelImportError(f"malformed .tflite file: {what} claims {n} entries in a "
                                   f"{len(self.data)}-byte file")
        return n

    def ints(self, array: Any, n: int, what: str) -> list[int]:
        self.count(n, what)
        return [] if n == 0 else [int(v) for v in array]

    def model(self) -> TFLModel:
        m = tflite.Model.GetRootAs(self.data, 0)
        if m.Version() != 3:
            raise ModelImportError(f"unsupported .tflite schema version {m.Version()} "
                                   f"(expected 3)")
        n_sub = self.count(m.SubgraphsLength(), "the subgraph list")
        if n_sub == 0:
            raise ModelImportError("malformed .tflite file: the model has no subgraph")
        codes = []
        for i in range(self.count(m.OperatorCodesLength(), "the operator code list")):
            self.where = f"operator code {i}"
            oc = m.OperatorCodes(i)
            custom = oc.CustomCode()
            codes.append((max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode())),
                          custom.decode("utf-8", "replace") if custom else ""))
        n_buffers = self.count(m.BuffersLength(), "the buffer list")
        subgraphs = [self.subgraph(m, s, codes, n_buffers, n_sub) for s in range(n_sub)]
        main = subgraphs[0]
        if not main.outputs:
            raise ModelImportError("subgraph 0 has no outputs")
        self.where = "the model metadata"
        names = tensor_names(main.tensors)
        main.metadata = self.metadata(m, [names[i] for i in main.inputs],
                                      [names[i] for i in main.outputs])
        main.signatures = self.signatures(m, main.inputs, main.outputs)
        for sub in subgraphs:
            sub.subgraphs = subgraphs
        return main

    def subgraph(self, m: Any, s: int, codes: list[tuple[int, str]], n_buffers: int,
                 n_sub: int) -> TFLModel:
        self.where = f"subgraph {s}"
        sg = m.Subgraphs(s)
        # Each entry takes a 4-byte offset of its own unless subgraphs share their vectors:
        # a small file must not make the reader walk one large subgraph thousands of times.
        self.entries += sg.TensorsLength() + sg.OperatorsLength()
        if self.entries > len(self.data) // 4:
            raise ModelImportError(f"malformed .tflite file: subgraphs 0 to {s} list "
                                   f"{self.entries} tensors and operators, more than a "
                                   f"{len(self.data)}-byte file holds")
        tensors = [self.tensor(m, sg, i, n_buffers)
                   for i in range(self.count(sg.TensorsLength(), f"subgraph {s}'s tensor list"))]
        operators = [self.operator(sg, i, codes, len(tensors), s)
                     for i in range(self.count(sg.OperatorsLength(),
                                               f"subgraph {s}'s operators"))]
        self.where = f"subgraph {s}'s inputs and outputs"
        inputs = self.ints(sg.InputsAsNumpy(), sg.InputsLength(), "the input list")
        outputs = self.ints(sg.OutputsAsNumpy(), sg.OutputsLength(), "the output list")
        for what, indices in (("input", inputs), ("output", outputs)):
            for i in indices:
                if not 0 <= i < len(tensors):
                    raise ModelImportError(f"subgraph {s} {what} tensor index {i} is out of "
                                           f"range [0, {len(tensors)})")
        return TFLModel(tensors, operators, inputs, outputs, {}, [], n_sub)

    def tensor(self, m: Any, sg: Any, i: int, n_buffers: int) -> TFLTensor:
        self.where = f"tensor {i}"
        t = sg.Tensors(i)
        name = (t.Name() or b"").decode("utf-8", "replace")
        shape = tuple(self.ints(t.ShapeAsNumpy(), t.ShapeLength(), f"tensor {i}'s shape"))
        if any(d < 0 for d in shape):
            raise ModelImportError(f"tensor {i} ({name!r}) has a negative dimension in "
                                   f"{shape}")
        quant = read_quant(t.Quantization(), name, shape, t.Type())
        signature = self.ints(t.ShapeSignatureAsNumpy(), t.ShapeSignatureLength(),
                              f"tensor {i}'s shape signature")
        dynamic = any(d < 0 for d in signature)
        b = t.Buffer()
        if not 0 <= b < n_buffers:
            raise ModelImportError(f"tensor {i} ({name!r}) has buffer index {b}, out of "
                                   f"range [0, {n_buffers})")
        self.where = f"buffer {b} of tensor {i} ({name!r})"
        raw = self.buffer(m.Buffers(b))
        if t.IsVariable():
            if raw:  # as LiteRT, which starts every variable tensor at zeros
                raise ModelImportError(f"tensor {i} ({name!r}) is a variable tensor with data "
                                       f"in buffer {b}; variable tensors start at zeros")
            return TFLTensor(name, t.Type(), shape, None, quant, variable=True)
        # Buffer 0 is the converter's "no data"; an empty buffer of its own on a tensor of no
        # elements is an empty constant (the shape [] of a RESHAPE to a scalar).
        empty_constant = b != 0 and math.prod(shape) == 0
        sparse = t.Sparsity() is not None
        if sparse and b == 0:
            raise ModelImportError(f"tensor {i} ({name!r}) is sparse but has no buffer (only "
                                   f"constants may be sparse)")
        if not raw and not empty_constant and not sparse:
            return TFLTensor(name, t.Type(), shape, None, quant, dynamic=dynamic)
        dtype = NUMPY_TYPES.get(t.Type())
        if dtype is None:
            raise ModelImportError(f"tensor {i} ({name!r}) is a constant of unsupported type "
                                   f"{type_name(t.Type())}")
        if sparse:
            return TFLTensor(name, t.Type(), shape, self.sparse(t, i, name, shape, raw, dtype),
                             quant)
        need = math.prod(shape) * np.dtype(dtype).itemsize
        if need != len(raw):
            raise ModelImportError(f"tensor {i} ({name!r}): shape {shape} x "
                                   f"{type_name(t.Type())} needs {need} bytes, its buffer "
                                   f"{b} holds {len(raw)}")
        data = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        return TFLTensor(name, t.Type(), shape, constant_array(data, dtype), quant)

    def sparse(self, t: Any, i: int, name: str, shape: tuple[int, ...], raw: bytes,
               dtype: Any) -> np.ndarray:
        """The dense value of sparse constant `t` (its buffer holds the stored values)."""
        self.where = f"the sparsity of tensor {i} ({name!r})"
        itemsize = np.dtype(dtype).itemsize
        if len(raw) % itemsize:
            raise ModelImportError(f"tensor {i} ({name!r}): its buffer of {len(raw)} bytes is "
                                   f"not a whole number of {type_name(t.Type())} values")
        self.budget.charge(f"tensor {i} ({name!r}) (sparse)", shape, dtype)
        values = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
        try:
            dense = densify(values, shape, t.Sparsity(), len(self.data))
        except ValueError as e:
            raise ModelImportError(f"tensor {i} ({name!r}) is sparse, and malformed: {e}") \
                from None
        return constant_array(dense, dtype)

    def buffer(self, buf: Any) -> bytes:
        offset, size = int(buf.Offset()), int(buf.Size())
        if offset > 1:
            # Large models keep buffers after the FlatBuffer, addressed from the file start.
            if offset + size > len(self.data):
                raise ModelImportError(f"malformed .tflite file: {self.where} spans "
                                       f"[{offset}, {offset + size}) past the file's end "
                                       f"({len(self.data)} bytes)")
            return self.data[offset:offset + size]
        n = self.count(buf.DataLength(), self.where)
        return b"" if n == 0 else buf.DataAsNumpy().tobytes()

    def operator(self, sg: Any, i: int, codes: list[tuple[int, str]],
                 n_tensors: int, s: int = 0) -> TFLOperator:
        self.where = f"subgraph {s} operator {i}" if s else f"operator {i}"
        op = sg.Operators(i)
        index = op.OpcodeIndex()
        if not 0 <= index < len(codes):
            raise ModelImportError(f"{self.where} has opcode index {index}, out of range "
                                   f"[0, {len(codes)})")
        inputs = self.ints(op.InputsAsNumpy(), op.InputsLength(), f"operator {i}'s inputs")
        outputs = self.ints(op.OutputsAsNumpy(), op.OutputsLength(), f"operator {i}'s outputs")
        for what, indices, lowest in (("input", inputs, -1), ("output", outputs, 0)):
            for t in indices:
                if not lowest <= t < n_tensors:
                    raise ModelImportError(f"{self.where} ({_OP_NAMES.get(codes[index][0])}) "
                                           f"{what} tensor index {t} is out of range "
                                           f"[{lowest}, {n_tensors})")
        code, custom = codes[index]
        n = self.count(op.CustomOptionsLength(), f"operator {i}'s custom options")
        custom_options = op.CustomOptionsAsNumpy().tobytes() if n else b""
        return TFLOperator(i, code, custom, inputs, outputs, self.options(op), custom_options,
                           s)

    def options(self, op: Any) -> Any:
        kind = op.BuiltinOptionsType()
        table = op.BuiltinOptions()
        name = _OPTION_NAMES.get(kind)
        if table is None or kind == 0 or name is None:
            return None
        options = getattr(tflite, name)()
        options.Init(table.Bytes, table.Pos)
        return options

    def metadata(self, m: Any, inputs: list[str], outputs: list[str]) -> dict[str, str]:
        """The model's description and its TFLite metadata (tflite_metadata.py): optional,
        so what is malformed is skipped with a MetadataWarning."""
        meta: dict[str, str] = {}
        description = m.Description()
        if description:
            meta["tflite.description"] = description.decode("utf-8", "replace")
        meta.update(read_metadata(self.data, m, self.buffer, inputs, outputs))
        return meta

    def signatures(self, m: Any, inputs: list[int], outputs: list[int]) -> list[Signature]:
        """The SignatureDefs of subgraph 0, each entry as a position in the subgraph's
        inputs or outputs; an entry naming another tensor is an error."""
        found = []
        for i in range(self.count(m.SignatureDefsLength(), "the signature list")):
            sig = m.SignatureDefs(i)
            if sig.SubgraphIndex() != 0:
                continue
            key = (sig.SignatureKey() or b"").decode("utf-8", "replace")
            self.where = f"signature {key!r}"
            entries = []
            for kind, n, get, allowed in (("input", sig.InputsLength(), sig.Inputs, inputs),
                                          ("output", sig.OutputsLength(), sig.Outputs, outputs)):
                pairs = []
                for j in range(self.count(n, f"signature {key!r}'s {kind}s")):
                    entry = get(j)
                    name = (entry.Name() or b"").decode("utf-8", "replace")
                    t = entry.TensorIndex()
                    if t not in allowed:
                        raise ModelImportError(f"signature {key!r}: {kind} {name!r} is tensor "
                                               f"{t}, which is not a subgraph 0 {kind}")
                    pairs.append((name, allowed.index(t)))
                entries.append(tuple(pairs))
            found.append(Signature(key, *entries))
        keys = [s.key for s in found]
        if len(set(keys)) != len(keys):
            raise ModelImportError(f"signature keys are not unique: {keys}")
        return found


def tensor_names(tensors: list[TFLTensor]) -> list[str]:
    """A unique IR name per TFLite tensor: its own name where that is unique."""
    seen: dict[str, int] = {}
    for t in tensors:
        seen[t.name] = seen.get(t.name, 0) + 1
    names, taken = [], set()
    for i, t in enumerate(tensors):
        # A NUL would end the name early for the runtime's C strings.
        name = t.name if t.name and seen[t.name] == 1 and "\0" not in t.name else f"tensor_{i}"
        while name in taken:
            name = f"{name}_"
        taken.add(name)
        names.append(name)
    return names


def check_order(model: TFLModel) -> None:
    """Every run-time tensor is written once, by an operator before its readers (so the
    operator list is a valid execution order and has no cycle)."""
    defined = set(model.inputs) | {i for i, t in enumerate(model.tensors)
                                   if t.data is not None or t.variable}
    for op in model.operators:
        for t in op.inputs:
            if t >= 0 and t not in defined:
                raise ModelImportError(
                    f"{op.label} ({op.op_name}): input tensor {t} "
                    f"({model.tensors[t].name!r}) is not a graph input, a constant or an "
                    f"earlier operator's output (a cycle, or operators out of order)")
        for t in op.outputs:
            if t in defined:
                raise ModelImportError(f"{op.label} ({op.op_name}): output tensor {t} "
                                       f"({model.tensors[t].name!r}) is already defined")
            defined.add(t)
    for t in model.outputs:
        if t not in defined:
            raise ModelImportError(f"graph output tensor {t} ({model.tensors[t].name!r}) is "
                                   f"produced by no operator")
