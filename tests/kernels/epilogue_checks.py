"""Shared by the float32 tests of CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED: their fused
epilogues (csrc/kernels/epilogue.h: CONV2D's residual input 3, the SILU and HARD_SWISH
activations), one node with constant weights. The reference loops (isa_mask NONE) match the
converter's float64 evaluator, and the fast paths match the reference loops, both within
1e-5 x sum |a*b| (the sums and the residual's magnitude) plus the sigmoid approximation's
relative error; the fast paths are bit-identical on 1 and 2 threads."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import FusedActivation, OpType, infer_shape
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import evaluate
from emberlite.converter.writer import serialize
from tests.helpers import run_ember

REL_BOUND = 1e-5
# SILU's slope is below 1.1: an error in its input grows by at most that much; the sigmoid
# approximation adds EMBER_VSIGMOID_MAX_REL_ERR (1.8e-7) and the multiply half an ulp.
SLOPE = 1.1
APPROX_REL = 4e-7


def epilogue_graph(op: OpType, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None,
                   params: Any, residual_seed: int | None = None
                   ) -> tuple[Graph, list[np.ndarray]]:
    """One `op` node on input x with constant weights w and bias; with residual_seed, a
    residual graph input of the output's shape (CONV2D's input 3) drawn from that seed."""
    tensors = {"x": Tensor("x", DType.FLOAT32, x.shape),
               "w": Tensor("w", DType.FLOAT32, w.shape, constant_array(w))}
    inputs = ["x", "w", ""]
    if bias is not None:
        tensors["b"] = Tensor("b", DType.FLOAT32, bias.shape, constant_array(bias))
        inputs[2] = "b"
    node = Node(op, op.name.lower(), inputs, ["y"], params)
    graph = Graph(tensors, [node], ["x"], ["y"])
    out_shape = infer_shape(node, graph)[0]
    feed = [x]
    if residual_seed is not None:
        r = np.random.default_rng(residual_seed).standard_normal(out_shape).astype(np.float32)
        tensors["r"] = Tensor("r", DType.FLOAT32, out_shape)
        node.inputs.append("r")
        graph.inputs.append("r")
        feed.append(r)
    if not inputs[2] and residual_seed is None:
        node.inputs.pop()
    tensors["y"] = Tensor("y", DType.FLOAT32, out_shape)
    return graph, feed


def _abs_sums(graph: Graph, feed: list[np.ndarray]) -> np.ndarray:
    """sum |a*b| + |bias| + |residual| of each output: the graph on absolute values, with no
    activation."""
    g = graph.copy()
    for t in g.tensors.values():
        if t.data is not None:
            t.data = constant_array(np.abs(t.data))
    node = g.nodes[0]
    node.params = dataclasses.replace(node.params, activation=FusedActivation.NONE)
    return evaluate(g, dict(zip(g.inputs, [np.abs(v) for v in feed])))["y"]


def _run(model: bytes, feed: list[np.ndarray], isa_mask: int, threads: int
         ) -> tuple[np.ndarray, str]:
    interp = Interpreter(model_content=model, num_threads=threads, isa_mask=isa_mask)
    interp.allocate_tensors()
    return run_ember(model, feed, interpreter=interp)[0].copy(), interp.node_variants()[0]


def _assert_within(got: np.ndarray, want: np.ndarray, bound: np.ndarray, what: str) -> None:
    err = np.abs(got.astype(np.float64) - want)
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), f"{what}: output {worst}: |{got[worst]} - {want[worst]}| > " \
                                 f"{bound[worst]}"


def check_epilogue(graph: Graph, feed: list[np.ndarray], fast_prefix: str = "") -> np.ndarray:
    """Runs the checks of this module's docstring; `fast_prefix` starts the fast variant's
    name. Returns the fast output."""
    model = serialize(graph, plan_memory(graph))
    want = evaluate(graph, dict(zip(graph.inputs, feed)))["y"].astype(np.float64)
    ref, ref_variant = _run(model, feed, ISA_NONE, 1)
    fast, variant = _run(model, feed, ISA_ALL, 1)
    fast2, _ = _run(model, feed, ISA_ALL, 2)
    assert ref_variant == "reference"
    assert variant != "reference" and variant.startswith(fast_prefix), variant
    assert fast.tobytes() == fast2.tobytes(), "1 and 2 threads differ"
    bound = SLOPE * REL_BOUND * _abs_sums(graph, feed) + APPROX_REL * np.abs(want) + 1e-30
    _assert_within(ref, want, bound, "reference loop vs float64 evaluator")
    _assert_within(fast, ref.astype(np.float64), bound, "fast path vs reference loop")
    return fast
