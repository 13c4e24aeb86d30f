"""What the rest of the converter needs to know about an op, declared once in the op's module
as `FACTS` (one OpFacts per op the module covers) and collected into `OPS`
(converter/ops/__init__.py). The quantizer's rule tables (quantize/int8_rules.py,
quantize/int16_rules.py), the weight-only quantizer and the TFLite int8/int16 eligibility
checks (importers/tflite_quantized.py) are derived from these declarations;
tests/converter/test_op_facts.py ties them to what the C kernels accept and to the
importers' tables, and scripts/gen_ops_doc.py writes docs/ops.md from them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .op_type import OpType

if TYPE_CHECKING:
    import numpy as np

    from ..ir import Graph, Node


@dataclass(frozen=True)
class QuantRule:
    """An op's quantized kernel (int8, or int16 activations with int8 weights) and how the
    post-training quantizer gives the op's tensors their params (csrc/kernels and
    docs/int8-arithmetic.md hold the kernels' rules):
    - `weights`: True where the weights (OpFacts.weights) are constant int8, symmetric per
      output channel along OpFacts.weight_axis, and the bias (OpFacts.bias) is int32 (int8)
      or int64 (16x8) scaled by input x weight scale; False: every input is an activation;
    - `shared`: "first" when input 0 and every output must have the same params (the op moves
      or selects stored values), "all" when every input does too (CONCATENATION, and MAXIMUM
      and MINIMUM, which compare stored values); "" when the kernel requantizes;
    - `fixed`: the output (scale, zero point) the kernel demands whatever the range
      (SOFTMAX, SIGMOID, TANH, L2_NORMALIZATION);
    - `table`: the real function of a lookup-table op; input 1 becomes the 256-entry table
      built from the params, as the TFLite importer builds it (lookup_table.py);
    - `min_out_scale`: the least output scale as a fraction of the largest input scale, below
      which the kernel's multiplier does not fit; a calibrated output range below it is
      widened;
    - `accepts`: why a node cannot run quantized for a reason of its params or shapes ("" if
      it can); such a node runs in float32;
    - `quantizer`: False where the kernel serves imported quantized models (TFLite) and the
      conversions, but the post-training quantizer leaves the op float32.
    Every other tensor of a quantized node (constants included) gets params from its own
    range."""
    weights: bool = False
    shared: str = ""
    fixed: tuple[float, int] | None = None
    table: Callable[[np.ndarray], np.ndarray] | None = None
    min_out_scale: float = 0.0
    accepts: Callable[[Node, Graph], str] | None = None
    quantizer: bool = True


# The rule of the ops whose kernel only converts or copies stored values and which the
# post-training quantizer never picks for a node of the float graph.
CONVERSION = QuantRule(quantizer=False)


@dataclass(frozen=True)
class OpFacts:
    """One op's facts. `int8` / `int16` None: no such kernel, the op runs float32 between a
    DEQUANTIZE and a QUANTIZE. Input positions are the IR node's; `tflite_inputs` gives
    TFLite's position of each IR input where its order differs (TRANSPOSE_CONV: output shape,
    weights, data, bias). `tflite` and `onnx` name the importers' table keys that produce the
    op (an ONNX key may produce several ops: Conv gives CONV2D or DEPTHWISE_CONV2D)."""
    op: OpType
    params_cls: type | None              # None: the op takes no params (node.params is None)
    infer_shape: Callable[[Node, Graph], list[tuple[int, ...]]]
    int8: QuantRule | None = None
    int16: QuantRule | None = None
    weights: int | None = None           # input of constant weights (weight-only quantizer)
    bias: int | None = None              # input of the optional bias
    # output-channel axis of the weights; a function where it depends on the node
    weight_axis: int | Callable[[Node, Graph], int] | None = None
    index_outputs: bool = False          # the outputs are int32/int64 indices, not values
    tflite: tuple[str, ...] = ()
    tflite_inputs: tuple[int, ...] | None = None
    onnx: tuple[str, ...] = ()
    limits: str = ""                     # one short phrase for docs/ops.md

    @property
    def types(self) -> tuple[str, ...]:
        """The activation types the C kernels compute in."""
        return ("float32",) + ("int8",) * (self.int8 is not None) + \
            ("int16",) * (self.int16 is not None)

    def output_channel_axis(self, node: Node, graph: Graph) -> int | None:
        """The output-channel axis of `node`'s weights (None: the op has no weights)."""
        axis = self.weight_axis
        return axis(node, graph) if callable(axis) else axis

    def tflite_input(self, ir_input: int) -> int:
        """TFLite's position of IR input `ir_input`."""
        return self.tflite_inputs[ir_input] if self.tflite_inputs else ir_input
