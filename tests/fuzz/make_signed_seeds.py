"""Writes the signed seeds of tests/c/corpus, the libFuzzer corpus of tests/c/fuzz_model.c.

The harness checks each input's identity with the options its last byte picks (byte % 3: 1 =
signed by its TRUSTED_KEY, 2 = a minimum model version from the byte before, 0 = the hash
alone). A signed file ends with its last signature, so each seed's model_version is chosen
(the signature changes with it) until that byte picks the path the seed is meant for:
  signed_trusted       signed by the trusted key: Ed25519 verifies
  signed_two_keys      another key's signature first, then the trusted key's
  signed_untrusted     signed by another key only: refused as unsigned
  signed_rollback      signed, picks a minimum model version above its own: a rollback
The trusted key's private half is SHA-256 of SEED_TEXT; the script checks that its public
half is the harness's TRUSTED_KEY. Run again after a change of the file format:

    .venv/bin/python tests/fuzz/make_signed_seeds.py
"""
from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from emberlite.converter import Converter  # noqa: E402
from emberlite.signing import sign_model  # noqa: E402
from tests.helpers import biased_model  # noqa: E402

HARNESS = ROOT / "tests" / "c" / "fuzz_model.c"
CORPUS = ROOT / "tests" / "c" / "corpus"
SEED_TEXT = b"emberlite fuzz_model trusted key"
OTHER_TEXT = b"emberlite fuzz_model other key"
TRUSTED, MIN_VERSION = 1, 2   # the harness's picks (last byte % 3)


def private_key(text: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(text).digest())


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def harness_key() -> bytes:
    """TRUSTED_KEY's 32 bytes as the harness spells them."""
    text = HARNESS.read_text()
    body = text[text.index("TRUSTED_KEY["):]
    body = body[body.index("{") + 1:body.index("}")]
    return bytes(int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{2})", body))


def picks(pick: int) -> Callable[[bytes, int], bool]:
    return lambda data, version: data[-1] % 3 == pick


def rollback(data: bytes, version: int) -> bool:
    """Picks a minimum model version (data[-2]) above the file's own."""
    return data[-1] % 3 == MIN_VERSION and data[-2] > version


def signed(keys: list[Ed25519PrivateKey], wanted: Callable[[bytes, int], bool]) -> bytes:
    """A small converted model signed by `keys` in order, its model_version the first (from
    1) that makes its bytes `wanted`."""
    onnx_model = biased_model("Relu", "signed_seed").SerializeToString()
    for version in range(1, 200):
        data = Converter.from_onnx(onnx_model).convert(model_version=version)
        for key in keys:
            data = sign_model(data, key)
        if wanted(data, version):
            return data
    raise SystemExit("no model_version up to 199 gives the bytes wanted")


def main() -> int:
    trusted, other = private_key(SEED_TEXT), private_key(OTHER_TEXT)
    if raw_public(trusted) != harness_key():
        raise SystemExit(f"{HARNESS.name}'s TRUSTED_KEY is not the public half of "
                         f"SHA-256({SEED_TEXT!r}): {raw_public(trusted).hex()}")
    seeds = {"signed_trusted": signed([trusted], picks(TRUSTED)),
             "signed_two_keys": signed([other, trusted], picks(TRUSTED)),
             "signed_untrusted": signed([other], picks(TRUSTED)),
             "signed_rollback": signed([trusted], rollback)}
    for name, data in seeds.items():
        (CORPUS / f"{name}.ember").write_bytes(data)
        print(f"{name}.ember: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
