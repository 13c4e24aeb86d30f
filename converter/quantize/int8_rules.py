"""What the int8 quantizer needs to know of each op with an int8 kernel: one row per op.

A row says how the op's tensors get their int8 params (csrc/kernels and
docs/int8-arithmetic.md hold the kernels' rules):
- `weights`: the axis of the output channels of constant weights at input 1, quantized
  symmetric per channel, with an int32 bias at input 2 (scale input x weight scale);
- `shared`: "first" when input 0 and every output must have the same params (the op moves or
  selects stored values), "all" when every input does too (CONCATENATION, and MAXIMUM and
  MINIMUM, which compare stored values); "" when the kernel requantizes;
- `fixed`: output params the kernel demands whatever the range (SOFTMAX, SIGMOID, TANH,
  L2_NORMALIZATION);
- `table`: the real function of a lookup-table op; input 1 becomes the 256-entry table built
  from the params, as the TFLite importer builds it (converter/ops/lookup_table.py);
- `min_out_scale`: the least output scale as a fraction of the largest input scale, below
  which the kernel's multiplier does not fit (HARD_SWISH: s_in / 128; ADD, SUB: 2 x s_in /
  2^20); a calibrated output range below it is widened;
- `accepts`: why a node cannot run int8 for a reason of its params or shapes ("" if it can);
  such a node runs in float32.
Every other tensor of an int8 node (constants included) gets asymmetric per-tensor params from
its own range. Ops without a row run in float32.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..ir import Graph, Node, QuantParams
from ..ops import OpType
from ..ops.lookup_table import sigmoid_f32, tanh_f32
from ..ops.resize import CoordinateTransform, ResizeMode

# MEAN sums up to this many int8 values per output in int32, as its kernel checks.
MEAN_MAX_COUNT = (2 ** 31 - 1) // 256


@dataclass(frozen=True)
class Int8Rule:
    weights: int | None = None
    shared: str = ""
    fixed: QuantParams | None = None
    table: Callable[[np.ndarray], np.ndarray] | None = None
    min_out_scale: float = 0.0
    accepts: Callable[[Node, Graph], str] | None = None


def _no_count_include_pad(node: Node, graph: Graph) -> str:
    return "int8 counts only the taps inside the input" if node.params.count_include_pad else ""


def _resize_transform(node: Node, graph: Graph) -> str:
    p = node.params
    if p.mode == ResizeMode.LINEAR and p.coordinate_transform == \
            CoordinateTransform.PYTORCH_HALF_PIXEL:
        return "int8 bilinear has no pytorch_half_pixel transform"
    return ""


def _mean_count(node: Node, graph: Graph) -> str:
    x, y = (graph.tensors[n].shape for n in (node.inputs[0], node.outputs[0]))
    count = int(np.prod(x)) // max(int(np.prod(y)), 1)
    return "" if 1 <= count <= MEAN_MAX_COUNT else f"int8 sums 1..{MEAN_MAX_COUNT} values"


_WEIGHTED = {OpType.CONV2D: 0, OpType.DEPTHWISE_CONV2D: 3, OpType.FULLY_CONNECTED: 0,
             OpType.TRANSPOSE_CONV2D: 0}
_ADD_MIN_OUT_SCALE = 2.0 / 2 ** 20

INT8_RULES: dict[OpType, Int8Rule] = {
    **{op: Int8Rule(weights=axis) for op, axis in _WEIGHTED.items()},
    OpType.ADD: Int8Rule(min_out_scale=_ADD_MIN_OUT_SCALE),
    OpType.SUB: Int8Rule(min_out_scale=_ADD_MIN_OUT_SCALE),
    OpType.MUL: Int8Rule(),
    OpType.BATCH_MATMUL: Int8Rule(),
    OpType.MEAN: Int8Rule(accepts=_mean_count),
    OpType.SUM: Int8Rule(),
    OpType.SOFTMAX: Int8Rule(fixed=QuantParams((1.0 / 256,), (-128,))),
    OpType.SIGMOID: Int8Rule(fixed=QuantParams((1.0 / 256,), (-128,)), table=sigmoid_f32),
    OpType.TANH: Int8Rule(fixed=QuantParams((1.0 / 128,), (0,)), table=tanh_f32),
    OpType.L2_NORMALIZATION: Int8Rule(fixed=QuantParams((1.0 / 128,), (0,))),
    OpType.HARD_SWISH: Int8Rule(min_out_scale=1.0 / 128),
    OpType.LEAKY_RELU: Int8Rule(),
    OpType.RELU: Int8Rule(),
    OpType.RELU6: Int8Rule(),
    OpType.CLAMP: Int8Rule(),
    OpType.PRELU: Int8Rule(),
    OpType.ARG_MAX: Int8Rule(),
    OpType.ARG_MIN: Int8Rule(),
    OpType.MAXIMUM: Int8Rule(shared="all"),
    OpType.MINIMUM: Int8Rule(shared="all"),
    OpType.CONCATENATION: Int8Rule(shared="all"),
    OpType.MAX_POOL2D: Int8Rule(shared="first"),
    OpType.AVERAGE_POOL2D: Int8Rule(shared="first", accepts=_no_count_include_pad),
    OpType.RESIZE: Int8Rule(shared="first", accepts=_resize_transform),
    OpType.PAD: Int8Rule(shared="first"),
    OpType.RESHAPE: Int8Rule(shared="first"),
    OpType.TRANSPOSE: Int8Rule(shared="first"),
    OpType.SLICE: Int8Rule(shared="first"),
    OpType.SPLIT: Int8Rule(shared="first"),
    OpType.GATHER: Int8Rule(shared="first"),
}


def int8_refusal(node: Node, graph: Graph) -> str:
    """Why `node` cannot run int8 ("" if it can)."""
    rule = INT8_RULES.get(node.op)
    if rule is None:
        return "no int8 kernel"
    return rule.accepts(node, graph) if rule.accepts is not None else ""
