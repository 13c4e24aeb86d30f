"""Hand-written memory plans that put an op's output over one of its inputs, for the in-place
tests of the element-wise ops (tests/kernels/test_<op>.py): an exact same-size alias works in
place; a broadcast or partial overlap is refused by the verifier (it would read overwritten
values). The planner never places these ops in place, so the plans are made here."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from emberlite import Interpreter, InvalidModelError
from emberlite.converter.ir import Graph
from emberlite.converter.ops import OpType
from emberlite.converter.planner import MemoryPlan, plan_memory
from emberlite.converter.writer import serialize
from tests.converter.ir_builder import GraphBuilder
from tests.helpers import run_ember


def shifted_plan(graph: Graph, tensor: str, onto: str, shift: int) -> MemoryPlan:
    """The planner's plan with `tensor` moved to `onto`'s offset plus `shift` bytes."""
    plan = plan_memory(graph)
    offsets = dict(plan.offsets)
    offsets[tensor] = offsets[onto] + shift
    tensors = graph.tensors
    end = max(offsets[n] + int(np.prod(tensors[n].shape)) * tensors[n].dtype.numpy.itemsize
              for n in offsets)
    return MemoryPlan((end + 63) // 64 * 64, offsets)  # the verifier refuses a larger arena


# The op reads x through a RESHAPE: an output may take exactly the bytes of an input that dies
# at its node, never a graph input's, which lives through the whole run (the verifier refuses).
STAGED = "x_staged_out"


def staged_input(b: GraphBuilder, shape: tuple[int, ...]) -> str:
    b.input("x", shape)
    return b.node(OpType.RESHAPE, ["x"], shapes=[shape], name="x_staged")


# (op, second input shape or None for unary, numpy oracle)
Oracle = Callable[[np.ndarray, np.ndarray | None], np.ndarray]
CASES: list[tuple[OpType, tuple[int, ...] | None, Oracle]] = [
    (OpType.ADD, (5, 6), lambda x, c: x + c),
    (OpType.SUB, (6,), lambda x, c: x - c),
    (OpType.MUL, (), lambda x, c: x * c),
    (OpType.DIV, (1, 6), lambda x, c: x / c),
    (OpType.RELU, None, lambda x, c: np.maximum(x, 0)),
    (OpType.TANH, None, lambda x, c: np.tanh(x)),
    (OpType.HARD_SWISH, None, lambda x, c: x * np.clip(x + 3, 0, 6) / 6),
]


def cases(op: OpType) -> list:
    """The in-place case of `op` as a pytest parameter of "op,other,oracle", id the op name."""
    return [pytest.param(*case, id=case[0].name) for case in CASES if case[0] == op]


def inplace_graph(op: OpType, other: tuple[int, ...] | None, rng: np.random.Generator
                  ) -> tuple[Graph, str]:
    b = GraphBuilder()
    inputs = [staged_input(b, (5, 6))]
    if other is not None:
        c = rng.uniform(0.5, 2.0, other).astype(np.float32)
        inputs.append(b.const("c", c))
    y = b.node(op, inputs)
    b.output(y)
    return b.build(), y


def check_exact_alias_runs_in_place(op: OpType, other: tuple[int, ...] | None,
                                    oracle: Oracle) -> None:
    rng = np.random.default_rng(1)
    graph, y = inplace_graph(op, other, rng)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    plan = shifted_plan(graph, y, STAGED, 0)
    got = run_ember(serialize(graph, plan), [x])[0]
    c = graph.tensors["c"].data if other is not None else None
    np.testing.assert_allclose(got, oracle(x, c), rtol=1e-5, atol=1e-6)


def check_partial_overlap_rejected(op: OpType, other: tuple[int, ...] | None) -> None:
    graph, y = inplace_graph(op, other, np.random.default_rng(1))
    with pytest.raises(InvalidModelError, match="overlaps the output"):
        Interpreter(model_content=serialize(graph, shifted_plan(graph, y, STAGED, 64)))
