"""What a device-side kernel case is: a small model, its inputs, and the op whose node must run
a Cortex-M kernel (armdsp on Cortex-M4, mve on Cortex-M55). The expected outputs are not
stored: the test runs the same model on the host's reference kernels (isa_mask 0) and the
firmware must give the same bytes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class McuCase:
    name: str                 # a file-name-safe identifier, unique over all cases
    model: bytes              # the .ember file
    inputs: list[np.ndarray]  # one per graph input, in order, of the input's dtype and shape
    fast_op: str | None       # node_ops() name of the op that must not run "reference"
                              # (None: every node may run its reference kernel)
