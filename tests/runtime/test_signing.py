"""Signed models: the signature block, trusted keys, rollback refusal (docs/signing.md).
The signer is `cryptography`; the checker is the C library."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from emberlite import (BadSignatureError, EmberRuntimeError, HashMismatchError, Interpreter,
                       InvalidModelError, RollbackError, UnsignedModelError)
from emberlite._ember import ffi, lib
from emberlite.converter import Converter
from emberlite.signing import (SIGNED_PREFIX, KeyFormatError, key_id, load_public_key,
                               public_key_pem, sign_model, signatures)
from tests.compat.models import compat_model

BLOCK_HEADER, ENTRY = 16, 8 + 64


@pytest.fixture(scope="module")
def model() -> bytes:
    return Converter.from_onnx(compat_model()).convert(model_version=5)


@pytest.fixture(scope="module")
def key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def signed(model: bytes, key: ed25519.Ed25519PrivateKey) -> bytes:
    return sign_model(model, key)


def _load(data: bytes, *keys: object, **kwargs: object) -> Interpreter:
    return Interpreter(model_content=data, trusted_keys=list(keys), **kwargs)


def test_signed_model_verifies_and_runs_like_the_unsigned_one(model: bytes, signed: bytes,
                                                              key) -> None:
    interp = _load(signed, key.public_key())
    info = interp.model_info()
    assert info["verified_key_id"] == key_id(key) == info["signatures"][0]
    assert info["body_size"] == len(model) and signed[:len(model)] == model
    x = np.random.default_rng(0).normal(size=(1, 3, 8, 8)).astype(np.float32)
    plain = Interpreter(model_content=model).get_signature_runner()(x=x)["y"]
    np.testing.assert_array_equal(interp.get_signature_runner()(x=x)["y"], plain)


def test_the_signature_is_ed25519_over_the_prefixed_content_hash(signed: bytes, key) -> None:
    """What `cryptography` checks is what the C library checks."""
    info = Interpreter(model_content=signed).model_info()
    (_, signature), = signatures(signed)[1]
    key.public_key().verify(signature, SIGNED_PREFIX + bytes.fromhex(info["content_hash"]))


def _region(signed: bytes, body: int, i: int) -> str:
    if i < body:
        return "body"
    if i < body + BLOCK_HEADER:
        return "block header"
    return "key id" if (i - body - BLOCK_HEADER) % ENTRY < 8 else "signature"


# Where a changed byte is caught: the body by its hash (or, first, by the header checks), the
# block by its structure, and the entry by its key id or its signature.
_CAUGHT_BY = {"body": (HashMismatchError, InvalidModelError, EmberRuntimeError),
              "block header": (InvalidModelError, EmberRuntimeError),
              "key id": (UnsignedModelError,), "signature": (BadSignatureError,)}


@pytest.mark.parametrize("flip", [0x01, 0xFF])
def test_every_single_byte_change_of_a_signed_model_is_refused(signed: bytes, key,
                                                               model: bytes, flip: int) -> None:
    public = load_public_key(key)
    for i in range(len(signed)):
        damaged = bytearray(signed)
        damaged[i] ^= flip
        region = _region(signed, len(model), i)
        with pytest.raises(_CAUGHT_BY[region]):
            _load(bytes(damaged), public)


def test_a_stripped_signature_is_unsigned_and_a_cut_block_is_invalid(model: bytes,
                                                                     signed: bytes, key) -> None:
    with pytest.raises(UnsignedModelError, match="not signed"):
        _load(model, key)
    for cut in (1, ENTRY, len(signed) - len(model) - 4):
        with pytest.raises(InvalidModelError, match="signature block"):
            _load(signed[:-cut], key)
    with pytest.raises(InvalidModelError, match="not a signature block"):
        Interpreter(model_content=model + b"garbage")


def test_the_hash_is_checked_with_keys_even_when_verify_hash_is_off(model: bytes,
                                                                    signed: bytes, key) -> None:
    damaged = bytearray(signed)
    damaged[len(model) - 1] ^= 1  # the last weight byte: only the hash covers it
    Interpreter(model_content=bytes(damaged), verify_hash=False)
    with pytest.raises(HashMismatchError):
        _load(bytes(damaged), key, verify_hash=False)


def test_another_models_signature_does_not_transfer(signed: bytes, key) -> None:
    other = Converter.from_onnx(compat_model()).convert(model_version=6)
    assert len(other) == len(signed) - BLOCK_HEADER - ENTRY
    with pytest.raises(BadSignatureError, match="does not verify"):
        _load(other + signed[len(other):], key)


def test_rotation_any_trusted_signer_is_enough_and_resigning_replaces(model: bytes) -> None:
    old, new, stranger = (ed25519.Ed25519PrivateKey.generate() for _ in range(3))
    both = sign_model(sign_model(model, old), new)
    assert [kid for kid, _ in signatures(both)[1]] == [key_id(old), key_id(new)]
    assert _load(both, old).model_info()["verified_key_id"] == key_id(old)
    assert _load(both, new).model_info()["verified_key_id"] == key_id(new)
    assert _load(both, stranger, new).model_info()["verified_key_id"] == key_id(new)
    with pytest.raises(UnsignedModelError, match="none of the model's 2 signature"):
        _load(both, stranger)
    again = sign_model(both, old)
    assert [kid for kid, _ in signatures(again)[1]] == [key_id(new), key_id(old)]


def test_a_bad_signature_by_a_trusted_key_is_refused_even_beside_a_good_one(model: bytes) -> None:
    a, b = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    damaged = bytearray(sign_model(sign_model(model, a), b))
    damaged[-1] ^= 1  # b's signature
    _load(bytes(damaged), a)
    with pytest.raises(BadSignatureError, match=f"signature 1 \\(trusted key id {key_id(b)}"):
        _load(bytes(damaged), a, b)


def test_min_model_version_refuses_rollbacks(signed: bytes, key) -> None:
    assert _load(signed, key, min_model_version=5).model_info()["model_version"] == 5
    with pytest.raises(RollbackError, match="model version 5 is below the minimum 6"):
        _load(signed, key, min_model_version=6)
    with pytest.raises(ValueError, match="min_model_version"):
        _load(signed, key, min_model_version=-1)


def test_a_signature_is_checked_before_the_version_it_vouches_for(model: bytes, key) -> None:
    stranger = sign_model(model, ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(UnsignedModelError):
        _load(stranger, key, min_model_version=9)


def test_block_limits(model: bytes) -> None:
    data = model
    for _ in range(16):
        data = sign_model(data, ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(ValueError, match="already carries 16"):
        sign_model(data, ed25519.Ed25519PrivateKey.generate())
    body = data[:len(model)]
    for count, reserved, version, what in ((0, 0, 1, InvalidModelError),
                                           (17, 0, 1, InvalidModelError),
                                           (1, 7, 1, InvalidModelError),
                                           (1, 0, 2, EmberRuntimeError)):
        header = struct.pack("<4sIII", b"EMSB", version, count, reserved)
        with pytest.raises(what, match="signature block"):
            Interpreter(model_content=body + header + data[len(model) + 16:][:count * ENTRY])


def test_only_valid_format_10_files_are_signed(model: bytes, key) -> None:
    old = (Path(__file__).resolve().parents[1] / "compat" / "format_v9.ember").read_bytes()
    with pytest.raises(ValueError, match="format 9 files cannot carry signatures"):
        sign_model(old, key)
    damaged = bytearray(model)
    damaged[len(model) - 1] ^= 1
    with pytest.raises(HashMismatchError):
        sign_model(bytes(damaged), key)


def test_public_keys_in_every_form_and_their_id_matches_the_c_librarys(key, tmp_path) -> None:
    public = key.public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "k.pub").write_bytes(pem)
    for form in (raw, pem, pem.decode(), der, public, key, tmp_path / "k.pub",
                 str(tmp_path / "k.pub"), public_key_pem(raw)):
        assert load_public_key(form) == raw, form
    out = ffi.new("uint8_t[8]")
    assert lib.ember_key_id(raw, out) == lib.EMBER_STATUS_OK
    assert bytes(ffi.buffer(out)).hex() == key_id(raw)
    for bad in (raw[:31], b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                tmp_path / "missing.pub", 42):
        with pytest.raises(KeyFormatError):
            load_public_key(bad)
    with pytest.raises(TypeError, match="a list of keys"):
        Interpreter(model_content=b"", trusted_keys=raw)
