"""The C Ed25519 verification (csrc/ed25519.c, through the cffi binding) against the
`cryptography` package (OpenSSL): signatures cryptography makes over random messages of 0 to
300 bytes and one of 64 KiB are accepted; a flipped bit of the message, the signature or the
key, random 64-byte signatures, S + L and other S >= L get the verdict cryptography gives
(both refuse), and arbitrary keys, signatures and messages (hypothesis) get the same verdict
both ways; so do points of small order (the 8-torsion) as keys and as R, alone or added to
real ones, where a cofactored check would accept what RFC 8032's cofactorless one refuses.
Keys come from a seeded numpy generator, so a failure repeats.

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
# Curve arithmetic for building test points (RFC 8032, 5.1): affine Edwards coordinates.
P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
SQRT_MINUS_ONE = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)


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


def point_decode(data: bytes) -> tuple[int, int] | None:
    y = int.from_bytes(data, "little") & ((1 << 255) - 1)
    sign = data[31] >> 7
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_MINUS_ONE % P
    if v * x * x % P != u or (x == 0 and sign):
        return None
    return (P - x if x % 2 != sign else x), y


def point_encode(point: tuple[int, int]) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def point_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P,
            (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def point_multiply(k: int, point: tuple[int, int]) -> tuple[int, int]:
    result = IDENTITY
    while k:
        if k & 1:
            result = point_add(result, point)
        point, k = point_add(point, point), k >> 1
    return result


def torsion_points(rng: np.random.Generator) -> list[tuple[int, int]]:
    """The 8 points of order dividing 8: [L]Q for a random point Q is one of them, and one of
    order 8 generates them all."""
    while True:
        q = point_decode(rng.bytes(32))
        if q is None:
            continue
        t = point_multiply(L, q)
        if point_multiply(4, t) != IDENTITY:
            return [point_multiply(i, t) for i in range(8)]


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


def test_small_order_points_get_cryptographys_verdict(ed25519) -> None:
    rng = np.random.default_rng(2019)
    torsion = torsion_points(rng)
    assert len({point_encode(t) for t in torsion}) == 8
    cases = []
    for a in torsion:  # a small-order key with a small-order R, S = 0 and S = 1
        for r in torsion:
            for s in (0, 1):
                cases.append((point_encode(a), b"m", point_encode(r) + s.to_bytes(32, "little")))
    for public, message, signature in signed_messages(ed25519, rng, 8):
        real_a, real_r = point_decode(public), point_decode(signature[:32])
        for t in torsion:  # a real key or R with a small-order point added
            cases.append((point_encode(point_add(real_a, t)), message, signature))
            cases.append((public, message, point_encode(point_add(real_r, t)) + signature[32:]))
    accepted = 0
    for public, message, signature in cases:
        want = theirs(ed25519, public, message, signature)
        assert ours(public, message, signature) == want, (public.hex(), signature.hex())
        accepted += want
    # Both verdicts occur: the identity key accepts S = 0 with R the identity, and a real
    # signature stays valid with the identity added.
    assert 0 < accepted < len(cases)


@settings(max_examples=300, deadline=None)
@given(public=st.binary(min_size=32, max_size=32), signature=st.binary(min_size=64, max_size=64),
       message=st.binary(max_size=300))
def test_arbitrary_inputs_get_the_same_verdict(public: bytes, signature: bytes,
                                               message: bytes) -> None:
    ed25519 = require_module("cryptography.hazmat.primitives.asymmetric.ed25519")
    assert ours(public, message, signature) == theirs(ed25519, public, message, signature)
