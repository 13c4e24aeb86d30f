"""The conversion's size budgets (converter/limits.py, issue 9 item 5): constants computed by
folding are refused before their array exists, naming the node, the size and the budget;
a planned arena over its budget is refused naming the largest tensor; the nodes an import
makes (unrolled recurrences) are bounded; every budget can be raised."""
from __future__ import annotations

import tracemalloc

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tflite.BuiltinOperator import BuiltinOperator

from emberlite.converter import Converter
from emberlite.converter.errors import SizeLimitError
from emberlite.converter.importers.tflite import import_tflite
from emberlite.converter.limits import MIB, Budget, Limits
from emberlite.converter.ops import OpType
from emberlite.converter.passes.fold_constants import fold_constants
from helpers import run_ember
from malformed_models import (constant_of_shape_bomb, conv_im2col_bomb, resize_arena_bomb,
                              tflite_add_bomb, tflite_bytes, tile_bomb)
from tests.converter.ir_builder import GraphBuilder
from tests.importers.tflite_files import lstm_file


def _peak_bytes(fn) -> tuple[BaseException | None, int]:
    """What `fn()` raised, and the peak of Python and numpy allocations while it ran."""
    tracemalloc.start()
    try:
        fn()
        raised = None
    except SizeLimitError as e:
        raised = e
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


@pytest.mark.parametrize("make, op", [(constant_of_shape_bomb, "ConstantOfShape"),
                                      (tile_bomb, "Tile")])
def test_onnx_fold_bomb_is_refused_before_allocating(make, op) -> None:
    data = make()
    raised, peak = _peak_bytes(lambda: Converter.from_onnx(data).convert())
    assert raised is not None, "a 1 GiB folded constant converted under the default budget"
    message = str(raised)
    for needle in (f"node 'bomb' ({op})", "GiB", "512.0 MiB", "max_constant_bytes",
                   "--max-constant-mb"):
        assert needle in message, message
    assert peak < 64 * MIB, f"peak {peak} bytes: the constant was allocated before the check"


def test_onnx_conv_fold_is_charged_for_its_im2col_columns() -> None:
    """The output (1037 x 1037) and the padded input (1100 x 1100) fit the budget; the
    evaluator's columns (4096 values and two int64 indices per output element) do not."""
    raised, peak = _peak_bytes(lambda: Converter.from_onnx(conv_im2col_bomb()).convert())
    assert raised is not None, "a Conv folding through ~100 GiB of columns was evaluated"
    assert "node 'bomb' (Conv) (its im2col columns)" in str(raised), raised
    assert peak < 64 * MIB


def test_onnx_range_length_is_counted_without_wrapping() -> None:
    """ONNX's shape inference wraps (6 - -2^63) / (2^31 - 1) to a few elements; numpy would
    make 2^32 of them (32 GiB)."""
    ints = [numpy_helper.from_array(np.array(v, np.int64), n)
            for n, v in (("a", -2**63), ("b", 6), ("d", 2**31 - 1))]
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"], name="bomb"),
             helper.make_node("Cast", ["r"], ["c"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes + [helper.make_node("Add", ["x", "c"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              ints)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    raised, peak = _peak_bytes(lambda: Converter.from_onnx(data).convert())
    assert raised is not None and "node 'bomb' (Range)" in str(raised), raised
    assert "32.0 GiB" in str(raised) and peak < 64 * MIB


def test_onnx_empty_mask_of_huge_dims_is_refused_by_name() -> None:
    """Dropout's mask of shape [0, 2^40, 2^40] is empty, but numpy refuses to size it."""
    graph = helper.make_graph(
        [helper.make_node("Dropout", ["x"], ["y", "mask"], name="drop")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [0, 2**40, 2**40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("mask", TensorProto.BOOL, None)])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(SizeLimitError, match=r"node 'drop'.*multiply past"):
        Converter.from_onnx(data).convert()


def test_onnx_conv_fold_within_the_budget_still_folds() -> None:
    data = conv_im2col_bomb(n=40, k=3)
    got = run_ember(Converter.from_onnx(data).convert(), [np.zeros(1, np.float32)])[0]
    assert got.shape == (1, 1, 38, 38) and np.all(got == 4.5)


def test_tflite_fold_bomb_is_refused_before_allocating() -> None:
    data = tflite_add_bomb(16384)
    raised, peak = _peak_bytes(lambda: Converter.from_tflite(data).convert())
    assert raised is not None and "operator 0 (ADD)" in str(raised), raised
    assert peak < 64 * MIB


def test_tflite_pack_of_one_constant_many_times_is_refused_before_stacking() -> None:
    # A 256 KiB constant listed 4096 times: a 1 GiB PACK from a 300 KiB file.
    c = np.ones((256, 256), np.float32)
    n = 4096
    data = tflite_bytes([("x", [1], None), ("c", [256, 256], c), ("p", [n, 256, 256], None),
                         ("y", [n, 256, 256], None)],
                        [(BuiltinOperator.PACK, [1] * n, [2]),
                         (BuiltinOperator.ADD, [0, 2], [3])], [0], [3])
    raised, peak = _peak_bytes(lambda: Converter.from_tflite(data).convert())
    assert raised is not None and "operator 0 (PACK)" in str(raised) \
        and "[4096, 256, 256] float32 of 1.0 GiB" in str(raised), raised
    assert peak < 64 * MIB


def test_constant_budget_can_be_raised() -> None:
    data = constant_of_shape_bomb(512)      # one 1 MiB constant
    with pytest.raises(SizeLimitError, match=r"\[512, 512\] float32 of 1.0 MiB"):
        Converter.from_onnx(data, max_constant_bytes=MIB - 1).convert()
    ember = Converter.from_onnx(data, max_constant_bytes=MIB).convert()
    x = np.array([2.5], np.float32)
    [y] = run_ember(ember, [x])
    np.testing.assert_array_equal(y, np.full((512, 512), 2.5, np.float32))


def test_tflite_constant_budget_can_be_raised() -> None:
    data = tflite_add_bomb(64)              # a 16 KiB folded constant
    with pytest.raises(SizeLimitError, match=r"operator 0 \(ADD\)"):
        Converter.from_tflite(data, max_constant_bytes=16 * 1024 - 1).convert()
    [y] = run_ember(Converter.from_tflite(data, max_constant_bytes=16 * 1024).convert(),
                    [np.array([[1.5]], np.float32)])
    np.testing.assert_array_equal(y, np.full((64, 64), 3.5, np.float32))


def test_budget_counts_all_folded_constants_together() -> None:
    # Two ConstantOfShape nodes of 600 KiB each: either fits in 1 MiB, not both.
    s = numpy_helper.from_array(np.array([600, 256], np.int64), "s")
    nodes = [helper.make_node("ConstantOfShape", ["s"], ["c1"], name="first"),
             helper.make_node("ConstantOfShape", ["s"], ["c2"], name="second"),
             helper.make_node("Add", ["x", "c1"], ["t"]),
             helper.make_node("Add", ["t", "c2"], ["y"])]
    graph = helper.make_graph(nodes, "two", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, None)], [s])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(SizeLimitError, match=r"node 'second' .* folded before it"):
        Converter.from_onnx(model, max_constant_bytes=MIB).convert()
    Converter.from_onnx(model, max_constant_bytes=2 * MIB).convert()


def test_fold_constants_pass_checks_before_evaluating() -> None:
    b = GraphBuilder()
    x = b.input("x", (1, 1))
    big = b.node(OpType.ADD, [b.const("a", np.ones((300, 1), np.float32)),
                              b.const("b", np.ones((1, 300), np.float32))], name="outer")
    b.output(b.node(OpType.ADD, [x, big]))
    graph = b.build()
    with pytest.raises(SizeLimitError, match=r"node 'outer' \(add\).*\[300, 300\] float32"):
        fold_constants(graph, Budget(Limits(max_constant_bytes=300 * 300 * 4 - 1)))
    folded = fold_constants(graph, Budget(Limits(max_constant_bytes=300 * 300 * 4)))
    np.testing.assert_array_equal(folded.tensors[big].data, np.full((300, 300), 2.0))


def test_arena_bomb_is_refused() -> None:
    with pytest.raises(SizeLimitError, match=r"output '[^']+' of node 'up' \(resize\) "
                                             r"\[1, 256000, 256000, 3\].*arena budget"):
        Converter.from_onnx(resize_arena_bomb()).convert()


def _two_relus(n: int) -> onnx.ModelProto:
    """x -> Relu -> Relu -> y, each [1, n] float32; the planned arena holds x, y and t."""
    nodes = [helper.make_node("Relu", ["x"], ["t"], name="r1"),
             helper.make_node("Relu", ["t"], ["y"], name="r2")]
    graph = helper.make_graph(nodes, "relus", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, n])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [1, n])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_planned_arena_budget_can_be_raised() -> None:
    from emberlite.schema.Model import Model

    model = _two_relus(4096)                 # 16 KiB per tensor
    arena = Model.GetRootAs(Converter.from_onnx(model).convert(), 0).ArenaSize()
    assert arena > 16 * 1024                 # more than any one tensor
    with pytest.raises(SizeLimitError, match=rf"planned arena is .*\({arena} B\).*largest "
                                             rf"tensor: .*\[1, 4096\], 16.0 KiB"):
        Converter.from_onnx(model, max_arena_bytes=arena - 1).convert()
    Converter.from_onnx(model, max_arena_bytes=arena).convert()


def test_one_tensor_over_the_arena_budget_is_refused_before_quantizing() -> None:
    model = _two_relus(4096)
    samples = [np.zeros((1, 4096), np.float32)]
    converter = Converter.from_onnx(model, max_arena_bytes=16 * 1024 - 1)
    converter.quantize("int8", dataset=samples)
    with pytest.raises(SizeLimitError, match=r"graph input 'x' \[1, 4096\] float32 needs"):
        converter.convert()


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_limits_must_be_byte_counts(bad) -> None:
    with pytest.raises(ValueError, match="max_constant_bytes"):
        Converter.from_onnx(_two_relus(4), max_constant_bytes=bad)


def test_unrolled_recurrence_is_bounded_by_the_node_budget() -> None:
    """A 200-step layer-norm LSTM unrolls into thousands of nodes: refused by name under a
    smaller node budget, before the import has made more than the budget."""
    data, _ = lstm_file(steps=200, layer_norm=True)
    with pytest.raises(SizeLimitError) as raised:
        Converter.from_tflite(data, max_nodes=1000).convert()
    for needle in ("node 'y'", "more than 1000 IR nodes",
                   "max_nodes=N", "--max-nodes"):
        assert needle in str(raised.value), raised.value
    budget = Budget(Limits(max_nodes=1000))
    with pytest.raises(SizeLimitError):
        import_tflite(data, budget)
    assert budget.nodes == 1000
    Converter.from_tflite(data).convert()


def test_node_budget_counts_every_importer_node() -> None:
    """The budget a conversion needs is the node count its import makes: one less refuses."""
    data, _ = lstm_file(steps=3)
    made = len(import_tflite(data).nodes)
    Converter.from_tflite(data, max_nodes=made).convert()
    with pytest.raises(SizeLimitError, match=f"more than {made - 1} IR nodes"):
        Converter.from_tflite(data, max_nodes=made - 1).convert()


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_node_limit_must_be_a_count(bad) -> None:
    with pytest.raises(ValueError, match=r"max_nodes must be a non-negative int \(nodes\)"):
        Converter.from_onnx(_two_relus(4), max_nodes=bad)


def test_tflite_op_constants_are_charged_to_the_conversions_budget() -> None:
    """The LSTM's zero states ([16, 64] float32, 4 KiB each) are made from shapes: charged to
    the budget the caller gave, not to a default one."""
    data, _ = lstm_file(steps=2, batch=16, hidden=64)
    with pytest.raises(SizeLimitError, match=r"node 'y': folding it would make a constant "
                                             r"\[16, 64\] float32 of 4.0 KiB \(4096 B\) \(after 4.0 KiB"):
        Converter.from_tflite(data, max_constant_bytes=6 * 1024).convert()
