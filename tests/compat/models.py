"""The ONNX sources of the committed compatibility files, rebuilt identically each time.

tests/compat/format_v<N>.ember were converted from `compat_model()` by the release that
introduced format version N (`python -m tests.compat.models` writes the current one).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def compat_model() -> onnx.ModelProto:
    rng = np.random.default_rng(7)
    init = [numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w"),
            numpy_helper.from_array(rng.normal(size=(4,)).astype(np.float32), "b"),
            numpy_helper.from_array(rng.normal(size=(5, 4)).astype(np.float32), "fc")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["p"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1)]
    graph = helper.make_graph(
        nodes, "compat", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], init)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


# Format 8 on: the image's height and width stay dynamic in the file (range and bound below).
DYNAMIC_SHAPE = [1, 3, (4, 8), (4, 8)]


def compat_model_dynamic() -> onnx.ModelProto:
    """compat_model() with its input's height and width declared dynamic."""
    model = compat_model()
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for d, name in ((2, "height"), (3, "width")):
        dims[d].ClearField("dim_value")
        dims[d].dim_param = name
    return model


if __name__ == "__main__":
    from emberlite.converter import Converter
    from emberlite.converter.writer import FORMAT_VERSION  # noqa: F401  (fails loudly if renamed)

    out = Path(__file__).with_name(f"format_v{FORMAT_VERSION}.ember")
    converter = Converter.from_onnx(compat_model_dynamic(), input_shapes={"x": DYNAMIC_SHAPE})
    out.write_bytes(converter.convert())
    print(f"wrote {out}", file=sys.stderr)
