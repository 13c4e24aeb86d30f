"""Helpers of the TOP_K, CUM_SUM, ONE_HOT and MOD tests (test_top_k.py, test_cum_sum.py,
test_one_hot.py, test_mod.py): one-node ONNX models, Emberlite against ONNX Runtime (or ONNX's
reference evaluator where ONNX Runtime has no kernel for the types), and IR nodes of any
number of outputs run by the C kernels and by the converter's reference evaluator."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import evaluate
from emberlite.converter.writer import serialize
from tests.helpers import convert_onnx, run_ember, run_ort

ONNX_TYPES = {np.dtype(np.float32): onnx.TensorProto.FLOAT,
              np.dtype(np.int32): onnx.TensorProto.INT32,
              np.dtype(np.int64): onnx.TensorProto.INT64,
              np.dtype(np.bool_): onnx.TensorProto.BOOL,
              np.dtype(np.float64): onnx.TensorProto.DOUBLE}


def onnx_model(node: onnx.NodeProto, inputs: dict[str, np.ndarray],
               consts: dict[str, np.ndarray], outputs: dict[str, type],
               opset: int = 13) -> onnx.ModelProto:
    """A one-node model: `inputs` are graph inputs (their arrays give type and shape),
    `consts` initializers, `outputs` the output element types (shapes left to inference)."""
    graph = helper.make_graph(
        [node], "select",
        [helper.make_tensor_value_info(n, ONNX_TYPES[v.dtype], v.shape)
         for n, v in inputs.items()],
        [helper.make_tensor_value_info(n, ONNX_TYPES[np.dtype(t)], None)
         for n, t in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), n) for n, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def oracle(model: onnx.ModelProto, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """ONNX Runtime's outputs; ONNX's reference evaluator's where ONNX Runtime has no kernel
    for the model's types."""
    try:
        return run_ort(model, inputs)
    except Exception as e:  # onnxruntime raises its own NotImplemented type
        if "NOT_IMPLEMENTED" not in str(e):
            raise
    from onnx.reference import ReferenceEvaluator

    names = [i.name for i in model.graph.input]
    return ReferenceEvaluator(model).run(None, dict(zip(names, inputs)))


def check_onnx(model: onnx.ModelProto, inputs: list[np.ndarray], rtol: float = 0.0,
               atol: float = 0.0) -> list[np.ndarray]:
    """Converts and runs `model`; each output has the oracle's shape and type and its values
    (exactly unless a tolerance is given)."""
    got = run_ember(convert_onnx(model), inputs)
    want = oracle(model, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return got


def run_ir(op: OpType, inputs: list[np.ndarray], outputs: list[tuple[tuple[int, ...], DType]],
           params: Any = None, const: tuple[int, ...] = (), quant: dict[str, Any] | None = None
           ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(Emberlite's outputs, the reference evaluator's) for one IR node; inputs at positions
    in `const` become constants; `quant` gives tensors ("x0", "y0", ...) quantization."""
    names = [f"x{i}" for i in range(len(inputs))]
    outs = [f"y{i}" for i in range(len(outputs))]
    tensors = [Tensor(n, DType.from_numpy(v.dtype), v.shape,
                      constant_array(v) if i in const else None)
               for i, (n, v) in enumerate(zip(names, inputs))]
    tensors += [Tensor(n, dtype, shape) for n, (shape, dtype) in zip(outs, outputs)]
    for t in tensors:
        t.quant = (quant or {}).get(t.name)
    graph_inputs = [n for i, n in enumerate(names) if i not in const]
    graph = Graph({t.name: t for t in tensors}, [Node(op, op.name.lower(), names, outs, params)],
                  graph_inputs, outs)
    feed = [v for i, v in enumerate(inputs) if i not in const]
    got = run_ember(serialize(graph, plan_memory(graph)), feed)
    values = evaluate(graph, dict(zip(graph_inputs, feed)))
    return got, [values[n] for n in outs]
