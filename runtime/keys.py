"""Ed25519 public keys as the runtime takes them (trusted keys): raw, PEM, DER, files or
`cryptography` objects, and their ids. Needs nothing beyond the standard library.

A key's id is the first 8 bytes of the SHA-256 of its raw 32-byte public key, shown as 16 hex
digits (the C library's ember_key_id).
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

PUBLIC_KEY_SIZE = 32
KEY_ID_SIZE = 8
# An Ed25519 SubjectPublicKeyInfo (RFC 8410) is this DER prefix and the raw key.
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


class KeyFormatError(ValueError):
    """A key that cannot be read: the message says what was expected."""


def key_id(public_key: Any) -> str:
    """The id of a public key (anything load_public_key reads), as 16 hex digits."""
    return hashlib.sha256(load_public_key(public_key)).digest()[:KEY_ID_SIZE].hex()


def load_public_key(source: Any) -> bytes:
    """The raw 32 bytes of an Ed25519 public key given as: raw bytes, PEM text or bytes
    ("-----BEGIN PUBLIC KEY-----"), DER bytes, a path to a file holding any of those, or a
    `cryptography` public or private key object."""
    if hasattr(source, "public_key"):  # a cryptography private key
        source = source.public_key()
    if hasattr(source, "public_bytes_raw"):
        return bytes(source.public_bytes_raw())
    data = key_bytes(source, "public")
    if len(data) == PUBLIC_KEY_SIZE:
        return data
    der = _pem_body(data, b"PUBLIC KEY") if data.lstrip().startswith(b"-----") else data
    if len(der) == len(_SPKI_PREFIX) + PUBLIC_KEY_SIZE and der.startswith(_SPKI_PREFIX):
        return der[len(_SPKI_PREFIX):]
    raise KeyFormatError("not an Ed25519 public key: expected 32 raw bytes, or PEM/DER "
                         "SubjectPublicKeyInfo of an Ed25519 key")


def public_key_pem(public_key: Any) -> bytes:
    """SubjectPublicKeyInfo PEM of a public key (anything load_public_key reads)."""
    der = base64.encodebytes(_SPKI_PREFIX + load_public_key(public_key)).replace(b"\n", b"")
    return b"-----BEGIN PUBLIC KEY-----\n" + der + b"\n-----END PUBLIC KEY-----\n"


def key_bytes(source: Any, kind: str) -> bytes:
    """The bytes of a key given as text, bytes or a path (`kind` names it in errors)."""
    if isinstance(source, str) and "-----BEGIN" in source:
        return source.encode("ascii")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise KeyFormatError(f"no {kind} key file {str(path)!r}")
        return path.read_bytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    raise KeyFormatError(f"cannot read a {kind} key from a {type(source).__name__}")


def _pem_body(data: bytes, label: bytes) -> bytes:
    lines = data.strip().splitlines()
    if lines[0].strip() != b"-----BEGIN " + label + b"-----" or \
            lines[-1].strip() != b"-----END " + label + b"-----":
        raise KeyFormatError(f"PEM is not a {label.decode()} block")
    try:
        return base64.b64decode(b"".join(lines[1:-1]), validate=True)
    except ValueError:
        raise KeyFormatError("PEM body is not base64") from None
