"""`ember compare`: a .ember model beside the model it was converted from.

The source (.onnx or .tflite) runs in its reference runtime (ONNX Runtime, LiteRT) and the
.ember in Emberlite, on the same inputs; each output gets the project's agreement measure,
max |diff| / max |reference|, and integer and bool outputs must be equal. A quantized .ember
beside a float source gets its integer inputs quantized and its integer tensors dequantized
with their scales and zero points.

With `layers`, intermediate tensors are compared too. Emberlite's are read node by node
(Interpreter.invoke_node), each right after the node that writes it, since the arena reuses
its memory for later nodes. They are matched to the source's tensors by the names the
converter gives them:

- a tensor that keeps its source name and its layout keeps the name;
- `NAME_pre` is source tensor NAME computed in NHWC, before a transpose back to NCHW that the
  converter later removed;
- `NODE/op:out` (`NODE/op:K`) is output 0 (K) of source node NODE, in NHWC when 4-D (only
  layout-sensitive ops are wrapped in transposes), where NODE became a single Emberlite node
  (unnamed ONNX nodes are called OPTYPE_INDEX, as the importer calls them);
- a RESHAPE of an NHWC tensor to a source-named tensor keeps NHWC's element order (the
  converter folds the transpose into the next FULLY_CONNECTED's weights), so it is skipped.
"""
from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from .cli_support import TO_NCHW, TO_NHWC, CliError, open_model
from .errors import EmberRuntimeError

# Every value of every input: an array in the source model's layout.
Feeds = dict[str, np.ndarray]


class Source(NamedTuple):
    """A source model opened in its reference runtime."""
    runtime: str                                    # its name and version, to print
    inputs: list[tuple[str, np.dtype]]              # graph inputs, in order
    outputs: list[str]                              # graph outputs, in order
    produced: list[str]                             # tensors its nodes write, in node order
    node_outputs: dict[str, list[str]]              # ONNX node name -> its outputs
    run: Callable[[Feeds, list[str]], dict[str, np.ndarray]]  # outputs and the extra tensors


def _require(module: str, package: str, why: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise CliError(f"{why} needs the Python package {package} ({e}); "
                       f"run: pip install {package}") from None


def _open_onnx(path: Path) -> Source:
    onnx = _require("onnx", "onnx", "comparing with an .onnx model")
    ort = _require("onnxruntime", "onnxruntime", "comparing with an .onnx model")
    try:
        model = onnx.load(str(path))
    except Exception as e:  # protobuf's DecodeError and the like share no narrower base
        raise CliError(f"cannot read {path}: {e}") from None
    graph = model.graph
    weights = {t.name for t in graph.initializer}
    inputs = [(v.name, np.dtype(onnx.helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type)))
              for v in graph.input if v.name not in weights]
    outputs = [v.name for v in graph.output]
    node_outputs: dict[str, list[str]] = {}
    for index, node in enumerate(graph.node):
        node_outputs[node.name or f"{node.op_type}_{index}"] = list(node.output)

    def run(feeds: Feeds, extra: list[str]) -> dict[str, np.ndarray]:
        wanted = outputs + [name for name in extra if name not in outputs]
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        # ORT types an output declared by name alone, so no shape inference is needed.
        copy.graph.output.extend(onnx.ValueInfoProto(name=name) for name in wanted[len(outputs):])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            session = ort.InferenceSession(copy.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
            return dict(zip(wanted, session.run(wanted, feeds)))
        except Exception as e:  # ORT's error classes derive from Exception only
            raise CliError(f"ONNX Runtime cannot run {path}: {e}") from None

    produced = [name for node in graph.node for name in node.output if name]
    return Source(f"ONNX Runtime {ort.__version__}", inputs, outputs, produced, node_outputs,
                  run)


def _open_tflite(path: Path, layers: bool) -> Source:
    litert = _require("ai_edge_litert.interpreter", "ai-edge-litert",
                      "comparing with a .tflite model")
    options: dict[str, Any] = {}
    if layers:
        # As LiteRT advises for preserve_all_tensors: the builtin kernels, not the default
        # delegate (XNNPACK), so that every tensor the file names is written and kept.
        options = {"experimental_preserve_all_tensors": True,
                   "experimental_op_resolver_type":
                       litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    try:
        interp = litert.Interpreter(model_path=str(path), num_threads=1, **options)
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise CliError(f"LiteRT cannot load {path}: {e}") from None
    details = interp.get_tensor_details()
    names = Counter(d["name"] for d in details)
    # Only names that are unique in the file identify a tensor.
    index = {d["name"]: d["index"] for d in details if names[d["name"]] == 1}
    inputs = [(d["name"], np.dtype(d["dtype"])) for d in interp.get_input_details()]
    outputs = [d["name"] for d in interp.get_output_details()]
    # LiteRT lists the tensors each op writes only through this private method.
    produced = [details[t]["name"] for op in interp._get_ops_details() for t in op["outputs"]
                if details[t]["name"] in index]

    def run(feeds: Feeds, extra: list[str]) -> dict[str, np.ndarray]:
        try:
            for detail in interp.get_input_details():
                interp.set_tensor(detail["index"], feeds[detail["name"]])
            interp.invoke()
        except (ValueError, RuntimeError) as e:
            raise CliError(f"LiteRT cannot run {path}: {e}") from None
        values = {d["name"]: interp.get_tensor(d["index"]) for d in interp.get_output_details()}
        values.update((name, interp.get_tensor(index[name])) for name in extra if name in index)
        return values

    version = getattr(importlib.import_module("ai_edge_litert"), "__version__", "")
    return Source(f"LiteRT {version}".strip(), inputs, outputs, produced, {}, run)


def open_source(path: str, layers: bool = False) -> Source:
    """The .onnx or .tflite model at `path` in its reference runtime; `layers` keeps every
    intermediate tensor readable."""
    source = Path(path)
    if not source.is_file():
        raise CliError(f"no such file: {source}")
    kind = source.suffix.lower()
    if kind == ".onnx":
        return _open_onnx(source)
    if kind == ".tflite":
        return _open_tflite(source, layers)
    raise CliError(f"the source model must be an .onnx or .tflite file, got {source}")


# -- inputs ----------------------------------------------------------------------------------

def load_input_files(specs: list[str], npz: str | None) -> dict[str | int, np.ndarray]:
    """Inputs given on the command line: NAME=FILE.npy (or FILE.npy, by position) and the
    arrays of an .npz, by name; key: the name or the position."""
    given: dict[str | int, np.ndarray] = {}
    files: list[tuple[str | int, str]] = []
    for position, spec in enumerate(specs):
        name, sep, file = spec.partition("=")
        files.append((name, file) if sep else (position, spec))
    for key, file in files:
        try:
            given[key] = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise CliError(f"cannot read input {file}: {e}") from None
        if not isinstance(given[key], np.ndarray):
            raise CliError(f"input {file} is not a .npy file (an .npz goes to --inputs)")
    if npz:
        try:
            arrays = np.load(npz, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise CliError(f"cannot read inputs {npz}: {e}") from None
        if isinstance(arrays, np.ndarray):
            raise CliError(f"--inputs {npz} is not an .npz file (a .npy goes to --input)")
        with arrays:
            given.update((name, arrays[name]) for name in arrays.files)
    return given


def random_input(shape: tuple[int, ...], dtype: np.dtype, rng: np.random.Generator) -> np.ndarray:
    """Standard normal floats; integers 0..9, small enough to be valid indices and sizes."""
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(0, 10, shape).astype(dtype)


def _cast(value: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    if value.dtype == dtype:
        return value
    if not np.can_cast(value.dtype, dtype, "same_kind"):
        raise CliError(f"{what} is {dtype}, the value given {value.dtype}")
    return value.astype(dtype)


def _pairing(ember_names: list[str], source_names: list[str], what: str) -> tuple[list[int], bool]:
    """For each source input or output, the position of its Emberlite counterpart; and
    whether they were matched by name (else by position)."""
    if len(ember_names) != len(source_names):
        raise CliError(f"the source has {len(source_names)} {what}(s) and the .ember "
                       f"{len(ember_names)}: is the .ember converted from this source?")
    if sorted(ember_names) == sorted(source_names) == sorted(set(source_names)):
        return [ember_names.index(name) for name in source_names], True
    return list(range(len(source_names))), False


def _is_nhwc(meta: dict[str, str], kind: str, name: str) -> bool:
    return meta.get(f"layout.{kind}.{name}") == "NHWC"


def _feeds(source: Source, interp: Any, given: dict[str | int, np.ndarray], seed: int,
           order: list[int]) -> tuple[Feeds, dict[str, str]]:
    """Every source input's value (given, else random, in the shape the .ember fixes) and
    where it came from."""
    names = [name for name, _ in source.inputs]
    for key in given:
        if isinstance(key, str) and key not in names:
            raise CliError(f"no input named {key!r} in the source; its inputs are {names}")
        if isinstance(key, int) and key >= len(names):
            raise CliError(f"{key + 1} inputs given, the source has {len(names)}")
    details, meta = interp.get_input_details(), interp.get_metadata()
    rng = np.random.default_rng(seed)
    feeds, origins = {}, {}
    for position, (name, dtype) in enumerate(source.inputs):
        detail = details[order[position]]
        shape = tuple(int(d) for d in detail["shape"])
        if _is_nhwc(meta, "input", detail["name"]):
            shape = tuple(shape[i] for i in TO_NCHW)
        value = given.get(name, given.get(position))
        if value is None:
            value, origins[name] = random_input(shape, dtype, rng), f"random, seed {seed}"
        elif value.shape != shape:
            raise CliError(f"input {name!r} has shape {list(value.shape)}; the .ember takes "
                           f"{list(shape)} (in the source's layout)")
        else:
            origins[name] = "from file"
        feeds[name] = _cast(value, dtype, f"source input {name!r}")
    return feeds, origins


# -- Emberlite -------------------------------------------------------------------------------

def _run_ember(interp: Any, path: str, values: list[np.ndarray],
               layers: bool) -> tuple[list[np.ndarray], list[tuple[int, int, np.ndarray]]]:
    """The outputs in the source's layout for inputs `values` (source layout, in the
    .ember's input order); with `layers`, every (node, tensor index, value) it writes."""
    meta = interp.get_metadata()
    for detail, value in zip(interp.get_input_details(), values):
        name = detail["name"]
        value = _cast(_quantized(value, detail), np.dtype(detail["dtype"]),
                      f"Emberlite input {name!r}")
        if _is_nhwc(meta, "input", name):
            value = np.transpose(value, TO_NHWC)
        try:
            # np.require, unlike np.ascontiguousarray, leaves a 0-d input 0-d.
            interp.set_tensor(detail["index"], np.require(value, requirements="C"))
        except ValueError as e:
            raise CliError(f"Emberlite input {name!r}: {e}") from None
    written = []
    try:
        if layers:
            for node in range(len(interp.node_ops())):
                interp.invoke_node(node)
                written += [(node, t, interp.get_tensor(t)) for t in interp.node_outputs(node)]
        else:
            interp.invoke()
    except EmberRuntimeError as e:
        raise CliError(f"Emberlite cannot run {path}: {e}") from None
    outputs = []
    for detail in interp.get_output_details():
        value = interp.get_tensor(detail["index"])
        if _is_nhwc(meta, "output", detail["name"]):
            value = np.transpose(value, TO_NCHW)
        outputs.append(value)
    return outputs, written


def _quantized(value: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    """A float value for a quantized integer input (--io int8 and the like) quantized with
    the input's scale and zero point; other values unchanged."""
    scale, zero_point = detail["quantization"]
    dtype = np.dtype(detail["dtype"])
    if dtype.kind not in "iu" or value.dtype.kind != "f" or not scale:
        return value
    limits = np.iinfo(dtype)
    return np.clip(np.round(value / scale) + zero_point, limits.min, limits.max).astype(dtype)


def _dequantized(value: np.ndarray, detail: dict[str, Any], like: np.ndarray) -> np.ndarray:
    """A quantized integer Emberlite tensor as the float values it stands for, where the
    source tensor `like` is float (a float source beside a quantized .ember); else `value`."""
    scale, zero_point = detail["quantization"]
    if like.dtype.kind != "f" or value.dtype.kind not in "iu" or not scale:
        return value
    return ((value.astype(np.float64) - zero_point) * scale).astype(np.float32)


# -- agreement -------------------------------------------------------------------------------

def agreement(got: np.ndarray, want: np.ndarray, tol: float) -> dict[str, Any]:
    """max |diff|, max |diff| / max |want| (max |want| taken as 1 when 0), and for integer
    and bool tensors the count of differing elements; ok: within `tol`, or equal."""
    exact = want.dtype.kind in "biu"
    if (got.dtype.kind in "biu") != exact:
        return {"problem": f"dtype {got.dtype} in Emberlite", "ok": False}
    if got.shape != want.shape:
        return {"problem": f"shape {list(got.shape)} in Emberlite", "ok": False}
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.abs(got64 - want64)
    # Equal values (infinities too) and NaN against NaN agree; NaN on one side is the worst.
    diff[(got64 == want64) | (np.isnan(got64) & np.isnan(want64))] = 0.0
    diff[np.isnan(diff)] = np.inf
    finite = np.abs(want64[np.isfinite(want64)])
    scale = float(finite.max(initial=0.0)) or 1.0
    max_abs = float(diff.max(initial=0.0))
    row = {"max_abs": max_abs, "max_rel": max_abs / scale, "differing": None}
    if exact:
        row["differing"] = int(np.count_nonzero(diff))
        row["ok"] = row["differing"] == 0
    else:
        row["ok"] = row["max_rel"] <= tol
    return row


def _counterpart(name: str, rank: int, node: str, position: int, source: Source,
                 source_names: set[str], single: set[str],
                 meta: dict[str, str]) -> tuple[str, bool] | None:
    """The source tensor that Emberlite tensor `name` (output `position` of node `node`)
    holds, and whether Emberlite holds it in NHWC where the source has NCHW; None when the
    names tell nothing (module docstring)."""
    if name in source_names:
        return name, _is_nhwc(meta, "output", name)
    base = name.removesuffix("_pre")
    if base != name and base in source_names and rank == 4:
        return base, True
    outputs = source.node_outputs.get(node, [])
    if (name.startswith(f"{node}/") and node in single and position < len(outputs)
            and outputs[position]):
        return outputs[position], rank == 4
    return None


def _single_node_scopes(interp: Any) -> set[str]:
    """Emberlite node names that no other node but a layout TRANSPOSE shares a source node
    with (the importer names a source node's helper nodes NODE/op)."""
    names = interp.node_names()
    shared = {name.rpartition("/")[0] for name, op in zip(names, interp.node_ops())
              if op != "transpose"}
    return set(names) - shared


def _nhwc_order(name: str, shape: list[int], source_names: set[str],
                meta: dict[str, str]) -> bool:
    """Whether a 4-D Emberlite tensor may be in NHWC, where flattening orders its elements
    differently from NCHW (H * W and C both above 1)."""
    kept = name in source_names and not (_is_nhwc(meta, "input", name)
                                         or _is_nhwc(meta, "output", name))
    return len(shape) == 4 and not kept and shape[1] * shape[2] > 1 and shape[3] > 1


def _layer_pairs(interp: Any, source: Source,
                 written: list[tuple[int, int, np.ndarray]]) -> tuple[list[dict], Counter]:
    """The Emberlite tensors that have a source counterpart, in node order (node, names,
    value in the source's layout), and how many others were skipped, by reason."""
    meta, details = interp.get_metadata(), interp.get_tensor_details()
    node_names, ops = interp.node_names(), interp.node_ops()
    source_names = set(source.produced) | {name for name, _ in source.inputs}
    single = _single_node_scopes(interp)
    pairs, skipped, reordered = [], Counter(), set()
    for node, tensor, value in written:
        name = details[tensor]["name"]
        position = interp.node_outputs(node).index(tensor)
        found = _counterpart(name, value.ndim, node_names[node], position, source,
                             source_names, single, meta)
        if found is None:
            skipped["only in Emberlite"] += 1
            continue
        source_name, nhwc = found
        feed = interp.node_inputs(node)[0] if interp.node_inputs(node) else None
        if (ops[node] == "reshape" and not nhwc and feed is not None and _nhwc_order(
                details[feed]["name"], details[feed]["shape"].tolist(), source_names, meta)):
            skipped["in NHWC element order"] += 1
            reordered.add(source_name)
            continue
        pairs.append({"node": node, "name": source_name, "emberlite_name": name,
                      "nhwc": nhwc, "value": np.transpose(value, TO_NCHW) if nhwc else value,
                      "detail": details[tensor]})
    found_in_both = {pair["name"] for pair in pairs} | reordered
    skipped["only in the source"] = len(set(source.produced) - found_in_both)
    return pairs, skipped


# -- the comparison --------------------------------------------------------------------------

def compare(source_path: str, model_path: str, given: dict[str | int, np.ndarray] | None = None,
            seed: int = 0, tol: float = 1e-4, layers: bool = False) -> dict[str, Any]:
    """Runs the source model and the .ember on the same inputs (`given` by name or
    position, in the source's layout; the others random from `seed`) and measures every
    output (and with `layers` every intermediate tensor found on both sides). The result:
    runtime, inputs [(name, shape, dtype, origin)], outputs_by_name, outputs [rows], layers
    [rows] or None, skipped {reason: count}, first_divergence (a row or None), passed.
    A row: name, emberlite_name, shape, dtype, max_abs, max_rel, differing (integer and bool
    tensors), problem (an output's shape or dtype that differs), ok; layer rows also node
    and nhwc."""
    if not tol >= 0:
        raise CliError(f"--tol must be >= 0, got {tol}")
    source = open_source(source_path, layers)
    interp = open_model(model_path)
    source_inputs = [name for name, _ in source.inputs]
    ember_inputs = [d["name"] for d in interp.get_input_details()]
    input_order, _ = _pairing(ember_inputs, source_inputs, "input")
    ember_outputs = [d["name"] for d in interp.get_output_details()]
    output_order, by_name = _pairing(ember_outputs, source.outputs, "output")
    feeds, origins = _feeds(source, interp, given or {}, seed, input_order)

    ember_values: list[np.ndarray] = [np.empty(0)] * len(source_inputs)
    for position, name in enumerate(source_inputs):
        ember_values[input_order[position]] = feeds[name]
    got, written = _run_ember(interp, model_path, ember_values, layers)
    pairs, skipped = _layer_pairs(interp, source, written) if layers else ([], Counter())
    want = source.run(feeds, [pair["name"] for pair in pairs])

    outputs = []
    output_details = interp.get_output_details()
    for position, name in enumerate(source.outputs):
        reference, ember = np.asarray(want[name]), output_order[position]
        row = {"name": name, "emberlite_name": ember_outputs[ember],
               "shape": list(reference.shape), "dtype": str(reference.dtype)}
        value = _dequantized(got[ember], output_details[ember], reference)
        outputs.append(row | agreement(value, reference, tol))
    rows = []
    for pair in pairs:
        reference = np.asarray(want[pair["name"]])
        value = _dequantized(pair["value"], pair["detail"], reference)
        if _squeezed(value.shape) == _squeezed(reference.shape):
            value = value.reshape(reference.shape)  # e.g. [1,C] beside [1,C,1,1]
        row = {key: pair[key] for key in ("node", "name", "emberlite_name", "nhwc")}
        row |= {"shape": list(reference.shape), "dtype": str(reference.dtype)}
        row |= agreement(value, reference, tol)
        # Another shape or type under a shared name is a naming coincidence more likely than
        # a wrong kernel: not a divergence.
        if "problem" in row:
            skipped["of another shape or type"] += 1
        else:
            rows.append(row)
    return {"runtime": source.runtime, "outputs_by_name": by_name, "outputs": outputs,
            "inputs": [(name, list(feeds[name].shape), str(feeds[name].dtype), origins[name])
                       for name in source_inputs],
            "layers": rows if layers else None, "skipped": dict(skipped),
            "first_divergence": next((row for row in rows if not row["ok"]), None),
            "passed": all(row["ok"] for row in outputs)}


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(d for d in shape if d != 1)
