"""The tiny model the demo and its test publish: y = (x + shift) * scale, with a different scale
and shift in each version, so the outputs show which version runs."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def scale_shift_model(scale: float, shift: float) -> onnx.ModelProto:
    """y = (x + shift) * scale over x of shape [1, 4]."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "shift"], ["s"]),
         helper.make_node("Mul", ["s", "scale"], ["y"])],
        "scale_shift",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(np.full([1, 4], shift, np.float32), "shift"),
         numpy_helper.from_array(np.full([1, 4], scale, np.float32), "scale")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
