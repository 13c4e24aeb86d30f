"""What the OpenCL delegate's op tests share (test_opencl_ops.py, test_opencl_layout.py):
small models from ONNX graphs or in the file format's own terms, and the check that runs a
model on the CPU interpreter and on the delegate in fp32 and fp16 and compares them."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.passes.infer_shapes import infer_shapes
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import run_ember

FP32_BOUND = 1e-4
# fp16 stores every activation and constant in half (each value within 4.9e-4 relative) and
# computes in float. These ops' outputs are within a few roundings of their inputs' (exp and
# the mean of a few dozen values amplify them a few times), so 1e-2 x max|output| holds
# with room, while an indexing mistake (a wrong cell, channel or axis) is off by O(1).
FP16_BOUND = 1e-2


def onnx_model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[int, ...]],
               inits: dict[str, np.ndarray] | None = None, opset: int = 17,
               outputs: tuple[str, ...] = ("y",)) -> onnx.ModelProto:
    """A checked ONNX model of `nodes`: float inputs of these shapes, initializers `inits`,
    float outputs `outputs`."""
    graph = helper.make_graph(
        nodes, "opencl_ops",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        [numpy_helper.from_array(v, n) for n, v in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def random_inputs(shapes: list[tuple[int, ...]], seed: int = 0, low: float | None = None,
                  high: float | None = None) -> list[np.ndarray]:
    """float32 arrays of these shapes: N(0, 1), or uniform in [low, high)."""
    rng = np.random.default_rng(seed)
    if low is None:
        return [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return [rng.uniform(low, high, s).astype(np.float32) for s in shapes]


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """max|got - want| / max|want| over the finite outputs; NaNs and infinities must sit in
    the same places with the same values (the delegate repeats the CPU's NaN rules)."""
    special = ~np.isfinite(want)
    np.testing.assert_array_equal(got[special], want[special])
    assert np.all(np.isfinite(got[~special])), "the delegate made a NaN or inf the CPU did not"
    if not np.any(~special):
        return 0.0
    w = want[~special].astype(np.float64)
    scale = float(np.max(np.abs(w))) or 1.0
    return float(np.max(np.abs(got[~special].astype(np.float64) - w))) / scale


def run_delegated(model: bytes, feed: list[np.ndarray], delegate: Any
                  ) -> tuple[list[np.ndarray], list[dict[str, Any]], Interpreter]:
    """The outputs, the node placements and the interpreter of `model` run with `delegate`."""
    interp = Interpreter(model_content=model, experimental_delegates=[delegate])
    interp.allocate_tensors()
    return run_ember(model, feed, interpreter=interp), interp.node_placements(), interp


def check_ops(model: onnx.ModelProto, feed: list[np.ndarray],
              make_delegate: Callable[..., Any], op: str, fp16_bound: float = FP16_BOUND,
              activation: int | None = None) -> list[dict[str, Any]]:
    """Converts `model`, runs it on the CPU and on the delegate in fp32 and fp16, and checks
    that `op` is in the graph, that every node ran on the delegate, and the outputs."""
    return check_file(Converter.from_onnx(model, io_layout="nhwc").convert(), feed,
                      make_delegate, op, fp16_bound, activation)


def check_file(converted: bytes, feed: list[np.ndarray], make_delegate: Callable[..., Any],
               op: str, fp16_bound: float = FP16_BOUND, activation: int | None = None
               ) -> list[dict[str, Any]]:
    """check_ops for a converted file."""
    want = run_ember(converted, feed)
    placements: list[dict[str, Any]] = []
    for precision, bound in (("fp32", FP32_BOUND), ("fp16", fp16_bound)):
        delegate = make_delegate(precision=precision)
        got, placements, interp = run_delegated(converted, feed, delegate)
        ops = [p["op"] for p in placements]
        assert op in ops, ops
        assert all(p["delegate"] == "opencl" for p in placements), placements
        if activation is not None:
            assert interp.node_param(ops.index(op), "activation") == activation
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape
            err = rel_err(g, w)
            assert err <= bound, f"{precision}: max|diff| = {err:.3g} x max|CPU output|"
    return placements


def ir_model(op: OpType, inputs: dict[str, tuple[int, ...]], consts: dict[str, np.ndarray],
             params: Any = None) -> bytes:
    """One `op` node in the file format's own terms, for what ONNX spells otherwise (ONNX's
    PRelu imports as less/mul/where): run-time `inputs`, then constant inputs `consts`, and
    output y."""
    tensors = {n: Tensor(n, DType.FLOAT32, s) for n, s in inputs.items()}
    tensors["y"] = Tensor("y", DType.FLOAT32, None)
    for name, value in consts.items():
        value = value.astype(np.float32)
        value.flags.writeable = False
        tensors[name] = Tensor(name, DType.FLOAT32, value.shape, value)
    graph = Graph(tensors, [Node(op, op.name.lower(), [*inputs, *consts], ["y"], params)],
                  list(inputs), ["y"])
    graph = infer_shapes(graph)
    return serialize(graph, plan_memory(graph))
