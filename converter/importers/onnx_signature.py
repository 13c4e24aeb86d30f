"""The annotations an ONNX op function (onnx_ops.py, onnx_nn_ops.py) declares its contract
with, and `signature(fn)`, which reads them for the importer's pre-scan and conversion. The
conventions are listed at the top of onnx_ops.py: besides `str` (a float32 tensor) and
`np.ndarray` (an input that must be constant), an input is `Indices`, `AnyTensor`, `Compared`,
`Numeric` or `Boolean`, and a
`Literal[...]` attribute hint such as `AutoPad` lists the supported values.
"""
from __future__ import annotations

import functools
import inspect
import typing
from dataclasses import dataclass
from typing import Any, Callable, Literal, NewType

import numpy as np

Indices = NewType("Indices", str)       # int32/int64 indices, constant or not
AnyTensor = NewType("AnyTensor", str)   # any element type; the function reads only the shape
Compared = NewType("Compared", str)     # a run-time float32, integer or bool tensor
Boolean = NewType("Boolean", str)       # a run-time bool tensor
Numeric = NewType("Numeric", str)       # a run-time float32 or integer tensor (arithmetic)
# A shape-like operand (a shape, axes, pads, k): its value (np.ndarray) when it is constant,
# else the IR name of the run-time tensor, which the kernel reads and checks at invoke.
Operand = NewType("Operand", str)

AutoPad = Literal["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]


@dataclass(frozen=True)
class Signature:
    inputs: list[Any]                        # annotation per positional input
    variadic: bool                           # *inputs: any number of tensors
    rest: Any                                # the annotation of *inputs (str if none)
    attributes: dict[str, tuple | None]      # name -> supported values (None: any)
    multi_output: bool
    constant_output: bool

    def kind(self, i: int) -> str:
        """input_kind of positional input i; inputs past the declared ones take *inputs'."""
        return input_kind(self.inputs[i] if i < len(self.inputs) else self.rest)


@functools.cache
def signature(fn: Callable[..., Any]) -> Signature:
    """What op function `fn` accepts, read from its annotations (its first parameter is the
    builder)."""
    hints = typing.get_type_hints(fn)
    inputs, attributes, variadic, rest = [], {}, False, str
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        hint = hints.get(param.name, str)
        if param.kind is param.VAR_POSITIONAL:
            variadic, rest = True, hint
        elif param.kind is param.KEYWORD_ONLY:
            literal = typing.get_origin(hint) is Literal
            attributes[param.name] = typing.get_args(hint) if literal else None
        else:
            inputs.append(hint)
    result = hints.get("return")
    return Signature(inputs, variadic, rest, attributes, typing.get_origin(result) is list,
                     result is np.ndarray)


def input_kind(hint: Any) -> str:
    """"constant", "operand", "indices", "any", "compared", "numeric", "bool" or "float": what
    an input annotation asks for."""
    args = typing.get_args(hint) or (hint,)
    kinds = {np.ndarray: "constant", Operand: "operand", Indices: "indices", AnyTensor: "any",
             Compared: "compared", Numeric: "numeric", Boolean: "bool"}
    return next((kinds[a] for a in args if a in kinds), "float")
