"""Builds .tflite files in the tests with TensorFlow's schema object API (the ops TF's
converter does not emit, or emits only from models the tests cannot make: sequence LSTMs with
every option, sparse constants, custom ops), and runs them in LiteRT."""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

UNI, BIDI, CUSTOM, DENSIFY, ADD, FULLY_CONNECTED = 44, 52, 32, 124, 0, 9  # BuiltinOperator
TANH, RELU, RELU6, RELU_N1_TO_1, NONE = 4, 1, 3, 2, 0                      # activations
DENSE, CSR = 0, 1                                                          # DimensionType
_VECTORS = {np.int32: (1, "Int32VectorT"), np.uint16: (2, "Uint16VectorT"),
            np.uint8: (3, "Uint8VectorT")}
_TYPES = {np.dtype(np.float32): 0, np.dtype(np.int32): 2, np.dtype(np.uint8): 3,
          np.dtype(np.int64): 4, np.dtype(np.int8): 9}


def schema() -> Any:
    from tensorflow.lite.python import schema_py_generated as fb

    return fb


class TFLiteFile:
    """One subgraph: tensors (constants with a buffer each), operators, inputs and outputs."""

    def __init__(self) -> None:
        fb = schema()
        self.fb = fb
        self.tensors: list[Any] = []
        self.buffers: list[Any] = [fb.BufferT()]
        self.operators: list[Any] = []
        self.codes: list[tuple[int, str]] = []

    def tensor(self, shape: tuple[int, ...], data: np.ndarray | None = None,
               dtype: Any = np.float32, name: str = "", variable: bool = False) -> int:
        t = self.fb.TensorT()
        t.shape = list(shape)
        t.type = _TYPES[np.dtype(dtype if data is None else data.dtype)]
        t.name = name or f"t{len(self.tensors)}"
        t.isVariable = variable
        t.buffer = 0
        if data is not None:
            buf = self.fb.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def const(self, data: np.ndarray, name: str = "") -> int:
        return self.tensor(data.shape, data, name=name)

    def op(self, code: int, inputs: list[int], outputs: list[int], options_type: int = 0,
           options: Any = None, custom: str = "", custom_options: bytes = b"") -> Any:
        key = (code, custom)
        if key not in self.codes:
            self.codes.append(key)
        o = self.fb.OperatorT()
        o.opcodeIndex = self.codes.index(key)
        o.inputs, o.outputs = list(inputs), list(outputs)
        o.builtinOptionsType, o.builtinOptions = options_type, options
        if custom_options:
            o.customOptions = np.frombuffer(custom_options, np.uint8)
        self.operators.append(o)
        return o

    def bytes(self, inputs: list[int], outputs: list[int]) -> bytes:
        from tensorflow.lite.tools import flatbuffer_utils

        fb = self.fb
        sg = fb.SubGraphT()
        sg.tensors, sg.operators = self.tensors, self.operators
        sg.inputs, sg.outputs = list(inputs), list(outputs)
        m = fb.ModelT()
        m.version = 3
        m.subgraphs, m.buffers = [sg], self.buffers
        m.operatorCodes = []
        for code, custom in self.codes:
            oc = fb.OperatorCodeT()
            oc.builtinCode, oc.deprecatedBuiltinCode = code, min(code, 127)
            oc.version = 1
            if custom:
                oc.customCode = custom
            m.operatorCodes.append(oc)
        return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def litert(data: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The outputs of LiteRT's first Invoke of `data` on `inputs` (a fresh interpreter)."""
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    interp = LiteRT(model_content=data, num_threads=1)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


def operator_names(data: bytes) -> set[str]:
    """The builtin (or custom) operator names of a .tflite file, as the importer reads them."""
    from emberlite.converter.importers.tflite_reader import read_tflite

    return {op.op_name for op in read_tflite(data).operators}


# --- sequence LSTMs ---------------------------------------------------------------------
def random_array(rng: np.random.Generator, *shape: int, scale: float = 0.5) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _direction(f: TFLiteFile, rng: np.random.Generator, size: int, hidden: int,
               out: int | None, *, cifg: bool, peephole: bool, proj_bias: bool) -> list[int]:
    """The 17 weight inputs of one direction (-1 where absent)."""
    p = out or hidden
    gates = [not cifg, True, True, True]
    ids = [f.const(random_array(rng, hidden, size)) if g else -1 for g in gates]
    ids += [f.const(random_array(rng, hidden, p)) if g else -1 for g in gates]
    ids += [f.const(random_array(rng, hidden)) if peephole and g else -1 for g in (not cifg, 1, 1)]
    ids += [f.const(random_array(rng, hidden)) if g else -1 for g in gates]
    ids.append(f.const(random_array(rng, p, hidden)) if out else -1)
    ids.append(f.const(random_array(rng, p)) if out and proj_bias else -1)
    return ids


def lstm_file(*, steps: int = 5, batch: int = 2, size: int = 3, hidden: int = 4,
              out: int | None = None, cifg: bool = False, peephole: bool = False,
              layer_norm: bool = False, norm_slots: bool = False, time_major: bool = False,
              act: int = TANH, cell_clip: float = 0.0, proj_clip: float = 0.0,
              proj_bias: bool = True, state: str = "variable", bidi: bool = False,
              merge: bool = False, seed: int = 0) -> tuple[bytes, list[np.ndarray]]:
    """A one-operator LSTM file and its inputs (the sequence, then any run-time states)."""
    fb = schema()
    rng = np.random.default_rng(seed)
    f = TFLiteFile()
    dims = (steps, batch, size) if time_major else (batch, steps, size)
    x = f.tensor(dims, name="x")
    graph_inputs, feeds = [x], [random_array(rng, *dims, scale=1.0)]
    p = out or hidden

    def states() -> list[int]:
        ids = []
        for width in (p, hidden):
            if state == "variable":
                ids.append(f.tensor((batch, width), variable=True))
            elif state == "constant":
                ids.append(f.const(random_array(rng, batch, width)))
            else:
                ids.append(f.tensor((batch, width)))
                graph_inputs.append(ids[-1])
                feeds.append(random_array(rng, batch, width))
        return ids

    kw = dict(cifg=cifg, peephole=peephole, proj_bias=proj_bias)
    if bidi:
        fw = _direction(f, rng, size, hidden, out, **kw)
        bw = _direction(f, rng, size, hidden, out, **kw)
        inputs = [x, *fw, *bw, *states(), *states(), *[-1] * 9]
        o = fb.BidirectionalSequenceLSTMOptionsT()
        o.mergeOutputs = merge
        kind, code = 69, BIDI
    else:
        inputs = [x, *_direction(f, rng, size, hidden, out, **kw), *states()]
        if layer_norm or norm_slots:
            inputs += [f.const(random_array(rng, hidden) + 1) if layer_norm and (g or not cifg)
                       else -1 for g in range(4)]
        o = fb.UnidirectionalSequenceLSTMOptionsT()
        kind, code = 71, UNI
    o.fusedActivationFunction, o.cellClip, o.projClip = act, cell_clip, proj_clip
    o.timeMajor = time_major
    shape = (steps, batch) if time_major else (batch, steps)
    width = 2 * p if merge else p
    outputs = [f.tensor((*shape, width), name="y")]
    if bidi and not merge:
        outputs.append(f.tensor((*shape, p), name="y_bw"))
    f.op(code, inputs, outputs, kind, o)
    return f.bytes(graph_inputs, outputs), feeds


# --- sparse constants ----------------------------------------------------------------------
def _vector(values: list[int], dtype: Any) -> tuple[int, Any]:
    kind, cls = _VECTORS[dtype]
    v = getattr(schema(), cls)()
    v.values = [int(x) for x in values]
    return kind, v


def sparsify(dense: np.ndarray, order: list[int], formats: list[int],
             block_map: tuple[int, ...] = (), blocks: tuple[int, ...] = (),
             index_type: Any = np.int32) -> tuple[np.ndarray, Any]:
    """The stored values and SparsityParameters of `dense` (a test-side encoder written from
    the schema's description, independent of the importer's decoder)."""
    fb = schema()
    rank = dense.ndim
    expanded = dense
    # Split each blocked dim into (outer, block) and move the block axes to the end.
    for d, size in zip(block_map, blocks):
        shape = list(expanded.shape)
        expanded = expanded.reshape(shape[:d] + [shape[d] // size, size] + shape[d + 1:])
        expanded = np.moveaxis(expanded, d + 1, -1)
    levels = np.transpose(expanded, order)
    segments: list[list[int]] = [[0] for _ in formats]
    indices: list[list[int]] = [[] for _ in formats]
    values: list[Any] = []

    def walk(sub: np.ndarray, level: int) -> None:
        if level == len(formats):
            values.append(sub)
            return
        for i in range(sub.shape[0]):
            if formats[level] == DENSE:
                walk(sub[i], level + 1)
            elif np.any(sub[i] != 0):
                indices[level].append(i)
                walk(sub[i], level + 1)
        if formats[level] == CSR:
            segments[level].append(len(indices[level]))

    walk(levels, 0)
    sp = fb.SparsityParametersT()
    sp.traversalOrder, sp.blockMap = list(order), list(block_map)
    sp.dimMetadata = []
    for level, fmt in enumerate(formats):
        m = fb.DimensionMetadataT()
        m.format = fmt
        m.denseSize = levels.shape[level]
        if fmt == CSR:
            m.arraySegmentsType, m.arraySegments = _vector(segments[level], index_type)
            m.arrayIndicesType, m.arrayIndices = _vector(indices[level], index_type)
        sp.dimMetadata.append(m)
    assert rank + len(block_map) == len(formats)
    return np.array(values, dense.dtype).reshape(-1), sp


# --- fuzzer seeds ---------------------------------------------------------------------------
def _pool_options(padding: int, stride: int, window: int) -> bytes:
    """A TfLitePoolParams as MediaPipe's kernels read it (padding 1 SAME, 2 VALID)."""
    return struct.pack("<6i", padding, stride, stride, window, window, 0)


def mediapipe_file() -> bytes:
    """Convolution2DTransposeBias, then MaxPoolingWithArgmax2D and MaxUnpooling2D."""
    rng = np.random.default_rng(4)
    f = TFLiteFile()
    x = f.tensor((1, 3, 3, 2), name="x")
    up, values, indices, y = (f.tensor((), name=n) for n in ("up", "values", "indices", "y"))
    f.op(CUSTOM, [x, f.const(random_array(rng, 2, 3, 3, 2)), f.const(random_array(rng, 2))], [up],
         custom="Convolution2DTransposeBias", custom_options=struct.pack("<3i", 1, 2, 2))
    f.op(CUSTOM, [up], [values, indices], custom="MaxPoolingWithArgmax2D",
         custom_options=_pool_options(2, 2, 2))
    f.op(CUSTOM, [values, indices], [y], custom="MaxUnpooling2D",
         custom_options=_pool_options(2, 2, 2))
    return f.bytes([x], [y])


def sparse_file() -> bytes:
    """x + DENSIFY(1x4-blocked sparse constant), then a FULLY_CONNECTED of CSR weights."""
    dense = np.zeros((4, 8), np.float32)
    dense[::2, :4] = 1.5
    dense[1, 4:] = -2.0
    weights = np.zeros((3, 8), np.float32)
    weights[0, 1], weights[2, 5], weights[2, 7] = 1.0, -0.5, 2.0
    f = TFLiteFile()
    x, w, s = (f.tensor((4, 8), name=n) for n in ("x", "w", "s"))
    y = f.tensor((4, 3), name="y")
    sparse = []
    for name, value, encoding in (
            ("blocked", dense, ([0, 1, 2], [DENSE, CSR, DENSE], (1,), (4,), np.uint8)),
            ("csr", weights, ([0, 1], [DENSE, CSR]))):
        values, sp = sparsify(value, *encoding)
        sparse.append(f.tensor(value.shape, values, name=name))
        f.tensors[sparse[-1]].sparsity = sp
    f.op(DENSIFY, [sparse[0]], [w])
    f.op(ADD, [x, w], [s])
    f.op(FULLY_CONNECTED, [s, sparse[1], -1], [y])
    return f.bytes([x], [y])


def seed_files() -> dict[str, bytes]:
    """Small files of the ops built here, for the importer fuzzer's corpus."""
    return {
        "lstm": lstm_file(steps=3, batch=1, size=2, hidden=3, out=2, peephole=True,
                          layer_norm=True, cell_clip=1.0)[0],
        "bilstm": lstm_file(steps=2, batch=1, size=2, hidden=2, bidi=True, merge=True,
                            cifg=True)[0],
        "sparse": sparse_file(),
        "mediapipe": mediapipe_file(),
    }
