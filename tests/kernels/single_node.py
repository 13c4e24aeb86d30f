"""One IR node run by the C kernels and by the converter's reference evaluator, for the
float32 (and integer output) tests of ops the ONNX importer does not emit directly: each op's
tests/kernels/test_<op>.py compares both with numpy written in the test."""
from __future__ import annotations

from typing import Any

import numpy as np

from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import evaluate
from emberlite.converter.writer import serialize
from tests.helpers import run_ember


def run_node(op: OpType, inputs: list[np.ndarray], out_shape: tuple[int, ...],
             out_dtype: DType, params: Any = None, const: tuple[int, ...] = ()
             ) -> tuple[np.ndarray, np.ndarray]:
    """(Emberlite's output, the reference evaluator's) for one node; inputs at positions in
    `const` become constants."""
    names = [f"x{i}" for i in range(len(inputs))]
    tensors = [Tensor(n, DType.from_numpy(v.dtype), v.shape,
                      constant_array(v) if i in const else None)
               for i, (n, v) in enumerate(zip(names, inputs))]
    tensors.append(Tensor("y", out_dtype, out_shape))
    graph_inputs = [n for i, n in enumerate(names) if i not in const]
    graph = Graph({t.name: t for t in tensors}, [Node(op, op.name.lower(), names, ["y"], params)],
                  graph_inputs, ["y"])
    feed = [v for i, v in enumerate(inputs) if i not in const]
    got, = run_ember(serialize(graph, plan_memory(graph)), feed)
    want = evaluate(graph, dict(zip(graph_inputs, feed)))["y"]
    return got, want


def assert_close(got: np.ndarray, want: np.ndarray, *refs: np.ndarray) -> None:
    """`got` has the shape and type of `want` and of every other reference, and is close."""
    for ref in (want, *refs):
        assert got.shape == ref.shape and got.dtype == ref.dtype
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
