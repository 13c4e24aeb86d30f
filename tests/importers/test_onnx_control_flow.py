"""ONNX If, Loop and Scan inlined at conversion (converter/importers/onnx_control_flow.py),
against ONNX Runtime: If on a condition folded from shapes (each branch taken, branches
reading outer run-time values and constants, nested Ifs), Loop of a constant trip count with
carried values, scan outputs, the step number and a condition computed from constants that
ends it early, Scan of two states in either direction and along other axes; refusals that
name the node and the reason (a run-time condition or trip count, branches with different
output counts, too many steps, a body the importer cannot convert). Ops ONNX defines as
functions (MeanVarianceNormalization, SwiGLU), inlined the same way (onnx_functions.py)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember

RNG = np.random.default_rng(17)
F = TensorProto.FLOAT


def _x(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _value(name: str, elem: int = F, shape: list | None = None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
           outputs: list[str], inits: dict[str, np.ndarray] | None = None,
           opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "control", inputs, [_value(o) for o in outputs],
                              [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _refused(model: onnx.ModelProto, match: str) -> None:
    with pytest.raises((UnsupportedOpsError, ModelImportError), match=match):
        convert_onnx(model)


# --- If -------------------------------------------------------------------------------------
def _branch(name: str, nodes: list[onnx.NodeProto], outputs: list[str]) -> onnx.GraphProto:
    return helper.make_graph(nodes, name, [], [_value(o) for o in outputs])


def _if_on_batch(x_shape: list[int]) -> onnx.ModelProto:
    """cond = (batch == 1), folded from x's shape: then y = relu(x) * w, else y = x - w."""
    then_branch = _branch("then", [helper.make_node("Relu", ["x"], ["r"]),
                                   helper.make_node("Mul", ["r", "w"], ["t"])], ["t"])
    else_branch = _branch("else", [helper.make_node("Sub", ["x", "w"], ["e"])], ["e"])
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Equal", ["n", "one"], ["cond"]),
             helper.make_node("If", ["cond"], ["y"], then_branch=then_branch,
                              else_branch=else_branch)]
    inits = {"zero": np.array(0, np.int64), "one": np.array(1, np.int64), "w": _x(4)}
    return _model(nodes, [_value("x", F, x_shape)], ["y"], inits)


@pytest.mark.parametrize("batch", [1, 3], ids=["then", "else"])
def test_if_on_a_condition_folded_from_shapes(batch: int) -> None:
    assert_matches_ort(_if_on_batch([batch, 4]), [_x(batch, 4)], tol=0.0)


def test_nested_if() -> None:
    inner = helper.make_node("If", ["c"], ["z"],
                             then_branch=_branch("in_then", [helper.make_node(
                                 "Tanh", ["x"], ["tz"])], ["tz"]),
                             else_branch=_branch("in_else", [helper.make_node(
                                 "Identity", ["x"], ["ez"])], ["ez"]))
    outer = helper.make_node("If", ["c"], ["y", "y2"],
                             then_branch=_branch("then", [inner, helper.make_node(
                                 "Neg", ["z"], ["nz"])], ["z", "nz"]),
                             else_branch=_branch("else", [helper.make_node(
                                 "Neg", ["x"], ["n"])], ["n", "n"]))
    model = _model([outer], [_value("x", F, [2, 3])], ["y", "y2"], {"c": np.array(True)})
    assert_matches_ort(model, [_x(2, 3)], tol=1e-6)


def test_branch_returning_an_outer_value() -> None:
    """ONNX Runtime refuses this (it asks for an Identity); ONNX allows it."""
    node = helper.make_node("If", ["c"], ["y"],
                            then_branch=_branch("then", [helper.make_node("Neg", ["x"], ["n"])],
                                                ["n"]),
                            else_branch=_branch("else", [], ["x"]))
    model = _model([node, helper.make_node("Relu", ["y"], ["r"])], [_value("x", F, [2, 3])],
                   ["r"], {"c": np.array(False)})
    x = _x(2, 3)
    got, = run_ember(convert_onnx(model), [x])
    np.testing.assert_array_equal(got, np.maximum(x, 0))


def test_if_on_a_run_time_condition_of_two_bools_is_refused() -> None:
    """A run-time condition is chosen on (tests/importers/test_if_runtime.py): it must be one
    bool, as ONNX says."""
    node = helper.make_node("If", ["c"], ["y"],
                            then_branch=_branch("then", [], ["x"]),
                            else_branch=_branch("else", [helper.make_node("Neg", ["x"], ["n"])],
                                                ["n"]))
    model = _model([node], [_value("x", F, [2]), _value("c", TensorProto.BOOL, [2])], ["y"])
    _refused(model, r"If_0' .If.: the condition must be one bool, got bool of shape \[2\]")


def test_if_branches_with_different_output_counts() -> None:
    node = helper.make_node("If", ["c"], ["y"],
                            then_branch=_branch("then", [], ["x", "x"]),
                            else_branch=_branch("else", [], ["x"]))
    model = _model([node], [_value("x", F, [2])], ["y"], {"c": np.array(False)})
    _refused(model, "then_branch has 2 outputs, the node 1")


def test_if_branch_with_a_node_the_importer_cannot_convert() -> None:
    then_branch = _branch("then", [helper.make_node("Unique", ["x"], ["d"])], ["d"])
    node = helper.make_node("If", ["c"], ["y"], then_branch=then_branch,
                            else_branch=_branch("else", [], ["x"]))
    model = _model([node], [_value("x", F, [3, 3])], ["y"], {"c": np.array(True)})
    _refused(model, r"If_0 \(If\): If_0/then/Unique_0 \(Unique\): op not supported")


def test_if_branch_node_with_an_attribute_of_the_wrong_type() -> None:
    """The branch's nodes get ONNX's schema checks too (the graph's own get them before the
    scan)."""
    bad = helper.make_node("Flatten", ["x"], ["f"], axis="one")
    node = helper.make_node("If", ["c"], ["y"], then_branch=_branch("then", [bad], ["f"]),
                            else_branch=_branch("else", [], ["x"]))
    model = _model([node], [_value("x", F, [3, 3])], ["y"], {"c": np.array(True)})
    _refused(model, r"If_0/then/Flatten_0 \(Flatten\): .*axis")


# --- Loop -----------------------------------------------------------------------------------
def _loop_body(stop_after: int | None = None) -> onnx.GraphProto:
    """acc += x * float(i); the scan output is acc each step; cond stays true, or becomes
    i < stop_after (computed from the constant step number)."""
    nodes = [helper.make_node("Cast", ["i"], ["fi"], to=F),
             helper.make_node("Mul", ["x", "fi"], ["step"]),
             helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
             helper.make_node("Identity", ["acc_out"], ["scanned"])]
    if stop_after is None:
        nodes.append(helper.make_node("Identity", ["cond_in"], ["cond_out"]))
    else:
        nodes.append(helper.make_node("Less", ["i", "limit"], ["cond_out"]))
    return helper.make_graph(
        nodes, "body", [_value("i", TensorProto.INT64, []), _value("cond_in", TensorProto.BOOL, []),
                        _value("acc_in", F, None)],
        [_value("cond_out", TensorProto.BOOL, []), _value("acc_out"), _value("scanned")])


@pytest.mark.parametrize("cond", ["absent", "true"])
def test_loop_of_a_constant_trip_count(cond: str) -> None:
    node = helper.make_node("Loop", ["M", "" if cond == "absent" else "c", "a0"],
                            ["acc", "steps"], body=_loop_body())
    inits = {"M": np.array(5, np.int64), "c": np.array(True)}
    model = _model([node, helper.make_node("Relu", ["x"], ["a0"])], [_value("x", F, [2, 3])],
                   ["acc", "steps"], inits)
    model.graph.node.insert(0, model.graph.node.pop())  # a0 before the loop
    assert_matches_ort(model, [_x(2, 3)])


def test_loop_whose_condition_ends_it_early() -> None:
    node = helper.make_node("Loop", ["M", "c", "x"], ["acc", "steps"], body=_loop_body(2))
    inits = {"M": np.array(10, np.int64), "c": np.array(True), "limit": np.array(2, np.int64)}
    model = _model([node], [_value("x", F, [4])], ["acc", "steps"], inits)
    ember = assert_matches_ort(model, [_x(4)])
    assert ember[1].shape == (3, 4)  # steps 0, 1 and 2 ran


def test_loop_whose_body_branches_on_the_step_number() -> None:
    """An If inside the body on i == 0 (constant each step), its branches reading the body's
    own values: the nested graph's references are renamed with the step."""
    first = _branch("first", [helper.make_node("Add", ["acc_in", "x"], ["a"])], ["a"])
    later = _branch("later", [helper.make_node("Mul", ["acc_in", "half"], ["m"])], ["m"])
    nodes = [helper.make_node("Equal", ["i", "zero"], ["is_first"]),
             helper.make_node("If", ["is_first"], ["acc_out"], then_branch=first,
                              else_branch=later),
             helper.make_node("Identity", ["cond_in"], ["cond_out"])]
    body = helper.make_graph(nodes, "body", [_value("i", TensorProto.INT64, []),
                                             _value("cond_in", TensorProto.BOOL, []),
                                             _value("acc_in", F, None)],
                             [_value("cond_out", TensorProto.BOOL, []), _value("acc_out")])
    node = helper.make_node("Loop", ["M", "", "x"], ["acc"], body=body)
    inits = {"M": np.array(4, np.int64), "zero": np.array(0, np.int64),
             "half": np.array(0.5, np.float32)}
    assert_matches_ort(_model([node], [_value("x", F, [3])], ["acc"], inits), [_x(3)])


@pytest.mark.parametrize("count, cond, match", [
    ("", None, "Loop without a trip count"),
    ("input", None, "Loop with a run-time trip count"),
    (np.array(5000, np.int64), None, "a Loop of 5000 steps: at most 4096 are unrolled"),
    (np.array(3, np.int64), "input", "Loop with a run-time condition"),
], ids=["no_count", "run_time_count", "too_many_steps", "run_time_condition"])
def test_loops_that_cannot_be_unrolled(count: object, cond: str | None, match: str) -> None:
    inputs = [_value("x", F, [4])]
    inits = {}
    if isinstance(count, np.ndarray):
        inits["M"] = count
    elif count == "input":
        inputs.append(_value("M", TensorProto.INT64, []))
    if cond == "input":
        inputs.append(_value("c", TensorProto.BOOL, []))
    node = helper.make_node("Loop", ["M" if count != "" else "", "c" if cond else "", "x"],
                            ["acc", "steps"], body=_loop_body())
    _refused(_model([node], inputs, ["acc", "steps"], inits), f"Loop_0 .Loop.: {match}")


def test_loop_whose_body_computes_its_condition_at_run_time() -> None:
    body = _loop_body()
    del body.node[-1]
    body.node.append(helper.make_node("ReduceSum", ["acc_out"], ["total"], keepdims=0))
    body.node.append(helper.make_node("Greater", ["total", "zero"], ["cond_out"]))
    node = helper.make_node("Loop", ["M", "", "x"], ["acc", "steps"], body=body)
    inits = {"M": np.array(3, np.int64), "zero": np.array(0.0, np.float32)}
    _refused(_model([node], [_value("x", F, [4])], ["acc", "steps"], inits),
             "step 0 computes its condition at run time")


# --- Scan -----------------------------------------------------------------------------------
def _scan_body() -> onnx.GraphProto:
    """Two states: a running sum and a running product of the rows; the scan outputs are
    the sum and the row times 2."""
    nodes = [helper.make_node("Add", ["s_in", "row"], ["s_out"]),
             helper.make_node("Mul", ["p_in", "row"], ["p_out"]),
             helper.make_node("Identity", ["s_out"], ["sum_t"]),
             helper.make_node("Add", ["row", "row"], ["twice"])]
    return helper.make_graph(nodes, "body", [_value("s_in"), _value("p_in"), _value("row")],
                             [_value("s_out"), _value("p_out"), _value("sum_t"),
                              _value("twice")])


@pytest.mark.parametrize("in_axis, in_dir, out_axis, out_dir", [
    (0, 0, 0, 0), (0, 1, 0, 0), (1, 0, 1, 1), (1, 1, 0, 1)])
def test_scan_with_two_states(in_axis: int, in_dir: int, out_axis: int, out_dir: int) -> None:
    node = helper.make_node("Scan", ["s0", "p0", "x"], ["s", "p", "sums", "twice"],
                            body=_scan_body(), num_scan_inputs=1, scan_input_axes=[in_axis],
                            scan_input_directions=[in_dir], scan_output_axes=[0, out_axis],
                            scan_output_directions=[0, out_dir])
    model = _model([node], [_value("s0", F, [3]), _value("p0", F, [3]),
                            _value("x", F, [5, 3] if in_axis == 0 else [3, 5])],
                   ["s", "p", "sums", "twice"])
    shape = (5, 3) if in_axis == 0 else (3, 5)  # five rows of 3 along the scan axis
    assert_matches_ort(model, [_x(3), _x(3), _x(*shape)])


def test_scan_without_num_scan_inputs() -> None:
    node = helper.make_node("Scan", ["s0", "p0", "x"], ["s", "p", "sums", "twice"],
                            body=_scan_body())
    model = _model([node], [_value("s0", F, [3]), _value("p0", F, [3]), _value("x", F, [5, 3])],
                   ["s", "p", "sums", "twice"])
    _refused(model, "Scan_0.*the attribute num_scan_inputs is missing")


# --- ops ONNX defines as functions (onnx_functions.py) --------------------------------------
@pytest.mark.parametrize("axes", [[0, 2, 3], [1], [2, 3]], ids=str)
def test_mean_variance_normalization_by_its_function_body(axes: list[int]) -> None:
    node = helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes=axes)
    model = _model([node], [_value("x", F, [2, 3, 4, 5])], ["y"], opset=13)
    assert_matches_ort(model, [_x(2, 3, 4, 5)])


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_swiglu_by_its_function_body(alpha: float) -> None:
    """Opset 28 (ONNX Runtime may not read it): against ONNX's own evaluator."""
    from onnx.reference import ReferenceEvaluator

    node = helper.make_node("SwiGLU", ["a", "b"], ["y"], alpha=alpha)
    model = _model([node], [_value("a", F, [3, 8]), _value("b", F, [3, 8])], ["y"], opset=28)
    a, b = _x(3, 8), _x(3, 8)
    got, = run_ember(convert_onnx(model), [a, b])
    want, = ReferenceEvaluator(model).run(None, {"a": a, "b": b})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_function_body_that_needs_a_run_time_loop() -> None:
    """Range of run-time bounds whose length no declared output gives: refused (its length is
    known only at run time)."""
    node = helper.make_node("Range", ["a", "n", "d"], ["y"])
    model = _model([node], [_value(v, TensorProto.INT64, []) for v in "and"], ["y"], opset=17)
    _refused(model, r"Range_0 \(Range\): .*run-time")


def test_function_op_with_an_attribute_of_the_wrong_type() -> None:
    node = helper.make_node("MeanVarianceNormalization", ["x"], ["y"], axes="all")
    _refused(_model([node], [_value("x", F, [2, 3])], ["y"], opset=13),
             "MeanVarianceNormalization.*axes")


def test_nested_loops_are_bounded_in_all() -> None:
    """A Loop of 100 steps inside one of 100: the inner one is unrolled once per outer step,
    10100 steps in all, more than the 4096 any one model may unroll."""
    inner = helper.make_node("Loop", ["M", "", "acc_in"], ["acc_out"], body=_loop_body_of_add())
    outer_body = helper.make_graph(
        [inner, helper.make_node("Identity", ["cond_in"], ["cond_out"])], "outer",
        [_value("i", TensorProto.INT64, []), _value("cond_in", TensorProto.BOOL, []),
         _value("acc_in", F, None)],
        [_value("cond_out", TensorProto.BOOL, []), _value("acc_out")])
    node = helper.make_node("Loop", ["M", "", "x"], ["acc"], body=outer_body)
    model = _model([node], [_value("x", F, [3])], ["acc"], {"M": np.array(100, np.int64)})
    _refused(model, r"Loop_0/0/Loop_0 \(Loop\): a Loop of 100 steps: the model.s loops would "
                    r"unroll 10100 steps in all, at most 4096")


def _loop_body_of_add() -> onnx.GraphProto:
    nodes = [helper.make_node("Add", ["acc_in", "acc_in"], ["acc_out"]),
             helper.make_node("Identity", ["cond_in"], ["cond_out"])]
    return helper.make_graph(nodes, "inner", [_value("i", TensorProto.INT64, []),
                                              _value("cond_in", TensorProto.BOOL, []),
                                              _value("acc_in", F, None)],
                             [_value("cond_out", TensorProto.BOOL, []), _value("acc_out")])
