"""The optimised float32 kernels against the reference loops they stand beside: one model run
with the default isa_mask on 1 and 2 threads, and with ISA_NONE (the reference loops, the
oracles). Used by the tests of MAX_POOL2D, AVERAGE_POOL2D, MEAN, SOFTMAX and LOG_SOFTMAX."""
from __future__ import annotations

from typing import Any

import numpy as np

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import run_ember


def float_node(op: OpType, params: Any, in_shape: tuple[int, ...],
               out_shape: tuple[int, ...]) -> bytes:
    """A one-node float32 model: input `x` of in_shape, output `y` of out_shape."""
    graph = Graph({"x": Tensor("x", DType.FLOAT32, tuple(in_shape)),
                   "y": Tensor("y", DType.FLOAT32, tuple(out_shape))},
                  [Node(op, op.name.lower(), ["x"], ["y"], params)], ["x"], ["y"])
    return serialize(graph, plan_memory(graph))


def _run(model: bytes, inputs: list[np.ndarray], op: str, **options: Any
         ) -> tuple[list[np.ndarray], list[str]]:
    interp = Interpreter(model_content=model, **options)
    interp.allocate_tensors()
    variants = [v for o, v in zip(interp.node_ops(), interp.node_variants()) if o == op]
    assert variants, f"no {op} node in {interp.node_ops()}"
    return run_ember(model, inputs, interpreter=interp), variants


def check_fast_path(model: bytes, inputs: list[np.ndarray], op: str,
                    rtol: float | None = None, atol: float = 0.0) -> list[np.ndarray]:
    """The `op` nodes run an optimised variant by default and the reference loop under
    ISA_NONE; the default's outputs are bit-identical on 1 and 2 threads, and equal the
    reference's bit for bit, or within rtol/atol when given (an approximation). Returns the
    reference's outputs."""
    # ISA_ALL spelt out: the reference_kernels plugin turns a missing mask into ISA_NONE.
    fast1, variants = _run(model, inputs, op, num_threads=1, isa_mask=ISA_ALL)
    fast2, _ = _run(model, inputs, op, num_threads=2, isa_mask=ISA_ALL)
    ref, ref_variants = _run(model, inputs, op, num_threads=1, isa_mask=ISA_NONE)
    assert all(v != "reference" for v in variants), variants
    assert all(v == "reference" for v in ref_variants), ref_variants
    for a, b, r in zip(fast1, fast2, ref):
        assert a.tobytes() == b.tobytes(), "1 and 2 threads differ"
        if rtol is None:
            np.testing.assert_array_equal(a, r)  # NaNs equal, as the same bits in a float op
            assert np.array_equal(np.signbit(a), np.signbit(r))
        else:
            np.testing.assert_allclose(a, r, rtol=rtol, atol=atol)
    return ref
