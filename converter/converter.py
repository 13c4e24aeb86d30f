"""The Converter: source model -> IR -> passes -> memory plan -> .ember bytes.

    data = Converter.from_onnx("model.onnx").convert()
    data = Converter.from_tflite("model.tflite").convert()
    Converter.from_onnx(model_proto, input_shapes={"x": [1, 3, 224, 224]}).save("m.ember")
    Converter.from_onnx("model.onnx").quantize(mode="int8", dataset="calib.npz").save("q.ember")
    Converter.from_onnx("model.onnx").quantize(mode="int16x8", dataset="calib.npz").save("q.ember")
    Converter.from_onnx("model.onnx").quantize(mode="dynamic").save("dr.ember")

A Converter holds its source (the parsed model, its format and the hash of its bytes);
`convert` runs the whole pipeline each time and is deterministic: the same source gives
byte-identical output, in any process.
"""
from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emberlite.files import write_atomically

from .branches import mark_branches
from .dynamic_shapes import DynamicInputs, check_at_probe, plan_inputs
from .dynamic_shapes import bind as bind_dynamic
from .errors import ModelImportError, QuantizationError
from .ir import Graph
from .limits import Budget, Limits, format_bytes
from .passes import run_passes
from .passes.fuse_epilogues import fuse_epilogues
from .passes.fuse_int8_lookups import fuse_int8_lookups
from .planner import MemoryPlan, plan_memory
from .writer import serialize

if TYPE_CHECKING:
    from .quantize.budget import Metric
    from .quantize.dataset import SampleSource
    from .quantize.report import QuantizationReport


@dataclass(frozen=True)
class _Source:
    sha256: str                              # of the model bytes as given or read
    metadata: dict[str, str]                 # format and producer of the source
    load: Callable[..., Graph]               # (budget=None) -> a fresh IR graph
    limits: Limits                           # size budgets of the conversion (limits.py)
    # Models with dynamic dims: the same graph at the probe shapes, and what the user gave.
    load_probe: Callable[..., Graph] | None = None
    dynamic: DynamicInputs | None = None
    io_layout: str = "nhwc"                  # run_passes' io_layout: "nhwc" or "source"


class _Quantize:
    """The quantize() options. Calibration (and the report) run on the first convert(); the
    results are kept, so later conversions are identical even when the dataset was a one-shot
    iterator."""

    def __init__(self, mode: str, dataset: "SampleSource", method: str, percentile: float,
                 progress: bool, io: str, keep_float: tuple[str, ...],
                 report: "bool | str | os.PathLike", budget: float | None,
                 metric: "Metric | None"):
        self.mode = mode
        self.dataset = dataset
        self.budget = budget
        self.metric = metric
        self.io = io
        self.keep_float = keep_float
        self.method = method
        self.percentile = percentile
        self.progress = progress
        self.report_to = report
        self.ranges: dict[str, tuple[float, float]] | None = None
        self.report: "QuantizationReport | None" = None
        self.kept: list[str] = []               # the layers the budget keeps in float

    def apply(self, graph: Graph) -> Graph:
        from .quantize.budget import fit_budget
        from .quantize.calibrate import calibrate, input_specs
        from .quantize.dataset import load_dataset
        from .quantize.quantize_int8 import SCHEMES, quantize_graph
        from .quantize.report import measure

        scheme = SCHEMES[self.mode]
        if self.ranges is not None:
            return quantize_graph(scheme, graph, self.ranges, self.method, self.io,
                                  [*self.keep_float, *self.kept])
        if self.report_to is False and self.budget is None:
            self.ranges = calibrate(graph, self.dataset, self.method, self.percentile,
                                    self.progress)
            return quantize_graph(scheme, graph, self.ranges, self.method, self.io,
                                  self.keep_float)
        # The report and the budget run the samples again: keep them (the source may be
        # a one-shot iterator).
        samples = list(load_dataset(self.dataset, input_specs(graph)).samples)
        self.ranges = calibrate(graph, samples, self.method, self.percentile, self.progress)
        if self.budget is None:
            quantized = quantize_graph(scheme, graph, self.ranges, self.method, self.io,
                                       self.keep_float)
            self.report = measure(graph, quantized, samples, self.progress).report
        else:
            quantized, self.report = fit_budget(graph, self.ranges, self.method, self.io,
                                                samples, self.budget, self.metric,
                                                self.keep_float, self.progress, scheme)
            self.kept = list(self.report.budget.kept_float)
        if not isinstance(self.report_to, bool):
            self.report.save(self.report_to)
        return quantized


class _WeightOnly:
    """quantize(mode="dynamic" | "fp16"): weights only, no calibration (weight_only.py)."""

    report = None

    def __init__(self, mode: str, compute: str = "float"):
        self.mode = mode
        self.compute = compute

    def apply(self, graph: Graph) -> Graph:
        from .quantize.weight_only import quantize_dynamic, quantize_fp16

        if self.mode == "dynamic":
            return quantize_dynamic(graph, self.compute)
        return quantize_fp16(graph)


QUANTIZE_MODES = ("int8", "dynamic", "fp16", "int16x8")
IO_LAYOUTS = ("onnx", "nhwc")
_CALIBRATED_MODES = ("int8", "int16x8")


class Converter:
    """Use the `from_*` constructors."""

    def __init__(self, source: _Source):
        self._source = source
        self._quantize: _Quantize | _WeightOnly | None = None

    @classmethod
    def from_onnx(cls, model_or_path: Any, *,
                  input_shapes: dict[str, list[Any]] | None = None,
                  io_layout: str = "onnx",
                  max_constant_bytes: int | None = None,
                  max_arena_bytes: int | None = None,
                  max_nodes: int | None = None) -> "Converter":
        """`model_or_path`: an onnx.ModelProto, a file path, or the serialized bytes.
        `io_layout` "onnx" (the default) keeps the graph inputs and outputs in the ONNX
        model's own layout (NCHW images: ONNX Runtime's preprocessing keeps working); "nhwc"
        stores 4-D ones channels-last where that saves a transpose, as camera pipelines hand
        frames over (metadata "layout.input.<name>" / "layout.output.<name>" = "NHWC" says
        which).
        `input_shapes` fixes dynamic input dimensions (a dynamic batch dimension becomes 1
        without it): each dim an int, -1 for the model's own (fixed) size, or a range
        (lo, hi) that stays dynamic in the file: the runtime then takes any size in it
        (Interpreter.resize_tensor_input), with the arena planned for hi. Dims of one ONNX
        dim_param share one range. `max_constant_bytes` bounds the bytes of all the constants
        that constant folding computes, `max_arena_bytes` the planned arena of the file,
        `max_nodes` the IR nodes the import makes (defaults in converter/limits.py: 512 MiB,
        4 GiB, 2^20 nodes); a model over any is refused with a SizeLimitError naming the
        node."""
        limits = _limits(max_constant_bytes, max_arena_bytes, max_nodes)
        if io_layout not in IO_LAYOUTS:
            raise ModelImportError(f"io_layout must be one of {', '.join(IO_LAYOUTS)}, got "
                                   f"{io_layout!r}")
        # onnx is imported only here, so the converter imports without it (other formats).
        from .importers.onnx import declared_input_dims, import_onnx

        model, data = _load_onnx(model_or_path)
        given = {k: list(v) for k, v in (input_shapes or {}).items()}
        planned = plan_inputs(given, declared_input_dims(model.graph))
        shapes = {k: list(v) for k, v in planned.bound.items()}
        dynamic = planned if planned.symbols else None
        metadata = {"source.format": "onnx",
                    "source.producer_name": model.producer_name,
                    "source.producer_version": model.producer_version}
        probe = None if dynamic is None else \
            (lambda budget=None: import_onnx(model, dynamic.probe, budget))
        return cls(_Source(hashlib.sha256(data).hexdigest(), metadata,
                           lambda budget=None: import_onnx(model, shapes or None, budget), limits,
                           probe, dynamic, "nhwc" if io_layout == "nhwc" else "source"))

    @classmethod
    def from_tflite(cls, path_or_bytes: Any, *,
                    input_shapes: dict[str, list[int]] | None = None,
                    max_constant_bytes: int | None = None,
                    max_arena_bytes: int | None = None,
                    max_nodes: int | None = None) -> "Converter":
        """`path_or_bytes`: a .tflite file path or its bytes: float32 models, and int8 models
        whose ops all have int8 kernels. `max_constant_bytes`, `max_arena_bytes` and
        `max_nodes`: as in from_onnx."""
        limits = _limits(max_constant_bytes, max_arena_bytes, max_nodes)
        # The tflite reader is imported only here, like onnx in from_onnx.
        from .importers.tflite import import_tflite
        from .importers.tflite_reader import read_tflite

        if input_shapes:
            raise ModelImportError("input_shapes is not supported for .tflite models: their "
                                   "tensor shapes are fixed in the file")
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)
        elif isinstance(path_or_bytes, (str, os.PathLike)):
            try:
                data = Path(path_or_bytes).read_bytes()
            except OSError as e:
                raise ModelImportError(f"cannot read TFLite model {os.fspath(path_or_bytes)!r}: "
                                       f"{e}") from None
        else:
            raise TypeError(f"expected a path or bytes, got {type(path_or_bytes).__name__}")
        read_tflite(data)  # malformed files fail here, not at convert()
        metadata = {"source.format": "tflite"}
        return cls(_Source(hashlib.sha256(data).hexdigest(), metadata,
                           lambda budget=None: import_tflite(data, budget), limits))

    def quantize(self, mode: str = "int8", *, dataset: "SampleSource | None" = None,
                 method: str = "minmax", percentile: float = 99.99, progress: bool = False,
                 io: str | None = None, keep_float: Iterable[str] = (),
                 report: "bool | str | os.PathLike" = False,
                 accuracy_budget: float | None = None,
                 metric: "Metric | None" = None,
                 compute: str | None = None) -> "Converter":
        """Quantize on convert(): `mode` "int8" is int8 wherever an op has an int8 kernel;
        other ops, and the nodes named in `keep_float`, run in float32 between DEQUANTIZE and
        QUANTIZE ops. `io` "int8" makes the inputs and outputs int8 too (their params are in
        the tensor details); "uint8" makes them uint8, with the scale of the int8 tensor they
        feed or come from and its zero point + 128 (as TFLite's uint8 inference types);
        "float" keeps them float32, converted by QUANTIZE/DEQUANTIZE ops.
        `mode` "int16x8" is the same with int16 activations (symmetric, zero point 0), int8
        weights and int64 biases wherever an op has a 16x8 kernel (quantize/int16_rules.py);
        its `io` is "float" (the default) or "int16".
        `dataset` is the calibration data (see quantize/dataset.py), `method` one of minmax,
        percentile, entropy, mse. `report` True measures each layer's quantization error on
        the calibration data at the first convert() (see `report`); a path also saves it
        there as JSON.

        `accuracy_budget` keeps the layers that hurt most in float32, one at a time, until
        the model meets it on the calibration data (quantize/budget.py): without `metric` it
        is the least output SNR in dB; with `metric(float_outputs, quant_outputs) -> loss`
        (dicts output name -> values over all samples) it is the largest loss tolerated.
        The report's `budget` names the layers kept and their size cost.

        `mode` "dynamic" (int8 weights per output channel) and "fp16" (float16 weights and
        biases) quantize the weights only: every op computes in float32, the inputs and
        outputs stay float32, and no dataset is needed (quantize/weight_only.py); the
        calibration options do not apply to them. With "dynamic", `compute` "float" (the
        default) dequantizes the weights once, at load, and keeps float32 accuracy; "int8"
        has CONV2D and FULLY_CONNECTED quantize their inputs per inference and sum in int8
        (LiteRT's hybrid kernels): faster, with the inputs' rounding error on top."""
        if compute is not None and mode != "dynamic":
            raise QuantizationError(f"compute only applies to quantize mode 'dynamic', "
                                    f"got mode {mode!r}")
        if mode not in QUANTIZE_MODES:
            raise QuantizationError(f"quantize mode must be one of {', '.join(QUANTIZE_MODES)}, "
                                    f"got {mode!r}")
        if mode not in _CALIBRATED_MODES:
            self._quantize = _weight_only(mode, dataset, io, keep_float, report,
                                          accuracy_budget, metric, compute or "float")
            return self
        if dataset is None:
            raise QuantizationError(f"quantize mode {mode!r} needs a calibration dataset")
        from .quantize.quantize_int8 import SCHEMES, check_io

        # int8 models default to int8 inputs and outputs, 16x8 ones to float32.
        io = ("int8" if mode == "int8" else "float") if io is None else io
        if method not in ("minmax", "percentile", "entropy", "mse"):
            raise QuantizationError(f"calibration method must be minmax, percentile, entropy "
                                    f"or mse, got {method!r}")
        check_io(SCHEMES[mode], io)
        if metric is not None and accuracy_budget is None:
            raise QuantizationError("metric needs accuracy_budget (the loss it tolerates)")
        if metric is not None and not callable(metric):
            raise TypeError(f"metric must be callable, got {type(metric).__name__}")
        keep = (keep_float,) if isinstance(keep_float, str) else tuple(keep_float)
        budget = None if accuracy_budget is None else float(accuracy_budget)
        self._quantize = _Quantize(mode, dataset, method, percentile, progress, io, keep,
                                   report, budget, metric)
        return self

    @property
    def report(self) -> "QuantizationReport | None":
        """The per-layer quantization report (quantize(report=...)), once convert() ran."""
        return None if self._quantize is None else self._quantize.report

    def convert(self, *, model_version: int = 0) -> bytes:
        """The .ember file's bytes. `model_version`: the publisher's number for this model,
        stored in the file (and covered by its hash and signatures), which a runtime given
        a min_model_version compares to refuse rollbacks; 0 (the default) is none."""
        limits = self._source.limits
        graph = self._lower(self._source.load)
        probe = None
        if self._source.dynamic is not None:
            probe = self._lower(self._source.load_probe)
            graph = bind_dynamic(graph, probe, self._source.dynamic)
        mark_branches(graph)
        plan = plan_memory(graph)
        _check_arena(graph, plan, limits)
        # The writer adds graph.metadata (the passes' layout notes) to these.
        metadata = {**self._source.metadata, "source.sha256": self._source.sha256}
        data = serialize(graph, plan, metadata=metadata, model_version=model_version)
        if probe is not None:
            check_at_probe(data, probe)
        return data

    def _lower(self, load: Callable[..., Graph]) -> Graph:
        """The source as an IR graph after the passes and the quantization."""
        budget = Budget(self._source.limits)
        graph = run_passes(load(budget), budget, self._source.io_layout)
        # Before calibration runs the model: no activation may exceed the arena budget.
        _check_tensors(graph, self._source.limits)
        if self._quantize is not None:
            if self._source.dynamic is not None and isinstance(self._quantize, _Quantize):
                raise QuantizationError("int8 and int16x8 quantization calibrate at fixed "
                                        "shapes: convert a model with dynamic dims with "
                                        "fixed input_shapes to quantize it")
            graph = self._quantize.apply(graph)
        # After quantization: only float32 ops take these epilogues (passes/fuse_epilogues.py),
        # only int8 ones become lookups (passes/fuse_int8_lookups.py).
        return fuse_int8_lookups(fuse_epilogues(graph))

    def save(self, path: str | os.PathLike, *, model_version: int = 0) -> None:
        """Converts and writes the file atomically: on any error nothing is left behind."""
        write_atomically(path, self.convert(model_version=model_version))


def _limits(max_constant_bytes: int | None, max_arena_bytes: int | None,
            max_nodes: int | None) -> Limits:
    given = {k: v for k, v in (("max_constant_bytes", max_constant_bytes),
                               ("max_arena_bytes", max_arena_bytes),
                               ("max_nodes", max_nodes)) if v is not None}
    return Limits(**given)


def _activations(graph: Graph) -> dict[str, str]:
    """Each tensor computed at run time -> what it is ("output 'y' of node 'n' (op)")."""
    what = {name: f"graph input {name!r}" for name in graph.inputs}
    for node in graph.nodes:
        for name in node.outputs:
            what[name] = f"output {name!r} of node {node.name!r} ({node.op.name.lower()})"
    return {name: w for name, w in what.items() if not graph.tensors[name].is_constant}


def _check_tensors(graph: Graph, limits: Limits) -> None:
    for name, what in _activations(graph).items():
        t = graph.tensors[name]
        limits.check_tensor(what, t.shape or (), t.dtype.numpy)


def _check_arena(graph: Graph, plan: MemoryPlan, limits: Limits) -> None:
    if plan.arena_size <= limits.max_arena_bytes:
        return
    sizes = {name: math.prod(graph.tensors[name].shape or ()) *
             graph.tensors[name].dtype.numpy.itemsize
             for name in _activations(graph) if name in plan.offsets}
    name = max(sizes, key=lambda n: sizes[n], default=None)
    largest = "none" if name is None else (f"{_activations(graph)[name]} "
                                           f"{list(graph.tensors[name].shape or ())}, "
                                           f"{format_bytes(sizes[name])}")
    limits.check_arena(plan.arena_size, largest)


def _weight_only(mode: str, dataset: Any, io: str | None, keep_float: Iterable[str],
                 report: Any, budget: float | None, metric: Any,
                 compute: str = "float") -> _WeightOnly:
    """The weight-only modes calibrate nothing: options that need calibration are errors."""
    given = [name for name, value in (("dataset", dataset is not None),
                                      ("keep_float", bool(tuple(keep_float))),
                                      ("report", report is not False),
                                      ("accuracy_budget", budget is not None),
                                      ("metric", metric is not None)) if value]
    if given:
        raise QuantizationError(f"quantize mode {mode!r} quantizes weights only and needs no "
                                f"calibration; {', '.join(given)} only apply to 'int8' "
                                f"and 'int16x8'")
    if io not in (None, "float"):
        raise QuantizationError(f"quantize mode {mode!r} keeps the inputs and outputs float, "
                                f"got io={io!r}")
    from .quantize.weight_only import DYNAMIC_COMPUTE

    if compute not in DYNAMIC_COMPUTE:
        raise QuantizationError(f"compute must be one of {', '.join(DYNAMIC_COMPUTE)}, "
                                f"got {compute!r}")
    return _WeightOnly(mode, compute)


def _load_onnx(model_or_path: Any) -> tuple[Any, bytes]:
    """(ModelProto, the bytes its hash is taken over)."""
    import onnx
    from google.protobuf.message import DecodeError

    if isinstance(model_or_path, onnx.ModelProto):
        # A snapshot: later changes to the caller's model must not change what convert() sees.
        model = onnx.ModelProto()
        model.CopyFrom(model_or_path)
        return model, model.SerializeToString(deterministic=True)
    if isinstance(model_or_path, (bytes, bytearray, memoryview)):
        data = bytes(model_or_path)
        where = "the given bytes"
    elif isinstance(model_or_path, (str, os.PathLike)):
        where = os.fspath(model_or_path)
        try:
            data = Path(where).read_bytes()
        except OSError as e:
            raise ModelImportError(f"cannot read ONNX model {where!r}: {e}") from None
    else:
        raise TypeError(f"expected an onnx.ModelProto, a path or bytes, got "
                        f"{type(model_or_path).__name__}")
    try:
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError) as e:
        raise ModelImportError(f"cannot parse ONNX model from {where}: {e}") from None
    if isinstance(model_or_path, (str, os.PathLike)):
        # Tensors stored beside the model file (models over 2 GB) are loaded from its folder.
        try:
            onnx.load_external_data_for_model(model, str(Path(where).parent))
        except (OSError, ValueError, onnx.checker.ValidationError) as e:
            # ValidationError: a location outside the model's folder (onnx refuses those).
            raise ModelImportError(f"cannot load the external data of {where!r}: {e}") \
                from None
    return model, data
