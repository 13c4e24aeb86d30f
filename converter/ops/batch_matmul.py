"""BATCH_MATMUL: a [..., M, K] x b [..., K, N] with numpy broadcasting of batch dims."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BatchMatMulParams:
    adj_a: bool = False
    adj_b: bool = False
