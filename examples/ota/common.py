"""What the publisher and the device share without depending on each other (a device has no
converter, the publisher no interpreter)."""
from __future__ import annotations

# The one target the repository publishes: each release replaces its entry in the targets
# metadata, and the file itself is stored under its hash.
TARGET_NAME = "model.ember"

