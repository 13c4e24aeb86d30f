"""What the importer fuzzer found, rebuilt by hand: each hostile model is refused with an
EmberError naming the problem, or converts to a file that runs (before the fixes, each one
raised a Python traceback, allocated without bound, read a file of the working directory or
converted to a file the runtime refused). The raw inputs are kept in corpus_importers/."""
from __future__ import annotations

import math
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.errors import EmberError

CORPUS = Path(__file__).resolve().parent / "corpus_importers"
X4 = [1, 2, 6, 6]


def _model(nodes: list[onnx.NodeProto], consts: dict[str, np.ndarray] | None = None,
           opset: int = 17, shape: list[int] | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "hostile", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape or X4)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in (consts or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _refused(model: onnx.ModelProto | bytes, match: str) -> None:
    data = model if isinstance(model, bytes) else model.SerializeToString()
    with pytest.raises(EmberError, match=match):
        Converter.from_onnx(data).convert()


# --- text and numbers the onnx library's C++ code cannot take --------------------------------
def test_op_type_that_is_not_utf8() -> None:
    data = _model([helper.make_node("Relu", ["x"], ["y"])]).SerializeToString()
    _refused(data.replace(b"Relu", b"R\xfflu"), "not valid UTF-8")


def test_string_attribute_that_is_not_utf8() -> None:
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode=b"\xff\xfe")
    _refused(_model([node], {"s": np.array([1, 1, 2, 2], np.float32)}), "mode")


@pytest.mark.parametrize("field", ["ir_version", "opset"])
def test_versions_beyond_32_bits(field: str) -> None:
    model = _model([helper.make_node("Relu", ["x"], ["y"])])
    if field == "ir_version":
        model.ir_version = 1 << 31
    else:
        model.opset_import[0].version = 1 << 31
    _refused(model, "out of range")


def test_initializer_of_an_unknown_element_type() -> None:
    model = _model([helper.make_node("Add", ["x", "c"], ["y"])], {"c": np.ones(2, np.float32)})
    model.graph.initializer[0].data_type = 42
    _refused(model, "42")


# --- attributes of the wrong kind ---------------------------------------------------------------
@pytest.mark.parametrize("op, attr", [("Flatten", "axis"), ("Transpose", "perm")])
def test_attribute_holding_a_graph(op: str, attr: str) -> None:
    node = helper.make_node(op, ["x"], ["y"])
    node.attribute.add().CopyFrom(onnx.AttributeProto(name=attr, type=onnx.AttributeProto.GRAPH,
                                                      i=2, ints=[0, 2, 3, 1]))
    _refused(_model([node]), attr)


# --- constant inputs with hostile values ---------------------------------------------------------
def test_clip_bound_that_is_not_a_scalar() -> None:
    node = helper.make_node("Clip", ["x", "lo"], ["y"])
    _refused(_model([node], {"lo": np.zeros(4, np.float32)}), "scalar")


@pytest.mark.parametrize("name, value", [("st", np.array([1.5, 0], np.float32)),
                                         ("ax", np.array([[2, 3]], np.int64))])
def test_slice_parameters_that_are_not_integer_vectors(name: str, value: np.ndarray) -> None:
    consts = {"st": np.array([1, 0], np.int64), "en": np.array([5, 6], np.int64),
              "ax": np.array([2, 3], np.int64)}
    consts[name] = value
    node = helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])
    _refused(_model([node], consts), "1-D integer")


@pytest.mark.parametrize("consts, match", [
    ({"p": np.zeros(8, np.float32)}, "pads"),
    ({"p": np.zeros(8, np.int64), "v": np.zeros(3, np.float32)}, "constant_value")])
def test_pad_parameters_of_the_wrong_kind(consts: dict[str, np.ndarray], match: str) -> None:
    node = helper.make_node("Pad", ["x", *consts], ["y"])
    _refused(_model([node], consts), match)


@pytest.mark.parametrize("node, consts, match", [
    (helper.make_node("Unsqueeze", ["x", "a"], ["y"]), {"a": np.array([np.inf], np.float32)},
     "axes"),
    (helper.make_node("Dropout", ["x", "", "t"], ["y"]), {"t": np.zeros(2, np.bool_)},
     "training_mode"),
    (helper.make_node("Split", ["x", "s"], ["y"], axis=2), {"s": np.array([6.0], np.float32)},
     "split")], ids=["unsqueeze", "dropout", "split"])
def test_constant_inputs_of_the_wrong_kind(node: onnx.NodeProto, consts: dict[str, np.ndarray],
                                           match: str) -> None:
    _refused(_model([node], consts), match)


@pytest.mark.parametrize("node", [
    helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[0, 1], ceil_mode=1),
    helper.make_node("Conv", ["x", "w"], ["y"], strides=[1, 0], auto_pad="SAME_UPPER")],
    ids=["max_pool", "conv"])
def test_zero_stride(node: onnx.NodeProto) -> None:
    _refused(_model([node], {"w": np.ones((3, 2, 3, 3), np.float32)}), "strides")


def test_range_of_malformed_inputs_is_not_folded() -> None:
    """Range with 1-D bounds (ONNX wants scalars): shape inference cannot tell its length,
    so folding it would allocate whatever its limit says (2^40 elements: 8 TiB) before any
    budget saw it."""
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"]),
             helper.make_node("Cast", ["r"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["x", "f"], ["y"])]
    consts = {"a": np.array([0], np.int64), "b": np.array([1 << 40], np.int64),
              "d": np.array([1], np.int64)}
    _refused(_model(nodes, consts, shape=[1, 6]), "Range")


def test_empty_name_for_an_input_that_is_not_optional() -> None:
    _refused(_model([helper.make_node("Concat", ["", "x"], ["y"], axis=1)]), "not optional")


def test_rank_beyond_the_runtime_maximum() -> None:
    _refused(_model([helper.make_node("Relu", ["x"], ["y"])], shape=[1] * 9), "rank 9")


def test_folded_int64_constant_into_a_float_op(monkeypatch: pytest.MonkeyPatch) -> None:
    """A folded int64 value feeding a float op, where the scan knew no type for it (shape
    inference stops at the first node it cannot infer: the fuzzer's case was a Range of 1-D
    bounds, now refused itself; here inference is made to know nothing)."""
    from emberlite.converter.importers import onnx as onnx_importer

    monkeypatch.setattr(onnx_importer, "_value_types", lambda model: {})
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"]),
             helper.make_node("Add", ["x", "r"], ["y"])]
    consts = {"a": np.array(0, np.int64), "b": np.array(6, np.int64),
              "d": np.array(1, np.int64)}
    # Add takes int64 too now: the two inputs' types differ.
    _refused(_model(nodes, consts, shape=[1, 6]),
             "Add_1.*inputs must share one type, got float32 and int64")


def test_topk_of_malformed_k_is_not_folded() -> None:
    """TopK of a constant with a 2-element K (ONNX wants one): the reference evaluator
    allocates arange(K[0]) (2^40 elements) before looking at the data."""
    nodes = [helper.make_node("TopK", ["s", "k"], ["a", "b"], axis=0),
             helper.make_node("Add", ["x", "a"], ["y"])]
    consts = {"s": np.ones(6, np.float32), "k": np.array([1 << 40, 5], np.int64)}
    _refused(_model(nodes, consts, shape=[6]), "K input")


def test_external_data_is_not_read_from_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model given as bytes names an external file for an initializer: reading it would
    copy a file of the working directory into the converted model."""
    (tmp_path / "secret.bin").write_bytes(np.arange(6, dtype=np.float32).tobytes())
    monkeypatch.chdir(tmp_path)
    model = _model([helper.make_node("Add", ["x", "c"], ["y"])], {"c": np.zeros(6, np.float32)},
                   shape=[6])
    init = model.graph.initializer[0]
    init.ClearField("raw_data")
    init.data_location = TensorProto.EXTERNAL
    init.external_data.add(key="location", value="secret.bin")
    _refused(model, "external file")


@pytest.mark.parametrize("where", ["input", "output"])
def test_graph_io_without_a_name(where: str) -> None:
    model = _model([helper.make_node("Relu", ["x"], ["y"])])
    if where == "input":
        model.graph.input.append(helper.make_tensor_value_info("", TensorProto.FLOAT, [2]))
    else:
        del model.graph.output[:]
    _refused(model, "empty name" if where == "input" else "no outputs")


def test_reshape_to_a_float_shape() -> None:
    node = helper.make_node("Reshape", ["x", "s"], ["y"])
    _refused(_model([node], {"s": np.array([1, np.nan], np.float32)}), "shape")


def test_slice_step_beyond_int32_picks_one_element() -> None:
    consts = {"st": np.array([1], np.int64), "en": np.array([5], np.int64),
              "ax": np.array([2], np.int64), "sp": np.array([1 << 62], np.int64)}
    node = helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])
    ember = Converter.from_onnx(_model([node], consts)).convert()
    interp = Interpreter(model_content=ember)
    interp.allocate_tensors()
    x = np.arange(72, dtype=np.float32).reshape(X4)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    y = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_array_equal(y, x[:, :, 1:2, :])


@pytest.mark.parametrize("node, field", [
    (helper.make_node("LeakyRelu", ["x"], ["y"], alpha=math.inf), "alpha"),
    (helper.make_node("HardSigmoid", ["x"], ["y"], beta=math.nan), "beta"),
    (helper.make_node("Clip", ["x"], ["y"], min=math.nan), "min")],
    ids=["leaky_relu", "hard_sigmoid", "clip"])
def test_float_parameter_the_runtime_refuses(node: onnx.NodeProto, field: str) -> None:
    """Refused by the converter (ops/common.py check_finite), not written for the runtime's
    verifier to refuse."""
    _refused(_model([node], opset=7 if node.op_type == "Clip" else 17), field)


# --- TFLite ---------------------------------------------------------------------------------------
def test_tflite_softmax_beta_not_finite() -> None:
    """SOFTMAX with beta = inf: refused by the converter, not written for the runtime to
    refuse. The seed's only 1.0f is its SoftmaxOptions' beta."""
    data = (CORPUS / "seed-tflite-softmax").read_bytes()[1:]
    one = struct.pack("<f", 1.0)
    assert data.count(one) == 1
    with pytest.raises(EmberError, match="beta"):
        Converter.from_tflite(data.replace(one, struct.pack("<f", math.inf))).convert()


def test_tflite_int16_conv_multiplier_beyond_the_kernels_shift() -> None:
    """A 16x8 CONV_2D whose output scale makes input x weight / output scale >= 2^14: the
    int16 kernels cannot requantize it; refused with the channel, not written for the
    runtime to refuse."""
    from emberlite.converter.importers.tflite_reader import read_tflite

    data = (CORPUS / "seed-tflite-int16x8_cnn").read_bytes()[1:]
    model = read_tflite(data)
    conv = next(op for op in model.operators if op.op_name == "CONV_2D")
    scale = struct.pack("<f", model.tensors[conv.outputs[0]].quant.scale[0])
    assert data.count(scale) == 1
    hostile = data.replace(scale, struct.pack("<f", struct.unpack("<f", scale)[0] * 1e-9))
    with pytest.raises(EmberError, match="requantization multiplier"):
        Converter.from_tflite(hostile).convert()


def test_tflite_folded_value_of_another_type_than_declared() -> None:
    """The fuzzer's float16-weights model with its DEQUANTIZE operator code turned into
    EXPAND_DIMS: the folded weights stayed float16 under a float32 declaration and reached
    CONV_2D as a float16 filter, which the runtime refuses."""
    data = (CORPUS / "finding-tflite-319d7fcd7eb7a31b").read_bytes()[1:]
    with pytest.raises(EmberError, match="declared FLOAT32, computed float16"):
        Converter.from_tflite(data).convert()


def test_onnx_names_equal_up_to_a_nul() -> None:
    """Two outputs named 'y\\0a' and 'y\\0b': the runtime reads names as C strings, where both
    are 'y'."""
    model = _model([helper.make_node("Relu", ["x"], ["y\0a"]),
                    helper.make_node("Tanh", ["x"], ["y\0b"])])
    del model.graph.output[:]
    model.graph.output.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
                              for n in ("y\0a", "y\0b"))
    _refused(model, "NUL")


def test_tflite_tensor_name_with_a_nul_is_replaced() -> None:
    """The fuzzer's model whose output tensor's name starts with a NUL, listed twice as a
    graph output: both outputs read as '' in C. The importer names such tensors tensor_<i>."""
    data = (CORPUS / "finding-tflite-41f2509448e54d8c").read_bytes()[1:]
    interp = Interpreter(model_content=Converter.from_tflite(data).convert())
    names = [d["name"] for d in interp.get_output_details()]
    assert len(set(names)) == 2 and all(n and "\0" not in n for n in names)


def test_size_beyond_int64() -> None:
    model = _model([helper.make_node("Size", ["x"], ["s"]),
                    helper.make_node("Relu", ["x"], ["y"])], shape=[1 << 40, 1 << 40])
    _refused(model, "int64")


def test_folded_conv_with_huge_pads_is_charged_for_its_padding() -> None:
    """A Conv of constants with pads of 2^32 and strides as large: a small output, but the
    reference evaluator pads its input first (480 GiB in the fuzzer's case)."""
    node = helper.make_node("Conv", ["w", "w"], ["c"], pads=[0, 1 << 32, 0, 1 << 32],
                            strides=[1, 1 << 32])
    consts = {"w": np.ones((3, 2, 3, 3), np.float32)}
    _refused(_model([node, helper.make_node("Add", ["x", "c"], ["y"])], consts), "padded")


# --- found by a fresh-clone run of make fuzz-importers ------------------------------------
def test_slice_with_more_starts_than_the_input_has_axes() -> None:
    consts = {"st": np.array([-4, 0], np.int64), "en": np.array([5, 10], np.int64)}
    node = helper.make_node("Slice", ["x", "st", "en"], ["y"])
    _refused(_model([node], consts, shape=[1]), "2 axes to slice in a rank-1 input")


@pytest.mark.parametrize("kind", ["input", "output"])
def test_graph_io_named_twice(kind: str) -> None:
    model = _model([helper.make_node("Relu", ["x"], ["y"])])
    values = model.graph.input if kind == "input" else model.graph.output
    values.append(values[0])
    _refused(model, f"graph {kind} 1 '[xy]' is listed twice")


_PEAK_RSS_AFTER = """
import resource, sys
from emberlite.converter import Converter
from emberlite.converter.errors import EmberError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    Converter.from_onnx(open(sys.argv[1], "rb").read()).convert()
except EmberError:
    pass
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_folding_next_to_a_large_constant_propagates_no_values(tmp_path: Path) -> None:
    """Add(scalar, Range of 8 million): ONNX's shape inference with value propagation spelt
    the large input out as one symbolic dim per element, in C++ where no budget sees it
    (here 600 MB more; 1.1 GB in the fuzzer's input, whose process then died near its 1 GiB
    limit). The folding itself needs a few copies of the 64 MB constant."""
    consts = {"a": np.array(0, np.int64), "b": np.array(8_000_000, np.int64),
              "d": np.array(1, np.int64)}
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"]),
             helper.make_node("Add", ["a", "r"], ["s"]),
             helper.make_node("Cast", ["s"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("ReduceMax", ["f"], ["m"], keepdims=0),
             helper.make_node("Add", ["x", "m"], ["y"])]
    path = tmp_path / "model.onnx"
    path.write_bytes(_model(nodes, consts, opset=17).SerializeToString())
    done = subprocess.run([sys.executable, "-c", _PEAK_RSS_AFTER, str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    grown_mb = int(done.stdout.split()[-1])
    assert grown_mb < 300, f"converting grew the peak RSS by {grown_mb} MB"


# --- format 7's ops (found by the importer fuzzer) ------------------------------------------------
def test_cast_to_an_element_type_onnx_does_not_name() -> None:
    _refused(_model([helper.make_node("Cast", ["x"], ["y"], to=53)]), "unknown type 53")


def test_hardmax_over_an_axis_of_two_billion_is_charged_to_the_budget() -> None:
    """Its positions constant has one int32 per element of the axis: 8 GiB here."""
    _refused(_model([helper.make_node("Hardmax", ["x"], ["y"], axis=1)], shape=[1, 1 << 31]),
             "budget")


def test_concat_of_an_int64_and_a_float32_tensor() -> None:
    """Each input is a type Concat moves, but not both at once: the C verifier refused the
    file the converter wrote."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Concat", ["s", "x1"], ["y"], axis=0)]
    model = _model(nodes, shape=[4])
    model.graph.input.append(helper.make_tensor_value_info("x1", TensorProto.FLOAT, [1]))
    model.graph.node[0].op_type = "Identity"  # an int64 tensor only by the graph's own word
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.INT64
    _refused(model, "inputs must share one type")


def test_bool_tensor_into_a_float_op_whose_type_the_scan_did_not_know(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The conversion checks each tensor's own type, as the scan cannot where inference
    stopped early (here it is made to know nothing)."""
    from emberlite.converter.importers import onnx as onnx_importer

    monkeypatch.setattr(onnx_importer, "_value_types", lambda model: {})
    nodes = [helper.make_node("Greater", ["x", "x"], ["m"]),
             helper.make_node("Tanh", ["m"], ["y"])]
    _refused(_model(nodes), "input 0 \\('m'\\) has type bool; only float32 is supported")


# --- issue 13, second pass -------------------------------------------------------------------
@pytest.mark.parametrize("filter_given", ["input", "initializer"])
def test_conv_transpose_of_a_window_as_long_as_its_signal(filter_given: str) -> None:
    """ConvTranspose of x [1, 1, 65536, 2] with itself as the filter: every input pixel paints
    the whole 131072-tap window, 1.7e10 multiply-adds (minutes in the reference kernel). The
    same window as a constant is as slow, so both are refused by the window's size."""
    shape = [1, 1, 65536, 2]
    if filter_given == "input":
        model = _model([helper.make_node("ConvTranspose", ["x", "x"], ["y"])], shape=shape)
    else:
        model = _model([helper.make_node("ConvTranspose", ["x", "w"], ["y"])],
                       {"w": np.zeros(shape, np.float32)}, shape=shape)
    _refused(model, "65536x2 = 131072 taps: at most 4096")


def _loop_body(outputs: list[str]) -> onnx.GraphProto:
    """The seed's Loop body (i, cond, a) -> (cond, a + i, tanh(a + i)), with `outputs`."""
    nodes = [helper.make_node("Cast", ["i"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["a", "f"], ["b"]),
             helper.make_node("Identity", ["k"], ["k2"]),
             helper.make_node("Tanh", ["b"], ["s"])]
    return helper.make_graph(
        nodes, "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                        helper.make_tensor_value_info("k", TensorProto.BOOL, []),
                        helper.make_tensor_value_info("a", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs])


def test_loop_carrying_an_empty_input_name() -> None:
    node = helper.make_node("Loop", ["m", "", ""], ["y", "z"], body=_loop_body(["k2", "b", "s"]))
    _refused(_model([node], {"m": np.array(3, np.int64)}, shape=[2, 7]),
             "Loop_0.*a carried value's input is empty")


def test_loop_with_more_outputs_than_its_body_gives() -> None:
    node = helper.make_node("Loop", ["m", "", "x"], ["y", "z"], body=_loop_body(["b", "s"]))
    _refused(_model([node], {"m": np.array(0, np.int64)}, shape=[2, 3]),
             "Loop_0.*2 outputs for 1 carried values and 0 scan outputs")


@pytest.mark.parametrize("op, value", [("Expand", np.array([np.nan, 2], np.float32)),
                                       ("Tile", np.array([np.inf, 1], np.float32))])
def test_shape_and_repeats_of_floats(op: str, value: np.ndarray) -> None:
    """Expand's shape and Tile's repeats given as float32 (NaN, inf): refused by type."""
    node = helper.make_node(op, ["x", "c"], ["y"])
    _refused(_model([node], {"c": value}, shape=[2, 1]), "must be an integer tensor")


def test_empty_constant_read_at_run_time() -> None:
    """Dropout passes on the empty Shape of a scalar (its ratio is a run-time input, so it is
    not folded): the graph output was an empty copy that escaped as a Python exception. Empty
    tensors run now (format 9): the output is the empty int64 vector."""
    nodes = [helper.make_node("Shape", ["x"], ["a"]), helper.make_node("Clip", ["a"], ["b"]),
             helper.make_node("Dropout", ["b", "x"], ["y"])]
    model = _model(nodes)
    x = model.graph.input[0].type.tensor_type
    x.elem_type = TensorProto.INT32
    x.shape.ClearField("dim")  # a scalar: its Shape is empty
    interp = Interpreter(model_content=Converter.from_onnx(model).convert())
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], np.array(3, np.int32))
    interp.invoke()
    y = interp.get_tensor(interp.get_output_details()[0]["index"])
    assert y.shape == (0,) and y.dtype == np.int64


def test_scan_over_a_constant() -> None:
    """The Scan seed with its initializer h0 [3] as both the state and the scan input: each
    step's slice of the constant was a numpy scalar, not an array, and was taken for the
    name of a run-time tensor."""
    from onnx.reference import ReferenceEvaluator

    step = helper.make_graph(
        [helper.make_node("Add", ["h", "r"], ["h2"]), helper.make_node("Sigmoid", ["h2"], ["o"])],
        "body", [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in "hr"],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("h2", "o")])
    nodes = [helper.make_node("Scan", ["h0", "h0"], ["h", "s"], body=step, num_scan_inputs=1),
             helper.make_node("Add", ["s", "x"], ["y"])]
    model = _model(nodes, {"h0": np.array([0.5, -1.0, 2.0], np.float32)}, shape=[3])
    interp = Interpreter(model_content=Converter.from_onnx(model).convert())
    interp.allocate_tensors()
    x = np.arange(3, dtype=np.float32)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    want, = ReferenceEvaluator(model).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_function_op_with_a_graph_attribute() -> None:
    """HannWindow given a Loop's body attribute and three inputs: the importer skips ONNX's
    checks for nodes holding graphs, and the second output, which the op does not give,
    stayed undefined."""
    node = helper.make_node("HannWindow", ["m", "", "x"], ["y", "z"],
                            body=helper.make_graph([], "body", [], []))
    _refused(_model([node], {"m": np.array(3, np.int64)}, shape=[2, 3]),
             "attribute 'body' is not supported")


def test_conv_of_a_window_as_long_as_its_signal() -> None:
    """Conv of x [1, 2, 65535, 6] with the first half of x split off as its filter: 1.3e10
    multiply-adds (minutes in the reference kernel), refused by the window's size like
    ConvTranspose's."""
    nodes = [helper.make_node("Split", ["x", "s"], ["a", "b"], axis=2),
             helper.make_node("Conv", ["x", "a"], ["y"])]
    model = _model(nodes, {"s": np.array([32768, 32767], np.int64)}, shape=[1, 2, 65535, 6])
    _refused(model, "32768x6 = 196608 taps: at most 4096")


def test_constant_cast_to_string_is_not_folded() -> None:
    """Cast to STRING of a Range of 8 million: its size is unknown before the text exists
    (the reference evaluator took seconds to make 660 MiB of it before the budget saw it)."""
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"]),
             helper.make_node("Cast", ["r"], ["f"], to=TensorProto.STRING),
             helper.make_node("Shape", ["f"], ["s"]),
             helper.make_node("Cast", ["s"], ["c"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["x", "c"], ["y"])]
    consts = {"a": np.array(0, np.int64), "b": np.array(8_000_000, np.int64),
              "d": np.array(1, np.int64)}
    _refused(_model(nodes, consts, shape=[1]), "Cast to STRING: Emberlite has no string tensors")


def _scan_step(outputs: tuple[str, ...]) -> onnx.GraphProto:
    """The Scan seed's body (h, r) -> (h + r, sigmoid(h + r)), giving `outputs`."""
    return helper.make_graph(
        [helper.make_node("Add", ["h", "r"], ["h2"]), helper.make_node("Sigmoid", ["h2"], ["o"])],
        "body", [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in "hr"],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs])


@pytest.mark.parametrize("inputs, outputs, opset, match", [
    (["x", "", "x"], ("h2", "o"), 8, "a state or scan input is empty"),
    (["h0", "x"], ("o",), 17, "with 2 inputs and 2 outputs does not fit a body of 2 inputs "
                              "and 1 outputs")], ids=["empty_input", "missing_output"])
def test_scan_of_malformed_inputs_or_outputs(inputs: list[str], outputs: tuple[str, ...],
                                             opset: int, match: str) -> None:
    """An empty input name (opset 8's form) raised KeyError; a body giving fewer outputs
    than the node names left one undefined (KeyError)."""
    node = helper.make_node("Scan", inputs, ["h", "y"], body=_scan_step(outputs),
                            num_scan_inputs=1)
    _refused(_model([node], {"h0": np.zeros(3, np.float32)}, opset=opset, shape=[4, 3]),
             f"Scan_0.*{match}")


def test_loop_of_many_steps_is_bounded_by_the_nodes_it_inlines() -> None:
    """A Loop of 2622 steps of a 4-node body: unrolled, it took 29 s to convert (the passes
    after the import take seconds per few thousand nodes); refused before any step."""
    node = helper.make_node("Loop", ["m", "", "x"], ["y", "z"],
                            body=_loop_body(["k2", "b", "s"]))
    _refused(_model([node], {"m": np.array(2622, np.int64)}, shape=[256, 3]),
             "2622 steps of a 4-node body: the model's loops would inline 10488 nodes in all, "
             "at most 4096")
