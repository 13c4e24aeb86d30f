"""The ONNX sources of the committed compatibility files, rebuilt identically each time.

tests/compat/format_v<N>.ember were converted from `compat_model()` by the release that
introduced format version N (`python -m tests.compat.models` writes the current one, and from
format 10 its signed copy). docs/format-versions.md lists the versions.
"""
from __future__ import annotations

import hashlib
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


# Format 10 on: the file records this model_version, and format_v<N>_signed.ember is the same
# file signed with a key made from this seed (a test key: its seed is public, so it proves
# nothing about who signed; the test checks that signatures of that release still verify).
MODEL_VERSION = 10
GOLDEN_KEY_SEED = hashlib.sha256(b"emberlite golden-file test key").digest()


EXPECTED = Path(__file__).with_name("expected.npz")


def record_expected() -> None:
    """Writes EXPECTED once: inputs and ONNX Runtime's outputs at the static shape and at a
    dynamic one, which every compatibility file must keep giving."""
    import onnxruntime as ort

    rng = np.random.default_rng(2026)
    x = rng.normal(size=(1, 3, 8, 8)).astype(np.float32)
    x_dynamic = rng.normal(size=(1, 3, 5, 7)).astype(np.float32)
    run = [ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
           for m in (compat_model(), compat_model_dynamic())]
    np.savez(EXPECTED, x=x, y=run[0].run(None, {"x": x})[0], x_dynamic=x_dynamic,
             y_dynamic=run[1].run(None, {"x": x_dynamic})[0])


def golden_signing_key() -> object:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519.Ed25519PrivateKey.from_private_bytes(GOLDEN_KEY_SEED)


if __name__ == "__main__":
    from emberlite.converter import Converter
    from emberlite.converter.writer import FORMAT_VERSION  # noqa: F401  (fails loudly if renamed)
    from emberlite.signing import sign_model

    out = Path(__file__).with_name(f"format_v{FORMAT_VERSION}.ember")
    converter = Converter.from_onnx(compat_model_dynamic(), input_shapes={"x": DYNAMIC_SHAPE})
    data = converter.convert(model_version=MODEL_VERSION)
    out.write_bytes(data)
    signed = out.with_name(f"format_v{FORMAT_VERSION}_signed.ember")
    signed.write_bytes(sign_model(data, golden_signing_key()))
    print(f"wrote {out} and {signed}", file=sys.stderr)
    if not EXPECTED.exists():
        record_expected()
        print(f"wrote {EXPECTED}", file=sys.stderr)
