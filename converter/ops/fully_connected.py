"""FULLY_CONNECTED: input [..., K], weights [N, K], optional bias [N] -> [..., N]."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, has_input, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class FullyConnectedParams:
    activation: FusedActivation = FusedActivation.NONE


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 3)
    params_of(node, FullyConnectedParams)
    x = input_shape(node, graph, 0)
    w = input_shape(node, graph, 1)
    if len(x) < 1 or len(w) != 2 or x[-1] != w[1]:
        raise fail(node, f"input [..., K] and weights [N, K] do not match: {x} and {w}")
    if has_input(node, 2) and input_shape(node, graph, 2) != (w[0],):
        raise fail(node, f"bias must be [{w[0]}], got {input_shape(node, graph, 2)}")
    return [x[:-1] + (w[0],)]


FACTS = (OpFacts(OpType.FULLY_CONNECTED, FullyConnectedParams, infer_shape,
                   int8=QuantRule(weights=True), int16=QuantRule(weights=True),
                   weights=1, bias=2, weight_axis=0, tflite=("FULLY_CONNECTED", "RFFT2D"),
                   onnx=("Gemm", "MatMul", "LSTM", "GRU", "RNN", "QLinearMatMul",
                         "MatMulInteger", "DFT", "STFT")),)
