"""infer_shapes and the ops' infer_shape: shapes are filled in; inconsistencies raise
ShapeError naming the node."""
from __future__ import annotations

import pytest

from emberlite.converter.errors import ShapeError
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.resize import ResizeParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from emberlite.converter.passes.infer_shapes import infer_shapes


def graph(op: OpType, shapes: list[tuple[int, ...]], params: object = None,
          out: list[tuple[int, ...] | None] = (None,), dtypes: list[DType] | None = None) -> Graph:
    names = [f"in{i}" for i in range(len(shapes))]
    tensors = {n: Tensor(n, (dtypes or [DType.FLOAT32] * len(shapes))[i], s)
               for i, (n, s) in enumerate(zip(names, shapes))}
    outs = [f"out{i}" for i in range(len(out))]
    tensors.update({n: Tensor(n, DType.FLOAT32, s) for n, s in zip(outs, out)})
    return Graph(tensors, [Node(op, "the_node", names, outs, params)], names, outs)


def inferred(*args, **kwargs) -> list[tuple[int, ...]]:
    g = infer_shapes(graph(*args, **kwargs))
    return [g.tensors[n].shape for n in g.outputs]


def test_fills_shapes():
    assert inferred(OpType.CONV2D, [(2, 9, 8, 4), (6, 3, 2, 2), (6,)],
                    Conv2DParams(2, 1, 1, 2, 1, 0, 1, 1, groups=2)) == [(2, 5, 7, 6)]
    assert inferred(OpType.MAX_POOL2D, [(1, 7, 7, 3)],
                    Pool2DParams(3, 3, 2, 2, pad_top=1, pad_left=1)) == [(1, 3, 3, 3)]
    assert inferred(OpType.TRANSPOSE_CONV2D, [(1, 4, 5, 2), (3, 3, 3, 2)],
                    TransposeConv2DParams(2, 2, pad_top=1, pad_bottom=1)) == [(1, 7, 11, 3)]
    assert inferred(OpType.ADD, [(2, 1, 4), (3, 1)]) == [(2, 3, 4)]
    assert inferred(OpType.BATCH_MATMUL, [(5, 2, 3), (3, 4)]) == [(5, 2, 4)]
    assert inferred(OpType.FULLY_CONNECTED, [(2, 7, 3), (5, 3)]) == [(2, 7, 5)]
    assert inferred(OpType.MEAN, [(2, 3, 4)], ReduceParams((1,))) == [(2, 1, 4)]
    assert inferred(OpType.TRANSPOSE, [(2, 3, 4)], TransposeParams((2, 0, 1))) == [(4, 2, 3)]
    assert inferred(OpType.PAD, [(2, 3)], PadParams((1, -1, 0, 2))) == [(3, 4)]
    assert inferred(OpType.GATHER, [(4, 5), (2, 3)], GatherParams(1),
                    dtypes=[DType.FLOAT32, DType.INT64]) == [(4, 2, 3)]
    assert inferred(OpType.RESIZE, [(1, 3, 5, 2)], ResizeParams(scale_h=2.0, scale_w=1.5)) == [
        (1, 6, 7, 2)]


@pytest.mark.parametrize("op,shapes,params,out,message", [
    (OpType.CONV2D, [(1, 5, 5, 4), (2, 3, 3, 3)], Conv2DParams(), (None,), "input channels"),
    (OpType.CONV2D, [(1, 2, 2, 1), (1, 3, 3, 1)], Conv2DParams(), (None,), "smaller than"),
    (OpType.ADD, [(2, 3), (4,)], None, (None,), "broadcast"),
    (OpType.RESHAPE, [(2, 3)], None, [(4, 2)], "cannot reshape"),
    (OpType.RESHAPE, [(2, 3)], None, [None], "must carry"),
    (OpType.SLICE, [(4,)], SliceParams((1,), (2,)), [(3,)], "leave the input range"),
    (OpType.PAD, [(3,)], PadParams((3, 0), PadMode.REFLECT), (None,), "cannot take pads"),
    (OpType.TRANSPOSE, [(2, 3)], TransposeParams((0, 0)), (None,), "not a permutation"),
    (OpType.MEAN, [(2, 3)], ReduceParams((1, 0)), (None,), "ascending"),
    (OpType.TRANSPOSE_CONV2D, [(1, 4, 5, 2), (3, 3, 3, 2)], TransposeConv2DParams(2, 2),
     [(1, 11, 11, 3)], "output padding"),
    (OpType.GATHER, [(4,), (2,)], GatherParams(0), (None,), "INT32 or INT64"),
    (OpType.RELU, [(2,), (2,)], None, (None,), "inputs"),
    (OpType.ADD, [(2,), (2,)], None, [(3,)], "declared"),
])
def test_errors_name_the_node(op, shapes, params, out, message):
    with pytest.raises(ShapeError, match=message) as err:
        infer_shapes(graph(op, shapes, params, out))
    assert "the_node" in str(err.value)
