"""LOOKUP_TABLE (int8 only, made by the converter's fuse_int8_lookups pass): every ISA variant
gives table[x's byte] for every byte, on sizes around each vector width's tails, at 1 and 2
threads; what the kernel refuses. The pass itself: tests/converter/test_fuse_int8_lookups.py."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite import ISA_ALL, Interpreter
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.kernels.fixed_point import ISA_VARIANTS, empty_graph, int8_tensor, single_op

SIZES = [1, 15, 16, 17, 31, 33, 63, 64, 65, 255, 256, 257, 4096 + 37, 70001]


def lookup_graph(n: int, table: np.ndarray):
    g = empty_graph()
    int8_tensor(g, "x", (n,), 0.1, 3)
    int8_tensor(g, "table", (256,), 0.1, 0, data=table)
    int8_tensor(g, "out", (n,), 0.2, -7)
    return single_op(OpType.LOOKUP_TABLE, ["x", "table"], None, g)


def run(graph, x: np.ndarray, isa: int, threads: int) -> np.ndarray:
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)), isa_mask=isa,
                         num_threads=threads)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy()


@pytest.mark.parametrize("isa", ISA_VARIANTS + [pytest.param(ISA_ALL, id="all")])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("threads", [1, 2])
def test_every_byte_through_its_table(isa: int, n: int, threads: int) -> None:
    rng = np.random.default_rng(n)
    table = rng.integers(-128, 128, 256).astype(np.int8)
    x = np.resize(np.arange(256, dtype=np.uint8), n).view(np.int8)
    x = x[rng.permutation(n)]
    got = run(lookup_graph(n, table), x, isa, threads)
    assert np.array_equal(got, table[x.view(np.uint8)])


def test_a_table_that_is_not_256_constant_bytes_is_refused() -> None:
    g = empty_graph()
    int8_tensor(g, "x", (8,), 0.1, 3)
    int8_tensor(g, "table", (128,), 0.1, 0, data=np.zeros(128, np.int8))
    int8_tensor(g, "out", (8,), 0.2, -7)
    single_op(OpType.LOOKUP_TABLE, ["x", "table"], None, g)
    with pytest.raises(Exception, match="constant table of 256 entries"):
        Interpreter(model_content=serialize(g, plan_memory(g))).allocate_tensors()
