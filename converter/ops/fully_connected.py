"""FULLY_CONNECTED: input [..., K], weights [N, K], optional bias [N] -> [..., N]."""
from __future__ import annotations

from dataclasses import dataclass

from . import FusedActivation


@dataclass(frozen=True)
class FullyConnectedParams:
    activation: FusedActivation = FusedActivation.NONE
