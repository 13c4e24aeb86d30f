"""The converter's own check of a file with dynamic dims: it resizes the written file to the
probe sizes in the runtime and compares every derived shape with the probe lowering's."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import Converter
from emberlite.converter.dynamic_shapes import check_at_probe
from emberlite.converter.errors import ModelImportError


def _converter() -> Converter:
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return Converter.from_onnx(model, input_shapes={"x": [1, 3, (8, 32), (8, 32)]})


def test_the_probe_agrees_with_the_runtime() -> None:
    converter = _converter()
    data = converter.convert()  # convert() runs the check itself
    probe = converter._lower(converter._source.load_probe)
    check_at_probe(data, probe)


def test_a_shape_the_runtime_derives_otherwise_is_refused() -> None:
    converter = _converter()
    data = converter.convert()
    probe = converter._lower(converter._source.load_probe)
    out = probe.outputs[0]
    shape = probe.tensors[out].shape
    probe.tensors[out] = dataclasses.replace(probe.tensors[out],
                                             shape=shape[:-1] + (shape[-1] + 1,))
    with pytest.raises(ModelImportError, match=f"tensor '{out}': the runtime derives shape"):
        check_at_probe(data, probe)
