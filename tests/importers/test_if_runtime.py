"""ONNX If on a run-time condition: both branches in one file, each output chosen by the
condition, the nodes of the branch not taken skipped (Operator.run_if, format 9). Checked
against ONNX Runtime on both sides, nested, and with a branch that would fail if it ran; the
verifier refuses conditions that are not one bool written before the node."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

from emberlite import Interpreter, errors
from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from helpers import run_ort as _run_ort


def _info(name: str, shape: list[int], elem: int = T.FLOAT) -> onnx.ValueInfoProto:
    return h.make_tensor_value_info(name, elem, shape)


def _branch(name: str, nodes: list[onnx.NodeProto], outputs: list[onnx.ValueInfoProto]
            ) -> onnx.GraphProto:
    return h.make_graph(nodes, name, [], outputs)


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
           outputs: list[onnx.ValueInfoProto], inits: list[onnx.TensorProto] = ()
           ) -> onnx.ModelProto:
    graph = h.make_graph(nodes, "if_model", inputs, outputs, list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    return model


def run_ort(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    return _run_ort(model, [feeds[i.name] for i in model.graph.input])


def _run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    interp = Interpreter(model_content=Converter.from_onnx(model).convert())
    interp.allocate_tensors()
    for detail in interp.get_input_details():
        interp.set_tensor(detail["index"], feeds[detail["name"]])
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


def _sign_model() -> onnx.ModelProto:
    """y = relu(x) * x + 1 if sum(x) > 0 else -x; z = the branch's int64 argmax."""
    then = _branch("then", [h.make_node("Relu", ["x"], ["t1"]),
                            h.make_node("Mul", ["t1", "x"], ["t2"]),
                            h.make_node("Add", ["t2", "one"], ["ty"]),
                            h.make_node("ArgMax", ["x"], ["tz"], axis=1, keepdims=0)],
                   [_info("ty", [2, 3]), _info("tz", [2], T.INT64)])
    other = _branch("else", [h.make_node("Neg", ["x"], ["ey"]),
                             h.make_node("ArgMin", ["x"], ["ez"], axis=1, keepdims=0)],
                    [_info("ey", [2, 3]), _info("ez", [2], T.INT64)])
    nodes = [h.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
             h.make_node("Greater", ["s", "zero"], ["c"]),
             h.make_node("If", ["c"], ["y", "z"], then_branch=then, else_branch=other)]
    inits = [numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array(1, np.float32), "one")]
    return _model(nodes, [_info("x", [2, 3])], [_info("y", [2, 3]), _info("z", [2], T.INT64)],
                  inits)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_both_sides_match_onnxruntime(sign: float) -> None:
    model = _sign_model()
    x = (np.abs(np.random.default_rng(0).standard_normal((2, 3))) * sign).astype(np.float32)
    got, want = _run(model, {"x": x}), run_ort(model, {"x": x})
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(got[1], want[1])


def _gather_model() -> onnx.ModelProto:
    """y = table[i] if i < 3 else i * 2 (as float): the then branch reads out of range when
    it is not taken, so it must not run."""
    then = _branch("then", [h.make_node("Gather", ["table", "i"], ["ty"], axis=0)],
                   [_info("ty", [])])
    other = _branch("else", [h.make_node("Cast", ["i"], ["f"], to=T.FLOAT),
                             h.make_node("Mul", ["f", "two"], ["ey"])], [_info("ey", [])])
    nodes = [h.make_node("Less", ["i", "three"], ["c"]),
             h.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other)]
    inits = [numpy_helper.from_array(np.array([10, 20, 30], np.float32), "table"),
             numpy_helper.from_array(np.array(3, np.int64), "three"),
             numpy_helper.from_array(np.array(2, np.float32), "two")]
    return _model(nodes, [_info("i", [], T.INT64)], [_info("y", [])], inits)


@pytest.mark.parametrize("index", [0, 2, 3, 7, 1 << 40])
def test_the_branch_not_taken_does_not_run(index: int) -> None:
    model = _gather_model()
    feeds = {"i": np.array(index, np.int64)}
    np.testing.assert_array_equal(_run(model, feeds)[0], run_ort(model, feeds)[0])


def test_a_gather_out_of_range_still_fails_when_its_branch_runs() -> None:
    """The same Gather outside an If: its run-time index is checked, so the test above shows
    the guard, not a lenient kernel."""
    nodes = [h.make_node("Gather", ["table", "i"], ["y"], axis=0)]
    table = numpy_helper.from_array(np.array([10, 20, 30], np.float32), "table")
    model = _model(nodes, [_info("i", [], T.INT64)], [_info("y", [])], [table])
    with pytest.raises(errors.EmberRuntimeError, match=r"gather .*an index is outside \[-3, 3\)"):
        _run(model, {"i": np.array(7, np.int64)})


def _nested_model() -> onnx.ModelProto:
    """y = (x * 2 if b else x * 3) if a else (x + 5)."""
    inner = h.make_node("If", ["b"], ["iy"],
                        then_branch=_branch("in_then", [h.make_node("Mul", ["x", "two"],
                                                                    ["p"])], [_info("p", [4])]),
                        else_branch=_branch("in_else", [h.make_node("Mul", ["x", "three"],
                                                                    ["q"])], [_info("q", [4])]))
    outer_then = _branch("then", [inner], [_info("iy", [4])])
    outer_else = _branch("else", [h.make_node("Add", ["x", "five"], ["r"])], [_info("r", [4])])
    nodes = [h.make_node("If", ["a"], ["y"], then_branch=outer_then, else_branch=outer_else)]
    inits = [numpy_helper.from_array(np.array(v, np.float32), n)
             for n, v in (("two", 2), ("three", 3), ("five", 5))]
    return _model(nodes, [_info("a", [1], T.BOOL), _info("b", [], T.BOOL), _info("x", [4])],
                  [_info("y", [4])], inits)


@pytest.mark.parametrize("a", [False, True])
@pytest.mark.parametrize("b", [False, True])
def test_nested_ifs(a: bool, b: bool) -> None:
    model = _nested_model()
    feeds = {"a": np.array([a]), "b": np.array(b), "x": np.arange(4, dtype=np.float32)}
    np.testing.assert_array_equal(_run(model, feeds)[0], run_ort(model, feeds)[0])


def test_branches_of_other_shapes_are_refused() -> None:
    then = _branch("then", [h.make_node("Identity", ["x"], ["t"])], [_info("t", [4])])
    other = _branch("else", [h.make_node("Slice", ["x", "s", "e"], ["u"])], [_info("u", [2])])
    inits = [numpy_helper.from_array(np.array([0], np.int64), "s"),
             numpy_helper.from_array(np.array([2], np.int64), "e")]
    graph = h.make_graph([h.make_node("If", ["c"], ["y"], then_branch=then, else_branch=other)],
                         "g", [_info("c", [], T.BOOL), _info("x", [4])], [_info("y", None)],
                         inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    with pytest.raises(UnsupportedOpsError, match=r"output 0 .*float32 \[4\].*float32 \[2\]"):
        Converter.from_onnx(model).convert()


def _guarded(cond: Tensor, then_reads: str = "c") -> Graph:
    """y = where(c, relu(x), x) with the relu guarded by tensor `cond` (crafted, unchecked)."""
    tensors = {"x": Tensor("x", DType.FLOAT32, (4,)), "r": Tensor("r", DType.FLOAT32, (4,)),
               "y": Tensor("y", DType.FLOAT32, (4,)), "c": Tensor("c", DType.BOOL, ()),
               cond.name: cond}
    nodes = [Node(OpType.RELU, "relu", ["x"], ["r"], run_if=((cond.name, True),)),
             Node(OpType.WHERE, "where", ["c", "r", "x"], ["y"])]
    if cond.name == "late":
        nodes.append(Node(OpType.LOGICAL_NOT, "late", ["c"], ["late"]))
    late = cond.name == "late"
    inputs = ["x", "c"] + ([] if late or cond.name == "c" else [cond.name])
    return Graph(tensors, nodes, inputs, ["y", "late"] if late else ["y"])


@pytest.mark.parametrize("cond, message", [
    (Tensor("late", DType.BOOL, ()), "not written before this node"),
    (Tensor("f", DType.FLOAT32, ()), "not a one-element bool"),
    (Tensor("b2", DType.BOOL, (2,)), "not a one-element bool"),
], ids=["written-later", "float", "two-elements"])
def test_verifier_refuses_bad_conditions(cond: Tensor, message: str) -> None:
    graph = _guarded(cond)
    with pytest.raises(errors.InvalidModelError, match=f"node 0 .*run_if 0 .*{message}"):
        Interpreter(model_content=serialize(graph, plan_memory(graph)))


def test_a_crafted_guard_on_a_graph_input_runs() -> None:
    graph = _guarded(Tensor("c", DType.BOOL, ()))
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)))
    interp.allocate_tensors()
    x = np.array([-1, 2, -3, 4], np.float32)
    for c in (True, False):
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.set_tensor(interp.get_input_details()[1]["index"], np.array(c))
        interp.invoke()
        want = np.maximum(x, 0) if c else x
        np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                      want)


def _guarded_reads(reader: str) -> Graph:
    """relu(x) guarded by c, then read by `reader`: the WHERE on c through its true side (the
    converter's form), through its false side, an unguarded ABS, or directly as an output."""
    tensors = {n: Tensor(n, DType.FLOAT32, (4,)) for n in ("x", "r", "y")}
    tensors["c"] = Tensor("c", DType.BOOL, ())
    nodes = [Node(OpType.RELU, "relu", ["x"], ["r"], run_if=(("c", True),))]
    if reader == "output":
        return Graph(tensors, nodes, ["x", "c"], ["r"])
    inputs = {"true side": ["c", "r", "x"], "false side": ["c", "x", "r"]}.get(reader)
    nodes.append(Node(OpType.WHERE, "where", inputs, ["y"]) if inputs else
                 Node(OpType.ABS, "abs", ["r"], ["y"]))
    return Graph(tensors, nodes, ["x", "c"], ["y"])


@pytest.mark.parametrize("reader, message", [
    ("false side", r"node 1 \(where\) reads tensor .* 'r', which guarded node 0 may not write"),
    ("unguarded", r"node 1 \(abs\) reads tensor .* 'r', which guarded node 0 may not write"),
    ("output", r"graph output 0: tensor .* 'r' is written by guarded node 0"),
])
def test_verifier_refuses_reads_a_skipped_node_would_leave_stale(reader: str,
                                                                  message: str) -> None:
    """A guarded node that does not run writes nothing: its output may be read only where its
    guard holds (found by the structure-aware fuzzer's mutants: an output that changed from
    invoke to invoke)."""
    good = _guarded_reads("true side")
    Interpreter(model_content=serialize(good, plan_memory(good)))
    graph = _guarded_reads(reader)
    with pytest.raises(errors.InvalidModelError, match=message):
        Interpreter(model_content=serialize(graph, plan_memory(graph)))
