"""Malformed and hostile source models for the converter: each builder writes its input into
a directory and returns the path to convert. Shared by the CLI sweep and the converter's
budget tests. Built with onnx.helper and a minimal .tflite writer (no TensorFlow)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flatbuffers
import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

Builder = Callable[[Path], Path]
_TFL_TYPES = {np.dtype(np.float32): TensorType.FLOAT32, np.dtype(np.int32): TensorType.INT32}


def onnx_bytes(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
               outputs: list[onnx.ValueInfoProto],
               initializers: list[onnx.TensorProto] = (), opset: int = 17) -> bytes:
    """A serialized model, not checked: the converter must find what is wrong."""
    graph = helper.make_graph(nodes, "m", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return model.SerializeToString()


def float_info(name: str, shape: list[int | str] | None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def small_onnx() -> bytes:
    """A valid model: y = x + bias."""
    bias = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(1, 6), "bias")
    return onnx_bytes([helper.make_node("Add", ["x", "bias"], ["y"])],
                      [float_info("x", [2, 6])], [float_info("y", [2, 6])], [bias])


def _vector(b: flatbuffers.Builder, start: Callable, values: list[int], prepend: str) -> int:
    start(b, len(values))
    for v in reversed(values):
        getattr(b, prepend)(v)
    return b.EndVector()


def tflite_bytes(tensors: list[tuple[str, list[int], np.ndarray | None]],
                 ops: list[tuple[int, list[int], list[int]]],
                 inputs: list[int], outputs: list[int]) -> bytes:
    """A .tflite file: tensors (name, shape, constant value or None; float32 or int32),
    builtin ops (code, input indices, output indices) without options."""
    b = flatbuffers.Builder(1024)
    datas = [np.ascontiguousarray(v).tobytes() if v is not None else b"" for _, _, v in tensors]
    buffers = []
    for data in [b"", *datas]:
        vec = b.CreateByteVector(data) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffers.append(tflite.BufferEnd(b))
    tensor_offsets = []
    for i, (name, shape, value) in enumerate(tensors):
        name_off = b.CreateString(name)
        shape_off = _vector(b, tflite.TensorStartShapeVector, shape, "PrependInt32")
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape_off)
        dtype = np.dtype(np.float32) if value is None else value.dtype
        tflite.TensorAddType(b, _TFL_TYPES[dtype])
        tflite.TensorAddBuffer(b, i + 1 if value is not None else 0)
        tflite.TensorAddName(b, name_off)
        tensor_offsets.append(tflite.TensorEnd(b))
    codes = sorted({code for code, _, _ in ops})
    op_offsets = []
    for code, ins, outs in ops:
        ins_off = _vector(b, tflite.OperatorStartInputsVector, ins, "PrependInt32")
        outs_off = _vector(b, tflite.OperatorStartOutputsVector, outs, "PrependInt32")
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index(code))
        tflite.OperatorAddInputs(b, ins_off)
        tflite.OperatorAddOutputs(b, outs_off)
        op_offsets.append(tflite.OperatorEnd(b))
    code_offsets = []
    for code in codes:
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, 1)
        code_offsets.append(tflite.OperatorCodeEnd(b))
    t_vec = _vector(b, tflite.SubGraphStartTensorsVector, tensor_offsets,
                    "PrependUOffsetTRelative")
    o_vec = _vector(b, tflite.SubGraphStartOperatorsVector, op_offsets, "PrependUOffsetTRelative")
    in_vec = _vector(b, tflite.SubGraphStartInputsVector, inputs, "PrependInt32")
    out_vec = _vector(b, tflite.SubGraphStartOutputsVector, outputs, "PrependInt32")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, t_vec)
    tflite.SubGraphAddOperators(b, o_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    subgraph = tflite.SubGraphEnd(b)
    sub_vec = _vector(b, tflite.ModelStartSubgraphsVector, [subgraph], "PrependUOffsetTRelative")
    code_vec = _vector(b, tflite.ModelStartOperatorCodesVector, code_offsets,
                       "PrependUOffsetTRelative")
    buf_vec = _vector(b, tflite.ModelStartBuffersVector, buffers, "PrependUOffsetTRelative")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, code_vec)
    tflite.ModelAddSubgraphs(b, sub_vec)
    tflite.ModelAddBuffers(b, buf_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def small_tflite() -> bytes:
    """A valid .tflite: y = x + c."""
    c = np.arange(6, dtype=np.float32).reshape(1, 6)
    return tflite_bytes([("x", [1, 6], None), ("c", [1, 6], c), ("y", [1, 6], None)],
                        [(BuiltinOperator.ADD, [0, 1], [2])], [0], [2])


def tflite_add_bomb(n: int) -> bytes:
    """y = x + (a + b), a [n, 1] and b [1, n] constants: folding makes an [n, n] constant."""
    a = np.ones((n, 1), np.float32)
    return tflite_bytes([("x", [1, 1], None), ("a", [n, 1], a), ("b", [1, n], a.reshape(1, n)),
                         ("ab", [n, n], None), ("y", [n, n], None)],
                        [(BuiltinOperator.ADD, [1, 2], [3]), (BuiltinOperator.ADD, [0, 3], [4])],
                        [0], [4])


# --- ONNX models, each wrong in one way -------------------------------------------------
def _int64(name: str, values: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _plus_input(op_nodes: list[onnx.NodeProto], const: str,
                inits: list[onnx.TensorProto], opset: int = 17) -> bytes:
    """y = x + <const>: the constant `const` made by `op_nodes` reaches a run-time node."""
    return onnx_bytes([*op_nodes, helper.make_node("Add", ["x", const], ["y"])],
                      [float_info("x", [1])], [float_info("y", None)], inits, opset)


def constant_of_shape_bomb(n: int = 16384) -> bytes:
    return _plus_input([helper.make_node("ConstantOfShape", ["s"], ["c"], name="bomb")], "c",
                       [_int64("s", [n, n])])


def conv_im2col_bomb(n: int = 1100, k: int = 64) -> bytes:
    """A constant Conv whose input (n x n) and output are small but whose windows, unrolled
    into columns by ONNX's reference evaluator, are k*k times the input (~80 GiB)."""
    value = numpy_helper.from_array(np.ones(1, np.float32), "one")
    w = numpy_helper.from_array(np.full((1, 1, k, k), 0.5, np.float32), "w")
    nodes = [helper.make_node("ConstantOfShape", ["s"], ["x0"], value=value),
             helper.make_node("Conv", ["x0", "w"], ["c"], name="bomb")]
    return _plus_input(nodes, "c", [_int64("s", [1, 1, n, n]), w])


def expand_bomb() -> bytes:
    one = numpy_helper.from_array(np.ones(1, np.float32), "one")
    return _plus_input([helper.make_node("Expand", ["one", "s"], ["c"], name="bomb")], "c",
                       [one, _int64("s", [16384, 16384])])


def range_bomb() -> bytes:
    f = [numpy_helper.from_array(np.array(v, np.float32), n)
         for n, v in (("start", 0.0), ("limit", 1e12), ("delta", 1.0))]
    return _plus_input([helper.make_node("Range", ["start", "limit", "delta"], ["c"],
                                         name="bomb")], "c", f)


def tile_bomb() -> bytes:
    x = numpy_helper.from_array(np.ones((4, 4), np.float32), "t")
    return _plus_input([helper.make_node("Tile", ["t", "r"], ["c"], name="bomb")], "c",
                       [x, _int64("r", [10000, 10000])])


def broadcast_bomb() -> bytes:
    a = numpy_helper.from_array(np.ones((20000, 1), np.float32), "a")
    b = numpy_helper.from_array(np.ones((1, 20000), np.float32), "b")
    return _plus_input([helper.make_node("Mul", ["a", "b"], ["c"], name="bomb")], "c", [a, b])


def resize_arena_bomb() -> bytes:
    scales = numpy_helper.from_array(np.array([1, 1, 4000, 4000], np.float32), "scales")
    return onnx_bytes([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up")],
                      [float_info("x", [1, 3, 64, 64])], [float_info("y", None)], [scales])


def pad_arena_bomb() -> bytes:
    pads = _int64("pads", [0, 0, 200000, 200000, 0, 0, 200000, 200000])
    return onnx_bytes([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad")],
                      [float_info("x", [1, 3, 8, 8])], [float_info("y", None)], [pads])


def gather_bad_index() -> bytes:
    return onnx_bytes([helper.make_node("Gather", ["x", "i"], ["y"], name="pick", axis=1)],
                      [float_info("x", [2, 5])], [float_info("y", None)], [_int64("i", [1, 7])])


def initializer_dims_mismatch() -> bytes:
    bad = TensorProto(name="bias", data_type=TensorProto.FLOAT, dims=[3, 6],
                      raw_data=np.zeros(6, np.float32).tobytes())
    return onnx_bytes([helper.make_node("Add", ["x", "bias"], ["y"])],
                      [float_info("x", [1, 6])], [float_info("y", [1, 6])], [bad])


def external_data(location: str) -> bytes:
    w = TensorProto(name="bias", data_type=TensorProto.FLOAT, dims=[1, 6])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "24")):
        w.external_data.add(key=key, value=value)
    return onnx_bytes([helper.make_node("Add", ["x", "bias"], ["y"])],
                      [float_info("x", [1, 6])], [float_info("y", [1, 6])], [w])


def _chain(nodes: list[onnx.NodeProto], x_shape: list[int | str] | None = (1, 6)) -> bytes:
    return onnx_bytes(nodes, [float_info("x", None if x_shape is None else list(x_shape))],
                      [float_info("y", None)])


def _write(name: str, data: bytes) -> Builder:
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path
    return build


def _lazy(name: str, make: Callable[[], bytes]) -> Builder:
    return lambda tmp: _write(name, make())(tmp)


def _random(name: str, size: int, seed: int, head: bytes = b"") -> Builder:
    data = head + np.random.default_rng(seed).bytes(size)
    return _write(name, data[:4] + (b"TFL3" if name.endswith(".tflite") and seed % 2 else
                                    data[4:8]) + data[8:])


def _truncated(name: str, make: Callable[[], bytes], fraction: float) -> Builder:
    def build(tmp: Path) -> Path:
        data = make()
        return _write(name, data[:max(1, int(len(data) * fraction))])(tmp)
    return build


def _directory(tmp: Path) -> Path:
    (tmp / "dir.onnx").mkdir()
    return tmp / "dir.onnx"


def _ember_as_onnx(tmp: Path) -> Path:
    from emberlite.converter import Converter

    path = tmp / "model.onnx"
    path.write_bytes(Converter.from_onnx(small_onnx()).convert())
    return path


_I, _O = float_info, float_info
NODE = helper.make_node

# name -> (builder, words the error must contain)
MALFORMED: dict[str, tuple[Builder, tuple[str, ...]]] = {
    "empty_onnx": (_write("empty.onnx", b""), ()),
    "empty_tflite": (_write("empty.tflite", b""), ()),
    **{f"random_onnx_{n}_{s}": (_random("r.onnx", n, s), ()) for n in (7, 100, 4096)
       for s in (1, 2)},
    **{f"random_tflite_{n}_{s}": (_random("r.tflite", n, s), ()) for n in (16, 100, 4096)
       for s in (1, 2)},
    **{f"truncated_onnx_{f}": (_truncated("t.onnx", small_onnx, f), ())
       for f in (0.01, 0.1, 0.33, 0.5, 0.9, 0.99)},
    **{f"truncated_tflite_{f}": (_truncated("t.tflite", small_tflite, f), ())
       for f in (0.01, 0.1, 0.33, 0.5, 0.9, 0.99)},
    "tflite_named_onnx": (_lazy("model.onnx", small_tflite), ()),
    "onnx_named_tflite": (_lazy("model.tflite", small_onnx), ()),
    "ember_named_onnx": (_ember_as_onnx, ()),
    "directory": (_directory, ("dir.onnx",)),
    "missing_file": (lambda tmp: tmp / "missing.onnx", ("no such file",)),
    "constant_of_shape_bomb": (_lazy("c.onnx", constant_of_shape_bomb),
                               ("'bomb' (ConstantOfShape)", "[16384, 16384]", "budget",
                                "--max-constant-mb")),
    "expand_bomb": (_lazy("e.onnx", expand_bomb), ("'bomb' (Expand)", "budget")),
    "range_bomb": (_lazy("r.onnx", range_bomb), ("'bomb' (Range)", "budget")),
    "tile_bomb": (_lazy("t.onnx", tile_bomb), ("'bomb' (Tile)", "budget")),
    "broadcast_bomb": (_lazy("b.onnx", broadcast_bomb), ("'bomb' (Mul)", "budget")),
    "tflite_fold_bomb": (_lazy("b.tflite", lambda: tflite_add_bomb(16384)),
                         ("operator 0 (ADD)", "budget")),
    "resize_arena_bomb": (_lazy("r.onnx", resize_arena_bomb),
                          ("'up'", "arena budget", "--max-arena-mb")),
    "pad_arena_bomb": (_lazy("p.onnx", pad_arena_bomb), ("'pad'", "arena budget")),
    "gather_bad_index": (_lazy("g.onnx", gather_bad_index),
                         ("'pick' (Gather)", "index 7", "[-5, 5)")),
    "initializer_dims_mismatch": (_lazy("i.onnx", initializer_dims_mismatch),
                                  ("'bias'", "dims [3, 6]")),
    "external_data_parent": (_lazy("x.onnx", lambda: external_data("../../etc/passwd")),
                             ("external data",)),
    "external_data_absolute": (_lazy("x.onnx", lambda: external_data("/etc/passwd")),
                               ("external data",)),
    "external_data_missing": (_lazy("x.onnx", lambda: external_data("weights.bin")),
                              ("external data",)),
    "cycle": (_lazy("c.onnx", lambda: _chain([NODE("Relu", ["b"], ["a"]),
                                              NODE("Relu", ["a"], ["b"]),
                                              NODE("Relu", ["b"], ["y"])])), ("'b'",)),
    "duplicate_output": (_lazy("d.onnx", lambda: _chain([NODE("Relu", ["x"], ["y"]),
                                                         NODE("Sigmoid", ["x"], ["y"])])),
                         ("defined twice",)),
    "missing_input": (_lazy("m.onnx", lambda: _chain([NODE("Add", ["x", "nowhere"], ["y"])])),
                      ("'nowhere'",)),
    "huge_input_dims": (_lazy("h.onnx", lambda: _chain([NODE("Relu", ["x"], ["y"])],
                                                       [1 << 40, 1 << 40])),
                        ("arena budget",)),
    "int64_max_input_dim": (_lazy("h.onnx", lambda: _chain([NODE("Relu", ["x"], ["y"])],
                                                           [(1 << 63) - 1])), ()),
    "negative_input_dim": (_lazy("n.onnx", lambda: _chain([NODE("Relu", ["x"], ["y"])],
                                                          [1, -3])), ("-3",)),
    "no_input_shape": (_lazy("s.onnx", lambda: _chain([NODE("Relu", ["x"], ["y"])], None)),
                       ("'x'",)),
    "nan_resize_scales": (_lazy("n.onnx", lambda: onnx_bytes(
        [NODE("Resize", ["x", "", "s"], ["y"], name="up")], [_I("x", [1, 1, 4, 4])],
        [_O("y", None)],
        [numpy_helper.from_array(np.array([1, 1, np.nan, 2], np.float32), "s")])), ("'up'",)),
    "inf_upsample_scales": (_lazy("u.onnx", lambda: onnx_bytes(
        [NODE("Upsample", ["x"], ["y"], name="up", scales=[1.0, 1.0, float("inf"), 2.0])],
        [_I("x", [1, 1, 4, 4])], [_O("y", None)], opset=7)), ("'up'",)),
    "zero_resize_sizes": (_lazy("z.onnx", lambda: onnx_bytes(
        [NODE("Resize", ["x", "", "", "s"], ["y"], name="up")], [_I("x", [1, 1, 4, 4])],
        [_O("y", None)], [_int64("s", [1, 1, 0, 4])])), ("'up'",)),
    "conv_zero_stride": (_lazy("c.onnx", lambda: onnx_bytes(
        [NODE("Conv", ["x", "w"], ["y"], name="conv", strides=[0, 0])],
        [_I("x", [1, 1, 4, 4])], [_O("y", None)],
        [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")])), ("'conv'",)),
    "maxpool_zero_kernel": (_lazy("p.onnx", lambda: onnx_bytes(
        [NODE("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[0, 0])],
        [_I("x", [1, 1, 4, 4])], [_O("y", None)])), ("'pool'",)),
    "concat_bad_axis": (_lazy("c.onnx", lambda: _chain(
        [NODE("Concat", ["x", "x"], ["y"], name="cat", axis=9)])), ("'cat'",)),
    "reshape_huge": (_lazy("r.onnx", lambda: onnx_bytes(
        [NODE("Reshape", ["x", "s"], ["y"], name="rs")], [_I("x", [1, 6])], [_O("y", None)],
        [_int64("s", [1 << 62, 4])])), ("'rs'",)),
    "unknown_elem_type": (_lazy("t.onnx", lambda: onnx_bytes(
        [NODE("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", 999, [1, 6])],
        [_O("y", None)])), ("'x'",)),
    "no_opset": (_lazy("o.onnx", lambda: onnx.ModelProto(
        ir_version=8, graph=helper.make_graph([], "g", [], [])).SerializeToString()),
                 ("opset",)),
    "conv_stride_beyond_int32": (_lazy("c.onnx", lambda: onnx_bytes(
        [NODE("Conv", ["x", "w"], ["y"], name="conv", strides=[1 << 40, 1])],
        [_I("x", [1, 1, 4, 4])], [_O("y", None)],
        [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")])), ("'conv'",)),
    "tflite_gather_bad_index": (_lazy("g.tflite", lambda: tflite_bytes(
        [("x", [5, 2], None), ("i", [1], np.array([9], np.int32)), ("y", [1, 2], None)],
        [(BuiltinOperator.GATHER, [0, 1], [2])], [0], [2])), ("index 9", "[-5, 5)")),
    "tflite_huge_input": (_lazy("h.tflite", lambda: tflite_bytes(
        [("x", [(1 << 31) - 1] * 2, None), ("y", [(1 << 31) - 1] * 2, None)],
        [(BuiltinOperator.RELU, [0], [1])], [0], [1])), ("arena budget",)),
    "tflite_cycle": (_lazy("c.tflite", lambda: tflite_bytes(
        [("x", [1, 2], None), ("a", [1, 2], None), ("b", [1, 2], None)],
        [(BuiltinOperator.ADD, [0, 2], [1]), (BuiltinOperator.ADD, [1, 0], [2])], [0], [2])),
        ("operator 0",)),
    "tflite_negative_dim": (_lazy("n.tflite", lambda: tflite_bytes(
        [("x", [1, -4], None), ("y", [1, -4], None)], [(BuiltinOperator.RELU, [0], [1])],
        [0], [1])), ("negative dimension",)),
    "unsupported_op_names": (_lazy("u.onnx", lambda: _chain(
        [NODE("NonZero", ["x"], ["y"], name="nz\x1b[31m\nfake")])), ("unsupported",)),
}


# Models whose sizes pass a raised arena budget but not the format's int32 dims:
# name -> (builder, extra convert arguments, words the error must contain)
BEYOND_FORMAT: dict[str, tuple[Builder, list[str], tuple[str, ...]]] = {
    "input_dims": (_lazy("i.onnx", lambda: _chain([NODE("Relu", ["x"], ["y"])], [1 << 31, 1])),
                   ["--max-arena-mb", "1e9"], ("'x'", "2147483648")),
    "conv_pads": (_lazy("c.onnx", lambda: onnx_bytes(
        [NODE("Conv", ["x", "w"], ["y"], name="conv", pads=[1 << 40, 0, 0, 0])],
        [_I("x", [1, 1, 4, 4])], [_O("y", None)],
        [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")])),
                  ["--max-arena-mb", "1e12"], ("'conv", "outside the format's range")),
}
