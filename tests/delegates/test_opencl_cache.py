"""The OpenCL delegate's program cache directory stays bounded: one file per graph and device
would otherwise pile up as models are updated; past 32 files the least recently used go."""
from __future__ import annotations

import os
import re

import numpy as np
from onnx import TensorProto, helper

from emberlite import Interpreter
from emberlite.converter import Converter

MAX_CACHE_FILES = 32
CACHE_FILE = re.compile(r"[0-9a-f]{64}\.bin")


def _model() -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 3])
    graph = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"])], "g", [x], [y])
    return Converter.from_onnx(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)])).convert()


def test_least_recently_used_files_go(tmp_path, make_opencl_delegate):
    stale = []
    for i in range(MAX_CACHE_FILES + 8):  # files of other graphs, used long ago, oldest first
        path = tmp_path / f"{i:064x}.bin"
        path.write_bytes(b"not a program")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
        stale.append(path.name)
    (tmp_path / "notes.txt").write_text("not a cache file")
    interp = Interpreter(model_content=_model(),
                         experimental_delegates=[make_opencl_delegate(cache_dir=str(tmp_path))])
    interp.allocate_tensors()
    assert all(p["delegate"] == "opencl" for p in interp.node_placements())
    interp.set_tensor(interp.get_input_details()[0]["index"], np.ones((1, 4, 4, 3), np.float32))
    interp.invoke()
    left = sorted(p.name for p in tmp_path.iterdir() if CACHE_FILE.fullmatch(p.name))
    new = set(left) - set(stale)
    assert len(left) == MAX_CACHE_FILES and len(new) == 1, left
    assert set(left) - new == set(stale[-(MAX_CACHE_FILES - 1):])  # the newest stale ones stay
    assert (tmp_path / "notes.txt").exists()
