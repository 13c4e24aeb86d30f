"""TFLite UNIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_LSTM (float32) in
tflite_ops.py's conventions (its COMPOSED_OPS holds them), unrolled over the sequence length
fixed at conversion as the ONNX importer's recurrent ops are: one FULLY_CONNECTED projects
every step's input, each step adds its recurrent FULLY_CONNECTED and the gate arithmetic.

TFLite's semantics, not ONNX's: gates i, f, c, o; CIFG (no input gate: i = 1 - f); peepholes
on i and f (previous cell) and o (new cell); layer norm of each gate's sum before its bias;
the fused activation on the cell candidate and on the cell before the output gate; cell_clip
clips the cell state, proj_clip the projected output. The state inputs are variable tensors
(LiteRT's kernels take no other kind) and start at zeros, as LiteRT's do after
AllocateTensors; the state a LiteRT interpreter carries from one Invoke to the next is not
kept: each run starts again from zeros.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.BuiltinOperator import BuiltinOperator as Op

from ..ops import OpType
from ..ops.binary import BinaryParams
from ..ops.clamp import ClampParams
from ..ops.fully_connected import FullyConnectedParams
from ..ops.mean import ReduceParams
from ..ops.slice import SliceParams
from ..ops.split import SplitParams
from .graph_builder import Builder, Invalid, Unsupported
from .onnx_recurrent_ops import MAX_STEPS

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

# LiteRT's layer norm: (x - mean) / sqrt(variance + 1e-8).
_LAYER_NORM_EPSILON = 1e-8
_GATES = ("input", "forget", "cell", "output")


@dataclass
class _Direction:
    """One direction's constants: per gate (None where absent) in TFLite's order i, f, c, o."""
    w: list[np.ndarray | None]
    r: list[np.ndarray | None]
    peep: list[np.ndarray | None]       # i, f, o (None for c)
    bias: list[np.ndarray | None]
    norm: list[np.ndarray | None]
    proj: np.ndarray | None
    proj_bias: np.ndarray | None
    hidden: int                          # cells (H)
    out: int                             # output size (P: the projection's, else H)

    @property
    def cifg(self) -> bool:
        return self.w[0] is None


def _weight(c: Ctx, pos: int, what: str) -> np.ndarray | None:
    if not c.has(pos):
        return None
    value = c.const(pos)
    if value.dtype != np.float32:
        raise Unsupported(f"input {pos} ({what}) is {value.dtype}: only float32 weights are "
                          f"supported (not hybrid or quantized LSTMs)")
    return value


def _expect(value: np.ndarray | None, shape: tuple[int, ...], pos: int, what: str) -> None:
    if value is not None and value.shape != shape:
        raise Invalid(f"input {pos} ({what}) has shape {list(value.shape)}, expected "
                      f"{list(shape)}")


def _read_direction(c: Ctx, base: int, norm_base: int | None, size: int) -> _Direction:
    """The 17 tensors of a direction from input `base` on (TFLite's order: input weights,
    recurrent weights, peepholes, biases, projection), layer norm coefficients at
    `norm_base`; `size` is the input's feature size."""
    w = [_weight(c, base + g, f"input_to_{_GATES[g]} weights") for g in range(4)]
    r = [_weight(c, base + 4 + g, f"recurrent_to_{_GATES[g]} weights") for g in range(4)]
    peep = [_weight(c, base + 8 + k, f"cell_to_{_GATES[g]} peephole") for k, g in
            enumerate((0, 1, 3))]
    bias = [_weight(c, base + 11 + g, f"{_GATES[g]} gate bias") for g in range(4)]
    proj = _weight(c, base + 15, "projection weights")
    proj_bias = _weight(c, base + 16, "projection bias")
    norm = [_weight(c, norm_base + g, f"{_GATES[g]} layer norm coefficients")
            if norm_base is not None else None for g in range(4)]
    for g in range(1, 4):
        for pos, value, what in ((base + g, w[g], "input"), (base + 4 + g, r[g], "recurrent"),
                                 (base + 11 + g, bias[g], "bias")):
            if value is None:
                raise Invalid(f"input {pos} ({what} of the {_GATES[g]} gate) is missing")
    hidden = w[1].shape[0] if w[1].ndim == 2 else -1
    out = proj.shape[0] if proj is not None and proj.ndim == 2 else hidden
    cifg = w[0] is None
    if cifg and any(v is not None for v in (r[0], peep[0], bias[0], norm[0])):
        raise Invalid(f"input {base} (input_to_input weights) is absent (CIFG) but the input "
                      f"gate's recurrent weights, peephole, bias or layer norm are given")
    if not cifg and (r[0] is None or bias[0] is None):
        raise Invalid(f"inputs {base + 4} and {base + 11} (the input gate's recurrent weights "
                      f"and bias) are needed with its input weights")
    if (peep[1] is None) != (peep[2] is None) or (not cifg and (peep[0] is None)
                                                  != (peep[1] is None)):
        raise Invalid(f"inputs {base + 8}..{base + 10} (peepholes) must be all given or all "
                      f"absent")
    given = [v is not None for v in norm]
    if len(set(given[1:])) != 1 or given[0] != (given[1] and not cifg):
        raise Invalid(f"inputs {norm_base}..{norm_base + 3} (layer norm coefficients) must be "
                      f"all given or all absent (the input gate's absent with CIFG)")
    if proj is None and proj_bias is not None:
        raise Invalid(f"input {base + 16} (projection bias) is given without projection "
                      f"weights")
    for g in range(4):
        _expect(w[g], (hidden, size), base + g, f"input_to_{_GATES[g]} weights")
        _expect(r[g], (hidden, out), base + 4 + g, f"recurrent_to_{_GATES[g]} weights")
        _expect(bias[g], (hidden,), base + 11 + g, f"{_GATES[g]} gate bias")
        if norm_base is not None:
            _expect(norm[g], (hidden,), norm_base + g, f"{_GATES[g]} layer norm coefficients")
    for k, g in enumerate((0, 1, 3)):
        _expect(peep[k], (hidden,), base + 8 + k, f"cell_to_{_GATES[g]} peephole")
    _expect(proj, (out, hidden), base + 15, "projection weights")
    _expect(proj_bias, (out,), base + 16, "projection bias")
    if hidden < 1 or out < 1:
        raise Invalid(f"input {base + 1} (input_to_forget weights) must be [cells, "
                      f"{size}] with cells >= 1, got {list(w[1].shape)}")
    peep = [peep[0], peep[1], None, peep[2]]
    return _Direction(w, r, peep, bias, norm, proj, proj_bias, hidden, out)


class _Cell:
    """The step arithmetic of one direction."""

    def __init__(self, b: Builder, d: _Direction, act: int, cell_clip: float,
                 proj_clip: float):
        self.b, self.d = b, d
        self.act, self.cell_clip, self.proj_clip = act, cell_clip, proj_clip
        self.gates = [g for g in range(4) if d.w[g] is not None]
        self.layer_norm = d.norm[1] is not None
        self._consts: dict[str, str] = {}
        self.recurrent = np.concatenate([d.r[g] for g in self.gates])

    def binary(self, op: OpType, x: str, y: str) -> str:
        return self.b.op(op, [x, y], BinaryParams())

    def const(self, value: np.ndarray, name: str, key: str | None = None) -> str:
        """A float32 constant; one tensor per `key` for all the steps that use it (a constant
        per step would store the weights once per step)."""
        if key is None or key not in self._consts:
            made = self.b.const(np.ascontiguousarray(value, np.float32), name=name)
            if key is None:
                return made
            self._consts[key] = made
        return self._consts[key]

    def fc(self, x: str, weights: np.ndarray, bias: np.ndarray | None = None,
           key: str | None = None) -> str:
        inputs = [x, self.const(weights, "weights", key and f"{key}/weights")]
        if bias is not None:
            inputs.append(self.const(bias, "bias", key and f"{key}/bias"))
        return self.b.op(OpType.FULLY_CONNECTED, inputs, FullyConnectedParams())

    def activation(self, x: str) -> str:
        if self.act == Act.TANH:
            return self.b.op(OpType.TANH, [x])
        if self.act == Act.RELU:
            return self.b.op(OpType.RELU, [x])
        if self.act == Act.RELU6:
            return self.b.op(OpType.RELU6, [x])
        if self.act == Act.RELU_N1_TO_1:
            return self.b.op(OpType.CLAMP, [x], ClampParams(-1.0, 1.0))
        raise Unsupported(f"fused activation {self.act} is not supported")

    def clip(self, x: str, limit: float) -> str:
        return self.b.op(OpType.CLAMP, [x], ClampParams(-limit, limit)) if limit > 0 else x

    def project_inputs(self, rows: str) -> str:
        """Every step's input times the stacked input weights (plus the biases, unless layer
        norm puts them after the normalisation)."""
        d = self.d
        w = np.concatenate([d.w[g] for g in self.gates])
        bias = None if self.layer_norm else np.concatenate([d.bias[g] for g in self.gates])
        return self.fc(rows, w, bias)

    def normalize(self, x: str, g: int) -> str:
        b = self.b
        keep = (b.shape(x)[0], 1)
        mean = b.op(OpType.MEAN, [x], ReduceParams((1,)), shapes=[keep])
        centred = self.binary(OpType.SUB, x, mean)
        variance = b.op(OpType.MEAN, [b.op(OpType.SQUARE, [centred])], ReduceParams((1,)),
                        shapes=[keep])
        epsilon = self.const(np.float32(_LAYER_NORM_EPSILON), "epsilon", "epsilon")
        inv_std = b.op(OpType.RSQRT, [self.binary(OpType.ADD, variance, epsilon)])
        y = self.binary(OpType.MUL, self.binary(OpType.MUL, centred, inv_std),
                        self.const(self.d.norm[g], "layer_norm", f"norm{g}"))
        return self.binary(OpType.ADD, y, self.const(self.d.bias[g], "bias", f"bias{g}"))

    def pre(self, part: str, g: int, cell: str | None) -> str:
        """Gate g's sum with its peephole on `cell`, then its layer norm and bias."""
        if self.d.peep[g] is not None:
            part = self.binary(OpType.ADD, part, self.binary(
                OpType.MUL, cell, self.const(self.d.peep[g], "peephole", f"peephole{g}")))
        return self.normalize(part, g) if self.layer_norm else part

    def step(self, xw: str, h: str, c: str) -> tuple[str, str]:
        b, d = self.b, self.d
        total = self.binary(OpType.ADD, xw, self.fc(h, self.recurrent, key="recurrent"))
        batch = b.shape(total)[0]
        parts = dict(zip(self.gates, b.node(
            OpType.SPLIT, [total], SplitParams(1), outputs=len(self.gates),
            shapes=[(batch, d.hidden)] * len(self.gates))))
        f = b.op(OpType.SIGMOID, [self.pre(parts[1], 1, c)])
        if d.cifg:
            i = self.binary(OpType.SUB, self.const(np.float32(1.0), "one", "one"), f)
        else:
            i = b.op(OpType.SIGMOID, [self.pre(parts[0], 0, c)])
        candidate = self.activation(self.pre(parts[2], 2, None))
        c = self.binary(OpType.ADD, self.binary(OpType.MUL, f, c),
                        self.binary(OpType.MUL, i, candidate))
        c = self.clip(c, self.cell_clip)
        o = b.op(OpType.SIGMOID, [self.pre(parts[3], 3, c)])
        h = self.binary(OpType.MUL, o, self.activation(c))
        if d.proj is not None:
            h = self.clip(self.fc(h, d.proj, d.proj_bias, key="projection"), self.proj_clip)
        return h, c


def _state(c: Ctx, pos: int, batch: int, size: int, what: str) -> str:
    """State input `pos`, a variable tensor of [batch, size] (LiteRT's kernels take no other
    kind), as zeros."""
    if not c.has(pos):
        raise Invalid(f"input {pos} ({what}) is missing")
    if not c.is_variable(pos):
        raise Unsupported(f"input {pos} ({what}) is not a variable tensor (LiteRT's kernel "
                          f"requires one)")
    if c.in_shape(pos) != (batch, size):
        raise Invalid(f"input {pos} ({what}) has shape {list(c.in_shape(pos))}, expected "
                      f"{[batch, size]}")
    c.b.reserve((batch, size), np.float32)
    return c.b.const(np.zeros((batch, size), np.float32), name="zeros")


def _sequence(c: Ctx, pos: int, time_major: bool) -> tuple[str, int, int, int]:
    """Input `pos` as [T, B, I] and (T, B, I)."""
    b = c.b
    x = c.input(pos)
    if b.rank(x) != 3:
        raise Invalid(f"input {pos} must be 3-D, got {list(b.shape(x))}")
    if not time_major:
        x = b.transpose(x, (1, 0, 2))
    length, batch, size = b.shape(x)
    if length > MAX_STEPS:
        raise Unsupported(f"a sequence of {length} steps: at most {MAX_STEPS} are unrolled")
    if min(length, batch, size) < 1:
        raise Invalid(f"input {pos} has an empty dimension: {list(b.shape(x))}")
    return x, length, batch, size


def _unroll(c: Ctx, x: str, cell: _Cell, h: str, state: str, backward: bool) -> str:
    """Runs the cell over [T, B, I] `x`; returns the outputs [T, B, P] in input order."""
    b = c.b
    length, batch, size = b.shape(x)
    xw = cell.project_inputs(b.reshape(x, (length * batch, size)))
    width = b.shape(xw)[1]
    xw = b.reshape(xw, (length, batch, width))
    outputs: list[str] = [""] * length
    for t in (reversed(range(length)) if backward else range(length)):
        step = b.op(OpType.SLICE, [xw], SliceParams((t, 0, 0), (1, 1, 1)),
                    shapes=[(1, batch, width)])
        h, state = cell.step(b.reshape(step, (batch, width)), h, state)
        outputs[t] = b.reshape(h, (1, batch, cell.d.out))
    return b.concat(outputs, 0)


def _options(c: Ctx, time_major_default: bool) -> tuple[int, float, float, bool]:
    o = c.options
    if o is None or o.FusedActivationFunction() == Act.NONE:
        # LiteRT's kernel then reads an activation buffer it never wrote: no o * c to match.
        raise Unsupported("fused activation NONE is not supported (LiteRT's LSTM kernels "
                          "give no o * c for it)")
    cell_clip, proj_clip = float(o.CellClip()), float(o.ProjClip())
    if not (cell_clip >= 0 and proj_clip >= 0) or not np.isfinite([cell_clip, proj_clip]).all():
        raise Invalid(f"cell_clip {cell_clip} and proj_clip {proj_clip} must be finite and "
                      f">= 0")
    return o.FusedActivationFunction(), cell_clip, proj_clip, bool(o.TimeMajor())


def _batch_major(b: Builder, y: str, time_major: bool) -> str:
    return y if time_major else b.transpose(y, (1, 0, 2))


def unidirectional_sequence_lstm(c: Ctx) -> list[str]:
    """Inputs: x, 17 weights (1-17), output and cell state (18, 19), 4 layer norm
    coefficients (20-23, optional)."""
    if len(c.op.inputs) not in (20, 24):
        raise Invalid(f"{len(c.op.inputs)} inputs given, expected 20 or 24")
    if c.options is not None and c.options.DiagonalRecurrentTensors():
        raise Unsupported("diagonal_recurrent_tensors is not supported")
    act, cell_clip, proj_clip, time_major = _options(c, False)
    x, _, batch, size = _sequence(c, 0, time_major)
    d = _read_direction(c, 1, 20 if len(c.op.inputs) == 24 else None, size)
    cell = _Cell(c.b, d, act, cell_clip, proj_clip)
    h = _state(c, 18, batch, d.out, "output state")
    state = _state(c, 19, batch, d.hidden, "cell state")
    return [_batch_major(c.b, _unroll(c, x, cell, h, state, False), time_major)]


def bidirectional_sequence_lstm(c: Ctx) -> list[str]:
    """Inputs: x, forward weights (1-17), backward weights (18-34), forward then backward
    output and cell states (35-38), an auxiliary input and its weights (39-47, refused)."""
    if len(c.op.inputs) != 48:
        raise Invalid(f"{len(c.op.inputs)} inputs given, expected 48")
    if any(c.has(p) for p in range(39, 48)):
        raise Unsupported("the auxiliary input (inputs 39-47) is not supported")
    merge = c.options is not None and bool(c.options.MergeOutputs())
    if len(c.op.outputs) != (1 if merge else 2):
        raise Invalid(f"{len(c.op.outputs)} outputs, expected {1 if merge else 2} with "
                      f"merge_outputs={merge}")
    act, cell_clip, proj_clip, time_major = _options(c, True)
    x, _, batch, size = _sequence(c, 0, time_major)
    ys = []
    for base, states, backward in ((1, 35, False), (18, 37, True)):
        d = _read_direction(c, base, None, size)
        cell = _Cell(c.b, d, act, cell_clip, proj_clip)
        h = _state(c, states, batch, d.out, "output state")
        state = _state(c, states + 1, batch, d.hidden, "cell state")
        ys.append(_unroll(c, x, cell, h, state, backward))
    if merge:
        ys = [c.b.concat(ys, 2)]
    return [_batch_major(c.b, y, time_major) for y in ys]


# Inputs that may be variable tensors (the states), per op.
STATE_INPUTS = {Op.UNIDIRECTIONAL_SEQUENCE_LSTM: (18, 19),
                Op.BIDIRECTIONAL_SEQUENCE_LSTM: (35, 36, 37, 38)}
