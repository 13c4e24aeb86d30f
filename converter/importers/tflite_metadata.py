"""TFLite Model Metadata -> .ember metadata keys (see "Metadata keys" in README.md).

A .tflite file may name a buffer "TFLITE_METADATA" in its model.metadata list; that buffer
holds a FlatBuffer (schemas/tflite_metadata.fbs) describing the model (name, version,
author, licence) and, in subgraph input/output order, its tensors: normalization
(mean, std), value ranges (min, max) and associated files. Files such as label lists are
packed in a zip archive appended to the .tflite file.

Metadata is optional: whatever is malformed (not a metadata FlatBuffer, a corrupt table,
an unreadable archive, a missing labels file ...) is skipped with a MetadataWarning that
names it, and the model converts without that part.
"""
from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from emberlite.schema.tflite_metadata.AssociatedFileType import AssociatedFileType
from emberlite.schema.tflite_metadata.ModelMetadata import ModelMetadata
from emberlite.schema.tflite_metadata.NormalizationOptions import NormalizationOptions
from emberlite.schema.tflite_metadata.ProcessUnitOptions import ProcessUnitOptions

from ..errors import MetadataWarning, ModelImportError

__all__ = ["READ_ERRORS", "read_metadata"]

# What a corrupt FlatBuffer makes the pure-Python reader raise (the model's and the
# metadata's alike).
READ_ERRORS = (IndexError, struct.error, ValueError, TypeError, OverflowError,
               UnicodeDecodeError, AttributeError, KeyError, MemoryError)
# What zipfile raises on a corrupt archive or member.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
               NotImplementedError, ValueError, struct.error)
METADATA_NAME = b"TFLITE_METADATA"
# A labels file larger than this is refused rather than copied into the .ember file.
MAX_LABELS_BYTES = 16 << 20
_MODEL_FIELDS = (("name", "Name"), ("description", "Description"), ("version", "Version"),
                 ("author", "Author"), ("license", "License"))


class _Skip(Exception):
    """One part of the metadata is unusable; the message says which and why."""


def read_metadata(data: bytes, m: Any, buffer: Callable[[Any], bytes],
                  inputs: list[str], outputs: list[str]) -> dict[str, str]:
    """The .ember metadata keys for the TFLite metadata of the model table `m` (of the file
    `data`); `buffer(m.Buffers(i))` gives a buffer's bytes, `inputs` and `outputs` are the
    IR names of subgraph 0's inputs and outputs. Warns and skips what is malformed."""
    try:
        raw = _metadata_buffer(data, m, buffer)
        if raw is None:
            return {}
        return _MetadataReader(data, raw, inputs, outputs).read()
    except _Skip as e:
        _warn(f"{e}; the model's TFLite metadata is ignored")
    except (*READ_ERRORS, ModelImportError) as e:
        _warn(f"the model's TFLite metadata is malformed ({type(e).__name__}: {e}) and is "
              f"ignored")
    return {}


def _warn(message: str) -> None:
    warnings.warn(message, MetadataWarning, stacklevel=3)


def _metadata_buffer(data: bytes, m: Any, buffer: Callable[[Any], bytes]) -> bytes | None:
    n = m.MetadataLength()
    if not 0 <= n <= len(data):  # a corrupt length must not make us loop for long
        raise _Skip(f"model.metadata claims {n} entries in a {len(data)}-byte file")
    for i in range(n):
        entry = m.Metadata(i)
        if entry.Name() != METADATA_NAME:
            continue
        index = entry.Buffer()
        if not 0 <= index < m.BuffersLength():
            raise _Skip(f"model.metadata {METADATA_NAME.decode()!r} names buffer {index}, "
                        f"out of range [0, {m.BuffersLength()})")
        return buffer(m.Buffers(index))
    return None


class _MetadataReader:
    def __init__(self, data: bytes, raw: bytes, inputs: list[str], outputs: list[str]):
        self.data = data
        self.raw = raw
        self.io = {"input": inputs, "output": outputs}
        self.archive: zipfile.ZipFile | None = None
        self.archive_error = ""          # why the appended archive is unusable, once known
        self.meta: dict[str, str] = {}

    def read(self) -> dict[str, str]:
        if len(self.raw) < 8 or not ModelMetadata.ModelMetadataBufferHasIdentifier(self.raw, 0):
            raise _Skip(f"buffer {METADATA_NAME.decode()!r} is not a TFLite metadata "
                        f"FlatBuffer (file identifier {self.raw[4:8]!r}, expected b'M001')")
        root = ModelMetadata.GetRootAs(self.raw, 0)
        for key, getter in _MODEL_FIELDS:
            self.text(f"model.{key}", getattr(root, getter)(), f"the model {key}")
        n = self.count(root.SubgraphMetadataLength(), "the subgraph metadata list")
        if n:
            sub = root.SubgraphMetadata(0)
            self.tensors("input", sub.InputTensorMetadataLength(), sub.InputTensorMetadata)
            self.tensors("output", sub.OutputTensorMetadataLength(), sub.OutputTensorMetadata)
        return self.meta

    def count(self, n: int, what: str) -> int:
        """A vector length that fits in the buffer: a corrupt length must not make the reader
        loop over billions of entries."""
        if not 0 <= n <= len(self.raw):
            raise _Skip(f"{what} claims {n} entries in a {len(self.raw)}-byte buffer")
        return n

    def text(self, key: str, value: bytes | None, what: str) -> None:
        """Sets `key` to the UTF-8 string `value`, if it has one."""
        if not value:
            return
        try:
            decoded = value.decode("utf-8")
        except UnicodeDecodeError:
            _warn(f"TFLite metadata: {what} is not valid UTF-8 and is skipped")
            return
        if "\0" in decoded:
            _warn(f"TFLite metadata: {what} contains a NUL character and is skipped")
            return
        self.meta[key] = decoded

    def tensors(self, kind: str, n: int, get: Callable[[int], Any]) -> None:
        names = self.io[kind]
        n = self.count(n, f"the {kind} tensor metadata list")
        if n == 0:
            return
        if n != len(names):
            _warn(f"TFLite metadata describes {n} {kind} tensor(s), the model has "
                  f"{len(names)}; the {kind} tensor metadata is skipped")
            return
        for position, name in enumerate(names):
            t, where = get(position), f"{kind} {position} ({name!r})"
            for part in (self.normalization, self.stats, self.labels):
                try:
                    self.meta.update(part(t, f"{kind}.{name}"))
                except _Skip as e:
                    _warn(f"TFLite metadata of {where}: {e}; skipped")

    # Each part gives the keys of one tensor; `suffix` is "input.<name>" or "output.<name>".
    def normalization(self, t: Any, suffix: str) -> dict[str, str]:
        for i in range(self.count(t.ProcessUnitsLength(), "the process unit list")):
            unit = t.ProcessUnits(i)
            if unit.OptionsType() != ProcessUnitOptions.NormalizationOptions:
                continue
            table = unit.Options()
            if table is None:
                raise _Skip("a normalization process unit has no options")
            options = NormalizationOptions()
            options.Init(table.Bytes, table.Pos)
            mean = self.floats(options.MeanLength(), options.MeanAsNumpy, "normalization mean")
            std = self.floats(options.StdLength(), options.StdAsNumpy, "normalization std")
            if not mean or not std:
                raise _Skip("normalization needs both mean and std")
            if 0.0 in std:
                raise _Skip(f"normalization std {std} contains 0")
            return {f"normalization.mean.{suffix}": json.dumps(mean),
                    f"normalization.std.{suffix}": json.dumps(std)}
        return {}

    def stats(self, t: Any, suffix: str) -> dict[str, str]:
        stats = t.Stats()
        if stats is None:
            return {}
        found = {}
        for key, n, values in (("min", stats.MinLength(), stats.MinAsNumpy),
                               ("max", stats.MaxLength(), stats.MaxAsNumpy)):
            floats = self.floats(n, values, f"stats {key}")
            if floats:
                found[f"stats.{key}.{suffix}"] = json.dumps(floats)
        return found

    def labels(self, t: Any, suffix: str) -> dict[str, str]:
        """The lines of the tensor's first TENSOR_AXIS_LABELS file."""
        for i in range(self.count(t.AssociatedFilesLength(), "the associated file list")):
            f = t.AssociatedFiles(i)
            if f.Type() != AssociatedFileType.TENSOR_AXIS_LABELS:
                continue
            name = (f.Name() or b"").decode("utf-8", "replace")
            try:
                return {f"labels.{suffix}": "\n".join(_lines(self.member(name)))}
            except _Skip as e:
                raise _Skip(f"labels file {name!r}: {e}") from None
        return {}

    def floats(self, n: int, values: Callable[[], Any], what: str) -> list[float]:
        """Finite float32 values, each the shortest decimal that reads back as the same
        float32 (so json.loads + np.float32 restores it exactly)."""
        if self.count(n, what) == 0:
            return []
        array = np.asarray(values(), dtype=np.float32)
        if not np.all(np.isfinite(array)):
            raise _Skip(f"{what} {array.tolist()} is not all finite")
        return [float(str(v)) for v in array]

    def member(self, name: str) -> bytes:
        """The bytes of file `name` in the zip archive appended to the model."""
        if self.archive is None and not self.archive_error:
            try:
                self.archive = zipfile.ZipFile(io.BytesIO(self.data))
            except _ZIP_ERRORS as e:
                self.archive_error = (f"the model has no readable zip archive appended "
                                      f"({type(e).__name__}: {e})")
        if self.archive is None:
            raise _Skip(self.archive_error)
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise _Skip(f"not in the zip archive appended to the model (it holds "
                        f"{sorted(self.archive.namelist())})") from None
        if info.file_size > MAX_LABELS_BYTES:
            raise _Skip(f"{info.file_size} bytes, more than the {MAX_LABELS_BYTES} allowed")
        try:
            return self.archive.read(info)
        except _ZIP_ERRORS as e:
            raise _Skip(f"cannot be read from the archive ({type(e).__name__}: {e})") from None


def _lines(raw: bytes) -> list[str]:
    """One label per line, kept exactly (position i labels index i); a UTF-8 byte order mark
    and the line ends are dropped."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _Skip(f"is not valid UTF-8 ({e})") from None
    if "\0" in text:
        raise _Skip("contains a NUL character")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line's end
    if not lines:
        raise _Skip("is empty")
    return [line[:-1] if line.endswith("\r") else line for line in lines]
