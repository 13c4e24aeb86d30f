"""emberlite.files.write_atomically: the old file or the new one, never half, no leftovers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from emberlite.files import write_atomically


def test_replaces_keeping_the_mode_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "model.ember"
    write_atomically(target, b"one")
    assert target.read_bytes() == b"one" and os.stat(target).st_mode & 0o777 == 0o644
    os.chmod(target, 0o640)
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two" and os.stat(target).st_mode & 0o777 == 0o640
    write_atomically(target, b"key", 0o600)
    assert os.stat(target).st_mode & 0o777 == 0o600
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"key" and sorted(os.listdir(tmp_path)) == ["model.ember"]
