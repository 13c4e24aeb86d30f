"""The quantizer's rule of each op whose kernel it uses, derived from the ops' declarations
(`FACTS` in converter/ops/<op>.py; QuantRule in converter/ops/facts.py says what each field
means): INT8_RULES for int8, INT16_RULES (int16_rules.py) for 16x8. An op without a rule, or
whose rule says `quantizer=False` (DIV and LOG_SOFTMAX, whose int8 kernels serve imported
TFLite models), runs in float32.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..ir import Graph, Node, QuantParams
from ..ops import OPS, OpType


@dataclass(frozen=True)
class SchemeRule:
    """An op's QuantRule as a quantization scheme applies it: `weights` is the output-channel
    axis of the per-channel weights at input 1 (None: every input is an activation), `fixed`
    the output's params; the other fields are the QuantRule's."""
    weights: int | None = None
    shared: str = ""
    fixed: QuantParams | None = None
    table: Callable[[np.ndarray], np.ndarray] | None = None
    min_out_scale: float = 0.0
    accepts: Callable[[Node, Graph], str] | None = None


def scheme_rules(kind: str) -> dict[OpType, SchemeRule]:
    """The rules of the ops whose `kind` ("int8" or "int16") kernel the quantizer uses."""
    rules = {}
    for op, facts in OPS.items():
        rule = getattr(facts, kind)
        if rule is None or not rule.quantizer:
            continue
        fixed = None if rule.fixed is None else QuantParams((rule.fixed[0],), (rule.fixed[1],))
        axis = facts.weight_axis if rule.weights else None
        rules[op] = SchemeRule(axis, rule.shared, fixed, rule.table, rule.min_out_scale,
                               rule.accepts)
    return rules


INT8_RULES = scheme_rules("int8")


def int8_refusal(node: Node, graph: Graph) -> str:
    """Why `node` cannot run int8 ("" if it can)."""
    rule = INT8_RULES.get(node.op)
    if rule is None:
        return "no int8 kernel"
    return rule.accepts(node, graph) if rule.accepts is not None else ""
