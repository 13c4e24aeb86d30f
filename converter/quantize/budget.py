"""Accuracy budget: keep the layers that hurt most in float32, one step at a time, until the
quantized model meets a target on the calibration data.

The target is either the output SNR (dB, of the worst graph output; the budget holds when it
is at least the target) or a user metric `metric(float_outputs, quant_outputs) -> float` that
measures a loss (accuracy points lost, an error...; the budget holds when it is at most the
tolerance). Both dicts map each graph output's name to its values over every calibration
sample, stacked along the first axis, float32, in the source model's layout.

The same holds for 16x8 (scheme INT16X8): "int8 layer" below then reads "int16 layer".

Each step measures the current model (report.measure), takes the int8 layer that adds the most
noise itself (its noise-to-signal ratio minus that of its worst input) and keeps it in float.
An int8 tensor is quantized where it is produced, so when the harm comes from quantizing the
layer's input (an outlier channel that per-tensor params crush), only keeping the producer in
float too removes it: the step therefore also tries the layer together with the int8 layers
feeding it, and takes whichever of the two measures better (the smaller on a tie).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import QuantizationError
from ..ir import Graph
from .dataset import Sample
from .quantize_int8 import INT8, Scheme, quantize_graph
from .report import Budget, FloatRun, LayerError, Measurement, QuantizationReport, measure

Metric = Callable[[dict[str, np.ndarray], dict[str, np.ndarray]], float]
OUTPUT_SNR = "output_snr_db"


@dataclass(frozen=True)
class _Goal:
    target: float
    metric: Metric | None

    @property
    def name(self) -> str:
        if self.metric is None:
            return OUTPUT_SNR
        return getattr(self.metric, "__name__", type(self.metric).__name__)

    def value(self, m: Measurement) -> float:
        if self.metric is None:
            return min(e.snr_db for e in m.report.outputs)
        value = float(self.metric(m.float_outputs, m.quant_outputs))
        if math.isnan(value):
            raise QuantizationError(f"the accuracy metric {self.name} returned nan")
        return value

    def holds(self, value: float) -> bool:
        return value >= self.target if self.metric is None else value <= self.target

    def better(self, a: float, b: float) -> bool:
        return a > b if self.metric is None else a < b


def fit_budget(graph: Graph, ranges: dict[str, tuple[float, float]], method: str, io: str,
               samples: list[Sample], target: float, metric: Metric | None = None,
               keep_float: Sequence[str] = (), progress: bool = False,
               scheme: Scheme = INT8) -> tuple[Graph, QuantizationReport]:
    """The quantized graph meeting the budget (or, when even all-float layers cannot, the
    one with every int8-capable layer in float) and its report, whose `budget` says what was
    kept in float and what it cost in bytes."""
    goal = _Goal(float(target), metric)
    reference = FloatRun(graph, samples)

    def evaluate(kept: list[str]) -> tuple[Graph, Measurement, float]:
        q = quantize_graph(scheme, graph, ranges, method, io, [*keep_float, *kept])
        m = measure(graph, q, samples, progress, reference)
        return q, m, goal.value(m)

    kept: list[str] = []
    q, m, value = evaluate(kept)
    before, size_before = value, m.report.size_bytes
    while not goal.holds(value):
        worst = _worst_quantized_layer(m.report)
        if worst is None:
            break
        best = None
        for option in _options(graph, m.report, worst):
            tried = evaluate(kept + option)
            if best is None or goal.better(tried[2], best[1][2]):
                best = (option, tried)
        option, (q, m, value) = best
        kept += option
    m.report.budget = Budget(goal.target, goal.name, before, value, goal.holds(value), kept,
                             m.report.size_bytes - size_before)
    return q, m.report


def _worst_quantized_layer(report: QuantizationReport) -> LayerError | None:
    """The quantized layer that adds the most noise; None when none adds any (a transpose or
    a reshape of int8 data is exact: keeping it in float would gain nothing)."""
    def harm(e: LayerError) -> float:
        added = e.added_noise
        return 0.0 if math.isnan(added) else added

    int8 = [e for e in report.layers if e.precision != "float32" and harm(e) > 0.0]
    if not int8:
        return None

    # The first of equals in report order (worst SNR first) keeps the choice deterministic.
    return max(int8, key=harm)


def _options(graph: Graph, report: QuantizationReport, worst: LayerError) -> list[list[str]]:
    """[the layer alone] and, if int8 layers feed it, [the layer and those]."""
    int8 = {e.layer for e in report.layers if e.precision != "float32"}
    producers = graph.producers()
    node = next(n for n in graph.nodes if n.name == worst.layer)
    feeders = [producers[i].name for i in node.inputs
               if i in producers and producers[i].name in int8]
    feeders = list(dict.fromkeys(f for f in feeders if f != worst.layer))
    return [[worst.layer]] + ([[worst.layer, *feeders]] if feeders else [])
