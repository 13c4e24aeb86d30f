"""The Python Interpreter binding: tflite-style details, tensor access, signatures, errors."""
from __future__ import annotations

import gc
import importlib.util
import mmap
import re
import weakref
from pathlib import Path

import numpy as np
import pytest

import emberlite
from emberlite import errors
from emberlite._ember import lib
from tests.helpers import BIAS, biased_model, biased_softmax, convert_onnx

DETAIL_KEYS = {"name", "index", "shape", "shape_signature", "dtype", "quantization",
               "quantization_parameters", "sparsity_parameters"}


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return convert_onnx(biased_model("Softmax", "add_softmax", axis=-1))


@pytest.fixture
def interp(model_bytes: bytes) -> emberlite.Interpreter:
    it = emberlite.Interpreter(model_content=model_bytes)
    it.allocate_tensors()
    return it


def _x(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(2, 6)).astype(np.float32)


def _run(it: emberlite.Interpreter, x: np.ndarray) -> np.ndarray:
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def test_details_have_tflite_keys_and_values(interp: emberlite.Interpreter) -> None:
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    for detail, name in ((inp, "x"), (out, "y")):
        assert set(detail) == DETAIL_KEYS
        assert detail["name"] == name
        assert detail["shape"].dtype == np.int32
        np.testing.assert_array_equal(detail["shape"], [2, 6])
        np.testing.assert_array_equal(detail["shape_signature"], [2, 6])
        assert detail["dtype"] is np.float32
        assert detail["quantization"] == (0.0, 0)
        q = detail["quantization_parameters"]
        assert set(q) == {"scales", "zero_points", "quantized_dimension"}
        assert q["scales"].size == 0 and q["zero_points"].size == 0
        assert detail["sparsity_parameters"] == {}
    assert inp["index"] != out["index"]
    tensors = interp.get_tensor_details()
    assert [t["index"] for t in tensors] == list(range(len(tensors)))
    assert sum(interp.is_constant(t["index"]) for t in tensors) == 1


def test_invoke_matches_numpy(interp: emberlite.Interpreter) -> None:
    for seed in range(3):
        x = _x(seed)
        np.testing.assert_allclose(_run(interp, x), biased_softmax(x), rtol=1e-5, atol=1e-6)


def test_inputs_survive_invoke(interp: emberlite.Interpreter) -> None:
    # As in tflite, set inputs once and invoke again and again: the arena plan must not reuse
    # a graph input's memory for a later tensor.
    x = _x(9)
    first = _run(interp, x)
    np.testing.assert_array_equal(interp.get_tensor(interp.get_input_details()[0]["index"]), x)
    interp.invoke()
    np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                  first)


def test_node_ops_metadata_and_arena(interp: emberlite.Interpreter) -> None:
    assert interp.node_ops() == ["add", "softmax"]
    meta = interp.get_metadata()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
    # Two [2,6] float activations must both fit at once (add's output feeds softmax).
    assert interp.arena_size >= 2 * 12 * 4


def test_set_tensor_rejects_wrong_dtype_shape_and_constants(
        interp: emberlite.Interpreter) -> None:
    index = interp.get_input_details()[0]["index"]
    with pytest.raises(ValueError, match="dtype float64, expected float32"):
        interp.set_tensor(index, _x().astype(np.float64))
    with pytest.raises(ValueError, match=r"shape \[6, 2\], expected \[2, 6\]"):
        interp.set_tensor(index, _x().T.copy())
    const = next(t["index"] for t in interp.get_tensor_details() if interp.is_constant(t["index"]))
    with pytest.raises(ValueError, match="constant"):
        interp.set_tensor(const, BIAS)
    with pytest.raises(ValueError, match="out of range"):
        interp.set_tensor(10_000, _x())


def test_get_tensor_copies_and_tensor_views(interp: emberlite.Interpreter) -> None:
    x = _x(1)
    y = _run(interp, x)
    out_index = interp.get_output_details()[0]["index"]
    view_of_output = interp.tensor(out_index)
    np.testing.assert_array_equal(view_of_output(), y)
    # Writing through the input view, then invoking, changes the output; the earlier copy stays.
    interp.tensor(interp.get_input_details()[0]["index"])()[...] = _x(2)
    interp.invoke()
    np.testing.assert_allclose(view_of_output(), biased_softmax(_x(2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, biased_softmax(x), rtol=1e-5, atol=1e-6)
    const = next(t["index"] for t in interp.get_tensor_details() if interp.is_constant(t["index"]))
    assert not interp.tensor(const)().flags.writeable
    np.testing.assert_array_equal(interp.get_tensor(const), BIAS)


def test_view_keeps_interpreter_alive(model_bytes: bytes) -> None:
    it = emberlite.Interpreter(model_content=model_bytes)
    it.allocate_tensors()
    x = _x(3)
    _run(it, x)
    view = it.tensor(it.get_output_details()[0]["index"])()
    alive = weakref.ref(it)
    del it
    gc.collect()
    assert alive() is not None, "a view must keep its interpreter (and arena) alive"
    np.testing.assert_allclose(view, biased_softmax(x), rtol=1e-5, atol=1e-6)
    del view
    gc.collect()
    assert alive() is None


def test_signature_runner(interp: emberlite.Interpreter) -> None:
    signatures = interp.get_signature_list()
    assert len(signatures) == 1
    (key, io), = signatures.items()
    assert io == {"inputs": ["x"], "outputs": ["y"]}
    runner = interp.get_signature_runner()
    assert set(runner.get_input_details()) == {"x"}
    x = _x(4)
    out = runner(x=x)
    assert set(out) == {"y"}
    np.testing.assert_allclose(out["y"], biased_softmax(x), rtol=1e-5, atol=1e-6)
    assert interp.get_signature_runner(key)(x=x)["y"].shape == (2, 6)
    with pytest.raises(ValueError, match="missing"):
        runner()
    with pytest.raises(ValueError, match="unknown"):
        runner(x=x, z=x)
    with pytest.raises(ValueError, match="no signature"):
        interp.get_signature_runner("nope")


def test_signature_runner_allocates(model_bytes: bytes) -> None:
    it = emberlite.Interpreter(model_content=model_bytes)
    x = _x(5)
    np.testing.assert_allclose(it.get_signature_runner()(x=x)["y"], biased_softmax(x),
                               rtol=1e-5, atol=1e-6)


def test_model_path_is_memory_mapped(tmp_path, model_bytes: bytes) -> None:
    path = tmp_path / "m.ember"
    path.write_bytes(model_bytes)
    it = emberlite.Interpreter(model_path=path)
    assert isinstance(it._model, mmap.mmap)
    it.allocate_tensors()
    x = _x(6)
    np.testing.assert_allclose(_run(it, x), biased_softmax(x), rtol=1e-5, atol=1e-6)


def test_unaligned_and_writable_content_is_copied(model_bytes: bytes) -> None:
    raw = bytearray(len(model_bytes) + 1)
    raw[1:] = model_bytes
    it = emberlite.Interpreter(model_content=memoryview(raw)[1:])
    raw[1:] = bytes(len(model_bytes))  # the interpreter must not see this
    it.allocate_tensors()
    x = _x(7)
    np.testing.assert_allclose(_run(it, x), biased_softmax(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [b"", b"EMBR", b"not a model at all" * 8])
def test_garbage_is_invalid_model(bad: bytes) -> None:
    with pytest.raises(errors.InvalidModelError) as info:
        emberlite.Interpreter(model_content=bad)
    assert info.value.status == lib.EMBER_STATUS_INVALID_MODEL
    assert info.value.message.strip()
    with pytest.raises(errors.InvalidModelError):
        emberlite.verify_model(bad)


def test_truncated_model_is_rejected(model_bytes: bytes) -> None:
    with pytest.raises(errors.EmberRuntimeError) as info:
        emberlite.Interpreter(model_content=model_bytes[: len(model_bytes) // 2])
    assert info.value.message.strip()


def test_changed_weight_fails_hash_check(model_bytes: bytes) -> None:
    where = model_bytes.find(BIAS.tobytes())
    assert where > 0, "the bias is stored verbatim in the file"
    changed = bytearray(model_bytes)
    changed[where] ^= 0x01
    with pytest.raises(errors.HashMismatchError):
        emberlite.Interpreter(model_content=bytes(changed))
    emberlite.verify_model(model_bytes)
    it = emberlite.Interpreter(model_content=bytes(changed), verify_hash=False)
    it.allocate_tensors()
    assert not np.array_equal(it.get_tensor(next(
        t["index"] for t in it.get_tensor_details() if it.is_constant(t["index"]))), BIAS)


def test_misuse_before_allocate(model_bytes: bytes) -> None:
    it = emberlite.Interpreter(model_content=model_bytes)
    with pytest.raises(errors.MisuseError) as info:
        it.invoke()
    assert info.value.status == lib.EMBER_STATUS_MISUSE
    assert info.value.message.strip()
    with pytest.raises(errors.MisuseError):
        it.get_tensor(it.get_output_details()[0]["index"])


def test_bad_constructor_arguments(model_bytes: bytes) -> None:
    with pytest.raises(ValueError):
        emberlite.Interpreter()
    with pytest.raises(ValueError):
        emberlite.Interpreter(model_path="a", model_content=model_bytes)
    with pytest.raises(ValueError):
        emberlite.Interpreter(model_content=model_bytes, num_threads=0)
    with pytest.raises(ValueError):
        emberlite.Interpreter(model_content=model_bytes, experimental_delegates=[object()])
    with pytest.raises(FileNotFoundError):
        emberlite.Interpreter(model_path="/nonexistent/model.ember")


def test_isa_mask_none_runs_reference_kernels(model_bytes: bytes) -> None:
    it = emberlite.Interpreter(model_content=model_bytes, isa_mask=emberlite.ISA_NONE,
                               num_threads=2)
    it.allocate_tensors()
    x = _x(8)
    np.testing.assert_allclose(_run(it, x), biased_softmax(x), rtol=1e-5, atol=1e-6)


def test_status_classes_match_c_enum() -> None:
    pairs = {
        "INVALID_MODEL": errors.InvalidModelError, "UNSUPPORTED": errors.UnsupportedError,
        "VERSION": errors.VersionError, "HASH_MISMATCH": errors.HashMismatchError,
        "NO_MEMORY": errors.NoMemoryError, "ARENA_TOO_SMALL": errors.ArenaTooSmallError,
        "INVALID_ARGUMENT": errors.InvalidArgumentError, "MISUSE": errors.MisuseError,
        "EVAL_ERROR": errors.EvalError, "ERROR": errors.EmberRuntimeError,
        "UNSIGNED": errors.UnsignedModelError, "BAD_SIGNATURE": errors.BadSignatureError,
        "ROLLBACK": errors.RollbackError,
    }
    assert len(pairs) == lib.EMBER_STATUS_COUNT - 1  # every status but OK
    for name, cls in pairs.items():
        status = getattr(lib, f"EMBER_STATUS_{name}")
        err = errors.error_for_status(status, "why")
        assert type(err) is cls and err.status == status and str(err) == "why"


def _statements(c_text: str) -> list[str]:
    """Declarations of C text, comments and preprocessor lines removed, whitespace collapsed."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", c_text, flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    parts = (" ".join(part.split()) for part in text.split(";"))
    return [part for part in parts if part]


def test_cdef_matches_public_header() -> None:
    root = Path(__file__).resolve().parents[2]
    header = (root / "csrc" / "include" / "emberlite.h").read_text()
    body = header[header.index("typedef enum ember_status"):header.rindex("#ifdef __cplusplus")]
    # cffi spells "an array length the compiler knows" as [...].
    body = re.sub(r"\[EMBER_MAX_\w+\]", "[...]", body)
    spec = importlib.util.spec_from_file_location("ffi_build", root / "runtime" / "_ffi_build.py")
    ffi_build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ffi_build)
    assert _statements(ffi_build.CDEF) == _statements(body)
