"""CUM_PROD (format 9): running products along a non-negative axis of FLOAT32, FLOAT64, INT32
or INT64, with CUM_SUM's params (CumSumParams): `exclusive` leaves each element out of its own
product (the first is 1), `reverse` multiplies from the end. Floats multiply in their own type
in order; integer products wrap. An optional input 1 is an ONNX CumProd's run-time axis, which
the kernel reads at invoke instead of the params' axis."""
from __future__ import annotations

from .cum_sum import CumSumParams, running_shape
from .facts import OpFacts
from .op_type import OpType

MULTIPLIED_TYPES = ("FLOAT32", "FLOAT64", "INT32", "INT64")


infer_shape = running_shape(MULTIPLIED_TYPES)


FACTS = (OpFacts(OpType.CUM_PROD, CumSumParams, infer_shape, onnx=("CumProd",),
                 limits="float64, int32 and int64 too; axis fixed at conversion"),)
