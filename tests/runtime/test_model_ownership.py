"""Model bytes that change after verification (issue 9, item 4).

The C library verifies the model once, at create, and then reads weights and parameters from
the caller's bytes for as long as the interpreter lives. So the binding uses in place only
bytes nobody can change: a `bytes` object, or memory it owns. Each case builds an interpreter
over a model held one way, changes the caller's bytes (a SLICE begin past the input, a weight,
everything zeroed, the file truncated), then invokes in a subprocess (ownership_worker.py): the
output must be that of the untouched model, and no crash.
"""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import emberlite
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.runtime.ownership_worker import SLICE_BEGIN, WEIGHT

WORKER = Path(__file__).with_name("ownership_worker.py")
ROOT = Path(__file__).resolve().parents[2]
IN_SIZE = 5000


def _slice_add(weight: np.ndarray = WEIGHT) -> bytes:
    """y = x[SLICE_BEGIN : SLICE_BEGIN + 7] + weight, with begin and weight findable in the file."""
    count = weight.size
    tensors = {
        "x": Tensor("x", DType.FLOAT32, (IN_SIZE,)),
        "s": Tensor("s", DType.FLOAT32, (count,)),
        "w": Tensor("w", DType.FLOAT32, (count,), constant_array(weight)),
        "y": Tensor("y", DType.FLOAT32, (count,)),
    }
    nodes = [Node(OpType.SLICE, "slice", ["x"], ["s"],
                  SliceParams(begin=(SLICE_BEGIN,), step=(1,))),
             Node(OpType.ADD, "add", ["s", "w"], ["y"], BinaryParams())]
    graph = Graph(tensors, nodes, ["x"], ["y"])
    return serialize(graph, plan_memory(graph))


def _x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=IN_SIZE).astype(np.float32)


def _run(interp: emberlite.Interpreter, x: np.ndarray) -> np.ndarray:
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """The model file, the input file and the untouched model's output."""
    data = _slice_add()
    # The worker finds what it changes by value: each must be in the file exactly once.
    assert data.count(struct.pack("<Ii", 1, SLICE_BEGIN)) == 1
    assert data.count(WEIGHT.tobytes()) == 1
    folder = tmp_path_factory.mktemp("ownership")
    (folder / "m.ember").write_bytes(data)
    x = _x()
    np.save(folder / "x.npy", x)
    expected = _run(emberlite.Interpreter(model_content=data), x)
    np.testing.assert_array_equal(expected, x[SLICE_BEGIN:SLICE_BEGIN + WEIGHT.size] + WEIGHT)
    return folder / "m.ember", folder / "x.npy", expected


CASES = [(kind, mutation)
         for kind in ["readonly_memoryview_over_bytearray", "readonly_numpy_over_writable_base",
                      "bytearray", "memoryview_of_bytes", "mmap", "path_read"]
         for mutation in ["begin", "weight", "zero"]]
CASES += [("mmap", "truncate"), ("path_read", "truncate")]


@pytest.mark.parametrize(("kind", "mutation"), CASES)
def test_bytes_changed_after_create_do_not_reach_the_interpreter(
        model: tuple[Path, Path, np.ndarray], tmp_path: Path, kind: str, mutation: str) -> None:
    model_file, input_file, expected = model
    out = tmp_path / "y.npy"
    done = subprocess.run([sys.executable, str(WORKER), kind, mutation, str(model_file),
                           str(input_file), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, (f"{kind}/{mutation}: worker exited with {done.returncode}\n"
                                  f"{done.stderr[-2000:]}")
    np.testing.assert_array_equal(np.load(out), expected)


def test_aligned_bytes_are_used_in_place_and_the_rest_is_copied() -> None:
    data = _slice_add()
    address = np.frombuffer(data, dtype=np.uint8).ctypes.data
    if address % 16:
        pytest.skip(f"this Python's bytes data is not 16-byte aligned ({address:#x})")
    assert emberlite.Interpreter(model_content=data)._model is data
    frozen = np.frombuffer(data, dtype=np.uint8)  # read-only, but not bytes: copied
    assert emberlite.Interpreter(model_content=frozen)._model is not frozen


def test_model_path_read_into_memory(tmp_path: Path) -> None:
    import mmap

    path = tmp_path / "m.ember"
    path.write_bytes(_slice_add())
    x = _x()
    mapped = emberlite.Interpreter(model_path=path)
    read = emberlite.Interpreter(model_path=path, use_mmap=False)
    assert isinstance(mapped._model, mmap.mmap)
    assert not isinstance(read._model, mmap.mmap)
    np.testing.assert_array_equal(_run(read, x), _run(mapped, x))
    empty = tmp_path / "empty.ember"
    empty.write_bytes(b"")
    for use_mmap in (True, False):
        with pytest.raises(emberlite.InvalidModelError):
            emberlite.Interpreter(model_path=empty, use_mmap=use_mmap)


def test_a_mapped_model_replaced_by_rename_keeps_running(tmp_path: Path) -> None:
    """The update the docs prescribe for model_path: write a new file, rename it over the old
    one. The running interpreter keeps the old file's pages; a new one sees the new model."""
    path = tmp_path / "m.ember"
    path.write_bytes(_slice_add())
    x = _x()
    old = emberlite.Interpreter(model_path=path)
    before = _run(old, x)
    staged = tmp_path / "m.ember.new"
    staged.write_bytes(_slice_add(-WEIGHT))
    os.replace(staged, path)
    np.testing.assert_array_equal(_run(old, x), before)
    new = _run(emberlite.Interpreter(model_path=path), x)
    np.testing.assert_array_equal(new, x[SLICE_BEGIN:SLICE_BEGIN + WEIGHT.size] - WEIGHT)
