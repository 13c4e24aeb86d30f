"""Emberlite ops on the converter side: the OpType enum and, per op module, the params
dataclass (mirroring the schema table field for field) and `infer_shape`.

OpType values equal the schema's OpCode enum; tests/converter/test_op_tables.py checks
that OpType, schemas/ember.fbs and csrc/ember_schema.h list the same ops.
"""
from __future__ import annotations

import enum


class OpType(enum.IntEnum):
    CONV2D = 0
    DEPTHWISE_CONV2D = 1
    TRANSPOSE_CONV2D = 2
    FULLY_CONNECTED = 3
    BATCH_MATMUL = 4
    ADD = 5
    SUB = 6
    MUL = 7
    DIV = 8
    RELU = 9
    RELU6 = 10
    CLAMP = 11
    LEAKY_RELU = 12
    SIGMOID = 13
    TANH = 14
    HARD_SIGMOID = 15
    HARD_SWISH = 16
    MAX_POOL2D = 17
    AVERAGE_POOL2D = 18
    MEAN = 19
    RESHAPE = 20
    TRANSPOSE = 21
    CONCATENATION = 22
    SPLIT = 23
    SLICE = 24
    PAD = 25
    SOFTMAX = 26
    GATHER = 27
    RESIZE = 28


class FusedActivation(enum.IntEnum):
    NONE = 0
    RELU = 1
    RELU6 = 2
    RELU_N1_TO_1 = 3
