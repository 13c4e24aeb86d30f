"""`ember keygen`, `ember sign` and the key options of `ember verify` (docs/signing.md)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .cli_support import CliError, printable
from .files import write_atomically


def _signing() -> Any:
    from . import signing

    try:
        signing._cryptography()
    except ImportError as e:
        raise CliError(str(e)) from None
    return signing


def cmd_keygen(args: argparse.Namespace) -> int:
    """`ember keygen`: a new Ed25519 key pair, OUT (private, PKCS#8 PEM, mode 0600) and
    OUT.pub (public, PEM)."""
    signing = _signing()
    private = Path(args.output)
    public = private.with_name(private.name + ".pub")
    for path in (private, public):
        if path.exists() and not args.force:
            raise CliError(f"{path} exists (--force replaces it)")
    key = signing.generate_private_key()
    write_atomically(private, signing.private_key_pem(key), 0o600)
    write_atomically(public, signing.public_key_pem(key), 0o644)
    print(f"wrote {printable(str(private))} (private key) and {printable(str(public))} "
          f"(public key), key id {signing.key_id(key)}")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    """`ember sign`: adds a signature by --key to a model (in place, or to --output)."""
    from .errors import EmberRuntimeError

    signing = _signing()
    source = Path(args.model)
    if not source.is_file():
        raise CliError(f"no such file: {source}")
    try:
        key = signing.load_private_key(args.key)
        signed = signing.sign_model(source.read_bytes(), key)
    except (signing.KeyFormatError, ValueError) as e:
        raise CliError(f"cannot sign {source}: {e}") from None
    except EmberRuntimeError as e:
        raise CliError(f"cannot sign {source}: invalid model: {e}") from None
    output = Path(args.output) if args.output else source
    write_atomically(output, signed)
    _, entries = signing.signatures(signed)
    print(f"signed {printable(str(output))} with key id {signing.key_id(key)} "
          f"({len(entries)} signature(s): {', '.join(kid for kid, _ in entries)})")
    return 0


def trust_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Interpreter arguments of `ember verify`'s --pubkey and --min-model-version."""
    from .keys import KeyFormatError, load_public_key

    try:
        keys = [load_public_key(k) for k in args.pubkey]
    except KeyFormatError as e:
        raise CliError(f"cannot read --pubkey: {e}") from None
    return {"trusted_keys": keys or None, "min_model_version": args.min_model_version}


def identity_text(info: dict[str, Any]) -> str:
    """One line of a model's model_info(): format, versions, hash and signers."""
    need = info["min_runtime_version"]
    signers = ", ".join(info["signatures"]) or "none"
    verified = f", verified: key id {info['verified_key_id']}" if info["verified_key_id"] else ""
    return (f"format {info['format_version']} (needs runtime >= {need // 10000}."
            f"{need // 100 % 100}.{need % 100}), model version {info['model_version']}, "
            f"content hash {info['content_hash'][:16]}..., body {info['body_size']} bytes, "
            f"signed by: {signers}{verified}")


def add_commands(sub: Any) -> None:
    p = sub.add_parser("keygen", help="make an Ed25519 key pair for signing models")
    p.add_argument("--output", "-o", required=True, metavar="KEY.pem",
                   help="the private key file; the public key goes to KEY.pem.pub")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("sign", help="add an Ed25519 signature to an .ember model (format 10 "
                                    "on); needs the cryptography package")
    p.add_argument("model")
    p.add_argument("--key", required=True, metavar="KEY",
                   help="the private key: PKCS#8 PEM (ember keygen's) or a 32-byte raw seed")
    p.add_argument("--output", "-o", metavar="PATH",
                   help="write the signed model here (default: replace the model atomically)")
    p.set_defaults(func=cmd_sign)
