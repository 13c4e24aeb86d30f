"""A test of the data movement ops together (tests/README.md lists this family): TRANSPOSE,
SLICE, CONCATENATION, SPLIT, PAD (constant, reflect and edge), GATHER and RESHAPE in one IR
graph on 1-, 2-, 4- and 8-byte elements, checked against numpy. The ONNX importer takes
float32 only for now, so the graph is built in the IR directly. Everything else about each op
is in its tests/kernels/test_<op>.py."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.converter.ir_builder import GraphBuilder
from tests.helpers import run_ember
from tests.kernels.data_movement_models import random_array

INT_TYPES = [(DType.INT8, np.int8), (DType.UINT8, np.uint8), (DType.INT16, np.int16),
             (DType.INT32, np.int32), (DType.INT64, np.int64), (DType.FLOAT16, np.float16)]


@pytest.mark.parametrize("dtype,np_type", INT_TYPES, ids=lambda t: str(t))
def test_element_sizes(dtype: DType, np_type: type) -> None:
    """Every data movement kernel on 1-, 2-, 4- and 8-byte elements, in one graph."""
    x = random_array((2, 3, 4), np_type)
    z = random_array((2, 3, 1), np_type, seed=9)
    b = GraphBuilder()
    b.input("x", x.shape, dtype)
    b.input("z", z.shape, dtype)
    b.const("gi", np.array([[2, -3]], np.int32))
    t = b.node(OpType.TRANSPOSE, ["x"], TransposeParams((2, 0, 1)))
    s = b.node(OpType.SLICE, [t], SliceParams((3, 0, 0), (-2, 1, 2)), shapes=[(2, 2, 2)])
    c = b.node(OpType.CONCATENATION, ["x", "z", "x"], ConcatenationParams(axis=2))
    p0, p1 = b.node(OpType.SPLIT, [c], SplitParams(axis=2), shapes=[(2, 3, 2), (2, 3, 7)])
    pc = b.node(OpType.PAD, [p0], PadParams((1, 0, 2, 0, 2, 1)))
    pr = b.node(OpType.PAD, [p1], PadParams((1, 2, 3, 0, 1, 3), PadMode.REFLECT))
    pe = b.node(OpType.PAD, [p1], PadParams((0, 1, 2, 1, 0, 1), PadMode.EDGE))
    g = b.node(OpType.GATHER, ["x", "gi"], GatherParams(axis=1), dtype=dtype)
    r = b.node(OpType.RESHAPE, [g], shapes=[(16,)])
    b.output(s, p0, pc, pr, pe, r)
    graph = b.build()
    got = run_ember(serialize(graph, plan_memory(graph)), [x, z])

    joined = np.concatenate([x, z, x], axis=2)
    want = [x.transpose(2, 0, 1)[3::-2, 0:2, 0::2], joined[..., :2],
            np.pad(joined[..., :2], [(1, 0), (0, 2), (2, 1)]),
            np.pad(joined[..., 2:], [(1, 0), (2, 1), (3, 3)], mode="reflect"),
            np.pad(joined[..., 2:], [(0, 1), (1, 0), (2, 1)], mode="edge"),
            np.take(x, [[2, -3]], axis=1).reshape(-1)]
    for i, (a, w) in enumerate(zip(got, want)):
        assert a.dtype == w.dtype and a.shape == w.shape, (i, a.dtype, a.shape, w.shape)
        np.testing.assert_array_equal(a, w, err_msg=f"output {i}")
