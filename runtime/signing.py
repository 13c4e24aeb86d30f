"""Signed models (docs/signing.md): Ed25519 signatures of a model's content hash, appended
after the file's body in a signature block, checked by the C library when an Interpreter is
given trusted keys.

Verifying needs nothing beyond the runtime: `Interpreter(..., trusted_keys=[...])`, keys
read by `load_public_key`. Signing needs the `cryptography` package (`pip install
emberlite[sign]`): `sign_model(data, private_key)`.

Public keys and their ids: emberlite.keys (re-exported here). A model may carry signatures by
up to 16 keys, so that devices trusting the old key and devices trusting the new one both
accept it while keys rotate.
"""
from __future__ import annotations

import struct
from typing import Any

from .keys import KEY_ID_SIZE, KeyFormatError, key_bytes, key_id, load_public_key, \
    public_key_pem

__all__ = ["KeyFormatError", "MAX_SIGNATURES", "SIGNED_PREFIX", "generate_private_key",
           "key_id", "load_private_key", "load_public_key", "private_key_pem",
           "public_key_pem", "sign_model", "signatures"]

SIGNATURE_SIZE = 64
MAX_SIGNATURES = 16
# What each signature signs, before the 32-byte content hash (csrc/signature.c).
SIGNED_PREFIX = b"emberlite model signature v1\0"
_BLOCK_MAGIC = b"EMSB"
_BLOCK_VERSION = 1
_BLOCK_HEADER = struct.Struct("<4sIII")


def load_private_key(source: Any) -> Any:
    """A `cryptography` Ed25519PrivateKey from: such an object, a 32-byte raw seed, PEM
    (PKCS#8, unencrypted) text or bytes, or a path to a file holding either."""
    ed25519, serialization = _cryptography()
    if isinstance(source, ed25519.Ed25519PrivateKey):
        return source
    data = key_bytes(source, "private")
    if len(data) == 32:
        return ed25519.Ed25519PrivateKey.from_private_bytes(data)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise KeyFormatError(f"not an unencrypted PEM private key or a 32-byte seed "
                             f"({e})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyFormatError(f"the private key is {type(key).__name__}, not Ed25519")
    return key


def generate_private_key() -> Any:
    """A new `cryptography` Ed25519PrivateKey."""
    ed25519, _ = _cryptography()
    return ed25519.Ed25519PrivateKey.generate()


def private_key_pem(private_key: Any) -> bytes:
    """PKCS#8 PEM of a private key (unencrypted: protect the file)."""
    _, serialization = _cryptography()
    return load_private_key(private_key).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def signatures(data: Any) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A model's body (the bytes its content hash covers) and its signatures as (key id,
    64-byte signature) pairs. The model is verified first (its hash included)."""
    _, body, entries = _read(data)
    return body, entries


def sign_model(data: Any, private_key: Any) -> bytes:
    """The model with a signature by `private_key` (see load_private_key) added to its
    signature block; the body is unchanged, and a signature by the same key is replaced.
    Only a model the runtime verifies is signed, and only format 10 on has room for it."""
    key = load_private_key(private_key)
    info, body, entries = _read(data)
    if info["format_version"] < 10:
        raise ValueError(f"format {info['format_version']} files cannot carry signatures: "
                         f"convert the model again (format 10 on)")
    own_id = key_id(key)
    entries = [e for e in entries if e[0] != own_id]
    if len(entries) >= MAX_SIGNATURES:
        raise ValueError(f"the model already carries {MAX_SIGNATURES} signatures")
    content_hash = bytes.fromhex(info["content_hash"])
    entries.append((own_id, key.sign(SIGNED_PREFIX + content_hash)))
    return body + _block(entries)


def _read(data: Any) -> tuple[dict[str, Any], bytes, list[tuple[str, bytes]]]:
    from .interpreter import Interpreter

    info = Interpreter(model_content=data).model_info()
    blob = bytes(data)
    body, block = blob[:info["body_size"]], blob[info["body_size"]:]
    entries = []
    for i in range(info["signature_count"]):
        at = _BLOCK_HEADER.size + i * (KEY_ID_SIZE + SIGNATURE_SIZE)
        entries.append((block[at:at + KEY_ID_SIZE].hex(),
                        block[at + KEY_ID_SIZE:at + KEY_ID_SIZE + SIGNATURE_SIZE]))
    return info, body, entries


def _block(entries: list[tuple[str, bytes]]) -> bytes:
    out = _BLOCK_HEADER.pack(_BLOCK_MAGIC, _BLOCK_VERSION, len(entries), 0)
    return out + b"".join(bytes.fromhex(kid) + sig for kid, sig in entries)


def _cryptography() -> tuple[Any, Any]:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise ImportError("signing needs the cryptography package: pip install "
                          "'emberlite[sign]'") from None
    return ed25519, serialization
