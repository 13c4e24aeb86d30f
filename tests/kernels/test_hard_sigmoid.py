"""HARD_SIGMOID (float32 only): ONNX HardSigmoid against ONNX Runtime with default and
other alpha and beta, on several ranks, large inputs and after a Conv. Its run back to back
with other activations is in test_activation_family.py."""
from __future__ import annotations

import pytest

from emberlite.converter.ops import OpType
from emberlite.converter.ops.hard_sigmoid import HardSigmoidParams
from tests.kernels import activation_models, elementwise_checks
from tests.kernels.activation_models import SHAPES, param_id

SIMPLE = [("HardSigmoid", {}), ("HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}),
          ("HardSigmoid", {"alpha": 0.5, "beta": 0.1}),
          ("HardSigmoid", {"alpha": -0.3, "beta": 0.7})]


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation(op: str, attrs: dict[str, float], shape: tuple[int, ...]) -> None:
    activation_models.check_activation(op, attrs, shape)


@pytest.mark.parametrize("op", ["HardSigmoid"])
def test_large_inputs(op: str) -> None:
    activation_models.check_large_inputs(op)


@pytest.mark.parametrize("op,attrs", SIMPLE, ids=param_id)
def test_after_conv(op: str, attrs: dict[str, float]) -> None:
    activation_models.check_after_conv(op, attrs)


# ---- float32 microkernels (csrc/ukernels/vunary.h) -----------------------------------------


@pytest.mark.parametrize("params", [HardSigmoidParams(0.2, 0.5), HardSigmoidParams(-0.1666667, 0.25)])
@pytest.mark.parametrize("shape", elementwise_checks.UNARY_SHAPES, ids=str)
def test_fast_path(shape: tuple[int, ...], params: object) -> None:
    """The vunary microkernel, threaded: the reference's bits, for 1 and 2 threads."""
    elementwise_checks.check_unary(OpType.HARD_SIGMOID, shape, "vunary_f32_hard_sigmoid_", params)
