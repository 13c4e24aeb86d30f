"""Graph.drop_unused_tensors: the one pruning of tensors that the importers, the passes and
the weight-only quantizer share."""
from __future__ import annotations

import numpy as np

from emberlite.converter.ops import OpType
from tests.converter.ir_builder import GraphBuilder


def test_drop_unused_tensors_keeps_the_interface_and_the_order():
    b = GraphBuilder()
    b.const("unread_first", np.zeros(3, np.float32))
    x = b.input("x", (2, 3))
    b.input("unread_input", (5,))
    w = b.const("w", np.ones((2, 3), np.float32))
    y = b.node(OpType.ADD, [x, w])
    b.const("unread_last", np.zeros(3, np.float32))
    b.output(y)
    g = b.build()
    g.drop_unused_tensors()
    # A graph input stays even when no node reads it; the others keep their order.
    assert list(g.tensors) == ["x", "unread_input", "w", y]
