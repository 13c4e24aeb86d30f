"""Every op on tensors that hold no element but have huge other dims (2^31 - 1): allocate
commits almost nothing, invoke returns at once (no loop over the product of the other dims),
an op whose empty input still gives elements (a sum over an empty axis, a pad of an empty
tensor) computes them, and what cannot be computed is refused with a message.

The cases run in a worker subprocess (empty_worker.py) under a timeout that only detects a
hang: such a kernel loops 2^62 times. Each invoke's time is printed, not asserted.

Then end to end: ONNX graphs with empty inputs, constants and intermediates converted and run
against ONNX Runtime (a contraction over an empty axis folds to its bias, a Concat skips its
empty parts, a TopK of k = 0, a Loop of no step); the planner's and the verifier's zero-byte
tensors; and files that claim a zero dim the rest of the file contradicts, refused by the
verifier with a message.
"""
from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter, errors
from emberlite.converter import UnsupportedOpsError
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import _HASH_SLOT_OFFSET, serialize
from emberlite.schema.Model import Model
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.runtime.empty_worker import all_cases

WORKER = Path(__file__).with_name("empty_worker.py")
HANG_SECONDS = 30  # for the whole worker; every case takes milliseconds


def _run_worker() -> tuple[dict[int, str], list[str]]:
    """Outcome per case index, and the cases that hung or crashed the worker (which is then
    restarted after them)."""
    outcomes: dict[int, str] = {}
    failures: list[str] = []
    names = [c.name for c in all_cases()]
    paths = [os.environ.get("PYTHONPATH", ""), str(Path(__file__).resolve().parents[2])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    start = 0
    while start < len(names):
        proc = subprocess.Popen([sys.executable, str(WORKER), str(start)],
                                stdout=subprocess.PIPE, text=True, env=env)
        try:
            out, _ = proc.communicate(timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        current = None
        for line in out.splitlines():
            word, index, *rest = line.split(maxsplit=3)
            if word == "try":
                current = int(index)
            else:
                print(f"{names[int(index)]:28s} invoke {float(rest[0]) * 1e3:8.3f} ms  "
                      f"{rest[1]}")
                outcomes[int(index)] = rest[1]
                current = None
        if current is None:
            if proc.returncode != 0:
                failures.append(f"worker exited with {proc.returncode} between cases")
            break
        how = "hung" if proc.returncode in (-9, None) else f"exited with {proc.returncode}"
        failures.append(f"{names[current]}: {how}")
        start = current + 1
    return outcomes, failures


def test_every_op_has_an_empty_case() -> None:
    covered = {c.op for c in all_cases()}
    assert not set(OpType) - covered, f"ops without an empty-tensor case: {set(OpType) - covered}"


def test_empty_tensors_with_huge_dims() -> None:
    outcomes, failures = _run_worker()
    for i, case in enumerate(all_cases()):
        got = outcomes.get(i)
        if got is None:
            continue  # reported in failures
        if case.refused is not None:
            if not (got.startswith("error") and case.refused in got):
                failures.append(f"{case.name}: expected a refusal naming '{case.refused}', "
                                f"got {got}")
        elif got != "ok":
            failures.append(f"{case.name}: {got}")
    assert not failures, "\n".join(failures)


# --- ONNX graphs end to end -----------------------------------------------------------------
F = TensorProto.FLOAT
Spec = tuple[str, int, list[int]]  # a graph input or output: name, element type, shape


def _model(nodes: list[onnx.NodeProto], inputs: list[Spec], outputs: list[Spec],
           consts: dict[str, np.ndarray] | None = None, opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "empty", [helper.make_tensor_value_info(*i) for i in inputs],
        [helper.make_tensor_value_info(*o) for o in outputs],
        [numpy_helper.from_array(v, k) for k, v in (consts or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _check(model: onnx.ModelProto, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Emberlite's outputs, checked against ONNX Runtime's (shape, type and values)."""
    got = run_ember(convert_onnx(model), inputs)
    want = run_ort(model, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return got


def _rand(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


N = helper.make_node
GRAPHS = {
    # Output not empty though an input is.
    "concat_empty_parts": (_model([N("Concat", ["a", "b", "c"], ["y"], axis=1)],
                                  [("a", F, [2, 0]), ("b", F, [2, 3]), ("c", F, [2, 0])],
                                  [("y", F, [2, 3])]), [(2, 0), (2, 3), (2, 0)]),
    "concat_empty_constant": (_model([N("Concat", ["a", "e"], ["y"], axis=0)],
                                     [("a", F, [2, 3])], [("y", F, [2, 3])],
                                     {"e": np.zeros((0, 3), np.float32)}), [(2, 3)]),
    "matmul_k0": (_model([N("MatMul", ["a", "b"], ["y"])], [("a", F, [2, 4, 0]),
                                                              ("b", F, [2, 0, 3])],
                         [("y", F, [2, 4, 3])]), [(2, 4, 0), (2, 0, 3)]),
    "gemm_k0_bias": (_model([N("Gemm", ["a", "w", "c"], ["y"], transB=1)], [("a", F, [2, 0])],
                            [("y", F, [2, 3])], {"w": np.zeros((3, 0), np.float32),
                                                 "c": np.arange(3, dtype=np.float32)}),
                     [(2, 0)]),
    "conv_no_channels": (_model([N("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
                                [("x", F, [1, 0, 4, 5])], [("y", F, [1, 2, 4, 5])],
                                {"w": np.zeros((2, 0, 3, 3), np.float32),
                                 "b": np.array([1.5, -2.0], np.float32)}), [(1, 0, 4, 5)]),
    # Weights and bias given at run time: the bias is added to the folded zeros.
    "conv_transpose_no_rows": (_model([N("ConvTranspose", ["x", "w", "b"], ["y"],
                                        strides=[2, 1])],
                                      [("x", F, [1, 2, 0, 3]), ("w", F, [2, 3, 3, 3]),
                                       ("b", F, [3])], [("y", F, [1, 3, 2, 5])]),
                               [(1, 2, 0, 3), (2, 3, 3, 3), (3,)]),
    "conv_no_channels_bias_relu": (_model([N("Conv", ["x", "w", "b"], ["c"]),
                                           N("Relu", ["c"], ["y"])],
                                          [("x", F, [1, 0, 4, 5]), ("w", F, [3, 0, 1, 1]),
                                           ("b", F, [3])], [("y", F, [1, 3, 4, 5])]),
                                   [(1, 0, 4, 5), (3, 0, 1, 1), (3,)]),
    # A filter of no output channel: the node's output is empty, so it becomes an empty
    # constant (the kernel's check wants filter dims >= 1).
    "conv_no_filters": (_model([N("Conv", ["x", "w"], ["c"]),
                                N("Concat", ["c", "z"], ["y"], axis=1)],
                               [("x", F, [1, 3, 4, 4]), ("w", F, [0, 3, 3, 3]),
                                ("z", F, [1, 2, 2, 2])], [("y", F, [1, 2, 2, 2])]),
                        [(1, 3, 4, 4), (0, 3, 3, 3), (1, 2, 2, 2)]),
    "pad_empty": (_model([N("Pad", ["x", "p", "v"], ["y"])], [("x", F, [2, 0])],
                         [("y", F, [2, 3])], {"p": np.array([0, 1, 0, 2], np.int64),
                                              "v": np.array(0.5, np.float32)}), [(2, 0)]),
    "reduce_sum_empty_axis": (_model([N("ReduceSum", ["x", "ax"], ["y"], keepdims=0)],
                                     [("x", F, [2, 0, 3])], [("y", F, [2, 3])],
                                     {"ax": np.array([1], np.int64)}, opset=13), [(2, 0, 3)]),
    "castlike_empty_like": (_model([N("CastLike", ["x", "like"], ["y"])],
                                   [("x", F, [2, 3]), ("like", TensorProto.INT64, [0])],
                                   [("y", TensorProto.INT64, [2, 3])]), [(2, 3), (0,)]),
    "split_zero_pieces": (_model([N("Split", ["x", "s"], ["y0", "y1", "y2"], axis=1)],
                                 [("x", F, [2, 3])],
                                 [("y0", F, [2, 0]), ("y1", F, [2, 3]), ("y2", F, [2, 0])],
                                 {"s": np.array([0, 3, 0], np.int64)}, opset=13), [(2, 3)]),
    "slice_to_nothing": (_model([N("Slice", ["x", "b", "e"], ["s"]),
                                 N("Concat", ["s", "x"], ["y"], axis=0)], [("x", F, [2, 3])],
                                [("y", F, [2, 3])], {"b": np.array([5], np.int64),
                                                     "e": np.array([7], np.int64)}), [(2, 3)]),
    # Empty outputs.
    "where_empty_condition": (_model([N("Where", ["c", "a", "b"], ["y"])],
                                     [("c", TensorProto.BOOL, [0, 1]), ("a", F, [1, 3]),
                                      ("b", F, [1, 3])], [("y", F, [0, 3])]),
                              [(0, 1), (1, 3), (1, 3)]),
    "reshape_allowzero": (_model([N("Reshape", ["x", "s"], ["y"], allowzero=1)],
                                 [("x", F, [0, 3, 4])], [("y", F, [3, 4, 0])],
                                 {"s": np.array([3, 4, 0], np.int64)}, opset=14), [(0, 3, 4)]),
    "conv_relu_pool_batch0": (_model([N("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                                      N("Relu", ["c"], ["r"]),
                                      N("MaxPool", ["r"], ["y"], kernel_shape=[2, 2])],
                                     [("x", F, [0, 3, 4, 4])], [("y", F, [0, 2, 3, 3])],
                                     {"w": _rand((2, 3, 3, 3))}), [(0, 3, 4, 4)]),
    "hardmax_empty": (_model([N("Hardmax", ["x"], ["h"], axis=1), N("Relu", ["h"], ["y"])],
                             [("x", F, [3, 0, 2])], [("y", F, [3, 0, 2])], opset=13),
                      [(3, 0, 2)]),
    "topk_k0": (_model([N("TopK", ["x", "k"], ["v", "i"], axis=1)], [("x", F, [3, 4])],
                       [("v", F, [3, 0]), ("i", TensorProto.INT64, [3, 0])],
                       {"k": np.array([0], np.int64)}), [(3, 4)]),
    "tile_zero_copies": (_model([N("Tile", ["x", "r"], ["y"])], [("x", F, [2, 3])],
                                [("y", F, [0, 6])], {"r": np.array([0, 2], np.int64)}),
                         [(2, 3)]),
    "range_and_constant_of_shape_empty": (_model(
        [N("Range", ["s", "s", "d"], ["r"]), N("Cast", ["r"], ["c"], to=F),
         N("ConstantOfShape", ["z"], ["k"]), N("Concat", ["c", "k", "x"], ["y"], axis=0)],
        [("x", F, [2])], [("y", F, [2])], {"s": np.array(3, np.int64),
                                           "d": np.array(1, np.int64),
                                           "z": np.array([0], np.int64)}, opset=11), [(2,)]),
    "layer_norm_softmax": (_model([N("LayerNormalization", ["x", "g", "b"], ["n"], axis=-1),
                                   N("Softmax", ["n"], ["y"], axis=-1)], [("x", F, [0, 4])],
                                  [("y", F, [0, 4])], {"g": _rand((4,)), "b": _rand((4,))}),
                           [(0, 4)]),
}


def _inputs(model: onnx.ModelProto, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    arrays = []
    for k, (value, shape) in enumerate(zip(model.graph.input, shapes)):
        dtype = onnx.helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type)
        arrays.append((_rand(shape, k) * 5).astype(dtype))
    return arrays


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_onnx_graphs_with_empty_tensors_match_onnx_runtime(name: str) -> None:
    model, shapes = GRAPHS[name]
    _check(model, _inputs(model, shapes))


@pytest.mark.parametrize("seed", range(6))
def test_random_shapes_with_a_zero_dim(seed: int) -> None:
    """A zero dim at a random place: broadcast ADD, a transpose, and a concatenation whose
    other part is not empty, against ONNX Runtime."""
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, 5))
    shape = [int(d) for d in rng.integers(1, 5, rank)]
    axis = int(rng.integers(rank))
    shape[axis] = 0
    other = [1 if rng.random() < 0.5 else d for d in shape]
    other[axis] = 1
    perm = [int(p) for p in rng.permutation(rank)]
    full = list(shape)
    full[axis] = int(rng.integers(1, 4))
    model = _model([N("Add", ["a", "b"], ["s"]), N("Transpose", ["s"], ["t"], perm=perm),
                    N("Concat", ["a", "f"], ["c"], axis=axis)],
                   [("a", F, shape), ("b", F, other), ("f", F, full)],
                   [("t", F, [shape[p] for p in perm]), ("c", F, full)])
    _check(model, [_rand(tuple(shape)), _rand(tuple(other), 1), _rand(tuple(full), 2)])


def test_loop_of_no_step_gives_empty_scan_outputs() -> None:
    body = helper.make_graph(
        [N("Identity", ["go"], ["go_out"]), N("Add", ["v", "one"], ["v_out"]),
         N("Mul", ["v", "one"], ["step"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("go", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v", F, [2])],
        [helper.make_tensor_value_info("go_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", F, [2]),
         helper.make_tensor_value_info("step", F, [2])],
        [numpy_helper.from_array(np.ones(2, np.float32), "one")])
    model = _model([N("Loop", ["m", "c", "x"], ["v", "steps"], body=body),
                    N("Concat", ["steps", "z"], ["y"], axis=0)], [("x", F, [2])],
                   [("v", F, [2]), ("y", F, [1, 2])],
                   {"m": np.array(0, np.int64), "c": np.array(True), "z": _rand((1, 2))})
    _check(model, [_rand((2,))])
    undeclared = onnx.ModelProto()
    undeclared.CopyFrom(model)
    del undeclared.graph.node[0].attribute[0].g.output[2].type.tensor_type.shape.dim[:]
    undeclared.graph.node[0].attribute[0].g.output[2].type.tensor_type.ClearField("shape")
    with pytest.raises(UnsupportedOpsError, match="does not declare the type and shape"):
        convert_onnx(undeclared)


@pytest.mark.parametrize("op,gates", [("LSTM", 4), ("GRU", 3), ("RNN", 1)])
def test_recurrence_over_no_step_is_refused(op: str, gates: int) -> None:
    """What the final states of no step are ONNX does not say (ONNX Runtime's LSTM gives
    stale memory, its GRU aborts): refused with the reason, not guessed."""
    model = _model([N(op, ["x", "w", "r"], ["y", "h"], hidden_size=2, name="rec")],
                   [("x", F, [0, 1, 3])], [("y", F, [0, 1, 1, 2]), ("h", F, [1, 1, 2])],
                   {"w": _rand((1, 2 * gates, 3)), "r": _rand((1, 2 * gates, 2), 1)})
    with pytest.raises(UnsupportedOpsError, match=r"rec .*a sequence of no step"):
        convert_onnx(model)


def test_contraction_over_an_empty_axis_folds_to_its_bias() -> None:
    """No kernel runs a contraction of length 0 (their checks want K >= 1): the converter
    folds it, so the file holds a constant where the node was."""
    for name in ("gemm_k0_bias", "matmul_k0", "conv_no_channels"):
        model, shapes = GRAPHS[name]
        interp = Interpreter(model_content=convert_onnx(model))
        assert not {"fully_connected", "batch_matmul", "conv2d"} & set(interp.node_ops()), name
    model, shapes = GRAPHS["gemm_k0_bias"]
    np.testing.assert_array_equal(run_ember(convert_onnx(model), _inputs(model, shapes))[0],
                                  np.broadcast_to(np.arange(3, dtype=np.float32), (2, 3)))


# --- the planner and the verifier -----------------------------------------------------------
def test_planner_gives_empty_tensors_no_space() -> None:
    """Empty tensors all sit at offset 0 and take no arena byte: the arena is what the
    non-empty ones need, and a graph of empty tensors only has an arena of 0 bytes."""
    t = {n: Tensor(n, DType.FLOAT32, (0, 5) if n.startswith("e") else (64,))
         for n in ("x", "e1", "e2", "y")}
    nodes = [Node(OpType.RELU, "r", ["x"], ["y"]), Node(OpType.RELU, "r2", ["e1"], ["e2"])]
    graph = Graph(t, nodes, ["x", "e1"], ["y", "e2"])
    plan = plan_memory(graph)
    assert plan.offsets["e1"] == plan.offsets["e2"] == 0
    assert plan.arena_size == 2 * 64 * 4
    interp = Interpreter(model_content=serialize(graph, plan))
    interp.allocate_tensors()
    x = np.linspace(-1, 1, 64, dtype=np.float32)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.set_tensor(interp.get_input_details()[1]["index"], np.zeros((0, 5), np.float32))
    interp.invoke()
    y, e2 = (interp.get_tensor(d["index"]) for d in interp.get_output_details())
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert e2.shape == (0, 5) and e2.dtype == np.float32
    empty_only = Graph({n: Tensor(n, DType.FLOAT32, (3, 0)) for n in "ab"},
                       [Node(OpType.RELU, "r", ["a"], ["b"])], ["a"], ["b"])
    assert plan_memory(empty_only).arena_size == 0
    with pytest.raises(ValueError, match=r"got shape \[3, 1\], expected \[3, 0\]"):
        only = Interpreter(model_content=serialize(empty_only, plan_memory(empty_only)))
        only.allocate_tensors()
        only.set_tensor(only.get_input_details()[0]["index"], np.zeros((3, 1), np.float32))


def _add_model(const_shape: tuple[int, ...]) -> bytes:
    """y = x + c, c a stored constant of `const_shape` (x and y [2, 3])."""
    value = np.arange(int(np.prod(const_shape)), dtype=np.float32).reshape(const_shape)
    t = {"x": Tensor("x", DType.FLOAT32, (2, 3)), "y": Tensor("y", DType.FLOAT32, (2, 3)),
         "c": Tensor("c", DType.FLOAT32, const_shape, data=value)}
    graph = Graph(t, [Node(OpType.ADD, "add", ["x", "c"], ["y"])], ["x"], ["y"])
    return serialize(graph, plan_memory(graph))


def _rehash(buf: bytearray) -> bytes:
    """The writer's content hash, recomputed after a patch."""
    root = Model.GetRootAs(buf, 0)
    pos = root._tab.Pos + root._tab.Offset(_HASH_SLOT_OFFSET)
    buf[pos:pos + 32] = bytes(32)
    buf[pos:pos + 32] = hashlib.sha256(buf).digest()
    return bytes(buf)


SHAPE_SLOT, ARENA_OFFSET_SLOT = 8, 12  # the Tensor table's vtable offsets (schema order)


def _patched(data: bytes, tensor: str, dims: list[int] | None = None,
             arena_offset: int | None = None) -> bytes:
    """The file with tensor `tensor`'s shape or arena offset overwritten in place."""
    buf = bytearray(data)
    sub = Model.GetRootAs(buf, 0).Subgraphs(0)
    t = next(sub.Tensors(i) for i in range(sub.TensorsLength())
             if sub.Tensors(i).Name().decode() == tensor)
    if dims is not None:
        assert t.ShapeLength() == len(dims)
        start = t._tab.Vector(t._tab.Offset(SHAPE_SLOT))
        buf[start:start + 4 * len(dims)] = struct.pack(f"<{len(dims)}i", *dims)
    if arena_offset is not None:
        field = t._tab.Offset(ARENA_OFFSET_SLOT)
        assert field, f"{tensor} has no arena offset stored"
        start = t._tab.Pos + field
        buf[start:start + 8] = struct.pack("<q", arena_offset)
    return _rehash(buf)


def _load(data: bytes) -> None:
    Interpreter(model_content=data).allocate_tensors()


@pytest.mark.parametrize("case,message", [
    # A constant of 24 bytes whose shape claims no element.
    ("zero_dim_nonzero_buffer", r"tensor \d+ 'c': buffer \d+ holds 24 bytes, shape \[2,0\] "
                                r"float32 needs 0"),
    # An empty constant (no byte) whose shape claims elements.
    ("elements_no_buffer", r"tensor \d+ 'c': buffer \d+ holds 0 bytes, shape \[1,3\] float32 "
                           r"needs 12"),
    ("negative_dim", r"tensor \d+ 'c': dim 1 is -3, must be >= 0"),
    # A graph output claims no element: the add's check refuses the shapes.
    ("empty_output_of_full_inputs", r"node 0 \(add\): output dim 1 must be 3, got 0"),
])
def test_verifier_refuses_files_whose_empty_shapes_lie(case: str, message: str) -> None:
    if case == "zero_dim_nonzero_buffer":
        data = _patched(_add_model((2, 3)), "c", dims=[2, 0])
    elif case == "elements_no_buffer":
        data = _patched(_add_model((0, 3)), "c", dims=[1, 3])
    elif case == "negative_dim":
        data = _patched(_add_model((1, 3)), "c", dims=[1, -3])
    else:
        data = _patched(_add_model((1, 3)), "y", dims=[2, 0])
    with pytest.raises(errors.InvalidModelError, match=message):
        _load(data)
    _load(_add_model((1, 3)))  # the unpatched file loads


def test_verifier_takes_empty_constants_and_refuses_an_empty_tensor_past_the_arena() -> None:
    t = {"x": Tensor("x", DType.FLOAT32, (2, 0)), "e": Tensor("e", DType.FLOAT32, (2, 0)),
         "c": Tensor("c", DType.FLOAT32, (1, 0), data=np.zeros((1, 0), np.float32)),
         "y": Tensor("y", DType.FLOAT32, (2, 0))}
    graph = Graph(t, [Node(OpType.ADD, "add", ["x", "c"], ["e"]),
                      Node(OpType.RELU, "relu", ["e"], ["y"])], ["x"], ["y"])
    data = serialize(graph, plan_memory(graph))
    _load(data)
    with pytest.raises(errors.InvalidModelError,
                       match=r"'e': 0 bytes at arena offset 4096 run past the arena size 0"):
        _load(_patched(data, "e", arena_offset=4096))
