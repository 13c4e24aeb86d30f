"""Whole networks on the boards: the int8 and 16x8 networks of the C tests (made by Emberlite's
quantizer), where the Cortex-M kernels and the reference kernels of the other ops run together."""
from __future__ import annotations

import numpy as np

from emberlite.converter.ir import DType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.c.make_models import INT8_MODELS
from tests.mcu.cases import McuCase

NUMPY_TYPES = {DType.INT8: np.int8, DType.INT16: np.int16}


def cases() -> list[McuCase]:
    rng = np.random.default_rng(14)
    out = []
    for name, build in INT8_MODELS.items():
        graph = build()
        inputs = []
        for t in (graph.tensors[n] for n in graph.inputs):
            info = np.iinfo(NUMPY_TYPES[t.dtype])
            inputs.append(rng.integers(info.min, info.max + 1, t.shape).astype(info.dtype))
        out.append(McuCase(name, serialize(graph, plan_memory(graph)), inputs, None))
    return out
