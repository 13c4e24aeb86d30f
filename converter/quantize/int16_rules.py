"""What the 16x8 quantizer needs to know of each op with an int16 (16x8) kernel: rows of the
same form as int8_rules.py's (its docstring says what each field means).

16x8 kernels read and write int16 activations with one scale and zero point 0; the weighted
ops read int8 weights, symmetric per output channel as in int8, and an int64 bias scaled by
input x weight scale. Their rules (csrc/kernels):
- ADD moves both inputs to twice the larger input scale with 15 bits of headroom, so the
  output scale must exceed 2 x the larger input scale / 2^15;
- MAX_POOL2D and RESHAPE move stored values: input and output share their params.
Every other op runs in float32 between DEQUANTIZE and QUANTIZE.
"""
from __future__ import annotations

from ..ir import Graph, Node
from ..ops import OpType
from .int8_rules import Int8Rule

INT16_RULES: dict[OpType, Int8Rule] = {
    OpType.CONV2D: Int8Rule(weights=0),
    OpType.DEPTHWISE_CONV2D: Int8Rule(weights=3),
    OpType.FULLY_CONNECTED: Int8Rule(weights=0),
    OpType.ADD: Int8Rule(min_out_scale=2.0 / 2 ** 15),
    OpType.MAX_POOL2D: Int8Rule(shared="first"),
    OpType.RESHAPE: Int8Rule(shared="first"),
}


def int16_refusal(node: Node, graph: Graph) -> str:
    """Why `node` cannot run 16x8 ("" if it can)."""
    return "" if node.op in INT16_RULES else "no int16 (16x8) kernel"
