"""TFLite Model Metadata carries over into .ember metadata: a Keras model converted by
TFLiteConverter gets metadata (model fields, input normalization and stats, output labels in
an appended zip archive) attached the way TFLite's metadata writers attach it; the .ember
file read back through the runtime must hold exactly what was written. Malformed metadata
is skipped with a MetadataWarning naming the problem, and the model still converts."""
from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np
import pytest

from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter, MetadataWarning
from emberlite.schema.tflite_metadata.AssociatedFile import AssociatedFileT
from emberlite.schema.tflite_metadata.AssociatedFileType import AssociatedFileType
from emberlite.schema.tflite_metadata.ModelMetadata import ModelMetadataT
from emberlite.schema.tflite_metadata.NormalizationOptions import NormalizationOptionsT
from emberlite.schema.tflite_metadata.ProcessUnit import ProcessUnitT
from emberlite.schema.tflite_metadata.ProcessUnitOptions import ProcessUnitOptions
from emberlite.schema.tflite_metadata.Stats import StatsT
from emberlite.schema.tflite_metadata.SubGraphMetadata import SubGraphMetadataT
from emberlite.schema.tflite_metadata.TensorMetadata import TensorMetadataT
from helpers import max_rel_diff, run_ember

from conftest import require_module

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
MODEL_FIELDS = {"name": "tiny classifier", "description": "Kind and box heads, for tests",
                "version": "v3", "author": "Emberlite tests", "license": "Apache-2.0"}
# ImageNet-style per-channel values: not exact in float32, so a lossy round trip shows.
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)
LOW, HIGH = np.array([0.0], np.float32), np.array([255.0], np.float32)
# Per output (in subgraph order), by its number of classes: labels with spaces, an empty
# label and non-ASCII text must come back exactly.
LABELS = {3: ["cat", " dog ", "Größe 🐱"], 2: ["", "box"]}
TFLITE_KEYS = ("model.", "labels.", "normalization.", "stats.")


@pytest.fixture(scope="module")
def tf() -> Any:
    return require_module("tensorflow")


@pytest.fixture(scope="module")
def plain(tf: Any) -> bytes:
    """A .tflite file without metadata: an image input, two outputs (3 and 2 wide)."""
    layers = tf.keras.layers
    tf.keras.utils.set_random_seed(5)
    x = inputs = layers.Input((4, 4, 3), name="image")
    x = layers.Flatten()(layers.Conv2D(4, 3, activation="relu")(x))
    outputs = [layers.Dense(3, activation="softmax", name="kind")(x),
               layers.Dense(2, name="box")(x)]
    return tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inputs, outputs)).convert()


def _litert(data: bytes) -> Any:
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    interp = LiteRT(model_content=data, num_threads=1)
    interp.allocate_tensors()
    return interp


def _assert_runs_like_litert(ember: bytes, plain: bytes) -> None:
    """The metadata and the appended archive change nothing else."""
    x = np.random.default_rng(2).uniform(0, 255, (1, 4, 4, 3)).astype(np.float32)
    litert = _litert(plain)
    litert.set_tensor(litert.get_input_details()[0]["index"], x)
    litert.invoke()
    want = [litert.get_tensor(d["index"]) for d in litert.get_output_details()]
    got = run_ember(ember, [x])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert max_rel_diff(g, w) <= 1e-4


def _widths(plain: bytes) -> list[int]:
    """The class count of each output, in subgraph order (LiteRT's order)."""
    return [int(d["shape"][-1]) for d in _litert(plain).get_output_details()]


# --- building metadata as TFLite's writers do ---------------------------------------------
def _labels_file(name: str) -> AssociatedFileT:
    f = AssociatedFileT()
    f.name, f.description, f.type = name, "class names", AssociatedFileType.TENSOR_AXIS_LABELS
    return f


def _input_tensor(mean: np.ndarray = MEAN, std: np.ndarray = STD) -> TensorMetadataT:
    t = TensorMetadataT()
    t.name, t.description = "image", "RGB image"
    unit = ProcessUnitT()
    unit.optionsType = ProcessUnitOptions.NormalizationOptions
    unit.options = NormalizationOptionsT()
    unit.options.mean, unit.options.std = mean.tolist(), std.tolist()
    t.processUnits = [unit]
    t.stats = StatsT()
    t.stats.min, t.stats.max = LOW.tolist(), HIGH.tolist()
    return t


def _output_tensor(file: str) -> TensorMetadataT:
    t = TensorMetadataT()
    t.name = file
    t.associatedFiles = [_labels_file(file)]
    return t


def _metadata(inputs: list[TensorMetadataT], outputs: list[TensorMetadataT]) -> bytes:
    meta = ModelMetadataT()
    for key, value in MODEL_FIELDS.items():
        setattr(meta, key, value)
    sub = SubGraphMetadataT()
    sub.inputTensorMetadata, sub.outputTensorMetadata = inputs, outputs
    meta.subgraphMetadata = [sub]
    b = flatbuffers.Builder(0)
    b.Finish(meta.Pack(b), file_identifier=b"M001")
    return bytes(b.Output())


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _attach(model: bytes, metadata: bytes, files: dict[str, bytes] | None,
            buffer: int | None = None) -> bytes:
    """`model` with `metadata` in a new buffer named by a TFLITE_METADATA entry (or buffer
    index `buffer`), and `files` zipped onto its end."""
    from tensorflow.lite.python import schema_py_generated as fb
    from tensorflow.lite.tools import flatbuffer_utils

    m = flatbuffer_utils.read_model_from_bytearray(bytearray(model))
    buf = fb.BufferT()
    buf.data = np.frombuffer(metadata, np.uint8)
    m.buffers.append(buf)
    entry = fb.MetadataT()
    entry.name, entry.buffer = "TFLITE_METADATA", len(m.buffers) - 1 if buffer is None else buffer
    m.metadata = [*(m.metadata or []), entry]
    data = bytes(flatbuffer_utils.convert_object_to_bytearray(m))
    return data + (_zip(files) if files else b"")


def _label_files(widths: list[int]) -> dict[str, bytes]:
    # Windows line ends in one file: they end lines, they are not part of the labels.
    return {f"labels_{w}.txt": ("\r\n" if w == 2 else "\n").join(LABELS[w]).encode() + b"\n"
            for w in widths}


def _with_metadata(plain: bytes, *, inputs: list[TensorMetadataT] | None = None,
                   files: dict[str, bytes] | None = None) -> bytes:
    widths = _widths(plain)
    outputs = [_output_tensor(f"labels_{w}.txt") for w in widths]
    files = _label_files(widths) if files is None else files
    return _attach(plain, _metadata([_input_tensor()] if inputs is None else inputs, outputs),
                   files)


def _tflite_metadata(ember: bytes) -> dict[str, str]:
    meta = Interpreter(model_content=ember).get_metadata()
    return {k: v for k, v in meta.items() if k.startswith(TFLITE_KEYS)}


def _expected(plain: bytes) -> tuple[dict[str, str], str]:
    """The string keys the metadata _with_metadata writes must become (from what it wrote),
    and the name of the input."""
    interp = _litert(plain)
    (image,) = interp.get_input_details()
    want = {f"model.{k}": v for k, v in MODEL_FIELDS.items()}
    for d in interp.get_output_details():
        want[f"labels.output.{d['name']}"] = "\n".join(LABELS[int(d["shape"][-1])])
    return want, image["name"]


# --- metadata that is well formed ---------------------------------------------------------
def test_labels_normalization_and_model_fields_carry_over(plain: bytes) -> None:
    data = _with_metadata(plain)
    ember = Converter.from_tflite(data).convert()
    meta = _tflite_metadata(ember)
    want, image = _expected(plain)
    floats = {k: np.array(json.loads(meta.pop(k)), np.float32)
              for k in list(meta) if k.startswith(("normalization.", "stats."))}
    assert meta == want
    assert sorted(floats) == sorted(f"{k}.input.{image}" for k in (
        "normalization.mean", "normalization.std", "stats.min", "stats.max"))
    for key, values in (("normalization.mean", MEAN), ("normalization.std", STD),
                        ("stats.min", LOW), ("stats.max", HIGH)):
        np.testing.assert_array_equal(floats[f"{key}.input.{image}"], values, err_msg=key)
    # The labels belong to the outputs they name: each list is as long as its output.
    interp = Interpreter(model_content=ember)
    for d in interp.get_output_details():
        assert len(meta[f"labels.output.{d['name']}"].split("\n")) == d["shape"][-1]
    _assert_runs_like_litert(ember, data)


def test_model_without_metadata_has_no_metadata_keys(plain: bytes) -> None:
    assert _tflite_metadata(Converter.from_tflite(plain).convert()) == {}


def test_inspect_shows_label_counts_and_normalization(plain: bytes, tmp_path: Path,
                                                      capsys: Any) -> None:
    source = tmp_path / "m.tflite"
    source.write_bytes(_with_metadata(plain))
    assert main(["convert", str(source)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "m.ember")]) == 0
    out = capsys.readouterr().out
    _, image = _expected(plain)
    assert "3 labels: 'cat', ' dog ', 'Größe 🐱'" in out
    assert "2 labels: '', 'box'" in out
    mean = json.loads(out.split(f"normalization.mean.input.{image} = ")[1].splitlines()[0])
    np.testing.assert_array_equal(np.array(mean, np.float32), MEAN)


# --- malformed metadata: warned about and skipped -------------------------------------------
def _corrupt_member(files: dict[str, bytes]) -> bytes:
    archive = bytearray(_zip(files))
    first = next(iter(files.values()))
    at = bytes(archive).index(first)
    archive[at] ^= 0x20  # the stored bytes no longer match their CRC-32
    return bytes(archive)


def _case(plain: bytes, name: str) -> bytes:
    widths = _widths(plain)
    outputs = [_output_tensor(f"labels_{w}.txt") for w in widths]
    good = _metadata([_input_tensor()], outputs)
    if name == "not_a_metadata_flatbuffer":
        return _attach(plain, good[:4] + b"XXXX" + good[8:], _label_files(widths))
    if name == "corrupt_table":
        return _attach(plain, (len(good) * 4).to_bytes(4, "little") + good[4:],
                       _label_files(widths))
    if name == "buffer_out_of_range":
        return _attach(plain, good, _label_files(widths), buffer=1_000_000)
    if name == "no_archive":
        return _attach(plain, good, None)
    if name == "corrupt_archive":
        return _attach(plain, good, None) + _corrupt_member(_label_files(widths))
    if name == "labels_file_missing":
        return _with_metadata(plain, files={"other.txt": b"a\nb\n"})
    if name == "labels_not_utf8":
        files = _label_files(widths)
        files[f"labels_{widths[0]}.txt"] = b"\xff\xfe\x00bad"
        return _with_metadata(plain, files=files)
    if name == "zero_std":
        return _with_metadata(plain, inputs=[_input_tensor(std=np.array([1, 0, 1],
                                                                        np.float32))])
    if name == "input_count_mismatch":
        return _with_metadata(plain, inputs=[_input_tensor(), _input_tensor()])
    raise AssertionError(name)


def _all_labels_gone(plain: bytes, want: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in want.items() if not k.startswith("labels.")}


def _first_labels_gone(plain: bytes, want: dict[str, str]) -> dict[str, str]:
    name = _litert(plain).get_output_details()[0]["name"]
    return {k: v for k, v in want.items() if k != f"labels.output.{name}"}


def _inputs_gone(plain: bytes, want: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in want.items() if ".input." not in k}


def _normalization_gone(plain: bytes, want: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in want.items() if not k.startswith("normalization.")}


def _everything_gone(plain: bytes, want: dict[str, str]) -> dict[str, str]:
    return {}


# case -> (what the warning says, what is left of the metadata)
MALFORMED: dict[str, tuple[str, Callable]] = {
    "not_a_metadata_flatbuffer": (r"is not a TFLite metadata FlatBuffer \(file identifier "
                                  r"b'XXXX', expected b'M001'\)", _everything_gone),
    "corrupt_table": (r"TFLite metadata is malformed \(", _everything_gone),
    "buffer_out_of_range": (r"'TFLITE_METADATA' names buffer 1000000, out of range",
                            _everything_gone),
    "no_archive": (r"labels file 'labels_\d\.txt': the model has no readable zip archive",
                   _all_labels_gone),
    "corrupt_archive": (r"labels file 'labels_\d\.txt': cannot be read from the archive "
                        r"\(BadZipFile: Bad CRC-32", _first_labels_gone),
    "labels_file_missing": (r"labels file 'labels_\d\.txt': not in the zip archive appended "
                            r"to the model \(it holds \['other.txt'\]\)", _all_labels_gone),
    "labels_not_utf8": (r"labels file 'labels_\d\.txt': is not valid UTF-8",
                        _first_labels_gone),
    "zero_std": (r"of input 0 \('.*'\): normalization std \[1.0, 0.0, 1.0\] contains 0",
                 _normalization_gone),
    "input_count_mismatch": (r"describes 2 input tensor\(s\), the model has 1",
                             _inputs_gone),
}


@pytest.fixture(scope="module")
def good_metadata(plain: bytes) -> dict[str, str]:
    return _tflite_metadata(Converter.from_tflite(_with_metadata(plain)).convert())


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_metadata_is_skipped_with_a_warning(plain: bytes, good_metadata: dict,
                                                      case: str) -> None:
    message, left = MALFORMED[case]
    data = _case(plain, case)
    with pytest.warns(MetadataWarning, match=message):
        ember = Converter.from_tflite(data).convert()
    assert _tflite_metadata(ember) == left(plain, good_metadata)
    _assert_runs_like_litert(ember, plain)


def test_cli_prints_metadata_warnings_once(plain: bytes, tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "m.tflite"
    source.write_bytes(_case(plain, "labels_file_missing"))
    assert main(["convert", str(source)]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == len(_widths(plain)), err
    assert all(line.startswith("ember: warning: TFLite metadata of output ") for line in err)
    assert (tmp_path / "m.ember").exists()
