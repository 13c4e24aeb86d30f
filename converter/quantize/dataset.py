"""Representative data for calibration, in any of the forms users already have.

- a directory of .npy files, taken in sorted name order: one file per sample (single-input
  models), or one sub-directory per sample holding `<input name>.npy` for each input;
- an .npz file: one array per input name, the first axis indexing samples;
- a Python iterable, or a callable returning one (TFLite's `representative_dataset`), yielding
  per sample a list of arrays (graph input order), a dict (input name -> array), or a single
  array (single-input models).
Arrays are in the source model's layout. A sample may leave out a leading batch dimension of
size 1. Every problem is a QuantizationError naming the file or sample and what is wrong.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import QuantizationError

Sample = dict[str, np.ndarray]
SampleSource = str | os.PathLike | Iterable[Any] | Callable[[], Iterable[Any]]


@dataclass(frozen=True)
class InputSpec:
    """A graph input as the user sees it: name, shape in the source layout, element type."""
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype


@dataclass
class Dataset:
    samples: Iterable[Sample]
    count: int | None                       # None when the source cannot tell in advance


def load_dataset(source: SampleSource, specs: list[InputSpec]) -> Dataset:
    """Wraps `source` as validated samples (dicts input name -> array of the spec's shape)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return _directory(path, specs)
        if path.suffix == ".npz" and path.is_file():
            return _npz(path, specs)
        raise QuantizationError(f"calibration data {str(path)!r}: expected a directory of .npy "
                                f"files or an .npz file")
    if callable(source):
        source = source()
    if isinstance(source, (Iterable, Iterator)) and not isinstance(source, (bytes, str)):
        count = len(source) if hasattr(source, "__len__") else None
        return Dataset(_python(source, specs), count)
    raise QuantizationError(f"calibration data: expected a path, an iterable or a callable, "
                            f"got {type(source).__name__}")


def fit(value: Any, spec: InputSpec, where: str) -> np.ndarray:
    """`value` checked against `spec` and cast to its type (floats of any width for float)."""
    arr = np.asarray(value)
    expected = np.dtype(spec.dtype)
    if np.issubdtype(expected, np.floating):
        type_ok = np.issubdtype(arr.dtype, np.floating)
    else:
        type_ok = arr.dtype == expected
    if not type_ok:
        raise QuantizationError(f"{where}: input {spec.name!r} expects {expected} data, got "
                                f"{arr.dtype}")
    shape = tuple(spec.shape)
    if arr.shape != shape:
        if shape[:1] == (1,) and arr.shape == shape[1:]:
            arr = arr[np.newaxis]
        else:
            raise QuantizationError(f"{where}: input {spec.name!r} expects shape {list(shape)}, "
                                    f"got {list(arr.shape)}")
    return np.ascontiguousarray(arr, dtype=expected)


def _sample(values: Mapping[str, Any], specs: list[InputSpec], where: str) -> Sample:
    names = [s.name for s in specs]
    missing = [n for n in names if n not in values]
    if missing:
        raise QuantizationError(f"{where}: no data for input(s) {', '.join(map(repr, missing))}")
    extra = sorted(str(k) for k in values if k not in names)
    if extra:
        raise QuantizationError(f"{where}: {', '.join(map(repr, extra))} is not a graph input "
                                f"(inputs: {', '.join(map(repr, names))})")
    return {s.name: fit(values[s.name], s, where) for s in specs}


def _empty(what: str) -> QuantizationError:
    return QuantizationError(f"calibration data {what} holds no samples")


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise QuantizationError(f"calibration file {str(path)!r}: cannot read it: {e}") from None


def _directory(path: Path, specs: list[InputSpec]) -> Dataset:
    entries = sorted(p for p in path.iterdir() if p.is_dir() or p.suffix == ".npy")
    if not entries:
        raise _empty(f"directory {str(path)!r} (no .npy files or sample sub-directories)")
    if all(p.is_dir() for p in entries):
        return Dataset((_sub_directory(p, specs) for p in entries), len(entries))
    if any(p.is_dir() for p in entries):
        raise QuantizationError(f"calibration directory {str(path)!r} mixes .npy files and "
                                f"sub-directories; use one form")
    if len(specs) != 1:
        raise QuantizationError(f"calibration directory {str(path)!r}: the model has "
                                f"{len(specs)} inputs, so each sample must be a sub-directory "
                                f"holding <input name>.npy per input")
    return Dataset(({specs[0].name: fit(_load_npy(p), specs[0], f"calibration file {str(p)!r}")}
                    for p in entries), len(entries))


def _sub_directory(path: Path, specs: list[InputSpec]) -> Sample:
    files = {p.stem: p for p in path.iterdir() if p.suffix == ".npy"}
    where = f"calibration sample {str(path)!r}"
    missing = [s.name for s in specs if s.name not in files]
    if missing:
        raise QuantizationError(f"{where}: no file {', '.join(n + '.npy' for n in missing)}")
    return _sample({name: _load_npy(p) for name, p in files.items()}, specs, where)


def _npz(path: Path, specs: list[InputSpec]) -> Dataset:
    where = f"calibration file {str(path)!r}"
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (OSError, ValueError) as e:
        raise QuantizationError(f"{where}: cannot read it: {e}") from None
    missing = [s.name for s in specs if s.name not in arrays]
    if missing:
        raise QuantizationError(f"{where}: no array for input(s) "
                                f"{', '.join(map(repr, missing))} (keys: {sorted(arrays)})")
    counts = {k: (a.shape[0] if a.ndim else 0) for k, a in arrays.items()}
    if len(set(counts.values())) != 1:
        raise QuantizationError(f"{where}: arrays disagree on the number of samples (first "
                                f"axis): {counts}")
    count = next(iter(counts.values()))
    if count == 0:
        raise _empty(where)
    return Dataset((_sample({k: a[i] for k, a in arrays.items()}, specs, f"{where}, sample {i}")
                    for i in range(count)), count)


def _python(source: Iterable[Any], specs: list[InputSpec]) -> Iterator[Sample]:
    names = [s.name for s in specs]
    seen = 0
    for i, item in enumerate(source):
        where = f"calibration sample {i}"
        if isinstance(item, Mapping):
            yield _sample(item, specs, where)
        elif isinstance(item, np.ndarray) and len(specs) == 1:
            yield _sample({names[0]: item}, specs, where)
        elif isinstance(item, (list, tuple)):
            if len(item) != len(specs):
                raise QuantizationError(f"{where}: {len(item)} arrays for {len(specs)} inputs "
                                        f"({', '.join(map(repr, names))})")
            yield _sample(dict(zip(names, item)), specs, where)
        else:
            raise QuantizationError(f"{where}: expected a list or dict of arrays, got "
                                    f"{type(item).__name__}")
        seen += 1
    if seen == 0:
        raise _empty("iterable")
