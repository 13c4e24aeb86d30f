"""Interpreter: the Python face of the C interpreter, modelled on tflite_runtime's Interpreter.

The model bytes are never parsed here: the C library verifies them in ember_interp_create and
everything below reads through its API. Model bytes and the interpreter handle are kept alive
together, and every numpy view into the arena keeps the Interpreter alive. The model bytes the
C library reads are ones nobody can change after verification (`bytes`, or a copy this module
owns), except the shared map of a model_path, whose rules Interpreter's docstring gives.
"""
from __future__ import annotations

import mmap
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._ember import ffi, lib
from .errors import MisuseError, error_for_status
from .keys import load_public_key

_NUMPY_TYPES: dict[int, type] = {
    lib.EMBER_TYPE_FLOAT32: np.float32,
    lib.EMBER_TYPE_FLOAT16: np.float16,
    lib.EMBER_TYPE_INT8: np.int8,
    lib.EMBER_TYPE_UINT8: np.uint8,
    lib.EMBER_TYPE_INT16: np.int16,
    lib.EMBER_TYPE_INT32: np.int32,
    lib.EMBER_TYPE_INT64: np.int64,
    lib.EMBER_TYPE_BOOL: np.bool_,
    lib.EMBER_TYPE_UINT16: np.uint16,
    lib.EMBER_TYPE_UINT32: np.uint32,
    lib.EMBER_TYPE_UINT64: np.uint64,
    lib.EMBER_TYPE_FLOAT64: np.float64,
}
# Types numpy lacks, by their ml_dtypes names: ml_dtypes is imported when a tensor of one is
# touched, so the runtime alone runs without it (it comes with emberlite[convert]).
_ML_DTYPES_TYPES: dict[int, str] = {
    lib.EMBER_TYPE_BFLOAT16: "bfloat16",
    lib.EMBER_TYPE_FLOAT8E4M3FN: "float8_e4m3fn",
    lib.EMBER_TYPE_FLOAT8E4M3FNUZ: "float8_e4m3fnuz",
    lib.EMBER_TYPE_FLOAT8E5M2: "float8_e5m2",
    lib.EMBER_TYPE_FLOAT8E5M2FNUZ: "float8_e5m2fnuz",
    lib.EMBER_TYPE_INT4: "int4",  # one element per byte, as ml_dtypes stores them
    lib.EMBER_TYPE_UINT4: "uint4",
    lib.EMBER_TYPE_INT2: "int2",
    lib.EMBER_TYPE_UINT2: "uint2",
    lib.EMBER_TYPE_FLOAT4E2M1: "float4_e2m1fn",
    lib.EMBER_TYPE_FLOAT8E8M0: "float8_e8m0fnu",
}

# Bits of Interpreter(isa_mask=...): which optimised kernel families prepare may pick. The
# values are the C header's EMBER_ISA_*; combine them with |.
ISA_NONE: int = lib.EMBER_ISA_NONE  # the portable reference kernels only
ISA_AVX2: int = lib.EMBER_ISA_AVX2  # x86-64 with AVX2, FMA and F16C
ISA_NEON: int = lib.EMBER_ISA_NEON  # Arm NEON (armv7, aarch64)
ISA_NEONDOT: int = lib.EMBER_ISA_NEONDOT  # aarch64 with the dot-product instructions
ISA_AVX512F: int = lib.EMBER_ISA_AVX512F  # x86-64 with AVX-512 Foundation
ISA_AVX512VNNI: int = lib.EMBER_ISA_AVX512VNNI  # x86-64 with AVX-512 BW, VL and VNNI
ISA_AVX512VBMI: int = lib.EMBER_ISA_AVX512VBMI  # x86-64 with AVX-512 BW, VL and VBMI
ISA_NEONFP16: int = lib.EMBER_ISA_NEONFP16  # aarch64 with half-precision arithmetic
ISA_NEONI8MM: int = lib.EMBER_ISA_NEONI8MM  # aarch64 with the int8 matrix multiply
ISA_SHA: int = lib.EMBER_ISA_SHA  # SHA-256 instructions: the content hash checked at create
ISA_ARMDSP: int = lib.EMBER_ISA_ARMDSP  # Cortex-M DSP extension (bare-metal builds only)
ISA_MVE: int = lib.EMBER_ISA_MVE  # Cortex-M Helium (bare-metal builds only)
ISA_ALL: int = lib.EMBER_ISA_ALL  # whatever this CPU has (the default)

# The key tflite gives the one signature of a model that names none.
DEFAULT_SIGNATURE = "serving_default"
_VERIFY_MSG_SIZE = 512


def runtime_version() -> str:
    """The C library's version, e.g. '0.1.0'."""
    return f"{lib.EMBER_VERSION_MAJOR}.{lib.EMBER_VERSION_MINOR}.{lib.EMBER_VERSION_PATCH}"


def _text(ptr: Any) -> str:
    return "" if ptr == ffi.NULL else ffi.string(ptr).decode("utf-8", errors="replace")


def _address(cdata: Any) -> int:
    return int(ffi.cast("uintptr_t", cdata))


def _aligned_copy(data: Any) -> np.ndarray:
    """One copy of `data` starting at an EMBER_MODEL_ALIGNMENT-aligned address."""
    src = np.frombuffer(data, dtype=np.uint8)
    align = lib.EMBER_MODEL_ALIGNMENT
    raw = np.empty(src.size + align, dtype=np.uint8)
    start = -raw.ctypes.data % align
    out = raw[start:start + src.size]
    out[:] = src
    out.flags.writeable = False
    return out


def _read_model(model_path: str | os.PathLike, use_mmap: bool) -> Any:
    """The file's bytes: a shared read-only map of it, or a private copy in memory."""
    with open(model_path, "rb") as f:
        if not use_mmap:
            return _owned_bytes(f.read())
        if os.fstat(f.fileno()).st_size == 0:
            return _owned_bytes(b"")  # mmap refuses empty files; the verifier rejects them
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _release_mapped_pages(model: Any) -> None:
    """Unmaps the pages of a model file's shared map from this process once allocate has
    packed the weights: prepare read every weight it copies, and the content hash read the
    whole file, so the map holds the file's size in RSS (14 MB for MobileNetV2) that eval
    mostly never reads again. The pages stay in the page cache and the map stays valid: a
    constant that eval does read faults back in on first use, with the same bytes. Only for a
    file's map; on anonymous memory MADV_DONTNEED would zero it."""
    if isinstance(model, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        model.madvise(mmap.MADV_DONTNEED)


def _owned_bytes(model_content: Any) -> Any:
    """`model_content` itself if it is `bytes` at an aligned address, else an aligned copy.

    The C library reads the model for as long as the interpreter lives, after verifying it
    once, so the bytes it sees must never change. Only `bytes` is immutable: a buffer that
    merely reports read-only (a read-only memoryview or numpy array over writable memory, a
    read-only mmap of a file someone else can write) may change under the interpreter.
    """
    if type(model_content) is bytes:  # a subclass could export another buffer
        view = memoryview(model_content)
        if _address(ffi.from_buffer(view)) % lib.EMBER_MODEL_ALIGNMENT == 0:
            return model_content
        return _aligned_copy(view)
    view = memoryview(model_content)
    if not view.c_contiguous:
        raise ValueError("model_content must be a contiguous bytes-like object")
    return _aligned_copy(view.cast("B"))


def _model_bytes(model_path: str | os.PathLike | None, model_content: Any,
                 use_mmap: bool = True) -> Any:
    """A buffer holding the model at an aligned address that nobody will change (or, with
    model_path and use_mmap, the file's shared map: see Interpreter)."""
    if (model_path is None) == (model_content is None):
        raise ValueError("give exactly one of model_path and model_content")
    if model_path is not None:
        return _read_model(model_path, use_mmap)
    return _owned_bytes(model_content)


def verify_model(model_content: Any) -> None:
    """Runs the C verifier over model bytes; raises the matching EmberRuntimeError if bad."""
    data = ffi.from_buffer(_model_bytes(None, model_content))
    msg = ffi.new("char[]", _VERIFY_MSG_SIZE)
    status = lib.ember_model_verify(data, len(data), msg, _VERIFY_MSG_SIZE)
    if status != lib.EMBER_STATUS_OK:
        raise error_for_status(status, _text(msg) or _text(lib.ember_status_str(status)))


def _trusted_keys(keys: Iterable[Any] | None) -> tuple[Any, int]:
    """The keys as one C array of raw 32-byte keys (NULL for none), and their count."""
    if keys is None:
        return ffi.NULL, 0
    if isinstance(keys, (str, bytes, bytearray, os.PathLike)):
        raise TypeError("trusted_keys is a list of keys, not one key")
    raw = [load_public_key(k) for k in keys]
    return (ffi.new("uint8_t[]", b"".join(raw)) if raw else ffi.NULL), len(raw)


def _delegate_list(delegates: Iterable | None) -> tuple[Any, ...]:
    from .delegates import Delegate

    found = tuple(delegates or ())
    for delegate in found:
        if not isinstance(delegate, Delegate):
            raise ValueError(f"experimental_delegates takes the delegates load_delegate() "
                            f"makes, got {type(delegate).__name__}")
    return found


def _destroyer(delegates: tuple[Any, ...]) -> Callable[[Any], None]:
    """ember_interp_destroy for a handle, holding the handle's delegates: destroying the
    interpreter calls their release callbacks, so no delegate may be destroyed before it,
    whatever order the garbage collector takes."""
    def destroy(handle: Any, _delegates: tuple[Any, ...] = delegates) -> None:
        lib.ember_interp_destroy(handle)

    return destroy


class _ArenaView:
    """Exposes tensor memory to numpy while holding the Interpreter that owns it."""

    def __init__(self, owner: "Interpreter", address: int, shape: tuple[int, ...],
                 dtype: np.dtype, readonly: bool):
        self._owner = owner
        self.__array_interface__ = {
            "version": 3, "shape": shape, "typestr": dtype.str, "data": (address, readonly),
        }


class Interpreter:
    """Runs an .ember model. Same call sequence and detail dicts as tflite's Interpreter:

        interp = Interpreter(model_path="model.ember")
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        y = interp.get_tensor(interp.get_output_details()[0]["index"])

    Arguments:

    - model_path or model_content (exactly one): the model, see below.
    - num_threads: None (1) or a positive int: how many threads the kernels split their work
      over, the calling one included (started by allocate_tensors()). Outputs are the same bits
      for any count.
    - experimental_delegates: delegates from emberlite.load_delegate(), which run the nodes
      they take elsewhere (a GPU), tried in order; allocate_tensors() asks them and
      node_placements() then says where each node runs and why. The interpreter keeps them
      alive for as long as it lives.
    - isa_mask: which optimised kernel families the kernels may pick, an OR of
      emberlite.ISA_AVX2, ISA_NEON and ISA_NEONDOT; None means ISA_ALL (everything this CPU
      has, see cpu_features()), ISA_NONE runs only the portable reference kernels. A family
      the CPU lacks is never used, whatever the mask says.
    - verify_hash: check the model's content hash when it is loaded (on by default).
    - trusted_keys: Ed25519 public keys (anything emberlite.signing.load_public_key reads:
      raw 32 bytes, PEM, DER, a path, a cryptography key). Given any, the model must carry a
      signature by one of them that verifies (else UnsignedModelError), a signature by a
      trusted key that fails is BadSignatureError, and the content hash is checked whatever
      verify_hash says (docs/signing.md).
    - min_model_version: refuse a model whose model_version (Converter.convert's) is lower,
      with RollbackError: an update pipeline passes the running model's version.
    - use_mmap: with model_path, map the file instead of reading it, see below.

    The model is verified once, here, and then read for as long as the interpreter lives, so
    its bytes must not change meanwhile:

    - model_content: a `bytes` object is used in place (it is immutable); anything else (a
      bytearray, a numpy array, a memoryview, an mmap, even one that reports read-only) is
      copied, since its memory may be writable through another name.
    - model_path with use_mmap=True (the default): the file is memory-mapped shared, as tflite
      does, so only the pages that are used are read. Update such a file by writing the new
      model to another file and renaming it over the old one (os.replace): the interpreter
      keeps the old file's pages. Never rewrite or truncate it in place: a rewrite silently
      changes the weights under a running interpreter, a truncation kills the process with
      SIGBUS at the next invoke. A private map (MAP_PRIVATE, mmap.ACCESS_COPY) would not help:
      its pages still show later writes to the file until written themselves, and still raise
      SIGBUS past a truncated end.
    - model_path with use_mmap=False: the file is read into memory the interpreter owns; later
      changes to the file, truncation included, do not reach it. Costs the file's size in RAM.
    """

    def __init__(self, model_path: str | os.PathLike | None = None, model_content: Any = None,
                 num_threads: int | None = None, experimental_delegates: Iterable | None = None,
                 isa_mask: int | None = None, verify_hash: bool = True, use_mmap: bool = True,
                 trusted_keys: Iterable[Any] | None = None, min_model_version: int = 0):
        delegates = _delegate_list(experimental_delegates)
        if num_threads is not None and (not isinstance(num_threads, int) or num_threads < 1):
            raise ValueError(f"num_threads must be a positive int or None, got {num_threads!r}")
        self._model = _model_bytes(model_path, model_content, use_mmap)
        self._model_cdata = ffi.from_buffer(self._model)
        options = ffi.new("ember_options *")
        lib.ember_options_init(options)
        if num_threads is not None:
            options.num_threads = num_threads
        if isa_mask is not None:
            options.isa_mask = isa_mask
        options.verify_hash = 1 if verify_hash else 0
        # Kept alive with the interpreter, whose options point at them.
        self._trusted_keys, options.trusted_key_count = _trusted_keys(trusted_keys)
        options.trusted_keys = self._trusted_keys
        if type(min_model_version) is not int or not 0 <= min_model_version < 1 << 64:
            raise ValueError(f"min_model_version must be an int in [0, 2^64), got "
                             f"{min_model_version!r}")
        options.min_model_version = min_model_version
        out = ffi.new("ember_interp **")
        status = lib.ember_interp_create(self._model_cdata, len(self._model_cdata), options, out)
        if out[0] != ffi.NULL:
            self._handle = ffi.gc(out[0], _destroyer(delegates))
        if status != lib.EMBER_STATUS_OK:
            message = _text(lib.ember_errmsg(out[0]))
            self._handle = None
            raise error_for_status(status, message)
        for delegate in delegates:
            self._check(lib.ember_interp_add_delegate(self._handle, delegate._cdata))
        self._allocated = False

    # -- lifecycle --------------------------------------------------------------------------

    def _check(self, status: int) -> None:
        if status != lib.EMBER_STATUS_OK:
            raise error_for_status(status, _text(lib.ember_errmsg(self._handle)))

    def allocate_tensors(self) -> None:
        """Prepares every node and binds the arena. Later calls do nothing until an input is
        resized (resize_tensor_input): then every tensor's shape follows the inputs'."""
        if self._allocated:
            return
        self._check(lib.ember_interp_allocate(self._handle))
        self._allocated = True
        _release_mapped_pages(self._model)

    def resize_tensor_input(self, input_index: int, tensor_size: Any,
                            strict: bool = False) -> None:
        """Gives graph input `input_index` (a tensor index) the shape `tensor_size`; call
        allocate_tensors() before the next invoke. Only the dims that shape_signature marks
        -1 may change, each within the bounds the model was converted with (a dimension's
        range: input_dim_ranges()); `strict` is accepted for tflite compatibility, and resizes
        are always strict."""
        del strict
        inputs = [d["index"] for d in self.get_input_details()]
        if input_index not in inputs:
            raise ValueError(f"tensor {input_index!r} is not a graph input (inputs: {inputs})")
        dims = [int(d) for d in np.asarray(tensor_size, dtype=np.int64).ravel()]
        if any(not -2**31 <= d < 2**31 for d in dims):
            raise ValueError(f"shape {dims} does not fit int32")
        self._check(lib.ember_interp_resize_input(self._handle, inputs.index(input_index),
                                                  ffi.new("int32_t[]", dims or [0]), len(dims)))
        self._allocated = False

    def input_dim_ranges(self, input_index: int) -> list[tuple[int, int, str]]:
        """Per dim of graph input `input_index` (a tensor index): (min, max, name), with
        min == max and name "" for a fixed dim, else the dynamic dimension's range and name."""
        info = self._info(input_index)
        low, high, name = ffi.new("int32_t *"), ffi.new("int32_t *"), ffi.new("char **")
        ranges = []
        for d in range(info.rank):
            self._check(lib.ember_interp_dim_range(self._handle, int(input_index), d, low, high,
                                                   name))
            ranges.append((int(low[0]), int(high[0]), _text(name[0])))
        return ranges

    def invoke(self) -> None:
        """Runs the model once on the inputs set; outputs are then read with get_tensor().
        Call allocate_tensors() first. Never allocates memory."""
        self._check(lib.ember_interp_invoke(self._handle))

    def invoke_node(self, node: int) -> None:
        """Runs node `node` alone on what its inputs hold now; running every node in order
        (0 .. len(node_ops()) - 1) does what invoke() does. For profiling and stepping. A
        node of a delegate's partition (node_placements()): the partition's first node runs
        the whole partition, its other nodes do nothing."""
        self._check_node(node)
        self._check(lib.ember_interp_invoke_node(self._handle, int(node)))

    def profile(self) -> list[float]:
        """Invokes the model once, node by node, and returns each node's wall time in
        seconds, in node order (time.perf_counter_ns around each invoke_node call, so each
        includes the call's own overhead, about a microsecond). A delegate partition's time
        is its first node's; its other nodes take about nothing."""
        invoke_node, handle, check = lib.ember_interp_invoke_node, self._handle, self._check
        clock = time.perf_counter_ns
        times = []
        for i in range(lib.ember_interp_node_count(handle)):
            start = clock()
            status = invoke_node(handle, i)
            times.append((clock() - start) * 1e-9)
            check(status)
        return times

    @property
    def arena_size(self) -> int:
        """Bytes of arena the model needs, scratch included (known after allocate_tensors)."""
        return int(lib.ember_interp_arena_size(self._handle))

    # -- tensors ----------------------------------------------------------------------------

    def _info(self, index: int) -> Any:
        count = lib.ember_interp_tensor_count(self._handle)
        if not isinstance(index, (int, np.integer)) or not 0 <= index < count:
            raise ValueError(f"tensor index {index!r} out of range (the model has {count})")
        info = ffi.new("ember_tensor_info *")
        self._check(lib.ember_interp_tensor_info(self._handle, int(index), info))
        return info

    def _detail(self, index: int) -> dict[str, Any]:
        info = self._info(index)
        shape = np.array([info.dims[i] for i in range(info.rank)], dtype=np.int32)
        count = info.quant_count
        scales = ffi.new("float[]", max(count, 1))
        zero_points = ffi.new("int64_t[]", max(count, 1))
        got = lib.ember_interp_tensor_quant(self._handle, index, scales, zero_points, count)
        return {
            "name": _text(info.name),
            "index": int(index),
            "shape": shape,
            "shape_signature": shape.copy(),
            "dtype": self._numpy_type(info),
            "quantization": (float(info.scale), int(info.zero_point)) if count else (0.0, 0),
            "quantization_parameters": {
                "scales": np.array([scales[i] for i in range(got)], dtype=np.float32),
                "zero_points": np.array([zero_points[i] for i in range(got)], dtype=np.int32),
                "quantized_dimension": int(info.quant_axis) if count else 0,
            },
            "sparsity_parameters": {},
        }

    @staticmethod
    def _numpy_type(info: Any) -> type:
        try:
            return _NUMPY_TYPES[info.type]
        except KeyError:
            pass
        name = _ML_DTYPES_TYPES.get(info.type)
        if name is None:
            raise ValueError(f"tensor type {info.type} has no numpy equivalent")
        try:
            import ml_dtypes
        except ImportError:
            raise ImportError(f"a {name} tensor needs the ml_dtypes package for its numpy type "
                              f"(pip install ml_dtypes, or emberlite[convert])") from None
        return getattr(ml_dtypes, name)

    def _input_signature(self, detail: dict[str, Any]) -> dict[str, Any]:
        ranges = self.input_dim_ranges(detail["index"])
        detail["shape_signature"] = np.array([-1 if lo != hi else lo for lo, hi, _ in ranges],
                                             dtype=np.int32)
        return detail

    def get_input_details(self) -> list[dict[str, Any]]:
        """One dict per graph input, in order, with tflite's keys: name, index (for
        set_tensor), shape, shape_signature, dtype, quantization (scale, zero point),
        quantization_parameters (per-channel scales, zero points, axis), sparsity_parameters.
        shape_signature has -1 for each dim resize_tensor_input may change."""
        count = lib.ember_interp_input_count(self._handle)
        return [self._input_signature(self._detail(lib.ember_interp_input_tensor(self._handle, i)))
                for i in range(count)]

    def get_output_details(self) -> list[dict[str, Any]]:
        """One dict per graph output, in order, with the keys of get_input_details()."""
        count = lib.ember_interp_output_count(self._handle)
        return [self._detail(lib.ember_interp_output_tensor(self._handle, i))
                for i in range(count)]

    def get_tensor_details(self) -> list[dict[str, Any]]:
        """The details of every tensor of the model (weights included), by index."""
        return [self._detail(i) for i in range(lib.ember_interp_tensor_count(self._handle))]

    def is_constant(self, tensor_index: int) -> bool:
        """True for weights stored in the model (read-only), False for arena tensors."""
        return bool(self._info(tensor_index).is_constant)

    def is_prepared(self, tensor_index: int) -> bool:
        """True for a constant that allocate_tensors() computes from the stored weights (the
        float32 output of a DEQUANTIZE of int8 or float16 weights): it is not in the file,
        and it takes no arena space."""
        return self._info(tensor_index).is_constant == 2

    def _view(self, index: int) -> np.ndarray:
        info = self._info(index)
        if not self._allocated:
            raise MisuseError(lib.EMBER_STATUS_MISUSE,
                              f"tensor {index}: call allocate_tensors() before touching tensors")
        data = lib.ember_interp_tensor_data(self._handle, int(index))
        if data == ffi.NULL:
            raise MisuseError(lib.EMBER_STATUS_MISUSE, f"tensor {index} has no data")
        dtype = np.dtype(self._numpy_type(info))
        shape = tuple(info.dims[i] for i in range(info.rank))
        # Constants live in the model (maybe a read-only memory map): never writable.
        # ml_dtypes' types have no array-interface type string: viewed through unsigned ints.
        raw = dtype if info.type in _NUMPY_TYPES else np.dtype(f"u{dtype.itemsize}")
        view = _ArenaView(self, _address(data), shape, raw, readonly=bool(info.is_constant))
        return np.asarray(view).view(dtype)

    def set_tensor(self, tensor_index: int, value: Any) -> None:
        """Copies `value` into a tensor; dtype and shape must match exactly (no casts)."""
        info = self._info(tensor_index)
        name = _text(info.name)
        if info.is_constant:
            raise ValueError(f"Cannot set tensor {tensor_index} ({name}): it is a constant")
        value = np.asarray(value)
        expected = np.dtype(self._numpy_type(info))
        if value.dtype != expected:
            raise ValueError(f"Cannot set tensor {tensor_index} ({name}): got dtype "
                             f"{value.dtype}, expected {expected}")
        shape = tuple(info.dims[i] for i in range(info.rank))
        if value.shape != shape:
            raise ValueError(f"Cannot set tensor {tensor_index} ({name}): got shape "
                             f"{list(value.shape)}, expected {list(shape)}")
        np.copyto(self._view(tensor_index), value)

    def get_tensor(self, tensor_index: int) -> np.ndarray:
        """A copy of a tensor's current value."""
        return self._view(tensor_index).copy()

    def tensor(self, tensor_index: int) -> Callable[[], np.ndarray]:
        """A function returning a numpy view of the tensor's memory (no copy), as in tflite.

        The view's contents change on the next invoke(); it keeps this Interpreter alive.
        """
        self._info(tensor_index)
        return lambda: self._view(tensor_index)

    # -- model description ------------------------------------------------------------------

    def model_info(self) -> dict[str, Any]:
        """The model's identity: format_version, min_runtime_version (e.g. 900 for 0.9.0),
        model_version (0 = none), content_hash (hex), body_size (the bytes the hash covers),
        signature_count, signatures (each signer's key id, hex) and verified_key_id (the key
        whose signature verified, or None when no trusted keys were given)."""
        info = ffi.new("ember_model_info *")
        self._check(lib.ember_interp_model_info(self._handle, info))
        key = ffi.new(f"uint8_t[{lib.EMBER_KEY_ID_SIZE}]")
        ids = []
        for i in range(info.signature_count):
            self._check(lib.ember_interp_signature_key_id(self._handle, i, key))
            ids.append(bytes(ffi.buffer(key)).hex())
        verified = info.verified_signature
        return {
            "format_version": info.format_version,
            "min_runtime_version": info.min_runtime_version,
            "model_version": info.model_version,
            "content_hash": bytes(ffi.buffer(info.content_hash)).hex(),
            "body_size": info.body_size,
            "signature_count": info.signature_count,
            "signatures": ids,
            "verified_key_id": None if verified == lib.EMBER_NO_SIGNATURE else ids[verified],
        }

    def get_metadata(self) -> dict[str, str]:
        """The model's metadata as a dict of strings (labels, normalization, source ...)."""
        out: dict[str, str] = {}
        key, value = ffi.new("const char **"), ffi.new("const char **")
        for i in range(lib.ember_interp_metadata_count(self._handle)):
            self._check(lib.ember_interp_metadata_at(self._handle, i, key, value))
            out[_text(key[0])] = _text(value[0])
        return out

    def node_ops(self) -> list[str]:
        """Op name of every node, in execution order."""
        return [_text(lib.ember_interp_node_op(self._handle, i))
                for i in range(lib.ember_interp_node_count(self._handle))]

    def node_names(self) -> list[str]:
        """Name of every node in the model, in execution order ("" for an unnamed node)."""
        return [_text(lib.ember_interp_node_name(self._handle, i))
                for i in range(lib.ember_interp_node_count(self._handle))]

    def node_variants(self) -> list[str]:
        """The kernel variant each node runs, in execution order: the name of the optimised
        variant allocate_tensors() picked for this CPU and isa_mask, or "reference" for the
        portable reference kernel (every node, before allocate_tensors())."""
        return [_text(lib.ember_interp_node_variant(self._handle, i))
                for i in range(lib.ember_interp_node_count(self._handle))]

    def _check_node(self, node: int) -> None:
        count = lib.ember_interp_node_count(self._handle)
        if not isinstance(node, (int, np.integer)) or not 0 <= node < count:
            raise ValueError(f"node index {node!r} out of range (the model has {count})")

    def _node_io(self, node: int, is_output: int) -> list[int | None]:
        self._check_node(node)
        io = [lib.ember_interp_node_io(self._handle, int(node), is_output, k)
              for k in range(lib.ember_interp_node_io_count(self._handle, int(node), is_output))]
        return [None if t == lib.EMBER_NO_TENSOR else int(t) for t in io]

    def node_inputs(self, node: int) -> list[int | None]:
        """Tensor indices of a node's inputs, in order; None for an omitted optional input."""
        return self._node_io(node, 0)

    def node_outputs(self, node: int) -> list[int]:
        """Tensor indices of a node's outputs, in order."""
        return [int(t) for t in self._node_io(node, 1) if t is not None]

    def node_param(self, node: int, name: str) -> int | float | list[int]:
        """Parameter `name` of node `node`: a field of its params table in the file format
        (schemas/ember.fbs), e.g. "stride_h" of a conv2d; the schema's default where the file
        leaves the field out. ints, bools and enums (their schema values) as int, floats as
        float, vectors as a list of int. InvalidArgumentError when the node has no such
        field."""
        self._check_node(node)
        param = ffi.new("ember_param *")
        self._check(lib.ember_interp_node_param(self._handle, int(node), name.encode(), param))
        if param.kind == lib.EMBER_PARAM_INT:
            return int(param.i)
        if param.kind == lib.EMBER_PARAM_FLOAT:
            return float(param.f)
        return [int(param.ints[k]) for k in range(param.count)]

    def node_placements(self) -> list[dict[str, Any]]:
        """Where each node runs, in execution order, after allocate_tensors(): dicts with
        index, op, name, delegate (the delegate's name, or None for the CPU), partition (the
        delegate partition it belongs to, numbered from 0 across all delegates, or None) and
        reason (for a node on the CPU while delegates were given: why none runs it; else
        ""). A partition runs as one call: invoke_node() of its first node runs all of it."""
        if not self._allocated:
            raise MisuseError(lib.EMBER_STATUS_MISUSE,
                              "call allocate_tensors() before node_placements()")
        placement = ffi.new("ember_node_placement *")
        rows = []
        for i, (op, name) in enumerate(zip(self.node_ops(), self.node_names())):
            self._check(lib.ember_interp_node_placement(self._handle, i, placement))
            on_cpu = placement.delegate == ffi.NULL
            rows.append({"index": i, "op": op, "name": name,
                         "delegate": None if on_cpu else _text(placement.delegate),
                         "partition": None if on_cpu else int(placement.partition),
                         "reason": _text(placement.reason)})
        return rows

    def cpu_features(self) -> int:
        """The ISA_* bits (emberlite.ISA_AVX2, ...) this CPU offers."""
        return int(lib.ember_interp_cpu_features(self._handle))

    def _signature_io(self, signature: int, is_output: int) -> dict[str, int]:
        name, tensor = ffi.new("const char **"), ffi.new("uint32_t *")
        out: dict[str, int] = {}
        for i in range(lib.ember_interp_signature_io_count(self._handle, signature, is_output)):
            self._check(lib.ember_interp_signature_io(self._handle, signature, is_output, i,
                                                      name, tensor))
            out[_text(name[0])] = int(tensor[0])
        return out

    def _signatures(self) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
        """key -> (input name -> tensor, output name -> tensor)."""
        count = lib.ember_interp_signature_count(self._handle)
        if count == 0:
            # A model without signatures still has graph inputs and outputs; name them.
            inputs = {d["name"]: d["index"] for d in self.get_input_details()}
            outputs = {d["name"]: d["index"] for d in self.get_output_details()}
            return {DEFAULT_SIGNATURE: (inputs, outputs)}
        return {_text(lib.ember_interp_signature_key(self._handle, s)):
                (self._signature_io(s, 0), self._signature_io(s, 1)) for s in range(count)}

    def get_signature_list(self) -> dict[str, dict[str, list[str]]]:
        """Signature key -> {"inputs": [names], "outputs": [names]}, as tflite gives it; a
        model without signatures has one, "serving_default", over its graph inputs and
        outputs."""
        return {key: {"inputs": list(ins), "outputs": list(outs)}
                for key, (ins, outs) in self._signatures().items()}

    def get_signature_runner(self, signature_key: str | None = None) -> "SignatureRunner":
        """A SignatureRunner that calls the model by input and output names. signature_key
        may be left out when the model has one signature; an unknown key is a ValueError."""
        signatures = self._signatures()
        if signature_key is None:
            if len(signatures) != 1:
                raise ValueError(f"the model has {len(signatures)} signatures "
                                 f"({', '.join(signatures)}); pass signature_key")
            signature_key = next(iter(signatures))
        if signature_key not in signatures:
            raise ValueError(f"no signature {signature_key!r}; the model has "
                             f"{', '.join(signatures)}")
        inputs, outputs = signatures[signature_key]
        return SignatureRunner(self, inputs, outputs)


class SignatureRunner:
    """Calls a model by input and output names: runner(x=array) -> {"y": array}."""

    def __init__(self, interpreter: Interpreter, inputs: dict[str, int], outputs: dict[str, int]):
        self._interp = interpreter
        self._inputs = inputs
        self._outputs = outputs

    def get_input_details(self) -> dict[str, dict[str, Any]]:
        """Input name -> its details (the dicts of Interpreter.get_input_details())."""
        return {name: self._interp._detail(i) for name, i in self._inputs.items()}

    def get_output_details(self) -> dict[str, dict[str, Any]]:
        """Output name -> its details (the dicts of Interpreter.get_output_details())."""
        return {name: self._interp._detail(i) for name, i in self._outputs.items()}

    def __call__(self, **inputs: Any) -> dict[str, np.ndarray]:
        """Sets every input by name (all of them, no others), invokes, and returns a copy of
        every output by name; allocates the interpreter's tensors on first use, and resizes
        an input (then allocates again) when a value's shape differs from the input's."""
        missing = sorted(set(self._inputs) - set(inputs))
        unknown = sorted(set(inputs) - set(self._inputs))
        if missing or unknown:
            raise ValueError(f"signature inputs are {sorted(self._inputs)}; missing {missing}, "
                             f"unknown {unknown}")
        for name, value in inputs.items():
            shape = list(np.shape(value))
            if shape != list(self._interp._detail(self._inputs[name])["shape"]):
                self._interp.resize_tensor_input(self._inputs[name], shape)
        self._interp.allocate_tensors()
        for name, value in inputs.items():
            self._interp.set_tensor(self._inputs[name], value)
        self._interp.invoke()
        return {name: self._interp.get_tensor(i) for name, i in self._outputs.items()}
