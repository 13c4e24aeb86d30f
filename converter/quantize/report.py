"""Per-layer quantization error: the float graph and the quantized graph both run on the
calibration data through Emberlite's runtime with every tensor observable (as calibrate.py
does), and each layer's output in the quantized graph, dequantized where it is int8 (or int16),
is compared with the float graph's. Every layer sees the real quantized pipeline upstream of
it, so the numbers are what the quantized model computes, errors carried from earlier layers
included.

For a layer with float output f and quantized output q over all samples:
    SNR (dB) = 10 log10(sum f^2 / sum (f - q)^2)       (inf when q == f)
    cosine   = sum f q / sqrt(sum f^2 sum q^2)
`input_snr_db` is the worst SNR among the layer's activation inputs; the noise a layer adds
itself is its noise-to-signal ratio minus that of its worst input, which ranks the layers the
accuracy budget keeps in float.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..errors import QuantizationError
from ..ir import DType, Graph
from ..planner import plan_memory
from ..writer import serialize
from .calibrate import TO_NCHW, TO_NHWC, calibration_graph
from .dataset import Sample


# The activation types of quantized graphs (uint8 only at the graph's edges).
_QUANTIZED = {DType.INT8, DType.INT16, DType.UINT8}


@dataclass(frozen=True)
class LayerError:
    layer: str                              # node name (the ONNX node's name where it had one)
    op: str
    tensor: str                             # the node output measured
    precision: str                          # "int8", "int16" or "float32": how it runs
    snr_db: float
    cosine: float
    input_snr_db: float                     # worst activation input; inf for exact inputs

    @property
    def added_noise(self) -> float:
        """Noise-to-signal ratio this layer adds beyond its worst input's."""
        return _nsr(self.snr_db) - _nsr(self.input_snr_db)


@dataclass
class Budget:
    target: float                           # dB of output SNR, or the metric's tolerance
    metric: str                             # "output_snr_db" or the user metric's name
    before: float                           # the metric with every int8-capable layer int8
    after: float
    met: bool
    kept_float: list[str] = field(default_factory=list)   # in the order they were kept
    size_cost_bytes: int = 0                 # file size with the kept layers minus without


@dataclass
class QuantizationReport:
    layers: list[LayerError]                # worst SNR first
    outputs: list[LayerError]               # the graph outputs, in graph order
    float_layers: list[str]                 # every layer that runs in float32
    samples: int
    size_bytes: int                         # of the quantized graph's file
    budget: Budget | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return _finite_json(d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(self.to_json())

    def table(self, limit: int | None = None) -> str:
        """The report as plain text: layers worst first (the first `limit`), then outputs."""
        rows = self.layers if limit is None else self.layers[:limit]
        lines = [f"per-layer quantization error over {self.samples} calibration sample(s), "
                 f"worst first:", _header()]
        lines += [_row(e) for e in rows]
        if len(rows) < len(self.layers):
            lines.append(f"  ... {len(self.layers) - len(rows)} more")
        lines += ["outputs:", _header()] + [_row(e) for e in self.outputs]
        lines.append(f"size {self.size_bytes} bytes; {len(self.float_layers)} layer(s) in "
                     f"float32" + (f": {', '.join(self.float_layers)}" if self.float_layers
                                   else ""))
        if self.budget is not None:
            b = self.budget
            state = "met" if b.met else "NOT met"
            lines.append(f"accuracy budget {b.metric} {'>=' if _is_snr(b) else '<='} "
                         f"{b.target:g}: {state} ({b.before:.4g} -> {b.after:.4g}); kept in "
                         f"float32: {', '.join(b.kept_float) or 'nothing'} "
                         f"(+{b.size_cost_bytes} bytes)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _is_snr(b: Budget) -> bool:
    return b.metric == "output_snr_db"


def _header() -> str:
    return f"  {'layer':<32} {'op':<18} {'prec':<7} {'SNR dB':>8} {'cosine':>9} {'in dB':>8}"


def _row(e: LayerError) -> str:
    return (f"  {e.layer[:32]:<32} {e.op[:18]:<18} {e.precision:<7} {_db(e.snr_db):>8} "
            f"{e.cosine:>9.6f} {_db(e.input_snr_db):>8}")


def _db(x: float) -> str:
    return "exact" if math.isinf(x) and x > 0 else f"{x:.2f}"


def _finite_json(value: Any) -> Any:
    """JSON has no inf: an exact layer's SNR is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    return value


def _nsr(snr_db: float) -> float:
    return 0.0 if math.isinf(snr_db) and snr_db > 0 else 10.0 ** (-snr_db / 10.0)


def snr_db(signal: float, noise: float) -> float:
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10.0 * math.log10(signal / noise)



class Observed:
    """`graph` in Emberlite with every tensor readable after invoke: samples go in in the
    source layout (quantized for int8 and int16 inputs), tensors come out as float32
    (dequantized)."""

    def __init__(self, graph: Graph):
        from emberlite import Interpreter  # the runtime only where graphs are run

        calib = calibration_graph(graph)
        self.graph = graph
        self.interp = Interpreter(model_content=serialize(calib, plan_memory(calib)))
        self.interp.allocate_tensors()
        self.index = {d["name"]: d["index"] for d in self.interp.get_tensor_details()}

    def run(self, sample: Sample) -> None:
        for name, value in sample.items():
            if self.graph.metadata.get(f"layout.input.{name}") == "NHWC":
                value = np.transpose(value, TO_NHWC)
            t = self.graph.tensors[name]
            if t.dtype in _QUANTIZED:
                # as the QUANTIZE kernel does: float32 division, ties away from zero
                scaled = np.asarray(value, np.float32) / np.float32(t.quant.scale[0])
                rounded = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
                info = np.iinfo(t.dtype.numpy)
                value = np.clip(rounded + t.quant.zero_point[0], info.min,
                                info.max).astype(t.dtype.numpy)
            self.interp.set_tensor(self.index[name], np.ascontiguousarray(value))
        self.interp.invoke()

    def value(self, name: str) -> np.ndarray:
        v = self.interp.tensor(self.index[name])()
        t = self.graph.tensors[name]
        if t.dtype in _QUANTIZED:
            return (v.astype(np.float32) - np.float32(t.quant.zero_point[0])) * \
                np.float32(t.quant.scale[0])
        return np.array(v, np.float32)

    def output(self, name: str) -> np.ndarray:
        """A graph output as the user reads it: float32, in the source layout."""
        v = self.value(name)
        if self.graph.metadata.get(f"layout.output.{name}") == "NHWC":
            v = np.transpose(v, TO_NCHW)
        return v


@dataclass
class _Sums:
    signal: float = 0.0
    noise: float = 0.0
    dot: float = 0.0
    quant: float = 0.0

    def add(self, f: np.ndarray, q: np.ndarray) -> None:
        f64, q64 = f.astype(np.float64).ravel(), q.astype(np.float64).ravel()
        self.signal += float(f64 @ f64)
        self.noise += float((f64 - q64) @ (f64 - q64))
        self.dot += float(f64 @ q64)
        self.quant += float(q64 @ q64)

    def cosine(self) -> float:
        if self.signal == 0.0 or self.quant == 0.0:
            return 1.0 if self.signal == self.quant else 0.0
        return self.dot / math.sqrt(self.signal * self.quant)


@dataclass
class Measurement:
    report: QuantizationReport
    float_outputs: dict[str, np.ndarray]    # graph output -> values of every sample, stacked
    quant_outputs: dict[str, np.ndarray]


class FloatRun:
    """The float graph's values of every measured tensor, sample by sample. They are kept
    for later measurements (the budget measures many times) when they fit in `cache_bytes`;
    otherwise the float graph runs again each time."""

    def __init__(self, graph: Graph, samples: list[Sample], cache_bytes: int = 256 << 20):
        self.graph = graph
        self.samples = samples
        names = [o for node in graph.nodes for o in node.outputs
                 if graph.tensors[o].dtype == DType.FLOAT32]
        self.names = list(dict.fromkeys(list(graph.inputs) + names))
        self.observed = Observed(graph)
        per_sample = sum(4 * math.prod(graph.tensors[n].shape or ()) for n in self.names)
        self.keep = per_sample * len(samples) <= cache_bytes
        self.cache: dict[int, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}

    def run(self, i: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(measured tensor -> value, graph output -> value as the user reads it) of
        sample i."""
        if i in self.cache:
            return self.cache[i]
        self.observed.run(self.samples[i])
        result = ({n: self.observed.value(n) for n in self.names},
                  {o: self.observed.output(o) for o in self.graph.outputs})
        if self.keep:
            self.cache[i] = result
        return result


def measure(graph: Graph, quantized: Graph, samples: list[Sample], progress: bool = False,
            reference: FloatRun | None = None) -> Measurement:
    """Runs both graphs on `samples` (validated, source layout; see dataset.py) and measures
    every layer. Tensor names of `graph` are those of `quantized` (quantize_int8 keeps them).
    `reference`, made for the same graph and samples, reuses the float values."""
    reference = reference or FloatRun(graph, samples, cache_bytes=0)
    quant = Observed(quantized)
    sums = {name: _Sums() for name in reference.names}
    outs: tuple[dict[str, list], dict[str, list]] = ({o: [] for o in graph.outputs},
                                                     {o: [] for o in graph.outputs})
    count = 0
    for i in tqdm(range(len(samples)), disable=not progress, desc="measuring", unit="sample"):
        want, want_out = reference.run(i)
        quant.run(samples[i])
        for name, value in want.items():
            sums[name].add(value, quant.value(name))
        for o in graph.outputs:
            outs[0][o].append(want_out[o])
            outs[1][o].append(quant.output(o))
        count += 1
    if count == 0:
        raise QuantizationError("the quantization report needs at least one sample")
    snr = {n: snr_db(s.signal, s.noise) for n, s in sums.items()}
    precisions = {n.name: _precision(quantized, n.outputs) for n in quantized.nodes}
    errors = {}
    for node in graph.nodes:
        inputs = [i for i in node.inputs if i in snr]
        worst_in = min((snr[i] for i in inputs), default=math.inf)
        precision = precisions.get(node.name, "float32")
        for o in node.outputs:
            if o in sums:
                errors[o] = LayerError(node.name, node.op.name, o, precision, snr[o],
                                       sums[o].cosine(), worst_in)
    layers = sorted(errors.values(), key=lambda e: (e.snr_db, e.cosine, e.layer))
    outputs = [errors[o] for o in graph.outputs if o in errors]
    float_layers = [e.layer for e in errors.values() if e.precision == "float32"]
    size = len(serialize(quantized, plan_memory(quantized)))
    report = QuantizationReport(layers, outputs, list(dict.fromkeys(float_layers)), count, size)
    return Measurement(report, {o: _stack(v) for o, v in outs[0].items()},
                       {o: _stack(v) for o, v in outs[1].items()})


def _precision(quantized: Graph, outputs: list[str]) -> str:
    types = {quantized.tensors[n].dtype for n in outputs}
    return types.pop().name.lower() if len(types) == 1 and types <= _QUANTIZED else "float32"


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays and arrays[0].ndim else np.stack(arrays)
