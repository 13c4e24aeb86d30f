"""Errors raised by the runtime binding: one class per C status (emberlite.h's ember_status)."""
from __future__ import annotations


class EmberRuntimeError(RuntimeError):
    """A C call failed. `status` is the ember_status code, `message` the C library's text."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class InvalidModelError(EmberRuntimeError):
    """The file is malformed or inconsistent (EMBER_STATUS_INVALID_MODEL)."""


class UnsupportedError(EmberRuntimeError):
    """The file is well formed but uses something this build lacks (EMBER_STATUS_UNSUPPORTED)."""


class VersionError(EmberRuntimeError):
    """The file is too old or too new for this runtime (EMBER_STATUS_VERSION)."""


class HashMismatchError(EmberRuntimeError):
    """The content hash does not match the bytes (EMBER_STATUS_HASH_MISMATCH)."""


class NoMemoryError(EmberRuntimeError):
    """The allocator returned NULL (EMBER_STATUS_NO_MEMORY)."""


class ArenaTooSmallError(EmberRuntimeError):
    """The caller's arena is smaller than the plan needs (EMBER_STATUS_ARENA_TOO_SMALL)."""


class InvalidArgumentError(EmberRuntimeError):
    """A bad argument reached the C library (EMBER_STATUS_INVALID_ARGUMENT)."""


class MisuseError(EmberRuntimeError):
    """Calls in the wrong order, e.g. invoke before allocate_tensors (EMBER_STATUS_MISUSE)."""


class EvalError(EmberRuntimeError):
    """Tensor data made an op fail, e.g. an index out of range (EMBER_STATUS_EVAL_ERROR)."""


class UnsignedModelError(EmberRuntimeError):
    """Trusted keys were given and no signature by one of them is on the model: it is
    unsigned, or signed only by other keys (EMBER_STATUS_UNSIGNED)."""


class BadSignatureError(EmberRuntimeError):
    """A signature by a trusted key does not verify: the model was changed after it was
    signed, or the signature is forged (EMBER_STATUS_BAD_SIGNATURE)."""


class RollbackError(EmberRuntimeError):
    """The model's model_version is below the min_model_version given
    (EMBER_STATUS_ROLLBACK)."""


# Keyed by the numeric values of ember_status; EMBER_STATUS_ERROR (1) maps to the base class.
_BY_STATUS: dict[int, type[EmberRuntimeError]] = {
    1: EmberRuntimeError,
    2: InvalidModelError,
    3: UnsupportedError,
    4: VersionError,
    5: HashMismatchError,
    6: NoMemoryError,
    7: ArenaTooSmallError,
    8: InvalidArgumentError,
    9: MisuseError,
    10: EvalError,
    11: UnsignedModelError,
    12: BadSignatureError,
    13: RollbackError,
}


def error_for_status(status: int, message: str) -> EmberRuntimeError:
    """The exception for a failed C call; unknown codes give the base class."""
    return _BY_STATUS.get(int(status), EmberRuntimeError)(int(status), message)
