"""IR graphs for the converter tests: a builder (shapes come from the ops' infer_shape unless
given) and an equivalence check of two graphs with the numpy reference."""
from __future__ import annotations

import numpy as np

from emberlite.converter import reference
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OPS, OpType


class GraphBuilder:
    def __init__(self) -> None:
        self.graph = Graph(tensors={}, nodes=[], inputs=[], outputs=[])

    def input(self, name: str, shape: tuple[int, ...], dtype: DType = DType.FLOAT32) -> str:
        self.graph.tensors[name] = Tensor(name, dtype, tuple(shape))
        self.graph.inputs.append(name)
        return name

    def const(self, name: str, value: np.ndarray) -> str:
        arr = constant_array(value)
        self.graph.tensors[name] = Tensor(name, DType.from_numpy(arr.dtype), arr.shape, arr)
        return name

    def node(self, op: OpType, inputs: list[str], params: object = None,
             shapes: list[tuple[int, ...]] | None = None, n_outputs: int = 1,
             dtype: DType | None = None, name: str | None = None) -> str | list[str]:
        """Adds a node; returns its output name (a list when it has several outputs)."""
        name = name or self.graph.unique_name(op.name.lower())
        if params is None and OPS[op].params_cls is not None:
            params = OPS[op].params_cls()
        count = len(shapes) if shapes else n_outputs
        outputs = [self.graph.unique_name(f"{name}_out{i}" if count > 1 else f"{name}_out")
                   for i in range(count)]
        if dtype is None:
            dtype = self.graph.tensors[inputs[0]].dtype
        for i, out in enumerate(outputs):
            self.graph.tensors[out] = Tensor(out, dtype, tuple(shapes[i]) if shapes else None)
        node = Node(op, name, list(inputs), outputs, params)
        for out, shape in zip(outputs, OPS[op].infer_shape(node, self.graph)):
            self.graph.tensors[out].shape = tuple(shape)
        self.graph.nodes.append(node)
        return outputs if count > 1 else outputs[0]

    def output(self, *names: str) -> None:
        self.graph.outputs.extend(names)

    def build(self) -> Graph:
        return self.graph


def random_inputs(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(graph.tensors[name].shape).astype(np.float32)
            for name in graph.inputs}


def assert_equivalent(before: Graph, after: Graph, seed: int = 0, tol: float = 1e-5) -> None:
    """`after` computes the same outputs as `before` on random inputs. Inputs and outputs that
    a pass stored NHWC (metadata layout.*) are converted from and to `before`'s layout."""
    assert before.outputs == after.outputs
    inputs = random_inputs(before, seed)
    want = reference.evaluate(before, inputs)
    converted = {name: (value.transpose(0, 2, 3, 1)
                        if after.metadata.get(f"layout.input.{name}") == "NHWC" else value)
                 for name, value in inputs.items()}
    got = reference.evaluate(after, converted)
    for name in before.outputs:
        value = got[name]
        if after.metadata.get(f"layout.output.{name}") == "NHWC":
            value = value.transpose(0, 3, 1, 2)
        scale = float(np.max(np.abs(want[name]))) or 1.0
        assert value.shape == want[name].shape, (name, value.shape, want[name].shape)
        np.testing.assert_allclose(value, want[name], rtol=0, atol=tol * scale, err_msg=name)


def ops(graph: Graph) -> list[OpType]:
    return [node.op for node in graph.nodes]


def snapshot(graph: Graph) -> tuple:
    """Everything observable about a graph, as comparable plain data."""
    tensors = tuple((k, t.name, t.dtype, t.shape, t.quant,
                     None if t.data is None else (t.data.dtype.str, t.data.tobytes()))
                    for k, t in graph.tensors.items())
    nodes = tuple((n.op, n.name, tuple(n.inputs), tuple(n.outputs), n.params)
                  for n in graph.nodes)
    return tensors, nodes, tuple(graph.inputs), tuple(graph.outputs), tuple(graph.metadata.items())
