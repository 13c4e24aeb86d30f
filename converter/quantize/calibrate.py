"""Calibration: run the float graph on representative data through Emberlite's own runtime and
pick a range for every float activation tensor.

The graph is rewritten so that every non-constant tensor is also a graph output. The planner
keeps outputs alive to the end of the run, so each tensor gets its own arena slot and still
holds its value after invoke; one invoke per sample then shows every intermediate tensor.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from tqdm import tqdm

from ..errors import QuantizationError
from ..ir import TO_NCHW, TO_NHWC, DType, Graph
from ..planner import plan_memory
from ..writer import serialize
from .dataset import InputSpec, SampleSource, load_dataset
from .ranges import Entropy, MinMax, Mse, Percentile, make_observer

Observer = MinMax | Percentile | Entropy | Mse


def observed_tensors(graph: Graph) -> list[str]:
    """Float activation tensors (graph inputs included) in order of first appearance."""
    return [name for name in graph.tensor_order()
            if not graph.tensors[name].is_constant
            and graph.tensors[name].dtype == DType.FLOAT32]


def calibration_graph(graph: Graph) -> Graph:
    """A copy of `graph` whose outputs are its own followed by every other activation tensor.

    Graph inputs stay inputs only: their values are read back from their own slots.
    """
    g = graph.copy()
    extra = [name for name in g.tensor_order()
             if not g.tensors[name].is_constant and name not in g.inputs]
    g.outputs = list(dict.fromkeys(g.outputs + extra))
    return g


def input_specs(graph: Graph) -> list[InputSpec]:
    """The graph inputs as the user feeds them: in the source model's layout."""
    specs = []
    for name in graph.inputs:
        t = graph.tensors[name]
        shape = tuple(t.shape)
        if graph.metadata.get(f"layout.input.{name}") == "NHWC":
            shape = tuple(shape[i] for i in TO_NCHW)
        specs.append(InputSpec(name, shape, t.dtype.numpy))
    return specs


def calibrate(graph: Graph, dataset: SampleSource, method: str = "minmax",
              percentile: float = 99.99, progress: bool = True
              ) -> dict[str, tuple[float, float]]:
    """Range (lo, hi), containing 0, of every float activation tensor of `graph` (after the
    passes, NHWC) over `dataset` (see dataset.py; in the source model's layout)."""
    # The runtime package is imported here so the converter's other parts import without it.
    from emberlite import Interpreter

    names = observed_tensors(graph)
    observers: dict[str, Observer] = {n: make_observer(method, percentile) for n in names}
    data = load_dataset(dataset, input_specs(graph))
    calib = calibration_graph(graph)
    interp = Interpreter(model_content=serialize(calib, plan_memory(calib)))
    interp.allocate_tensors()
    index = {d["name"]: d["index"] for d in interp.get_tensor_details()}
    nhwc = {n for n in graph.inputs if graph.metadata.get(f"layout.input.{n}") == "NHWC"}
    seen = 0
    samples: Iterable = tqdm(data.samples, total=data.count, disable=not progress,
                             desc="calibrating", unit="sample")
    for sample in samples:
        for name, value in sample.items():
            if name in nhwc:
                value = np.ascontiguousarray(np.transpose(value, TO_NHWC))
            interp.set_tensor(index[name], value)
        interp.invoke()
        for name, observer in observers.items():
            observer.update(interp.tensor(index[name])())
        seen += 1
    if seen == 0:
        raise QuantizationError("calibration data holds no samples")
    return {name: observer.range() for name, observer in observers.items()}
