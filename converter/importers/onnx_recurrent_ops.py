"""ONNX_OPS entries for LSTM, GRU and RNN, unrolled over the sequence length fixed at
conversion: the input projection of every step is one FULLY_CONNECTED, each step adds its
recurrent FULLY_CONNECTED and gate arithmetic, and the outputs are concatenated. Both
directions, initial states, peepholes, clip, GRU's linear_before_reset and both layouts. The
weights, biases and peepholes are constants (sliced and summed at conversion) or run-time
tensors (sliced once per direction by SLICE nodes, summed by ADD). The conventions are
onnx_ops.py's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ..ops import OpType
from ..ops.binary import BinaryParams
from ..ops.clamp import ClampParams
from ..ops.fully_connected import FullyConnectedParams
from ..ops.slice import SliceParams
from ..ops.split import SplitParams
from .graph_builder import Builder, Invalid, Unsupported
from .onnx_signature import Operand

Direction = Literal["forward", "reverse", "bidirectional"]
# ONNX's activation names -> the IR's unary ops (the others, with alpha/beta, are refused).
_ACTIVATIONS = {"Sigmoid": OpType.SIGMOID, "Tanh": OpType.TANH, "Relu": OpType.RELU}
# The longest sequence unrolled: each step is a dozen nodes.
MAX_STEPS = 4096
# A weight, bias or peephole: a constant, or the name of a run-time tensor.
Param = np.ndarray | str


def _dims(b: Builder, v: Param) -> tuple[int, ...]:
    return tuple(v.shape) if isinstance(v, np.ndarray) else b.shape(v)


def _part(b: Builder, v: Param, d: int, lo: int = 0, hi: int | None = None) -> Param:
    """v[d, lo:hi] of a [directions, N, ...] parameter."""
    if isinstance(v, np.ndarray):
        return v[d, lo:hi]
    dims = b.shape(v)
    hi = dims[1] if hi is None else hi
    size = (1, hi - lo, *dims[2:])
    piece = b.op(OpType.SLICE, [v], SliceParams((d, lo) + (0,) * (len(dims) - 2),
                                                (1,) * len(dims)), shapes=[size])
    return b.reshape(piece, size[1:])


def _sum(b: Builder, x: Param, y: Param) -> Param:
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
        return x + y
    return b.op(OpType.ADD, [_tensor(b, x), _tensor(b, y)], BinaryParams())


def _tensor(b: Builder, v: Param, name: str = "weights") -> str:
    return b.const(np.ascontiguousarray(v, np.float32), name=name) \
        if isinstance(v, np.ndarray) else v


class _Cell:
    """What one direction's steps share: the builder, clip and the activations."""

    def __init__(self, b: Builder, clip: float | None, activations: list[OpType]):
        self.b, self.clip, self.act = b, clip, activations

    def add(self, x: str, y: str) -> str:
        return self.b.op(OpType.ADD, [x, y], BinaryParams())

    def mul(self, x: str, y: str) -> str:
        return self.b.op(OpType.MUL, [x, y], BinaryParams())

    def fc(self, x: str, weights: Param, bias: Param | None = None) -> str:
        b = self.b
        inputs = [x, _tensor(b, weights)]
        if bias is not None:
            inputs.append(_tensor(b, bias, "bias"))
        return b.op(OpType.FULLY_CONNECTED, inputs, FullyConnectedParams())

    def gate(self, pre: str, which: int) -> str:
        """activations[which] of a gate's pre-activation, clipped first when asked."""
        if self.clip is not None:
            pre = self.b.op(OpType.CLAMP, [pre], ClampParams(-self.clip, self.clip))
        return self.b.op(self.act[which], [pre])

    def split(self, x: str, parts: int) -> list[str]:
        size = self.b.shape(x)[1] // parts
        return self.b.node(OpType.SPLIT, [x], SplitParams(1), outputs=parts,
                           shapes=[(self.b.shape(x)[0], size)] * parts)


def _joined(b: Builder, head: Param, tail: Param) -> Param:
    """GRU's input bias: z's and r's summed biases, then h's input bias alone."""
    if isinstance(head, np.ndarray) and isinstance(tail, np.ndarray):
        return np.concatenate([head, tail])
    return b.concat([_tensor(b, head, "bias"), _tensor(b, tail, "bias")], 0)


def _steps(b: Builder, x: str) -> list[str]:
    """[T, B, I] -> T tensors [B, I]."""
    length, batch, size = b.shape(x)
    return [b.reshape(b.op(OpType.SLICE, [x], SliceParams((t, 0, 0), (1, 1, 1)),
                           shapes=[(1, batch, size)]), (batch, size)) for t in range(length)]


def _state(b: Builder, given: str | None, d: int, batch: int, hidden: int) -> str:
    """Direction d's initial state [B, H]: from [D, B, H] `given`, or zeros."""
    if given is None:
        b.reserve((batch, hidden), np.float32)
        return b.const(np.zeros((batch, hidden), np.float32), name="zeros")
    if b.shape(given)[1:] != (batch, hidden):
        raise Invalid(f"initial state of shape {list(b.shape(given))} must be "
                      f"[directions, {batch}, {hidden}]")
    piece = b.op(OpType.SLICE, [given], SliceParams((d, 0, 0), (1, 1, 1)),
                 shapes=[(1, batch, hidden)])
    return b.reshape(piece, (batch, hidden))


def _check(b: Builder, x: str, layout: int, w: Param, r: Param, gates: int,
           hidden: int, directions: int, sequence_lens: np.ndarray | None) -> int:
    """Checks the weights against X; returns the batch size."""
    if b.rank(x) != 3:
        raise Invalid(f"X must be 3-D, got {list(b.shape(x))}")
    length, batch, size = b.shape(x) if not layout else np.array(b.shape(x))[[1, 0, 2]]
    if _dims(b, w) != (directions, gates * hidden, size):
        raise Invalid(f"W has shape {list(_dims(b, w))}, expected "
                      f"{[directions, gates * hidden, size]}")
    if _dims(b, r) != (directions, gates * hidden, hidden):
        raise Invalid(f"R has shape {list(_dims(b, r))}, expected "
                      f"{[directions, gates * hidden, hidden]}")
    if length > MAX_STEPS:
        raise Unsupported(f"a sequence of {length} steps: at most {MAX_STEPS} are unrolled")
    if length == 0:
        raise Unsupported("a sequence of no step: ONNX does not say what the final states "
                          "are then (ONNX Runtime gives zeros, stale memory or aborts)")
    if sequence_lens is not None and np.any(sequence_lens != length):
        raise Unsupported("sequence_lens shorter than the sequence (padded batches)")
    return int(batch)


def _run(b: Builder, x: str, directions: Direction, layout: int,
         step: Callable[[int, str, tuple], tuple], states: Callable[[int], tuple],
         prepare: Callable[[int, str], str]) -> list[str]:
    """Runs `step(d, xw_t, state) -> state` over the sequence for each direction (the first
    element of a state is the hidden output); returns Y, then each state part's last value."""
    if layout:
        x = b.transpose(x, (1, 0, 2))
    length, batch, size = b.shape(x)
    rows = b.reshape(x, (length * batch, size))
    per_step: list[list[str]] = [[] for _ in range(length)]
    finals: list[tuple] = []
    for d in range(_count(directions)):
        xw = prepare(d, rows)
        inputs = _steps(b, b.reshape(xw, (length, batch, b.shape(xw)[1])))
        state = states(d)
        backward = directions == "reverse" or d == 1
        for t in (reversed(range(length)) if backward else range(length)):
            state = step(d, inputs[t], state)
            per_step[t].append(state[0])
        finals.append(state)
    hidden = b.shape(finals[0][0])[1]
    y = b.concat([b.concat([b.reshape(h, (1, 1, batch, hidden)) for h in hs], 1)
                  for hs in per_step], 0)
    lasts = [b.concat([b.reshape(f[i], (1, batch, hidden)) for f in finals], 0)
             for i in range(len(finals[0]))]
    if layout:
        return [b.transpose(y, (2, 0, 1, 3)), *(b.transpose(s, (1, 0, 2)) for s in lasts)]
    return [y, *lasts]


def _count(direction: Direction) -> int:
    return 2 if direction == "bidirectional" else 1


def _activations(names: list[str] | None, defaults: list[str], directions: Direction
                 ) -> list[OpType]:
    """One set per direction in ONNX; Emberlite runs both directions with the same set."""
    names = list(names) if names else defaults * _count(directions)
    per = len(defaults)
    if len(names) not in (per, 2 * per) or (len(names) == 2 * per and names[:per] != names[per:]):
        raise Unsupported(f"activations {names}: one set for every direction is supported")
    if any(n not in _ACTIVATIONS for n in names[:per]):
        raise Unsupported(f"activations {names[:per]}: only {', '.join(_ACTIVATIONS)}")
    return [_ACTIVATIONS[n] for n in names[:per]]


def lstm(b: Builder, x: str, w: Operand, r: Operand, bias: Operand | None = None,
         sequence_lens: np.ndarray | None = None, initial_h: str | None = None,
         initial_c: str | None = None, p: Operand | None = None, *,
         activations: list[str] | None = None, clip: float | None = None,
         direction: Direction = "forward", hidden_size: int, input_forget: Literal[0] = 0,
         layout: Literal[0, 1] = 0) -> list[str]:
    """Gates i, o, f, c in ONNX's order; peepholes on i, f (previous cell) and o (new)."""
    count = _count(direction)
    h_size = hidden_size
    batch = _check(b, x, layout, w, r, 4, h_size, count, sequence_lens)
    cell = _Cell(b, clip, _activations(activations, ["Sigmoid", "Tanh", "Tanh"], direction))
    biases = np.zeros((count, 8 * h_size), np.float32) if bias is None else bias
    peep = np.zeros((count, 3 * h_size), np.float32) if p is None else p
    c_init = initial_c if not layout or initial_c is None else b.transpose(initial_c, (1, 0, 2))
    h_init = initial_h if not layout or initial_h is None else b.transpose(initial_h, (1, 0, 2))

    def prepare(d: int, rows: str) -> str:
        return cell.fc(rows, _part(b, w, d), _sum(b, _part(b, biases, d, 0, 4 * h_size),
                                                 _part(b, biases, d, 4 * h_size)))

    recurrent = [_part(b, r, d) for d in range(count)]
    peepholes = [[_tensor(b, _part(b, peep, d, k * h_size, (k + 1) * h_size), "peephole")
                  for k in range(3)] for d in range(count)]

    def step(d: int, xw: str, state: tuple) -> tuple:
        h, c = state
        i, o, f, g = cell.split(cell.add(xw, cell.fc(h, recurrent[d])), 4)
        pi, po, pf = peepholes[d]
        i = cell.gate(cell.add(i, cell.mul(c, pi)), 0)
        f = cell.gate(cell.add(f, cell.mul(c, pf)), 0)
        c = cell.add(cell.mul(f, c), cell.mul(i, cell.gate(g, 1)))
        o = cell.gate(cell.add(o, cell.mul(c, po)), 0)
        return cell.mul(o, b.op(cell.act[2], [c])), c

    def states(d: int) -> tuple:
        return (_state(b, h_init, d, batch, h_size), _state(b, c_init, d, batch, h_size))

    return _run(b, x, direction, layout, step, states, prepare)


def gru(b: Builder, x: str, w: Operand, r: Operand, bias: Operand | None = None,
        sequence_lens: np.ndarray | None = None, initial_h: str | None = None, *,
        activations: list[str] | None = None, clip: float | None = None,
        direction: Direction = "forward", hidden_size: int, layout: Literal[0, 1] = 0,
        linear_before_reset: int = 0) -> list[str]:
    """Gates z, r, h in ONNX's order; the recurrent bias of h inside the reset when
    linear_before_reset, outside otherwise."""
    count = _count(direction)
    h_size = hidden_size
    batch = _check(b, x, layout, w, r, 3, h_size, count, sequence_lens)
    cell = _Cell(b, clip, _activations(activations, ["Sigmoid", "Tanh"], direction))
    biases = np.zeros((count, 6 * h_size), np.float32) if bias is None else bias
    h_init = initial_h if not layout or initial_h is None else b.transpose(initial_h, (1, 0, 2))

    def prepare(d: int, rows: str) -> str:
        # z and r take both biases here; h's recurrent bias stays with the step.
        both = _sum(b, _part(b, biases, d, 0, 2 * h_size), _part(b, biases, d, 3 * h_size,
                                                                  5 * h_size))
        return cell.fc(rows, _part(b, w, d), _joined(b, both, _part(b, biases, d, 2 * h_size,
                                                                      3 * h_size)))

    zr = [_part(b, r, d, 0, 2 * h_size) for d in range(count)]
    rh = [_part(b, r, d, 2 * h_size) for d in range(count)]
    rb_h = [_part(b, biases, d, 5 * h_size) for d in range(count)]

    def step(d: int, xw: str, state: tuple) -> tuple:
        (h,) = state
        xz, xr, xh = cell.split(xw, 3)
        hz, hr = cell.split(cell.fc(h, zr[d]), 2)
        z = cell.gate(cell.add(xz, hz), 0)
        reset = cell.gate(cell.add(xr, hr), 0)
        if linear_before_reset:
            candidate = cell.mul(reset, cell.fc(h, rh[d], rb_h[d]))
        else:
            candidate = cell.fc(cell.mul(reset, h), rh[d], rb_h[d])
        h_new = cell.gate(cell.add(xh, candidate), 1)
        # (1 - z) * h~ + z * h = h~ + z * (h - h~)
        diff = b.op(OpType.SUB, [h, h_new], BinaryParams())
        return (cell.add(h_new, cell.mul(z, diff)),)

    def states(d: int) -> tuple:
        return (_state(b, h_init, d, batch, h_size),)

    return _run(b, x, direction, layout, step, states, prepare)


def rnn(b: Builder, x: str, w: Operand, r: Operand, bias: Operand | None = None,
        sequence_lens: np.ndarray | None = None, initial_h: str | None = None, *,
        activations: list[str] | None = None, clip: float | None = None,
        direction: Direction = "forward", hidden_size: int, layout: Literal[0, 1] = 0
        ) -> list[str]:
    count = _count(direction)
    batch = _check(b, x, layout, w, r, 1, hidden_size, count, sequence_lens)
    cell = _Cell(b, clip, _activations(activations, ["Tanh"], direction))
    biases = np.zeros((count, 2 * hidden_size), np.float32) if bias is None else bias
    h_init = initial_h if not layout or initial_h is None else b.transpose(initial_h, (1, 0, 2))

    def prepare(d: int, rows: str) -> str:
        return cell.fc(rows, _part(b, w, d), _sum(b, _part(b, biases, d, 0, hidden_size),
                                                 _part(b, biases, d, hidden_size)))

    recurrent = [_part(b, r, d) for d in range(count)]

    def step(d: int, xw: str, state: tuple) -> tuple:
        return (cell.gate(cell.add(xw, cell.fc(state[0], recurrent[d])), 0),)

    def states(d: int) -> tuple:
        return (_state(b, h_init, d, batch, hidden_size),)

    return _run(b, x, direction, layout, step, states, prepare)


RECURRENT_OPS = {"LSTM": lstm, "GRU": gru, "RNN": rnn}
