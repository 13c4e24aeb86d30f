"""The C Ed25519 verification (csrc/ed25519.c, through the cffi binding) against the
`cryptography` package (OpenSSL): signatures cryptography makes over random messages of 0 to
300 bytes and one of 64 KiB are accepted; a flipped bit of the message, the signature or the
key, random 64-byte signatures, S + L and other S >= L get the verdict cryptography gives
(both refuse), and arbitrary keys, signatures and messages (hypothesis) get the same verdict
both ways. Keys come from a seeded numpy generator, so a failure repeats.

Where the two differ on purpose, RFC 8032 decides (tests/c/test_ed25519.c covers it): a key
whose encoding is not canonical (y >= p, or x = 0 with the sign bit set) is refused here,
while OpenSSL decodes it; random keys hit such an encoding with probability about 2^-250.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_module
from emberlite._ember import ffi, lib

L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
KEYS = 200


@pytest.fixture(scope="module")
def ed25519():
    return require_module("cryptography.hazmat.primitives.asymmetric.ed25519")


def ours(public_key: bytes, message: bytes, signature: bytes) -> bool:
    result = lib.ember_ed25519_verify(ffi.from_buffer(public_key), ffi.from_buffer(message),
                                      len(message), ffi.from_buffer(signature))
    assert result in (0, 1)
    return result == 1


def theirs(ed25519, public_key: bytes, message: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    try:
        key = ed25519.Ed25519PublicKey.from_public_bytes(public_key)
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def raw_public(private_key) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)


def flip_bit(data: bytes, bit: int) -> bytes:
    altered = bytearray(data)
    altered[bit // 8] ^= 1 << (bit % 8)
    return bytes(altered)


def random_s_at_least_l(rng: np.random.Generator) -> bytes:
    """32 little-endian bytes of a uniform S in [L, 2^256)."""
    offset = int.from_bytes(rng.bytes(32), "little") % (2**256 - L)
    return (L + offset).to_bytes(32, "little")


def signed_messages(ed25519, rng: np.random.Generator, count: int):
    """(public key, message, signature) from `count` random keys: lengths 0..300, then one
    message of 64 KiB."""
    for i in range(count):
        size = 65536 if i == count - 1 else int(rng.integers(0, 301))
        private = ed25519.Ed25519PrivateKey.from_private_bytes(rng.bytes(32))
        message = rng.bytes(size)
        yield raw_public(private), message, private.sign(message)


def test_valid_signatures_are_accepted(ed25519) -> None:
    rng = np.random.default_rng(25519)
    for public, message, signature in signed_messages(ed25519, rng, KEYS):
        assert theirs(ed25519, public, message, signature)
        assert ours(public, message, signature), (public.hex(), len(message))


def test_altered_signatures_get_cryptographys_verdict(ed25519) -> None:
    rng = np.random.default_rng(8032)
    for public, message, signature in signed_messages(ed25519, rng, KEYS):
        s = int.from_bytes(signature[32:], "little")
        cases = {
            "signature bit": (public, message, flip_bit(signature, int(rng.integers(0, 512)))),
            "key bit": (flip_bit(public, int(rng.integers(0, 256))), message, signature),
            "garbage signature": (public, message, rng.bytes(64)),
            "S + L": (public, message, signature[:32] + (s + L).to_bytes(32, "little")),
            "random S >= L": (public, message, signature[:32] + random_s_at_least_l(rng)),
        }
        if message:
            cases["message bit"] = (public, flip_bit(message, int(rng.integers(0, 8 * len(
                message)))), signature)
        for name, (key, msg, sig) in cases.items():
            want = theirs(ed25519, key, msg, sig)
            assert not want, f"cryptography accepted a forgery ({name})"
            assert ours(key, msg, sig) == want, (name, key.hex(), sig.hex(), len(msg))


@settings(max_examples=300, deadline=None)
@given(public=st.binary(min_size=32, max_size=32), signature=st.binary(min_size=64, max_size=64),
       message=st.binary(max_size=300))
def test_arbitrary_inputs_get_the_same_verdict(public: bytes, signature: bytes,
                                               message: bytes) -> None:
    ed25519 = require_module("cryptography.hazmat.primitives.asymmetric.ed25519")
    assert ours(public, message, signature) == theirs(ed25519, public, message, signature)
