"""Serialization of a planned graph into .ember bytes (schemas/ember.fbs).

Layout: [FlatBuffer root Model][zero padding][buffer 0][padding][buffer 1]..., each buffer at a
64-byte aligned file offset. The FlatBuffer is built twice: once to learn its size, once with
the real buffer offsets; ForceDefaults keeps every scalar field present, so changing the
offsets cannot change the size. Model.body_size is patched the same way to the file's length,
then the SHA-256 of the whole file, taken with its own 32 bytes zeroed, into
Model.content_hash. Equal inputs give equal bytes. The file is unsigned: signing
(emberlite.signing) appends a signature block after these bytes and changes none of them.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import importlib
import struct
from typing import Any

import flatbuffers
import numpy as np

from emberlite import __version__
from emberlite.schema.Buffer import BufferT
from emberlite.schema.Metadata import MetadataT
from emberlite.schema.Model import Model, ModelT
from emberlite.schema.OpParams import OpParams
from emberlite.schema.Operator import OperatorT
from emberlite.schema.QuantParams import QuantParamsT
from emberlite.schema.Sha256 import Sha256T
from emberlite.schema.Signature import SignatureT
from emberlite.schema.Subgraph import SubgraphT
from emberlite.schema.Symbol import SymbolT
from emberlite.schema.Tensor import TensorT
from emberlite.schema.TensorMap import TensorMapT

from .errors import EmberError
from .ir import MAX_NODE_IO, Graph, Symbol, Tensor
from .planner import MemoryPlan

FORMAT_VERSION = 10
# The runtime that introduced FORMAT_VERSION (major*10000 + minor*100 + patch): older ones
# refuse the file saying which they need.
MIN_RUNTIME_VERSION = 900
_UINT64_MAX = (1 << 64) - 1
BUFFER_ALIGNMENT = 64
FILE_IDENTIFIER = b"EMBR"
SIGNATURE_KEY = "serving_default"
_HASH_SLOT_OFFSET = 20  # vtable offset of Model.content_hash (slot 8: 4 + 2 * 8)
_BODY_SIZE_SLOT_OFFSET = 22  # vtable offset of Model.body_size (slot 9)
_INT32_MAX = (1 << 31) - 1
_MAX_RANK = 8  # EMBER_MAX_RANK in csrc/include/emberlite.h


def _align(n: int) -> int:
    return (n + BUFFER_ALIGNMENT - 1) // BUFFER_ALIGNMENT * BUFFER_ALIGNMENT


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _field_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return int(value.value)
    if isinstance(value, (tuple, list)):
        return [_field_value(v) for v in value]
    return value


def _params(params: Any) -> tuple[int, Any]:
    """An op params dataclass -> (OpParams union type, the schema's object-API table)."""
    if params is None:
        return OpParams.NONE, None
    name = type(params).__name__
    union_type = getattr(OpParams, name, None)
    if union_type is None:
        raise EmberError(f"params class {name} has no table in the schema's OpParams union")
    table = getattr(importlib.import_module(f"emberlite.schema.{name}"), f"{name}T")()
    for f in dataclasses.fields(params):
        attr = _camel(f.name)
        if not hasattr(table, attr):
            raise EmberError(f"{name}.{f.name} has no field '{attr}' in the schema table")
        setattr(table, attr, _field_value(getattr(params, f.name)))
    return union_type, table


def _check_packs(table: Any, where: str) -> None:
    """A params table whose values fit the schema's field types (an int32 stride of 2**40
    from a crafted model must be an error naming the node, not a flatbuffers TypeError)."""
    if table is None:
        return
    try:
        table.Pack(flatbuffers.Builder(256))
    except (TypeError, ValueError, OverflowError, struct.error) as e:
        raise EmberError(f"{where}: a parameter does not fit its field in the format "
                         f"({e})") from None


def _constant_bytes(t: Tensor, data: np.ndarray) -> bytes:
    if data.dtype != t.dtype.numpy:
        raise EmberError(f"tensor '{t.name}': data is {data.dtype}, the tensor says "
                         f"{t.dtype.name.lower()}")
    if t.shape is None or tuple(data.shape) != tuple(t.shape):
        raise EmberError(f"tensor '{t.name}': data shape {data.shape} != shape {t.shape}")
    return np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).tobytes()


def _buffers(graph: Graph, names: list[str]) -> tuple[dict[str, int], list[bytes]]:
    """Constant tensor -> buffer index; identical bytes share one buffer."""
    index: dict[str, int] = {}
    by_content: dict[bytes, int] = {}
    contents: list[bytes] = []
    for name in names:
        t = graph.tensors[name]
        if t.data is None:
            continue
        blob = _constant_bytes(t, t.data)
        if blob not in by_content:
            by_content[blob] = len(contents)
            contents.append(blob)
        index[name] = by_content[blob]
    return index, contents


def _text(value: str, what: str) -> str:
    """A name the runtime reads as a C string: a NUL in it would cut it short there (two
    names equal up to a NUL would read the same)."""
    if "\0" in value:
        raise EmberError(f"{what} {value!r} contains a NUL character")
    return value


def _tensor_table(t: Tensor, buffer: int, offset: int) -> TensorT:
    tt = TensorT()
    tt.name = _text(t.name, "tensor name")
    tt.type = int(t.dtype)
    if t.shape is None:
        raise EmberError(f"tensor '{t.name}' has no known shape")
    tt.shape = [int(d) for d in t.shape]
    if len(tt.shape) > _MAX_RANK:
        raise EmberError(f"tensor {t.name!r}: shape {tt.shape} has rank {len(tt.shape)}; "
                         f"the runtime supports up to {_MAX_RANK}")
    if not all(0 <= d <= _INT32_MAX for d in tt.shape):
        raise EmberError(f"tensor {t.name!r}: shape {tt.shape} has a dimension outside the "
                         f"format's range [0, {_INT32_MAX}]")
    tt.buffer = buffer
    tt.arenaOffset = offset
    if t.dim_symbols is not None:
        tt.dimSymbols = [int(k) for k in t.dim_symbols]
    if t.quant is not None:
        q = QuantParamsT()
        q.scale = [float(s) for s in t.quant.scale]
        q.zeroPoint = [int(z) for z in t.quant.zero_point]
        q.axis = int(t.quant.axis)
        tt.quant = q
    return tt


def _symbol(symbol: Symbol) -> SymbolT:
    st = SymbolT()
    st.name = _text(symbol.name, "dimension name")
    st.min, st.max = int(symbol.min), int(symbol.max)
    return st


def _tensor_map(pairs: list[tuple[str, str]], index: dict[str, int]) -> list[TensorMapT]:
    maps = []
    for name, tensor in pairs:
        m = TensorMapT()
        m.name = _text(name, "signature entry")
        m.tensor = index[tensor]
        maps.append(m)
    return maps


def _signatures(graph: Graph, index: dict[str, int]) -> list[SignatureT]:
    """The graph's named signatures, or one default signature naming every input and output
    by its tensor name."""
    if not graph.signatures:
        return [_signature(SIGNATURE_KEY, [(n, n) for n in graph.inputs],
                           [(n, n) for n in graph.outputs], index)]
    keys = [s.key for s in graph.signatures]
    if len(set(keys)) != len(keys):
        raise EmberError(f"signature keys must be unique, got {keys}")
    tables = []
    for sig in graph.signatures:
        pairs = []
        for kind, entries, tensors in (("input", sig.inputs, graph.inputs),
                                       ("output", sig.outputs, graph.outputs)):
            for name, pos in entries:
                if not 0 <= pos < len(tensors):
                    raise EmberError(f"signature {sig.key!r}: {kind} {name!r} refers to graph "
                                     f"{kind} {pos}, but the graph has {len(tensors)}")
            pairs.append([(name, tensors[pos]) for name, pos in entries])
        tables.append(_signature(sig.key, pairs[0], pairs[1], index))
    return tables


def _signature(key: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]],
               index: dict[str, int]) -> SignatureT:
    sig = SignatureT()
    sig.key = _text(key, "signature key")
    sig.inputs = _tensor_map(inputs, index)
    sig.outputs = _tensor_map(outputs, index)
    return sig


def _model(graph: Graph, plan: MemoryPlan, producer: str, metadata: dict[str, str],
           order: list[str], buffer_of: dict[str, int], model_version: int) -> ModelT:
    index = {name: i for i, name in enumerate(order)}
    sg = SubgraphT()
    sg.name = "main"
    sg.tensors = []
    for name in order:
        t = graph.tensors[name]
        if t.is_constant:
            sg.tensors.append(_tensor_table(t, buffer_of[name], -1))
        elif name in plan.prepared:
            sg.tensors.append(_tensor_table(t, -1, -1))   # computed at prepare
        else:
            sg.tensors.append(_tensor_table(t, -1, plan.offsets[name]))
    sg.operators = []
    for node in graph.nodes:
        if max(len(node.inputs), len(node.outputs)) > MAX_NODE_IO:
            raise EmberError(f"node {node.name!r} ({node.op.name.lower()}) has "
                             f"{len(node.inputs)} inputs and {len(node.outputs)} outputs; a "
                             f"node takes at most {MAX_NODE_IO} of each")
        op = OperatorT()
        op.opcode = int(node.op)
        op.name = _text(node.name, "node name")
        op.inputs = [index[n] if n else -1 for n in node.inputs]
        op.outputs = [index[n] for n in node.outputs]
        if node.run_if:
            op.runIf = [index[t] if holds else -1 - index[t] for t, holds in node.run_if]
        op.paramsType, op.params = _params(node.params)
        _check_packs(op.params, f"node {node.name!r} ({node.op.name.lower()})")
        sg.operators.append(op)
    sg.inputs = [index[n] for n in graph.inputs]
    sg.outputs = [index[n] for n in graph.outputs]
    sg.symbols = [_symbol(s) for s in graph.symbols]

    model = ModelT()
    model.formatVersion = FORMAT_VERSION
    model.minRuntimeVersion = MIN_RUNTIME_VERSION
    model.producer = producer
    model.subgraphs = [sg]
    model.signatures = _signatures(graph, index)
    model.metadata = []
    for key in sorted(metadata):
        m = MetadataT()
        m.key, m.value = key, metadata[key]
        model.metadata.append(m)
    model.arenaSize = plan.arena_size
    model.modelVersion = model_version
    model.contentHash = Sha256T()
    model.contentHash.bytes = [0] * 32
    return model


def _pack(model: ModelT) -> bytearray:
    builder = flatbuffers.Builder(1024)
    builder.ForceDefaults(True)
    try:
        builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
    except (TypeError, ValueError, OverflowError, struct.error) as e:
        # Shapes and params are checked by name before; this is the arena size or offsets.
        raise EmberError(f"a value does not fit its field in the format ({e})") from None
    return bytearray(builder.Output())


_BUFFER_OFFSET_SLOT = 4  # the vtable entry of Buffer.offset, the table's first field


def _set_buffers(model: ModelT, contents: list[bytes], start: int) -> list[int]:
    offsets, pos = [], _align(start)
    model.buffers = []
    for blob in contents:
        b = BufferT()
        b.offset, b.size = pos, len(blob)
        model.buffers.append(b)
        offsets.append(pos)
        pos = _align(pos + len(blob))
    return offsets


def serialize(graph: Graph, plan: MemoryPlan, *, producer: str = f"emberlite {__version__}",
              metadata: dict[str, str] | None = None, model_version: int = 0) -> bytes:
    """`model_version`: the publisher's number for this model (0 = none), which runtimes
    given a min_model_version compare to refuse rollbacks."""
    if type(model_version) is not int or not 0 <= model_version <= _UINT64_MAX:
        raise EmberError(f"model_version must be an int in [0, 2^64 - 1], got "
                         f"{model_version!r}")
    order = graph.tensor_order()
    buffer_of, contents = _buffers(graph, order)
    meta = {**graph.metadata, **(metadata or {})}
    model = _model(graph, plan, producer, meta, order, buffer_of, model_version)

    # Packed once with every buffer at offset 0 (ForceDefaults writes the field anyway), then
    # each offset patched in place: the data follows the FlatBuffer, whose size is known only
    # once it is packed, and packing a large graph twice is slow.
    _set_buffers(model, contents, 0)
    out = _pack(model)
    offsets = _set_buffers(model, contents, len(out))
    root = Model.GetRootAs(out, 0)
    for i, offset in enumerate(offsets):
        table = root.Buffers(i)._tab
        struct.pack_into("<Q", out, table.Pos + table.Offset(_BUFFER_OFFSET_SLOT), offset)
    for offset, blob in zip(offsets, contents):
        out += bytes(offset - len(out))
        out += blob

    root = Model.GetRootAs(out, 0)
    struct.pack_into("<Q", out, root._tab.Pos + root._tab.Offset(_BODY_SIZE_SLOT_OFFSET),
                     len(out))
    hash_pos = root._tab.Pos + root._tab.Offset(_HASH_SLOT_OFFSET)
    out[hash_pos:hash_pos + 32] = hashlib.sha256(out).digest()
    return bytes(out)
