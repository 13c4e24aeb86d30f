"""Writing files so that a reader never sees half of one (models, keys)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Writes `data` to `path` through a temporary file in the same directory, flushed to
    disk and renamed over it: readers see the old file or the new one, and on any error
    nothing is left behind. `mode`: the new file's permissions; None keeps those of the file
    it replaces, else gives 0644 (mkstemp's own 0600 would surprise)."""
    target = Path(path)
    if mode is None:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
