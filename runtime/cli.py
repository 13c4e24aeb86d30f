"""The `ember` command: convert, inspect, run, bench, compare, verify and export-c models;
inspect, run, bench and compare also with a delegate (--delegate opencl).

Every failure caused by the input (missing file, invalid model, bad arguments) prints one
`ember: error: ...` line on stderr and exits with status 2, like argparse's own errors.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .cli_support import (TO_NCHW, TO_NHWC, CliError, clip, load_cli_delegate, open_model,
                          placement_text, printable, shape_text)
from .cli_sign import add_commands as add_sign_commands
from .cli_sign import identity_text, trust_options
from .errors import EmberRuntimeError

EXIT_BAD_INPUT = 2


# -- convert ---------------------------------------------------------------------------------

def _parse_dim(text: str) -> int | tuple[int, int]:
    """"224" -> 224, "-1" -> -1 (the model's own size), "32..640" -> (32, 640) (dynamic)."""
    lo, sep, hi = text.partition("..")
    dim = (int(lo), int(hi)) if sep else int(text)
    low = dim[0] if isinstance(dim, tuple) else dim
    if low < 1 and dim != -1:
        raise ValueError(text)
    return dim


def _parse_shape(text: str) -> tuple[str, tuple[int | tuple[int, int], ...]]:
    name, sep, dims = text.rpartition(":")
    try:
        shape = tuple(_parse_dim(d) for d in dims.split(","))
    except ValueError:
        shape = ()
    if not sep or not name or not shape:
        raise CliError(f"--input-shape wants NAME:D0,D1,... with each dim positive, -1 (the "
                       f"model's own) or a range LO..HI (dynamic), got {text!r}")
    return name, shape


def cmd_convert(args: argparse.Namespace) -> int:
    """`ember convert`: an ONNX or .tflite model to .ember, optionally quantized."""
    source = Path(args.model)
    if not source.is_file():
        raise CliError(f"no such file: {source}")
    try:
        from .converter import Converter
        from .converter.errors import EmberError, MetadataWarning, UnsupportedOpsError
    except ImportError as e:
        raise CliError(f"the converter is not installed ({e}); "
                       "run: pip install 'emberlite[convert]'") from None
    shapes = dict(_parse_shape(s) for s in args.input_shape)
    calibrated = args.quantize in ("int8", "int16x8")
    if calibrated and not args.calibration:
        raise CliError(f"--quantize {args.quantize} needs --calibration DATA "
                       "(a directory of .npy files or an .npz)")
    for flag, value in (("--calibration", args.calibration), ("--float-io", args.float_io),
                        ("--io", args.io is not None), ("--report", args.report),
                        ("--accuracy-budget", args.accuracy_budget is not None)):
        if value and not calibrated:
            raise CliError(f"{flag} is only used with --quantize int8 or int16x8")
    if args.dynamic_compute is not None and args.quantize != "dynamic":
        raise CliError("--dynamic-compute is only used with --quantize dynamic")
    if args.io is not None and calibrated and args.io not in _IO_TYPES[args.quantize]:
        raise CliError(f"--io {args.io} is not an io type of --quantize {args.quantize} "
                       f"(one of {', '.join(_IO_TYPES[args.quantize])})")
    if args.float_io:
        print("ember: warning: --float-io is deprecated and will be removed; use --io float",
              file=sys.stderr)
    if args.calibration and not os.path.exists(args.calibration):
        raise CliError(f"no such calibration data: {args.calibration}")
    output = Path(args.output) if args.output else source.with_suffix(".ember")
    if not output.parent.is_dir():
        raise CliError(f"cannot write {output}: {output.parent} is not a directory")
    options: dict[str, Any] = {"input_shapes": shapes} if shapes else {}
    if args.io_layout is not None:
        if source.suffix.lower() == ".tflite":
            raise CliError("--io-layout applies to ONNX models (.tflite models are NHWC)")
        options["io_layout"] = args.io_layout
    options.update(_limit_options(args))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MetadataWarning)
        try:
            if source.suffix.lower() == ".tflite":
                if not hasattr(Converter, "from_tflite"):
                    raise CliError(".tflite import is not in this version of the converter")
                converter = Converter.from_tflite(str(source), **options)
            else:
                converter = Converter.from_onnx(str(source), **options)
            if args.quantize == "dynamic":
                converter.quantize(args.quantize, compute=args.dynamic_compute)
            elif args.quantize and not calibrated:
                converter.quantize(args.quantize)
            elif args.quantize:
                converter.quantize(args.quantize, dataset=args.calibration,
                                   method=args.method, percentile=args.percentile,
                                   progress=sys.stderr.isatty(),
                                   io=_quantized_io(args),
                                   report=args.report or False,
                                   accuracy_budget=args.accuracy_budget)
            converter.save(str(output), model_version=args.model_version)
        except UnsupportedOpsError as e:
            listed = "; ".join(f"{name or '<unnamed>'} ({op}): {why}"
                               for name, op, why in e.problems)
            raise CliError(f"cannot convert {source}: {len(e.problems)} unsupported "
                           f"node(s): {listed}") from None
        except EmberError as e:
            raise CliError(f"cannot convert {source}: {e}") from None
        except MemoryError:
            raise CliError(f"cannot convert {source}: out of memory (the model's folded "
                           f"constants and arena are within the budgets, see "
                           f"--max-constant-mb and --max-arena-mb, but this machine "
                           f"could not hold the conversion)") from None
        except RecursionError:
            raise CliError(f"cannot convert {source}: the model is nested too deeply to "
                           f"read") from None
        except OSError as e:
            raise CliError(f"cannot write {output}: {e.strerror or e}") from None
        finally:
            _print_warnings(caught, MetadataWarning)
    elapsed = time.perf_counter() - start
    if args.report or args.accuracy_budget is not None:
        # The table names the model's layers: each line escaped.
        print("\n".join(printable(line) for line in converter.report.table().splitlines()))
    if args.report:
        print(f"wrote {args.report}")
    print(f"wrote {output} ({output.stat().st_size} bytes) in {elapsed:.2f} s")
    return 0


def _limit_options(args: argparse.Namespace) -> dict[str, int]:
    """--max-constant-mb / --max-arena-mb / --max-nodes as the Converter's budgets."""
    options = {}
    for flag, value, key in (("--max-constant-mb", args.max_constant_mb, "max_constant_bytes"),
                             ("--max-arena-mb", args.max_arena_mb, "max_arena_bytes")):
        if value is None:
            continue
        if not 0 < value < 1 << 40:
            raise CliError(f"{flag} wants a positive number of MiB, got {value:g}")
        options[key] = int(value * (1 << 20))
    if args.max_nodes is not None:
        if not 0 < args.max_nodes < 1 << 40:
            raise CliError(f"--max-nodes wants a positive number of nodes, got {args.max_nodes}")
        options["max_nodes"] = args.max_nodes
    return options


# The io types of each calibrated mode, its default first.
_IO_TYPES = {"int8": ("int8", "uint8", "float"), "int16x8": ("float", "int16")}


def _quantized_io(args: argparse.Namespace) -> str:
    return args.io or ("float" if args.float_io else _IO_TYPES[args.quantize][0])


def _print_warnings(caught: list[warnings.WarningMessage], ours: type[Warning]) -> None:
    """Converter warnings of class `ours` as `ember: warning: ...` lines, each once (a problem
    may be found both when the model is opened and when it is converted); others as usual."""
    for message in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, ours)):
        print(f"ember: warning: {printable(message)}", file=sys.stderr)
    for w in caught:
        if not issubclass(w.category, ours):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


# -- shared by inspect, run, verify ---------------------------------------------------------

# -- delegates (inspect, run, bench) --------------------------------------------------------

def _delegate_summary(interp: Any, delegate: Any, library: str) -> dict[str, Any]:
    """What a delegate took of an allocated model: its name, options and description, the
    partition count, how many nodes it runs, and every node's placement."""
    placements = interp.node_placements()
    partitions = {p["partition"] for p in placements if p["partition"] is not None}
    return {"library": library, "name": delegate.name, "options": delegate.options,
            "describe": delegate.describe(), "partitions": len(partitions),
            "delegated_nodes": sum(p["delegate"] is not None for p in placements),
            "placements": placements}


def _delegate_line(summary: dict[str, Any]) -> str:
    return (f"delegate {printable(summary['name'])}: {summary['delegated_nodes']} of "
            f"{len(summary['placements'])} nodes in {summary['partitions']} partition(s)")


# -- inspect ---------------------------------------------------------------------------------

def _summary(path: str, delegate: Any = None, library: str = "") -> dict[str, Any]:
    interp = open_model(path, delegate=delegate)
    tensors = []
    weights: dict[int, int] = {}  # data address -> bytes: tensors with equal weights share one
    for d in interp.get_tensor_details():
        nbytes = int(np.prod(d["shape"], dtype=np.int64)) * np.dtype(d["dtype"]).itemsize
        constant = interp.is_constant(d["index"])
        if constant and not interp.is_prepared(d["index"]):
            weights[interp.tensor(d["index"])().ctypes.data] = nbytes
        tensors.append({"index": d["index"], "name": d["name"], "shape": d["shape"].tolist(),
                        "dtype": np.dtype(d["dtype"]).name, "bytes": nbytes,
                        "constant": constant,
                        "prepared": interp.is_prepared(d["index"])})
    ops = interp.node_ops()
    return {
        "file": path,
        "isa": _isa_names(interp.cpu_features()),
        "file_bytes": os.path.getsize(path),
        "arena_bytes": interp.arena_size,
        "weight_bytes": sum(weights.values()),
        "nodes": len(ops),
        "ops": dict(sorted(Counter(ops).items())),
        "inputs": [{"name": d["name"], "index": d["index"], "shape": d["shape"].tolist(),
                    "dtype": np.dtype(d["dtype"]).name,
                    "dims": [{"min": lo, "max": hi, "name": sym} if lo != hi else hi
                             for lo, hi, sym in interp.input_dim_ranges(d["index"])]}
                   for d in interp.get_input_details()],
        "outputs": [{"name": d["name"], "index": d["index"], "shape": d["shape"].tolist(),
                     "dtype": np.dtype(d["dtype"]).name} for d in interp.get_output_details()],
        "signatures": interp.get_signature_list(),
        "identity": interp.model_info(),
        "metadata": interp.get_metadata(),
        "tensors": tensors,
        "node_list": [{"index": i, "op": op, "name": name, "variant": variant}
                      for i, (op, name, variant) in enumerate(zip(ops, interp.node_names(),
                                                                  interp.node_variants()))],
        **({"delegate": _delegate_summary(interp, delegate, library)}
           if delegate is not None else {}),
    }


def _dynamic_text(dims: list[Any]) -> str:
    """" (dynamic: [1,sequence 1..128])" for an input with dynamic dims, else ""."""
    if all(isinstance(d, int) for d in dims):
        return ""
    text = ",".join(str(d) if isinstance(d, int) else
                    f"{printable(d['name'])} {d['min']}..{d['max']}" for d in dims)
    return f" (dynamic: [{text}])"


def cmd_inspect(args: argparse.Namespace) -> int:
    """`ember inspect`: a model's inputs, outputs, ops, tensors and metadata, as text or JSON;
    with --delegate also where each node runs, why not on the delegate, and what the delegate
    says of itself."""
    delegate = load_cli_delegate(args.delegate, args.delegate_option)
    info = _summary(args.model, delegate, args.delegate or "")
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['file']}: {info['file_bytes']} bytes, {info['nodes']} nodes, "
          f"arena {info['arena_bytes']} bytes, weights {info['weight_bytes']} bytes")
    print(f"  {identity_text(info['identity'])}")
    # Names, op names, signature keys and metadata come from the file: escaped (JSON
    # escapes them itself).
    for kind in ("inputs", "outputs"):
        for io in info[kind]:
            print(f"  {kind[:-1]:6} {printable(io['name'])} {shape_text(io['shape'])} "
                  f"{io['dtype']}{_dynamic_text(io.get('dims', []))}")
    print("ops:")
    for op, count in info["ops"].items():
        print(f"  {printable(op):24} {count}")
    print(f"nodes (kernel variant picked for this CPU: {'+'.join(info['isa']) or 'no SIMD'}):")
    for n in info["node_list"]:
        print(f"  {n['index']:4} {printable(n['op']):20} {printable(n['variant']):30} "
              f"{printable(n['name'])}")
    print("tensors:")
    for t in info["tensors"]:
        kind = "prep" if t.get("prepared") else ("const" if t["constant"] else "arena")
        print(f"  {t['index']:4} {kind} {t['dtype']:8} {shape_text(t['shape']):20} "
              f"{printable(t['name'])}")
    if info["signatures"]:
        print("signatures:")
        for key, sig in info["signatures"].items():
            print(f"  {printable(key)}: inputs {_names(sig.get('inputs', []))}, outputs "
                  f"{_names(sig.get('outputs', []))}")
    if info["metadata"]:
        print("metadata:")
        for key, value in info["metadata"].items():
            print(f"  {printable(key)} = {printable(_metadata_text(key, value))}")
    if "delegate" in info:
        _print_placements(info["delegate"])
    return 0


def _print_placements(summary: dict[str, Any]) -> None:
    print(_delegate_line(summary) + ":")
    for line in summary["describe"].splitlines():
        print(f"  {printable(line)}")
    print("placement (delegate #partition, or cpu: why no delegate runs the node):")
    for p in summary["placements"]:
        print(f"  {p['index']:4} {clip(p['op'], 20):20} {clip(p['name'], 40):40} "
              f"{printable(placement_text(p))}")


def _names(names: Sequence[str]) -> str:
    return ", ".join(printable(n) for n in names) or "-"


def _metadata_text(key: str, value: str) -> str:
    """A label list (one label per line) as its count and first labels; others as they are."""
    if not key.startswith("labels."):
        return value
    labels = value.split("\n")
    shown = ", ".join(repr(label) for label in labels[:5])
    return f"{len(labels)} labels: {shown}{', ...' if len(labels) > 5 else ''}"


# -- run -------------------------------------------------------------------------------------

def _random_input(detail: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    shape = tuple(int(d) for d in detail["shape"])
    dtype = np.dtype(detail["dtype"])
    if dtype.kind in "fV":  # "V": bfloat16 and float8 (ml_dtypes)
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -128), min(info.max, 127), shape, endpoint=True,
                        dtype=dtype)


def _load_inputs(specs: list[str], details: list[dict[str, Any]]) -> dict[int, np.ndarray]:
    """Input position -> array, from NAME=FILE.npy or FILE.npy (by position) arguments."""
    names = [d["name"] for d in details]
    loaded: dict[int, np.ndarray] = {}
    for position, spec in enumerate(specs):
        name, sep, file = spec.partition("=")
        if sep and name in names:
            position = names.index(name)
        elif sep:
            raise CliError(f"no model input named {name!r}; inputs are {names}")
        else:
            file = spec
        if position >= len(details):
            raise CliError(f"{len(specs)} inputs given, the model has {len(details)}")
        try:
            loaded[position] = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise CliError(f"cannot read input {file}: {e}") from None
    return loaded


def _describe(name: str, value: np.ndarray, top: int) -> str:
    flat = value.reshape(-1)
    text = f"{name}: {shape_text(value.shape)} {value.dtype}"
    if flat.size == 0:
        return text
    if value.dtype.kind == "V":  # bfloat16 and float8 (ml_dtypes): described as float32
        flat = flat.astype(np.float32)
    if flat.dtype.kind in "fiub":
        text += (f" min {flat.min():.6g} max {flat.max():.6g} "
                 f"mean {flat.astype(np.float64).mean():.6g}")
        order = np.argsort(-flat.astype(np.float64), kind="stable")[:top]
        text += "\n  top: " + ", ".join(f"[{i}]={flat[i]:.6g}" for i in order)
    return text


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "output"


def _resize_to(interp: Any, inputs: list[dict[str, Any]], values: list[np.ndarray]) -> None:
    """Gives each input with dynamic dims the shape of the value given for it, then allocates
    again (a fixed input keeps its shape: set_tensor then says what it expected)."""
    resized = False
    for position, (detail, value) in enumerate(zip(inputs, values)):
        if -1 in detail["shape_signature"] and list(value.shape) != list(detail["shape"]):
            try:
                interp.resize_tensor_input(detail["index"], list(value.shape))
            except EmberRuntimeError as e:
                raise CliError(f"input {position}: {e}") from None
            resized = True
    if resized:
        try:
            interp.allocate_tensors()
        except EmberRuntimeError as e:
            raise CliError(f"cannot run at these input shapes: {e}") from None


def cmd_run(args: argparse.Namespace) -> int:
    """`ember run`: invokes a model on given or random inputs and describes each output."""
    if args.repeat < 1:
        raise CliError(f"--repeat must be >= 1, got {args.repeat}")
    delegate = load_cli_delegate(args.delegate, args.delegate_option)
    interp = open_model(args.model, delegate=delegate)
    if delegate is not None:
        print(_delegate_line(_delegate_summary(interp, delegate, args.delegate)))
    meta = interp.get_metadata()
    inputs = interp.get_input_details()
    loaded = _load_inputs(args.input, inputs)
    rng = np.random.default_rng(args.seed)
    values = []
    for position, detail in enumerate(inputs):
        value = loaded[position] if position in loaded else _random_input(detail, rng)
        if args.nchw and meta.get(f"layout.input.{detail['name']}") == "NHWC":
            value = np.transpose(value, TO_NHWC)
        values.append(np.ascontiguousarray(value))
    _resize_to(interp, inputs, values)
    for position, (detail, value) in enumerate(zip(inputs, values)):
        try:
            interp.set_tensor(detail["index"], value)
        except ValueError as e:
            raise CliError(f"input {position}: {e}") from None
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        try:
            interp.invoke()
        except EmberRuntimeError as e:
            raise CliError(f"invoke failed: {e}") from None
        times.append(time.perf_counter() - start)
    if args.save:
        os.makedirs(args.save, exist_ok=True)
    for detail in interp.get_output_details():
        value = interp.get_tensor(detail["index"])
        if args.nchw and meta.get(f"layout.output.{detail['name']}") == "NHWC":
            value = np.transpose(value, TO_NCHW)
        print(_describe(printable(detail["name"]), value, args.top))
        if args.save:
            np.save(os.path.join(args.save, _file_name(detail["name"]) + ".npy"), value)
    print(f"invoke: median {np.median(times) * 1e3:.3f} ms over {len(times)} run(s)")
    return 0


# -- bench -----------------------------------------------------------------------------------

def _isa_names(bits: int) -> list[str]:
    """The names of the ISA_* bits set in `bits` (ISA_ALL and ISA_NONE aside)."""
    from . import interpreter

    return [name[4:].lower() for name in dir(interpreter)
            if name.startswith("ISA_") and name not in ("ISA_ALL", "ISA_NONE")
            and bits & getattr(interpreter, name)]


# The ops whose FLOPs the profile counts (a multiply-add is 2 FLOPs; padding taps count too,
# as in TFLite's and XNNPACK's reports): op -> FLOPs from (input shapes, output shapes).
def _conv_flops(ins: list[list[int]], outs: list[list[int]]) -> int:
    return 2 * _prod(outs[0]) * _prod(ins[1][1:])  # filter [Cout, KH, KW, Cin/groups]


def _depthwise_flops(ins: list[list[int]], outs: list[list[int]]) -> int:
    return 2 * _prod(outs[0]) * ins[1][1] * ins[1][2]  # filter [1, KH, KW, C*multiplier]


def _fc_flops(ins: list[list[int]], outs: list[list[int]]) -> int:
    return 2 * _prod(outs[0]) * ins[1][-1]  # weights [N, K]


def _batch_matmul_flops(ins: list[list[int]], outs: list[list[int]]) -> int:
    a, out = ins[0], outs[0]
    # a is [..., M, K], or [..., K, M] when read transposed; when M == K both read the same.
    k = a[-1] if a[-2] == out[-2] else a[-2]
    return 2 * _prod(out) * k


def _transpose_conv_flops(ins: list[list[int]], outs: list[list[int]]) -> int:
    # Every input pixel meets every tap of every output channel: filter [Cout, KH, KW, Cin/g].
    data = next(shape for shape in ins if len(shape) == 4 and shape is not ins[1])
    return 2 * _prod(data[:-1]) * _prod(ins[1])


_FLOPS = {"conv2d": _conv_flops, "depthwise_conv2d": _depthwise_flops,
          "fully_connected": _fc_flops, "batch_matmul": _batch_matmul_flops,
          "transpose_conv2d": _transpose_conv_flops}


def _prod(shape: Sequence[int]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def node_flops(op: str, inputs: list[list[int]], outputs: list[list[int]]) -> int | None:
    """FLOPs of one node (a multiply-add counts 2) from its input and output shapes, for the
    ops `ember bench --profile` rates (CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED, BATCH_MATMUL,
    TRANSPOSE_CONV2D); None for other ops."""
    rate = _FLOPS.get(op)
    return None if rate is None else rate(inputs, outputs)


def _node_rows(interp: Any) -> list[dict[str, Any]]:
    """Per node: index, op, name, variant, output shape and FLOPs (None where not counted)."""
    shapes = [d["shape"].tolist() for d in interp.get_tensor_details()]
    rows = []
    for i, (op, name, variant) in enumerate(zip(interp.node_ops(), interp.node_names(),
                                                interp.node_variants())):
        ins, outs = interp.node_inputs(i), interp.node_outputs(i)
        in_shapes = [shapes[t] if t is not None else [] for t in ins]
        out_shapes = [shapes[t] for t in outs]
        rows.append({"index": i, "op": op, "name": name, "variant": variant,
                     "output_shape": out_shapes[0] if out_shapes else [],
                     "flops": node_flops(op, in_shapes, out_shapes)})
    return rows


def _percentile_ms(times: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(times) * 1e3, q))


def _profile(interp: Any, runs: int) -> list[dict[str, Any]]:
    """The per-node rows with the median ms over `runs` node-by-node passes, % of their sum
    and GFLOP/s."""
    passes = np.array([interp.profile() for _ in range(runs)]) * 1e3  # [runs, nodes] in ms
    ms = np.median(passes, axis=0)
    total = float(ms.sum()) or 1.0
    rows = _node_rows(interp)
    for row, t in zip(rows, ms):
        row["ms"] = float(t)
        row["percent"] = 100.0 * float(t) / total
        row["gflops"] = row["flops"] / (t * 1e6) if row["flops"] and t > 0 else None
    return rows


def _op_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per op: nodes, ms, % and GFLOP/s summed over its nodes, most time first."""
    ops: dict[str, dict[str, Any]] = {}
    for row in rows:
        op = ops.setdefault(row["op"], {"op": row["op"], "nodes": 0, "ms": 0.0,
                                        "percent": 0.0, "flops": None})
        op["nodes"] += 1
        op["ms"] += row["ms"]
        op["percent"] += row["percent"]
        if row["flops"] is not None:
            op["flops"] = (op["flops"] or 0) + row["flops"]
    for op in ops.values():
        op["gflops"] = op["flops"] / (op["ms"] * 1e6) if op["flops"] and op["ms"] > 0 else None
    return sorted(ops.values(), key=lambda op: -op["ms"])


def _gflops_text(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _print_profile(rows: list[dict[str, Any]]) -> None:
    print(f"{'#':>4}  {'op':20} {'name':40} {'output':18} {'variant':30} {'ms':>9} "
          f"{'%':>6} {'GFLOP/s':>8}")
    for r in rows:
        print(f"{r['index']:4}  {clip(r['op'], 20):20} {clip(r['name'], 40):40} "
              f"{shape_text(r['output_shape']):18} {clip(r['variant'], 30):30} "
              f"{r['ms']:9.4f} {r['percent']:6.2f} {_gflops_text(r['gflops']):>8}")
    print("per op:")
    print(f"  {'op':20} {'nodes':>5} {'ms':>9} {'%':>6} {'GFLOP/s':>8}")
    for op in _op_summary(rows):
        print(f"  {clip(op['op'], 20):20} {op['nodes']:5} {op['ms']:9.4f} "
              f"{op['percent']:6.2f} {_gflops_text(op['gflops']):>8}")


def cmd_bench(args: argparse.Namespace) -> int:
    """`ember bench`: invoke latency (median, p90, min) on random inputs, the threads and
    ISA used, and with --profile the time, share and GFLOP/s of every node and op."""
    from .interpreter import ISA_NONE

    for flag, value, least in (("--threads", args.threads, 1), ("--runs", args.runs, 1),
                               ("--warmup", args.warmup, 0)):
        if value < least:
            raise CliError(f"{flag} must be >= {least}, got {value}")
    delegate = load_cli_delegate(args.delegate, args.delegate_option)
    interp = open_model(args.model, num_threads=args.threads,
                        isa_mask=ISA_NONE if args.reference else None, delegate=delegate)
    rng = np.random.default_rng(args.seed)
    for detail in interp.get_input_details():
        interp.set_tensor(detail["index"], _random_input(detail, rng))
    try:
        for _ in range(args.warmup):
            interp.invoke()
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            interp.invoke()
            times.append(time.perf_counter() - start)
        rows = _profile(interp, args.runs) if args.profile else None
    except EmberRuntimeError as e:
        raise CliError(f"invoke failed: {e}") from None
    isa = [] if args.reference else _isa_names(interp.cpu_features())
    result: dict[str, Any] = {
        "file": args.model, "threads": args.threads, "isa": isa, "runs": args.runs,
        "warmup": args.warmup, "median_ms": _percentile_ms(times, 50),
        "p90_ms": _percentile_ms(times, 90), "min_ms": min(times) * 1e3,
    }
    if rows is not None:
        result["nodes"] = rows
        result["ops"] = _op_summary(rows)
    if delegate is not None:
        result["delegate"] = _delegate_summary(interp, delegate, args.delegate)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.model}: {len(interp.node_ops())} nodes, {args.threads} thread(s), "
          f"isa {'+'.join(isa) or 'none (reference kernels)'}")
    if delegate is not None:
        print(_delegate_line(result["delegate"]) + " (a partition's time is its first "
              "node's in --profile)")
    print(f"latency over {args.runs} run(s) after {args.warmup} warm-up: median "
          f"{result['median_ms']:.3f} ms, p90 {result['p90_ms']:.3f} ms, "
          f"min {result['min_ms']:.3f} ms")
    if rows is not None:
        print(f"profile: median of {args.runs} node-by-node pass(es), sum "
              f"{sum(r['ms'] for r in rows):.3f} ms")
        _print_profile(rows)
    return 0


# -- compare ---------------------------------------------------------------------------------

def _agreement_text(row: dict[str, Any]) -> str:
    if "problem" in row:
        return printable(row["problem"])
    differing = "-" if row["differing"] is None else str(row["differing"])
    return f"{row['max_abs']:10.3g}  {row['max_rel']:18.3g}  {differing:>9}"


def _print_agreement(rows: list[dict[str, Any]], layers: bool,
                     first: dict[str, Any] | None = None) -> None:
    """One line per compared tensor: (layers) the node that writes it, its source name,
    shape, dtype and agreement; the Emberlite tensor's name where it differs; `first` marked."""
    width = min(40, max([len(printable(row["name"])) for row in rows] + [6]))
    node = f"{'node':>5}  " if layers else ""
    print(f"  {node}{'tensor':{width}}  {'shape':14}  {'dtype':7}  {'max|diff|':>10}  "
          f"{'max|diff|/max|ref|':>18}  {'differing':>9}")
    for row in rows:
        node = f"{row['node']:5}  " if layers else ""
        notes = []
        if row["emberlite_name"] != row["name"]:
            notes.append(f"Emberlite {printable(row['emberlite_name'])}"
                         + (" (NHWC)" if row.get("nhwc") else ""))
        if row is first:
            notes.append("<- first divergence")
        name = printable(row["name"])
        # The end of a long name tells layers apart (/features.3/conv/Conv_output_0).
        name = name if len(name) <= width else "..." + name[3 - width:]
        print(f"  {node}{name:{width}}  {shape_text(row['shape']):14}  "
              f"{row['dtype']:7}  {_agreement_text(row)}  {'  '.join(notes)}".rstrip())


def cmd_compare(args: argparse.Namespace) -> int:
    """`ember compare`: the .ember beside its source model in ONNX Runtime or LiteRT, or with
    --delegate beside itself on the CPU, on the same inputs; exit status 0 when every output
    agrees within --tol, 1 when one does not."""
    from . import __version__
    from .compare import compare, load_input_files

    if args.delegate is not None:
        return _compare_delegate(args)
    load_cli_delegate(None, args.delegate_option)  # refuses options without a delegate
    if args.model is None:
        raise CliError("give the source model and the .ember converted from it (or "
                       "--delegate and the .ember alone)")
    given = load_input_files(args.input, args.inputs)
    result = compare(args.source, args.model, given, seed=args.seed, tol=args.tol,
                     layers=args.layers)
    print(f"source {printable(args.source)} in {result['runtime']}; "
          f"model {printable(args.model)} in Emberlite {__version__}")
    for name, shape, dtype, origin in result["inputs"]:
        print(f"input {printable(name)}: {shape_text(shape)} {dtype} ({origin})")
    how = "by name" if result["outputs_by_name"] else "by position (their names differ)"
    print(f"outputs, matched {how}:")
    _print_agreement(result["outputs"], layers=False)
    if result["layers"] is not None:
        skipped = ", ".join(f"{count} {reason}" for reason, count in result["skipped"].items()
                            if count)
        print(f"layers: {len(result['layers'])} tensor(s) on both sides, in Emberlite's node "
              f"order; skipped: {skipped or 'none'}")
        first = result["first_divergence"]
        _print_agreement(result["layers"], layers=True, first=first)
        print("first divergence: " + (f"{printable(first['name'])} (node {first['node']})"
                                      if first else "none"))
    failed = [printable(row["name"]) for row in result["outputs"] if not row["ok"]]
    rule = f"max|diff| / max|ref| <= {args.tol:g}; integer and bool outputs equal"
    if failed:
        print(f"FAIL: {len(failed)} of {len(result['outputs'])} output(s) disagree "
              f"({rule}): {', '.join(failed)}")
        return 1
    print(f"PASS: {len(result['outputs'])} output(s) agree ({rule})")
    return 0


def _compare_delegate(args: argparse.Namespace) -> int:
    from .compare import load_input_files
    from .compare_delegate import compare_delegate, print_report

    if args.model is not None:
        raise CliError("with --delegate, give the .ember model alone (it runs on the CPU and "
                       "on the delegate)")
    if args.layers:
        raise CliError("--layers compares with a source model; with --delegate every node is "
                       "compared")
    if args.runs < 1:
        raise CliError(f"--runs must be >= 1, got {args.runs}")
    given = load_input_files(args.input, args.inputs)
    result = compare_delegate(args.source, args.delegate, args.delegate_option, given,
                              seed=args.seed, tol=args.tol, runs=args.runs)
    return print_report(result)


# -- verify ----------------------------------------------------------------------------------

def cmd_verify(args: argparse.Namespace) -> int:
    """`ember verify`: loads, verifies and prepares a model, with --pubkey also its signature
    and with --min-model-version its version; prints "ok: ..." and the model's identity, or
    the error."""
    interp = open_model(args.model, trust=trust_options(args))
    print(f"ok: {args.model} ({len(interp.node_ops())} nodes, arena {interp.arena_size} bytes)")
    print(f"  {identity_text(interp.model_info())}")
    return 0


# -- export-c --------------------------------------------------------------------------------

def cmd_export_c(args: argparse.Namespace) -> int:
    """`ember export-c`: the model as C source (OUT.c, OUT.h, and OUT_ops.h with --ops-header)
    for firmware that links it in flash; the header gives the exact arena size."""
    from .export_c import DEFAULT_SECTION, export_c

    output = args.output or str(Path(args.model).with_suffix(""))
    written = export_c(args.model, output, name=args.name,
                       section=args.section or DEFAULT_SECTION, ops_header=args.ops_header)
    for path, what in written.items():
        print(f"wrote {printable(str(path))} ({what})")
    return 0


# -- entry point -----------------------------------------------------------------------------

def _delegate_arguments(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--delegate", metavar="NAME_OR_PATH",
                   help=f"a delegate: opencl (the OpenCL delegate built with emberlite) or the "
                        f"path of a delegate library; {what}")
    p.add_argument("--delegate-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting of the delegate (repeatable), e.g. precision=fp16 "
                        "(README: Delegates)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of `ember` and its subcommands."""
    parser = argparse.ArgumentParser(prog="ember", description="Emberlite model tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="convert an ONNX (or .tflite) model to .ember")
    p.add_argument("model", help="source model (.onnx or .tflite)")
    p.add_argument("-o", "--output", help="output path (default: MODEL with .ember suffix)")
    p.add_argument("--model-version", type=int, default=0, metavar="N",
                   help="the model's version, stored in the file (and signed with it): "
                        "runtimes given a minimum model version refuse older ones (default 0, "
                        "none)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME:D0,D1,...",
                   help="fix the shape of a graph input (repeatable); a dim LO..HI stays "
                        "dynamic in that range (resize_tensor_input), -1 keeps the model's")
    p.add_argument("--io-layout", choices=["onnx", "nhwc"],
                   help="layout of 4-D image inputs and outputs of an ONNX model: onnx (the "
                        "default) keeps the model's own (NCHW), nhwc stores them channels-last "
                        "(what camera pipelines hand over; metadata layout.input.NAME says so)")
    p.add_argument("--quantize", choices=["int8", "int16x8", "dynamic", "fp16"],
                   help="int8: full int8 (weights, activations, inputs and outputs; needs "
                        "--calibration); int16x8: int16 activations and int8 weights where "
                        "ops have 16x8 kernels, float32 inputs and outputs (needs "
                        "--calibration); dynamic: int8 weights per output channel, float32 "
                        "activations; fp16: float16 weights, float32 activations")
    p.add_argument("--dynamic-compute", choices=["float", "int8"],
                   help="with --quantize dynamic: float (default) dequantizes the weights at "
                        "load and keeps float32 accuracy; int8 quantizes the inputs of CONV2D "
                        "and FULLY_CONNECTED per inference and sums in int8: faster, less "
                        "accurate (README: Quantization)")
    p.add_argument("--calibration", metavar="DATA",
                   help="representative inputs for --quantize: a directory of .npy files "
                        "or an .npz, in the source model's layout")
    p.add_argument("--method", choices=["minmax", "percentile", "entropy", "mse"],
                   default="minmax", help="how calibration picks activation ranges")
    p.add_argument("--percentile", type=float, default=99.99,
                   help="the percentile kept by --method percentile")
    io = p.add_mutually_exclusive_group()
    io.add_argument("--io", choices=["int8", "uint8", "int16", "float"],
                    help="with --quantize int8 or int16x8: the type of the inputs and outputs "
                         "(int8: int8 (default), uint8 (the int8 scale, zero point + 128) or "
                         "float; int16x8: float (default) or int16); float32 is quantized and "
                         "dequantized by the model")
    # Deprecated in 0.2 (one spelling per option), kept so 0.1 scripts still run.
    io.add_argument("--float-io", action="store_true",
                    help="deprecated: use --io float (this alias prints a warning)")
    p.add_argument("--report", metavar="FILE.json",
                   help="with --quantize: measure each layer's quantization error (SNR, "
                        "cosine vs float) on the calibration data, print it worst first and "
                        "save it as JSON")
    p.add_argument("--accuracy-budget", type=float, metavar="DB",
                   help="with --quantize: keep the layers that hurt most in float32, one at a "
                        "time, until every output's SNR vs float on the calibration data is "
                        "at least DB dB; prints what was kept and its size cost")
    p.add_argument("--max-constant-mb", type=float, metavar="MIB",
                   help="the most memory, in MiB, that the constants computed by constant "
                        "folding may take together (default 512); a model needing more is "
                        "refused, naming the node")
    p.add_argument("--max-arena-mb", type=float, metavar="MIB",
                   help="the largest planned arena (activation memory), in MiB, of the "
                        "written model (default 4096); a model needing more is refused, "
                        "naming its largest tensor")
    p.add_argument("--max-nodes", type=int, metavar="N",
                   help="the most IR nodes the import may make (default 1048576; unrolled "
                        "recurrences make dozens per step); a model needing more is refused, "
                        "naming the node")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("inspect", help="ops, tensors, arena and sizes of an .ember model")
    p.add_argument("model")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _delegate_arguments(p, "also print where each node runs (the delegate's partition, or the "
                           "CPU and why) and what the delegate says of itself")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("run", help="run an .ember model once on given or random inputs")
    p.add_argument("model")
    p.add_argument("-i", "--input", action="append", default=[], metavar="[NAME=]FILE.npy",
                   help="an input from a .npy file, by name or by position (repeatable); "
                        "inputs not given are random")
    p.add_argument("--nchw", action="store_true",
                   help="inputs and outputs in the source model's NCHW layout where the "
                        ".ember file stores NHWC")
    p.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    p.add_argument("--top", type=int, default=5, help="largest values to print per output")
    p.add_argument("--repeat", type=int, default=1, help="invoke this many times (timing)")
    p.add_argument("--save", metavar="DIR", help="write each output to DIR/<name>.npy")
    _delegate_arguments(p, "run the nodes it takes on it")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="time an .ember model: latency, and per node with "
                                      "--profile")
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1, help="threads of the interpreter")
    p.add_argument("--runs", type=int, default=20, help="timed invokes (and profile passes)")
    p.add_argument("--warmup", type=int, default=3, help="untimed invokes first")
    p.add_argument("--profile", action="store_true",
                   help="also time each node: op, name, output shape, variant, ms, %% of the "
                        "total, GFLOP/s (conv, depthwise, fully connected, batch matmul, "
                        "transpose conv), and a per-op summary")
    p.add_argument("--reference", action="store_true",
                   help="run the portable reference kernels only (isa_mask NONE)")
    p.add_argument("--seed", type=int, default=0, help="seed for the random inputs")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _delegate_arguments(p, "run the nodes it takes on it")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("compare", help="run an .ember model and the .onnx or .tflite it was "
                                        "converted from on the same inputs, compare outputs; "
                                        "or with --delegate the .ember on the CPU and on the "
                                        "delegate, node by node")
    p.add_argument("source", help="the source model: .onnx (run in ONNX Runtime) or .tflite "
                                  "(run in LiteRT); with --delegate the .ember")
    p.add_argument("model", nargs="?", help="the .ember converted from it (not with --delegate)")
    p.add_argument("-i", "--input", action="append", default=[], metavar="[NAME=]FILE.npy",
                   help="a source input from a .npy file, by name or by position, in the "
                        "source's layout (repeatable); inputs not given are random")
    p.add_argument("--inputs", metavar="FILE.npz", help="source inputs by name from an .npz "
                                                         "(with --delegate: the .ember's)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for random inputs: floats standard normal, integers 0..9")
    p.add_argument("--tol", "--tolerance", type=float, default=1e-4,
                   help="the largest max|diff| / max|reference| of a float output that "
                        "passes (integer and bool outputs must be equal); with --delegate "
                        "the CPU is the reference and every node's outputs count")
    p.add_argument("--layers", action="store_true",
                   help="also compare the intermediate tensors found in both models, in "
                        "node order, and name the first beyond --tol (the exit status "
                        "depends on the outputs only)")
    p.add_argument("--runs", type=int, default=5,
                   help="with --delegate: timed passes per side (median) after one untimed")
    _delegate_arguments(p, "compare the .ember on it with the .ember on the CPU: every node's "
                           "outputs (the delegate once more with each node a partition of its "
                           "own), the whole graph's outputs, and the times")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export-c", help="write an .ember model as C source: OUT.c with the "
                                         "bytes as an aligned const array, OUT.h with the "
                                         "exact arena size, inputs, outputs and ops")
    p.add_argument("model", help="the .ember model")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="writes OUT.c and OUT.h (OUT may include a directory; a .c suffix is "
                        "dropped; default: MODEL without its .ember suffix)")
    p.add_argument("--name", metavar="SYMBOL",
                   help="prefix of the C names: SYMBOL_model, SYMBOL_model_size and "
                        "SYMBOL_ARENA_SIZE etc. (default: OUT's base name made a C identifier)")
    p.add_argument("--section", metavar="NAME",
                   help="linker section of the model array (default .rodata.ember_model, "
                        "which GNU ld scripts place with the read-only data, in flash)")
    p.add_argument("--ops-header", nargs="?", const="", metavar="PATH",
                   help="also write the ops the model uses as EMBER_USE_OP_<NAME> defines, for "
                        "a library built with -DEMBER_OPS_HEADER (default path OUT_ops.h)")
    p.set_defaults(func=cmd_export_c)

    p = sub.add_parser("verify", help="check a model: verify, hash and prepare every node; "
                                      "with --pubkey also its signature")
    p.add_argument("model")
    p.add_argument("--pubkey", action="append", default=[], metavar="PUB",
                   help="a trusted Ed25519 public key (PEM, DER or 32 raw bytes; repeatable): "
                        "the model must carry a signature by one of them that verifies")
    p.add_argument("--min-model-version", type=int, default=0, metavar="N",
                   help="refuse a model whose model version is below N (a rollback)")
    p.set_defaults(func=cmd_verify)
    add_sign_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `ember` with `argv` (default sys.argv[1:]); returns the exit status: 0 on
    success, 2 after printing one `ember: error: ...` line for a bad input."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as e:
        # Messages quote names from the model: escaped, so the error is one safe line.
        print(f"ember: error: {printable(str(e))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`ember inspect m.ember | head`): stop quietly, and keep
        # Python's exit-time flush of stdout from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as e:
        print(f"ember: error: {printable(str(e))}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
