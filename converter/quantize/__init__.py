"""Post-training quantization. This part calibrates: it runs the float graph on representative
data through the runtime and picks a range per activation tensor (min-max, percentile, entropy
or MSE), from which asymmetric int8 (scale, zero point) follow as TFLite computes them."""
from __future__ import annotations

from .calibrate import calibrate
from .dataset import InputSpec, load_dataset
from .ranges import Entropy, Histogram, MinMax, Mse, Percentile, asymmetric_int8_params

__all__ = ["Entropy", "Histogram", "InputSpec", "MinMax", "Mse", "Percentile",
           "asymmetric_int8_params", "calibrate", "load_dataset"]
