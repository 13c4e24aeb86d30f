"""What the publisher and the device share without depending on each other (a device has no
converter, the publisher no interpreter)."""
from __future__ import annotations

import os
from pathlib import Path

# The one target the repository publishes: each release replaces its entry in the targets
# metadata, and the file itself is stored under its hash.
TARGET_NAME = "model.ember"


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a partial write."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
