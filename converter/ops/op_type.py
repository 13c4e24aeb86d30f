"""The op enum and the enums several op modules share. A module of its own so that the op
modules and the rest of the converter import it without going through converter/ops/__init__.

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
    QUANTIZE = 29
    DEQUANTIZE = 30
    MAXIMUM = 31
    MINIMUM = 32
    PRELU = 33
    SUM = 34
    ARG_MAX = 35
    ARG_MIN = 36
    CAST = 37
    L2_NORMALIZATION = 38
    LOG_SOFTMAX = 39
    LOOKUP_TABLE = 40
    ABS = 41
    NEG = 42
    SQRT = 43
    RSQRT = 44
    EXP = 45
    LOG = 46
    FLOOR = 47
    CEIL = 48
    ROUND = 49
    SIGN = 50
    SIN = 51
    COS = 52
    RECIPROCAL = 53
    ERF = 54
    SOFTPLUS = 55
    MISH = 56
    SQUARE = 57
    ELU = 58
    SELU = 59
    GELU = 60
    POW = 61
    EQUAL = 62
    NOT_EQUAL = 63
    LESS = 64
    LESS_EQUAL = 65
    GREATER = 66
    GREATER_EQUAL = 67
    LOGICAL_NOT = 68
    LOGICAL_AND = 69
    LOGICAL_OR = 70
    LOGICAL_XOR = 71
    WHERE = 72
    REDUCE_MAX = 73
    REDUCE_MIN = 74
    REDUCE_PROD = 75
    GATHER_ELEMENTS = 76
    GATHER_ND = 77
    SCATTER_ND = 78
    SCATTER_ELEMENTS = 79
    TOP_K = 80
    CUM_SUM = 81
    ONE_HOT = 82
    MOD = 83
    BITWISE_AND = 84
    BITWISE_OR = 85
    BITWISE_XOR = 86
    BITWISE_NOT = 87
    BIT_SHIFT = 88
    GRID_SAMPLE = 89
    CUM_PROD = 90
    ACOS = 91
    ASIN = 92
    ATAN = 93
    QUANTIZE_LINEAR = 100
    DEQUANTIZE_LINEAR = 101


class FusedActivation(enum.IntEnum):
    NONE = 0
    RELU = 1
    RELU6 = 2
    RELU_N1_TO_1 = 3
    SILU = 4        # x * sigmoid(x): float32 CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED only
    HARD_SWISH = 5  # x * relu6(x + 3) / 6: the same ops
