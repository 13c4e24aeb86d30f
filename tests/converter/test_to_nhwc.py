"""to_nhwc: graphs in the importer's convention (NHWC ops bracketed by transposes) lose their
transposes and still compute the same function (checked with the numpy reference)."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import TO_NCHW, TO_NHWC
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.passes import run_passes
from emberlite.converter.passes.to_nhwc import to_nhwc
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops, snapshot
from tests.converter.nhwc_graphs import const, conv, torchvision_like_cnn

def test_torchvision_like_cnn_has_no_transpose_left():
    before = torchvision_like_cnn().build()
    frozen = snapshot(before)
    after = to_nhwc(before)
    assert OpType.TRANSPOSE not in ops(after)
    assert after.metadata == {"layout.input.image": "NHWC"}
    assert after.tensors["image"].shape == (2, 16, 16, 3)
    assert_equivalent(before, after)
    assert snapshot(before) == frozen


def test_full_pipeline_on_torchvision_like_cnn():
    before = torchvision_like_cnn().build()
    after = run_passes(before)
    assert_equivalent(before, after, tol=1e-4)
    assert ops(after) == [OpType.CONV2D, OpType.MAX_POOL2D, OpType.CONV2D, OpType.CONV2D,
                          OpType.ADD, OpType.DEPTHWISE_CONV2D, OpType.CONV2D, OpType.MEAN,
                          OpType.RESHAPE, OpType.FULLY_CONNECTED]
    acts = [n.params.activation.name for n in after.nodes if hasattr(n.params, "activation")]
    assert acts == ["RELU", "NONE", "RELU", "NONE", "RELU", "RELU6", "RELU6", "NONE"]


def sandwich(middle) -> GraphBuilder:
    """input -> conv -> `middle` (NCHW ops) -> conv per output -> graph outputs."""
    b = GraphBuilder()
    h = conv(b, b.input("x", (1, 4, 6, 5)), 4, 4)
    outs = middle(b, h)
    for out in (outs if isinstance(outs, list) else [outs]):
        b.output(conv(b, out, 4, 4))
    return b


MIDDLES = {
    "unary": lambda b, h: b.node(OpType.SIGMOID, [h]),
    "leaky_clamp": lambda b, h: b.node(OpType.CLAMP, [b.node(OpType.TANH, [h])],
                                       ClampParams(-0.5, 0.5)),
    "binary_scalar": lambda b, h: b.node(OpType.SUB, [h, b.const("s", np.float32(0.3))]),
    "binary_rank3": lambda b, h: b.node(OpType.DIV, [h, const(b, "d", 1, 6, 1, positive=True)]),
    "binary_both_transposed": lambda b, h: b.node(OpType.ADD, [h, conv(b, h, 4, 4)]),
    "binary_fused": lambda b, h: b.node(OpType.MUL, [h, h], BinaryParams(1)),
    "concat_const": lambda b, h: b.node(
        OpType.SLICE, [b.node(OpType.CONCATENATION, [h, const(b, "c", 1, 2, 6, 5)],
                              ConcatenationParams(1))], SliceParams((0, 1, 0, 0), (1, 1, 1, 1)),
        shapes=[(1, 4, 6, 5)]),
    "softmax": lambda b, h: b.node(OpType.SOFTMAX, [h], SoftmaxParams(1, 2.0)),
    "mean_keepdims": lambda b, h: b.node(OpType.ADD, [h, b.node(OpType.MEAN, [h],
                                                               ReduceParams((1, 2)))]),
    "pad_slice": lambda b, h: b.node(
        OpType.SLICE, [b.node(OpType.PAD, [h], PadParams((0, 0, 1, 2, 0, 0, 2, 1),
                                                          PadMode.REFLECT))],
        SliceParams((0, 0, 3, 2), (1, 1, 1, 1)), shapes=[(1, 4, 6, 5)]),
    "gather_1d": lambda b, h: b.node(OpType.GATHER, [h, b.const("i", np.array([3, 0, -1, 1]))],
                                     GatherParams(1)),
    "split": lambda b, h: b.node(OpType.SPLIT, [h], SplitParams(2),
                                 shapes=[(1, 4, 2, 5), (1, 4, 4, 5)]),
    "silu": lambda b, h: b.node(OpType.MUL, [h, b.node(OpType.SIGMOID, [h])]),
}


@pytest.mark.parametrize("name", MIDDLES)
def test_sinks_through_layout_agnostic_ops(name):
    before = sandwich(MIDDLES[name]).build()
    after = to_nhwc(before)
    assert OpType.TRANSPOSE not in ops(after), ops(after)
    assert_equivalent(before, after)


@pytest.mark.parametrize("name,middle", [
    ("mean_dropped", lambda b, h: b.node(OpType.MEAN, [h], ReduceParams((2,)),
                                         shapes=[(1, 4, 5)])),
    ("gather_scalar", lambda b, h: b.node(OpType.GATHER, [h, b.const("i", np.array(2))],
                                          GatherParams(3))),
    ("channel_softmax_3d", lambda b, h: b.node(OpType.SOFTMAX, [b.node(
        OpType.RESHAPE, [h], shapes=[(1, 4, 30)])], SoftmaxParams(1))),
])
def test_rank_changing_ops_keep_the_function(name, middle):
    b = GraphBuilder()
    b.output(middle(b, conv(b, b.input("x", (1, 4, 6, 5)), 4, 4)))
    before = b.build()
    after = to_nhwc(before)
    assert ops(after).count(OpType.TRANSPOSE) <= 1
    assert_equivalent(before, after)


def test_non_constant_side_gets_inverse_only_when_it_pays():
    b = GraphBuilder()
    x, y = b.input("x", (1, 4, 6, 5)), b.input("y", (1, 6, 5, 4))
    h1, h2 = conv(b, x, 4, 4), conv(b, x, 4, 4)
    # Two transposed inputs and one plain one: moving costs one inverse and one output
    # transpose and removes two, so it happens.
    cat = b.node(OpType.CONCATENATION, [h1, h2, b.node(OpType.TRANSPOSE, [y],
                                                       TransposeParams(TO_NCHW))],
                 ConcatenationParams(1))
    b.output(b.node(OpType.ADD, [cat, b.input("z", (1, 12, 6, 5))]))
    before = b.build()
    after = to_nhwc(before)
    assert ops(after).count(OpType.TRANSPOSE) <= ops(before).count(OpType.TRANSPOSE) - 4
    assert_equivalent(before, after)


def test_input_normalisation_and_nchw_output():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 8, 8))
    x = b.node(OpType.SUB, [x, const(b, "mean", 1, 3, 1, 1)])
    x = b.node(OpType.DIV, [x, const(b, "std", 3, 1, 1, positive=True)])
    b.output(b.node(OpType.RELU, [conv(b, x, 3, 5)]))
    before = b.build()
    after = to_nhwc(before)
    assert OpType.TRANSPOSE not in ops(after)
    assert after.metadata == {"layout.input.x": "NHWC", "layout.output.relu_out": "NHWC"}
    assert after.tensors["relu_out"].shape == (1, 8, 8, 5)
    assert_equivalent(before, after)


def test_input_not_used_in_nhwc_stays_nchw():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 4, 4))
    b.output(b.node(OpType.SOFTMAX, [b.node(OpType.RESHAPE, [x], shapes=[(1, 48)])],
                    SoftmaxParams(1)))
    after = to_nhwc(b.build())
    assert after.metadata == {} and after.tensors["x"].shape == (1, 3, 4, 4)


def test_compose_identity_and_unit_dim_transposes():
    b = GraphBuilder()
    x = b.input("x", (2, 1, 3, 1))
    t1 = b.node(OpType.TRANSPOSE, [x], TransposeParams((1, 0, 2, 3)))
    t2 = b.node(OpType.TRANSPOSE, [t1], TransposeParams((0, 1, 3, 2)))
    t3 = b.node(OpType.TRANSPOSE, [b.node(OpType.RELU, [t2])], TransposeParams((2, 1, 0, 3)))
    b.output(t3)
    before = b.build()
    after = to_nhwc(before)
    # The three compose to (3,0,1,2) below the RELU, which keeps the size-2 dim before the
    # size-3 one and so is a reshape.
    assert ops(after) == [OpType.RELU, OpType.RESHAPE]
    assert_equivalent(before, after)


def test_cancelling_pair_between_input_and_output():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 3, 4))
    t = b.node(OpType.TRANSPOSE, [x], TransposeParams(TO_NHWC))
    b.output(b.node(OpType.TRANSPOSE, [t], TransposeParams(TO_NCHW)))
    before = b.build()
    after = to_nhwc(before)
    # The output must remain a distinct tensor computed from the input.
    assert len(after.nodes) == 1 and after.nodes[0].op != OpType.TRANSPOSE
    assert_equivalent(before, after)


def test_channel_shuffle_keeps_one_transpose():
    def shuffle(b: GraphBuilder, h: str) -> str:
        r = b.node(OpType.RESHAPE, [h], shapes=[(1, 2, 2, 6, 5)])
        t = b.node(OpType.TRANSPOSE, [r], TransposeParams((0, 2, 1, 3, 4)))
        return b.node(OpType.RESHAPE, [t], shapes=[(1, 4, 6, 5)])
    before = sandwich(shuffle).build()
    after = to_nhwc(before)
    transposes = [n for n in after.nodes if n.op == OpType.TRANSPOSE]
    assert len(transposes) == 1 and transposes[0].params.perm == (0, 1, 2, 4, 3)
    assert_equivalent(before, after)


def test_flatten_into_fully_connected_permutes_weights():
    b = GraphBuilder()
    h = b.node(OpType.RESHAPE, [conv(b, b.input("x", (2, 3, 4, 5)), 3, 6)], shapes=[(2, 120)])
    b.output(b.node(OpType.FULLY_CONNECTED, [h, const(b, "fc", 7, 120)]),
             b.node(OpType.FULLY_CONNECTED, [h, const(b, "fc", 2, 120)]))
    before = b.build()
    after = to_nhwc(before)
    assert ops(after) == [OpType.CONV2D, OpType.RESHAPE, OpType.FULLY_CONNECTED,
                          OpType.FULLY_CONNECTED]
    assert_equivalent(before, after)


def test_partial_flatten_moves_below_reshape():
    b = GraphBuilder()
    h = b.node(OpType.RESHAPE, [conv(b, b.input("x", (2, 3, 4, 5)), 3, 6)], shapes=[(2, 6, 20)])
    b.output(b.node(OpType.SOFTMAX, [h], SoftmaxParams(2)))
    before = b.build()
    after = to_nhwc(before)
    # NHWC [2,4,5,6] -> [2,20,6], softmax on axis 1, then the one transpose to [2,6,20].
    assert ops(after) == [OpType.CONV2D, OpType.RESHAPE, OpType.SOFTMAX, OpType.TRANSPOSE]
    assert after.nodes[2].params.axis == 1
    assert_equivalent(before, after)


def _max_pool_with_indices(window: int):
    """An ONNX MaxPool of a [window, 2] window with its Indices output: the importer unrolls
    the window into 2 * window SLICEs of the NCHW input, so one transpose has that many readers."""
    from onnx import TensorProto, helper

    node = helper.make_node("MaxPool", ["x"], ["v", "i"], kernel_shape=[window, 2],
                            strides=[2, 2])
    graph = helper.make_graph([node], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             [1, 2, 245, 3])],
                              [helper.make_tensor_value_info("v", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("i", TensorProto.INT64, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("visits", [None, 0, 2])
def test_transposes_read_by_many_nodes_are_searched_within_a_budget(visits, monkeypatch):
    """A transpose read by 128 slices made the search sweep the graph once per push and per
    trial (15 s for this 300-node graph); it now stops at its budget of node visits, and the
    graph it keeps gives ONNX Runtime's outputs however early it stopped."""
    import importlib

    from emberlite.converter import Converter
    from helpers import run_ember, run_ort

    module = importlib.import_module("emberlite.converter.passes.to_nhwc")
    if visits is not None:
        monkeypatch.setattr(module, "_SEARCH_VISITS_PER_NODE", visits)
    swept = []
    greedy = module._greedy

    def counted(graph, effort, *args, **kwargs):
        swept.append(effort)
        return greedy(graph, effort, *args, **kwargs)

    monkeypatch.setattr(module, "_greedy", counted)
    model = _max_pool_with_indices(64)
    x = np.random.default_rng(64).standard_normal((1, 2, 245, 3)).astype(np.float32)
    got = run_ember(Converter.from_onnx(model, io_layout="nhwc").convert(), [x])
    for g, want in zip(got, run_ort(model, [x]), strict=True):
        np.testing.assert_array_equal(g, want)
    [effort] = set(swept)
    # One sweep may overrun what was left by the nodes it visits.
    assert effort.left >= -1000
