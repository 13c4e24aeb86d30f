"""remove_dead: unused nodes and tensors go, reshape chains merge, no-op reshapes vanish."""
from __future__ import annotations

import numpy as np

from emberlite.converter.ops import OpType
from emberlite.converter.passes.remove_dead import remove_dead
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops


def test_removes_dead_nodes_tensors_and_reshapes():
    b = GraphBuilder()
    x = b.input("x", (2, 3, 4))
    b.input("unused_input", (5,))
    dead = b.node(OpType.SIGMOID, [b.node(OpType.TANH, [x])])
    b.const("unused_const", np.zeros(3, np.float32))
    r1 = b.node(OpType.RESHAPE, [x], shapes=[(6, 4)])
    r2 = b.node(OpType.RESHAPE, [r1], shapes=[(24,)])
    same = b.node(OpType.RESHAPE, [b.node(OpType.RELU, [r2])], shapes=[(24,)])
    b.output(same)
    before = b.build()
    after = remove_dead(before)
    assert ops(after) == [OpType.RESHAPE, OpType.RELU]
    assert after.nodes[0].inputs == [x] and after.tensors[after.nodes[0].outputs[0]].shape == (24,)
    assert not {dead, "unused_const", r1} & set(after.tensors)
    assert after.inputs == ["x", "unused_input"] and after.outputs == [same]
    assert_equivalent(before, after)


def test_keeps_reshape_used_elsewhere_and_interface_copies():
    b = GraphBuilder()
    x = b.input("x", (2, 3))
    r1 = b.node(OpType.RESHAPE, [x], shapes=[(3, 2)])
    r2 = b.node(OpType.RESHAPE, [r1], shapes=[(6,)])
    copy = b.node(OpType.RESHAPE, [x], shapes=[(2, 3)])
    b.output(r1, r2, copy)
    before = b.build()
    after = remove_dead(before)
    # r1 is an output; r2 now reads x directly; the copy of an input as an output must stay.
    assert [n.inputs for n in after.nodes] == [[x], [x], [x]]
    assert_equivalent(before, after)
