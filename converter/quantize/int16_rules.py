"""The 16x8 quantizer's rules (int16 activations, int8 weights), derived from the ops'
declarations as int8_rules.py derives the int8 ones.

16x8 kernels read and write int16 activations with one scale and zero point 0; the weighted
ops read int8 weights, symmetric per output channel as in int8, and an int64 bias scaled by
input x weight scale. Every op without an int16 rule runs in float32 between DEQUANTIZE and
QUANTIZE.
"""
from __future__ import annotations

from ..ir import Graph, Node
from .int8_rules import scheme_rules

INT16_RULES = scheme_rules("int16")


def int16_refusal(node: Node, graph: Graph) -> str:
    """Why `node` cannot run 16x8 ("" if it can)."""
    return "" if node.op in INT16_RULES else "no int16 (16x8) kernel"
