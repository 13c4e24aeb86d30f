"""Builds .tflite files in the tests with TensorFlow's schema object API (the ops TF's
converter does not emit, or emits only from models the tests cannot make: sequence LSTMs with
every option, sparse constants, custom ops), and runs them in LiteRT."""
from __future__ import annotations

from typing import Any

import numpy as np

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
