"""HARD_SIGMOID (float32 only): ONNX HardSigmoid against ONNX Runtime with default and
other alpha and beta, on several ranks, large inputs and after a Conv. Its run back to back
with other activations is in test_activation_family.py."""
from __future__ import annotations

import pytest

from tests.kernels import activation_models
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
