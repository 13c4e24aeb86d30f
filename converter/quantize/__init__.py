"""Post-training quantization. calibrate.py runs the float graph on representative data through
the runtime and picks a range per activation tensor (min-max, percentile, entropy or MSE), from
which asymmetric int8 (scale, zero point) follow as TFLite computes them; quantize_int8.py
rewrites the graph to int8 (float32 where an op has no int8 kernel), or to 16x8 (int16
activations, int8 weights; int16_rules.py); report.py measures each layer's error against
float; budget.py keeps layers in float until an accuracy budget holds."""
from __future__ import annotations

from .calibrate import calibrate
from .dataset import InputSpec, load_dataset
from .ranges import Entropy, Histogram, MinMax, Mse, Percentile, asymmetric_int8_params
from .report import Budget, LayerError, QuantizationReport

__all__ = ["Budget", "Entropy", "Histogram", "InputSpec", "LayerError", "MinMax", "Mse",
           "Percentile", "QuantizationReport", "asymmetric_int8_params", "calibrate",
           "load_dataset"]
