"""Writes the small .ember models the C tests load, built from hand-made IR graphs with the
real planner and writer.

Usage: make_models.py OUT_DIR
  conv_relu_add.ember  conv2d -> relu -> add(const) -> reshape -> fully_connected
  fc.ember             fully_connected with fused relu
  concat.ember         two inputs -> relu -> concatenation -> split
  quant.ember          relu whose input carries per-channel quantization parameters (the
                       verifier's quantization checks have something to look at)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize


def _act(name: str, shape: tuple[int, ...]) -> Tensor:
    return Tensor(name, DType.FLOAT32, shape)


def _const(name: str, rng: np.random.Generator, shape: tuple[int, ...]) -> Tensor:
    data = constant_array(rng.standard_normal(shape).astype(np.float32))
    return Tensor(name, DType.FLOAT32, shape, data)


def _graph(tensors: list[Tensor], nodes: list[Node], inputs: list[str],
           outputs: list[str]) -> Graph:
    return Graph({t.name: t for t in tensors}, nodes, inputs, outputs)


def conv_relu_add() -> Graph:
    rng = np.random.default_rng(1)
    tensors = [
        _act("x", (1, 6, 6, 3)), _const("conv.w", rng, (4, 3, 3, 3)), _const("conv.b", rng, (4,)),
        _act("conv", (1, 6, 6, 4)), _act("relu", (1, 6, 6, 4)), _const("bias2", rng, (4,)),
        _act("sum", (1, 6, 6, 4)), _act("flat", (1, 144)), _const("fc.w", rng, (5, 144)),
        _const("fc.b", rng, (5,)), _act("y", (1, 5)),
    ]
    nodes = [
        Node(OpType.CONV2D, "conv", ["x", "conv.w", "conv.b"], ["conv"],
             Conv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1)),
        Node(OpType.RELU, "relu", ["conv"], ["relu"]),
        Node(OpType.ADD, "add", ["relu", "bias2"], ["sum"], BinaryParams()),
        Node(OpType.RESHAPE, "flatten", ["sum"], ["flat"], ReshapeParams()),
        Node(OpType.FULLY_CONNECTED, "fc", ["flat", "fc.w", "fc.b"], ["y"],
             FullyConnectedParams()),
    ]
    return _graph(tensors, nodes, ["x"], ["y"])


def fc() -> Graph:
    rng = np.random.default_rng(2)
    tensors = [_act("x", (2, 8)), _const("w", rng, (3, 8)), _const("b", rng, (3,)),
               _act("y", (2, 3))]
    nodes = [Node(OpType.FULLY_CONNECTED, "fc", ["x", "w", "b"], ["y"],
                  FullyConnectedParams(activation=FusedActivation.RELU))]
    return _graph(tensors, nodes, ["x"], ["y"])


def concat() -> Graph:
    tensors = [_act("a", (1, 2, 3)), _act("b", (1, 2, 5)), _act("ra", (1, 2, 3)),
               _act("cat", (1, 2, 8)), _act("s0", (1, 2, 4)), _act("s1", (1, 2, 4))]
    nodes = [
        Node(OpType.RELU, "relu", ["a"], ["ra"]),
        Node(OpType.CONCATENATION, "concat", ["ra", "b"], ["cat"], ConcatenationParams(axis=2)),
        Node(OpType.SPLIT, "split", ["cat"], ["s0", "s1"], SplitParams(axis=2)),
    ]
    return _graph(tensors, nodes, ["a", "b"], ["s0", "s1"])


def quant() -> Graph:
    x = Tensor("x", DType.FLOAT32, (1, 4, 3), quant=QuantParams((0.5, 0.25, 2.0), (0, 1, -1), 2))
    tensors = [x, _act("y", (1, 4, 3))]
    return _graph(tensors, [Node(OpType.RELU, "relu", ["x"], ["y"])], ["x"], ["y"])


MODELS = {"conv_relu_add": conv_relu_add, "fc": fc, "concat": concat, "quant": quant}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, build in MODELS.items():
        graph = build()
        data = serialize(graph, plan_memory(graph), metadata={"test.model": name})
        (out / f"{name}.ember").write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
