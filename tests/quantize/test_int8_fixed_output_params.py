"""The int8 quantizer gives SOFTMAX, SIGMOID and TANH the fixed output quantization their
int8 kernels need, whatever the calibrated range, and a RESHAPE sharing the group takes it too.
Each op's own quantizer checks (one-op models run int8, close to float and bit-exact with the
numpy model of its kernel) are in tests/kernels/test_<op>.py, built on int8_op_checks.py."""
from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from tests.quantize.int8_op_checks import info, quantized
from tests.quantize.models import onnx_model


def test_fixed_output_params() -> None:
    # SOFTMAX and SIGMOID write scale 1/256 zero point -128, TANH 1/128 and 0, whatever the
    # range, and a group shared with a RESHAPE takes them too.
    rng = np.random.default_rng(6)
    calib = list((3 * rng.standard_normal((16, 4, 16))).astype(np.float32))
    for op, want in [("Softmax", ((1 / 256,), (-128,))), ("Sigmoid", ((1 / 256,), (-128,))),
                     ("Tanh", ((1 / 128,), (0,)))]:
        nodes = [helper.make_node(op, ["x"], ["a"], name="op"),
                 helper.make_node("Reshape", ["a", "shape"], ["y"], name="flat")]
        model = onnx_model(nodes, [info("x", [1, 4, 16])], [info("y", [64])],
                           [numpy_helper.from_array(np.array([64], np.int64), "shape")])
        q = quantized(model, calib)
        for name in ("a", "y"):
            assert (q.tensors[name].quant.scale, q.tensors[name].quant.zero_point) == want, op
