"""Structure-aware mutations for the importer fuzzer (fuzz_importers.py): half of the
mutations keep the file parseable and change one value to a hostile one, as an attacker
would (huge or zero dimensions, NaN scales, out-of-range indices, another op type, another
opset); the other half are libFuzzer's byte mutations.

- ONNX: the ModelProto is parsed, one field (an initializer element or dimension, an
  attribute, an input dimension or element type, an op type, a node input, the opset) is
  changed, and the model is serialized again.
- TFLite: FlatBuffers keep scalars and vector elements 4-byte aligned, so one aligned
  32-bit word is overwritten with an interesting integer or float.
"""
from __future__ import annotations

import random
import struct
from collections.abc import Callable

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

INTS = [0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 16384, 65535, 65536, (1 << 31) - 1, 1 << 31,
        -(1 << 31), 1 << 32, 1 << 40, (1 << 63) - 1, -(1 << 63)]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-30, 1e30, 3.4e38, float("inf"), float("-inf"),
          float("nan"), 65536.0, 1e-7]
OPS = ["Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu",
       "HardSigmoid", "Clip", "Identity", "Dropout", "Shape", "Size", "Reshape", "Flatten",
       "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Pad", "Gather",
       "ReduceMean", "GlobalAveragePool", "GlobalMaxPool", "Softmax", "Upsample", "Resize",
       "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "MaxPool",
       "AveragePool", "ConstantOfShape", "Expand", "Range", "Tile", "Cast", "Where",
       "Equal", "Constant", "TopK", "NonZero", "OneHot", "Einsum", "If", "Loop",
       "GatherElements", "GatherND", "ScatterND", "ScatterElements", "CumSum", "Mod",
       "Scan", "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss", "ArgMax", "PRelu",
       "MeanVarianceNormalization", "LinearAttention", "RotaryEmbedding", "SwiGLU",
       "CausalConvWithState", "HannWindow", "CenterCropPad"]
STRINGS = [b"nearest", b"linear", b"cubic", b"constant", b"reflect", b"edge", b"half_pixel",
           b"asymmetric", b"align_corners", b"SAME_UPPER", b"VALID", b"NOTSET", b"floor",
           b"ceil", b"\xff\xfe", b""]
OPSETS = [1, 6, 7, 9, 10, 11, 12, 13, 17, 18, 21, 99, -1, 1 << 40]
WORDS = [0, 1, 2, 3, 4, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE,
         16384, 65536, 0x40000000]


def _interesting_int(rng: random.Random, dtype: np.dtype) -> int:
    info = np.iinfo(dtype)
    value = rng.choice(INTS) if rng.random() < 0.8 else rng.randint(-16, 64)
    return min(max(value, int(info.min)), int(info.max))


def _mutate_initializer(model: onnx.ModelProto, rng: random.Random) -> bool:
    inits = list(model.graph.initializer)
    if not inits:
        return False
    init = rng.choice(inits)
    if rng.random() < 0.2:
        dims = list(init.dims) or [1]
        dims[rng.randrange(len(dims))] = rng.choice(INTS[:12])
        del init.dims[:]
        init.dims.extend(d for d in dims)
        return True
    try:
        array = numpy_helper.to_array(init).copy()
    except Exception:
        return False
    if array.size == 0:
        return False
    flat = array.reshape(-1)
    i = rng.randrange(flat.size)
    if np.issubdtype(flat.dtype, np.integer):
        flat[i] = _interesting_int(rng, flat.dtype)
    elif np.issubdtype(flat.dtype, np.floating):
        flat[i] = rng.choice(FLOATS)
    else:
        return False
    init.CopyFrom(numpy_helper.from_array(array, init.name))
    return True


def _mutate_attribute(model: onnx.ModelProto, rng: random.Random) -> bool:
    attrs = [a for n in model.graph.node for a in n.attribute]
    if not attrs:
        return False
    a = rng.choice(attrs)
    A = onnx.AttributeProto
    if a.type == A.INT:
        a.i = _interesting_int(rng, np.dtype(np.int64))
    elif a.type == A.FLOAT:
        a.f = rng.choice(FLOATS)
    elif a.type == A.STRING:
        a.s = rng.choice(STRINGS)
    elif a.type == A.INTS:
        values = list(a.ints)
        if values and rng.random() < 0.7:
            values[rng.randrange(len(values))] = _interesting_int(rng, np.dtype(np.int64))
        elif values and rng.random() < 0.5:
            values.pop(rng.randrange(len(values)))
        else:
            values.append(rng.choice(INTS[:10]))
        del a.ints[:]
        a.ints.extend(values)
    elif a.type == A.FLOATS and a.floats:
        a.floats[rng.randrange(len(a.floats))] = rng.choice(FLOATS)
    else:
        return False
    return True


def _mutate_input(model: onnx.ModelProto, rng: random.Random) -> bool:
    inputs = [i for i in model.graph.input if i.type.HasField("tensor_type")]
    if not inputs:
        return False
    t = rng.choice(inputs).type.tensor_type
    if rng.random() < 0.2:
        t.elem_type = rng.choice([TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32,
                                  TensorProto.FLOAT16, TensorProto.UINT8, TensorProto.BOOL,
                                  TensorProto.STRING, 0, 99])
        return True
    dims = t.shape.dim
    if not dims or rng.random() < 0.1:
        dims.add().dim_value = rng.choice([1, 2, 3])
        return True
    d = dims[rng.randrange(len(dims))]
    if rng.random() < 0.15:
        d.dim_param = "n"
    else:
        d.dim_value = rng.choice(INTS[:15])
    return True


def _mutate_node(model: onnx.ModelProto, rng: random.Random) -> bool:
    nodes = list(model.graph.node)
    if not nodes:
        return False
    node = rng.choice(nodes)
    roll = rng.random()
    if roll < 0.4:
        node.op_type = rng.choice(OPS)
    elif roll < 0.8 and node.input:
        names = ([i.name for i in model.graph.input] + [i.name for i in model.graph.initializer]
                 + [o for n in nodes for o in n.output] + [""])
        node.input[rng.randrange(len(node.input))] = rng.choice(names)
    elif roll < 0.9:
        node.input.append(rng.choice([i.name for i in model.graph.initializer] or ["x"]))
    else:
        model.graph.node.remove(node)
    return True


def _mutate_opset(model: onnx.ModelProto, rng: random.Random) -> bool:
    if not model.opset_import:
        return False
    model.opset_import[0].version = rng.choice(OPSETS)
    return True


_ONNX_MUTATIONS: list[tuple[float, Callable[[onnx.ModelProto, random.Random], bool]]] = [
    (0.35, _mutate_initializer), (0.25, _mutate_attribute), (0.15, _mutate_input),
    (0.2, _mutate_node), (0.05, _mutate_opset)]


def mutate_onnx(data: bytes, rng: random.Random) -> bytes | None:
    """`data` (an ONNX model) with one value changed; None if it does not parse."""
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:
        return None
    weights, fns = zip(*_ONNX_MUTATIONS)
    for _ in range(4):
        try:
            if rng.choices(fns, weights)[0](model, rng):
                return model.SerializeToString()
        except Exception:  # text that is not UTF-8, a value protobuf cannot encode
            model = onnx.ModelProto()
            model.ParseFromString(data)
    return None


def mutate_tflite(data: bytes, rng: random.Random) -> bytes | None:
    """`data` (a .tflite file) with one aligned 32-bit word overwritten."""
    if len(data) < 16:
        return None
    out = bytearray(data)
    pos = rng.randrange(8, len(out) - 3) & ~3
    if rng.random() < 0.7:
        word = rng.choice(WORDS) if rng.random() < 0.8 else rng.randrange(len(out))
        out[pos:pos + 4] = struct.pack("<I", word & 0xFFFFFFFF)
    else:
        out[pos:pos + 4] = struct.pack("<f", rng.choice(FLOATS))
    return bytes(out)
