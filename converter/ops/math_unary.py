"""The float32 element-wise math ops of format 7. One input, output shape = input shape: ABS,
NEG, SQRT, RSQRT, EXP, LOG, FLOOR, CEIL, ROUND (halves to even), SIGN, SIN, COS, RECIPROCAL,
ERF, SOFTPLUS, MISH, SQUARE and (format 9) ACOS, ASIN, ATAN with no params; ELU, SELU and
GELU with theirs. POW, the binary one, is pow.py. float32 only (an int8 model runs them
between a DEQUANTIZE and a QUANTIZE), but ABS, NEG and SIGN also take plain int32 and int64
(-INT_MIN and |INT_MIN| wrap)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .binary import check_integer_types
from .common import Shape, check_arity, check_finite, fail, input_shape, params_of
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class EluParams:
    alpha: float = 1.0


# ONNX's defaults, which are also the schema's (float32 values of the exact constants).
SELU_ALPHA = 1.67326319217681884765625
SELU_GAMMA = 1.05070102214813232421875


@dataclass(frozen=True)
class SeluParams:
    alpha: float = SELU_ALPHA
    gamma: float = SELU_GAMMA


@dataclass(frozen=True)
class GeluParams:
    approximate: bool = False  # the tanh form instead of erf


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    check_integer_types(node, graph, 1)
    return [input_shape(node, graph, 0)]


def _with_params(cls: type) -> object:
    def infer(node: Node, graph: Graph) -> list[Shape]:
        check_arity(node, 1, 1)
        p = params_of(node, cls)
        for field in ("alpha", "gamma"):
            if hasattr(p, field):
                check_finite(node, field, getattr(p, field))
        return [input_shape(node, graph, 0)]
    return infer


def _facts(op: OpType, onnx: tuple[str, ...], tflite: tuple[str, ...] = (),
           limits: str = "") -> OpFacts:
    return OpFacts(op, None, infer_shape, onnx=onnx, tflite=tflite, limits=limits)


INTEGER = "int32 and int64 too (-INT_MIN wraps)"


FACTS = (
    _facts(OpType.ABS, ("Abs", "Softsign"), ("ABS",), INTEGER),
    _facts(OpType.NEG, ("Neg",), ("NEG",), INTEGER),
    _facts(OpType.SQRT, ("Sqrt",), ("SQRT", "COMPLEX_ABS")),
    _facts(OpType.RSQRT, (), ("RSQRT",)),
    _facts(OpType.EXP, ("Exp", "Sinh", "Cosh"), ("EXP",)),
    _facts(OpType.LOG, ("Log", "Asinh", "Acosh", "Atanh"), ("LOG",)),
    _facts(OpType.FLOOR, ("Floor",), ("FLOOR",)),
    _facts(OpType.CEIL, ("Ceil",), ("CEIL",)),
    _facts(OpType.ROUND, ("Round",), ("ROUND",)),
    _facts(OpType.SIGN, ("Sign",), ("SIGN",), "int32 and int64 too"),
    _facts(OpType.SIN, ("Sin", "Tan"), ("SIN",)),
    _facts(OpType.COS, ("Cos",), ("COS",)),
    _facts(OpType.ACOS, ("Acos",)),
    _facts(OpType.ASIN, ("Asin",)),
    _facts(OpType.ATAN, ("Atan",)),
    _facts(OpType.RECIPROCAL, ("Reciprocal",)),
    _facts(OpType.ERF, ("Erf",)),
    _facts(OpType.SOFTPLUS, ("Softplus",)),
    _facts(OpType.MISH, ("Mish",)),
    _facts(OpType.SQUARE, (), ("SQUARE",)),
    OpFacts(OpType.ELU, EluParams, _with_params(EluParams), onnx=("Elu", "Celu"),
            tflite=("ELU",)),
    OpFacts(OpType.SELU, SeluParams, _with_params(SeluParams), onnx=("Selu",)),
    OpFacts(OpType.GELU, GeluParams, _with_params(GeluParams), onnx=("Gelu",),
            tflite=("GELU",)),
)
