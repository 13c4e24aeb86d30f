"""A model file's shared map gives its pages back after allocate_tensors (interpreter.py,
_release_mapped_pages): the content hash maps every page of the file into the process, prepare
copies the weights it packs, and then the map's resident pages are released (MADV_DONTNEED), so
they stop counting in the process's RSS. A constant that eval reads directly faults back in with
the same bytes."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import emberlite
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize

COUNT = 1 << 20  # a 4 MiB constant: the file is mostly its pages

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/smaps")


def _add_model(weight: np.ndarray) -> bytes:
    """y = x + w, with w a constant that ADD reads at every invoke (nothing packs it)."""
    tensors = {
        "x": Tensor("x", DType.FLOAT32, (COUNT,)),
        "w": Tensor("w", DType.FLOAT32, (COUNT,), constant_array(weight)),
        "y": Tensor("y", DType.FLOAT32, (COUNT,)),
    }
    graph = Graph(tensors, [Node(OpType.ADD, "add", ["x", "w"], ["y"], BinaryParams())],
                  ["x"], ["y"])
    return serialize(graph, plan_memory(graph))


def _mapped_rss_kib(path: Path) -> int:
    """Resident KiB of this process's maps of `path` (0 when none is mapped)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            inside = line.endswith(str(path))
        elif inside and fields[:1] == ["Rss:"]:
            total += int(fields[1])
    return total


def test_mapped_pages_released_after_allocate_and_constants_read_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=COUNT).astype(np.float32)
    x = rng.normal(size=COUNT).astype(np.float32)
    path = tmp_path / "add.ember"
    path.write_bytes(_add_model(w))
    size_kib = path.stat().st_size // 1024
    interp = emberlite.Interpreter(model_path=path)
    # The hash read the whole file through the map: its pages are resident in this process.
    assert _mapped_rss_kib(path) > size_kib // 2
    interp.allocate_tensors()
    assert _mapped_rss_kib(path) < size_kib // 8
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    y = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_array_equal(y, x + w)  # w came back from the file, unchanged


def test_owned_copy_is_left_alone(tmp_path: Path) -> None:
    """use_mmap=False: the interpreter's own copy is anonymous memory, never released (there,
    MADV_DONTNEED would zero it)."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=COUNT).astype(np.float32)
    x = rng.normal(size=COUNT).astype(np.float32)
    path = tmp_path / "add.ember"
    path.write_bytes(_add_model(w))
    interp = emberlite.Interpreter(model_path=path, use_mmap=False)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                  x + w)
