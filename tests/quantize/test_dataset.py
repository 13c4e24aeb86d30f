"""Representative data: every accepted form, and a clear error naming the file or sample for
each way it can be wrong."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emberlite.converter import QuantizationError
from emberlite.converter.quantize import InputSpec, load_dataset

X = InputSpec("x", (1, 3, 4, 4), np.dtype(np.float32))
IDS = InputSpec("ids", (1, 5), np.dtype(np.int32))


def _all(source, specs=(X,)) -> list[dict[str, np.ndarray]]:
    return list(load_dataset(source, list(specs)).samples)


def _x(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(X.shape).astype(np.float32)


def test_forms_agree_and_cast(tmp_path: Path):
    xs = [_x(i) for i in range(3)]
    ids = [np.arange(5, dtype=np.int32).reshape(1, 5) + i for i in range(3)]
    want = [{"x": x, "ids": d} for x, d in zip(xs, ids)]
    np.savez(tmp_path / "d.npz", x=np.stack(xs), ids=np.stack(ids))
    for i, (x, d) in enumerate(zip(xs, ids)):
        (tmp_path / "dir" / f"{i}").mkdir(parents=True)
        np.save(tmp_path / "dir" / f"{i}" / "x.npy", x.astype(np.float64))   # cast to float32
        np.save(tmp_path / "dir" / f"{i}" / "ids.npy", d[0])                 # no batch axis
    forms = [list(zip(xs, ids)), [{"ids": d, "x": x} for x, d in zip(xs, ids)],
             lambda: iter([[x, d] for x, d in zip(xs, ids)]), tmp_path / "d.npz",
             str(tmp_path / "dir")]
    for form in forms:
        got = _all(form, (X, IDS))
        assert len(got) == 3
        for g, w in zip(got, want):
            assert g.keys() == w.keys()
            for k in w:
                assert g[k].dtype == w[k].dtype and g[k].shape == w[k].shape
                np.testing.assert_array_equal(g[k], w[k])


def test_directory_is_read_in_name_order(tmp_path: Path):
    for name, seed in [("b.npy", 2), ("a.npy", 1), ("c.npy", 3)]:
        np.save(tmp_path / name, _x(seed))
    data = load_dataset(tmp_path, [X])
    assert data.count == 3
    for got, seed in zip(data.samples, [1, 2, 3]):
        np.testing.assert_array_equal(got["x"], _x(seed))


def test_count_is_known_for_sized_sources():
    assert load_dataset([_x(0)] * 4, [X]).count == 4
    assert load_dataset((x for x in [_x(0)]), [X]).count is None


@pytest.mark.parametrize("make, message", [
    (lambda d: np.save(d / "s0.npy", np.zeros((1, 3, 4, 5), np.float32)),
     r"s0\.npy'.*input 'x' expects shape \[1, 3, 4, 4\], got \[1, 3, 4, 5\]"),
    (lambda d: np.save(d / "s0.npy", np.zeros((1, 3, 4, 4), np.int64)),
     r"s0\.npy'.*input 'x' expects float32 data, got int64"),
    (lambda d: (d / "notes.txt").write_text("hi"), r"holds no samples"),
    (lambda d: (d / "garbage.npy").write_bytes(b"nope"), r"garbage\.npy'.*cannot read"),
])
def test_directory_errors(tmp_path: Path, make, message):
    make(tmp_path)
    with pytest.raises(QuantizationError, match=message):
        _all(tmp_path)


def test_sub_directory_missing_input(tmp_path: Path):
    (tmp_path / "s0").mkdir()
    np.save(tmp_path / "s0" / "x.npy", _x(0))
    with pytest.raises(QuantizationError, match=r"s0'.*no file ids\.npy"):
        _all(tmp_path, (X, IDS))


def test_flat_directory_needs_a_single_input(tmp_path: Path):
    np.save(tmp_path / "0.npy", _x(0))
    with pytest.raises(QuantizationError, match="2 inputs, so each sample must be a sub-dir"):
        _all(tmp_path, (X, IDS))


def test_npz_errors(tmp_path: Path):
    np.savez(tmp_path / "a.npz", y=np.zeros((2, 1, 3, 4, 4), np.float32))
    with pytest.raises(QuantizationError, match=r"a\.npz'.*no array for input\(s\) 'x'"):
        _all(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", x=np.zeros((2, 1, 3, 4, 4), np.float32),
             ids=np.zeros((3, 1, 5), np.int32))
    with pytest.raises(QuantizationError, match="disagree on the number of samples"):
        _all(tmp_path / "b.npz", (X, IDS))
    np.savez(tmp_path / "c.npz", x=np.zeros((0, 1, 3, 4, 4), np.float32))
    with pytest.raises(QuantizationError, match=r"c\.npz' holds no samples"):
        _all(tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 1, 3, 4, 4), np.float32),
             z=np.zeros((2, 1), np.float32))
    with pytest.raises(QuantizationError, match=r"d\.npz', sample 0: 'z' is not a graph input"):
        _all(tmp_path / "d.npz")


@pytest.mark.parametrize("source, message", [
    ([], "iterable holds no samples"),
    ([{"y": np.zeros(X.shape, np.float32)}], r"sample 0: no data for input\(s\) 'x'"),
    ([_x(0), np.zeros((2, 3, 4, 4), np.float32)],
     r"sample 1: input 'x' expects shape \[1, 3, 4, 4\], got \[2, 3, 4, 4\]"),
    ([[_x(0), _x(1)]], r"sample 0: 2 arrays for 1 inputs"),
    ([42], "sample 0: expected a list or dict of arrays, got int"),
    (42, "expected a path, an iterable or a callable, got int"),
])
def test_python_errors(source, message):
    with pytest.raises(QuantizationError, match=message):
        _all(source)


def test_bad_path(tmp_path: Path):
    with pytest.raises(QuantizationError, match=r"expected a directory of \.npy files or an \.npz"):
        _all(tmp_path / "missing.npy")
