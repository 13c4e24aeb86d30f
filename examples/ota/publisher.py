"""The publishing side of the OTA example: converts an ONNX model, signs the .ember file with the
model signing key and publishes it as a target of a TUF repository kept in a plain directory.

The directory is what the server hands out, as is:

    metadata/1.root.json, 2.root.json, ...  every root version (clients walk them in order)
    metadata/<N>.targets.json               every targets version
    metadata/<N>.snapshot.json              every snapshot version
    metadata/timestamp.json                 the only file that is replaced in place
    targets/<sha256>.<name>                 every published target, under its own hash

The repository uses consistent snapshots: apart from timestamp.json no file is ever rewritten, so
a client that downloads while a new version is being published still sees one consistent state
(the timestamp names a snapshot, the snapshot a targets version, the targets a file by its hash).

The TUF role keys live in memory here; a real deployment keeps the root keys offline and the
online keys (timestamp, snapshot) in a signing service. The model signing key is separate from
all of them: it is what the device trusts for the model bytes themselves.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import (Metadata, MetaFile, Root, Snapshot, TargetFile, Targets,
                              Timestamp)
from tuf.api.serialization.json import JSONSerializer

from emberlite.converter import Converter
from emberlite.files import write_atomically
from emberlite.signing import sign_model

from examples.ota.common import TARGET_NAME

# How long each role's metadata stays valid after it is signed: the timestamp is re-signed on
# every publish (and would be re-signed periodically by a live repository), so a short life
# bounds how long an attacker can keep a device on a stale view by replaying it.
LIFETIMES = {
    Root.type: timedelta(days=365),
    Targets.type: timedelta(days=90),
    Snapshot.type: timedelta(days=7),
    Timestamp.type: timedelta(days=1),
}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def new_signer() -> CryptoSigner:
    """A fresh Ed25519 key as a TUF signer."""
    return CryptoSigner(Ed25519PrivateKey.generate())



@dataclass
class RoleKeys:
    """The signers of one role and how many of them must sign."""
    signers: list[Signer]
    threshold: int = 1


@dataclass
class TufRepository:
    """A TUF repository in `directory` (metadata/ and targets/), managed with the Metadata API.

    Each top-level role has its own keys; root needs `root_threshold` of `root_keys` signatures.
    Every change bumps the versions of the roles it touches and re-signs them, and a publish
    always ends with a new snapshot and timestamp.
    """
    directory: Path
    root_keys: int = 3
    root_threshold: int = 2
    keys: dict[str, RoleKeys] = field(init=False)
    root: Metadata[Root] = field(init=False)
    targets: Metadata[Targets] = field(init=False)
    snapshot: Metadata[Snapshot] = field(init=False)
    timestamp: Metadata[Timestamp] = field(init=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        self.keys = {Root.type: RoleKeys([new_signer() for _ in range(self.root_keys)],
                                         self.root_threshold)}
        for role in (Targets.type, Snapshot.type, Timestamp.type):
            self.keys[role] = RoleKeys([new_signer()])

        root = Root(expires=_now() + LIFETIMES[Root.type], consistent_snapshot=True)
        for role, role_keys in self.keys.items():
            for signer in role_keys.signers:
                root.add_key(signer.public_key, role)
            root.roles[role].threshold = role_keys.threshold
        self.root = Metadata(root)
        self.targets = Metadata(Targets(expires=_now() + LIFETIMES[Targets.type]))
        self.snapshot = Metadata(Snapshot(expires=_now() + LIFETIMES[Snapshot.type]))
        self.timestamp = Metadata(Timestamp(expires=_now() + LIFETIMES[Timestamp.type]))
        for role in (Root.type, Targets.type, Snapshot.type, Timestamp.type):
            self._sign_and_write(role)

    @property
    def metadata_dir(self) -> Path:
        return self.directory / "metadata"

    @property
    def targets_dir(self) -> Path:
        return self.directory / "targets"

    def root_json(self, version: int = 1) -> bytes:
        """The bytes of root `version`: what a device is provisioned with (version 1 by default,
        the client then walks to the newest root on its own)."""
        return (self.metadata_dir / f"{version}.root.json").read_bytes()

    def _metadata(self, role: str) -> Metadata:
        return getattr(self, role)

    def metadata_path(self, role: str, version: int | None = None) -> Path:
        """Where `role`'s metadata lives: versioned names, except for the timestamp."""
        if role == Timestamp.type:
            return self.metadata_dir / "timestamp.json"
        version = self._metadata(role).signed.version if version is None else version
        return self.metadata_dir / f"{version}.{role}.json"

    def _sign_and_write(self, role: str, signers: list[Signer] | None = None) -> None:
        metadata = self._metadata(role)
        metadata.signatures.clear()
        for signer in signers if signers is not None else self.keys[role].signers:
            metadata.sign(signer, append=True)
        write_atomically(self.metadata_path(role), metadata.to_bytes(JSONSerializer()))

    def _bump(self, role: str, expires: datetime | None = None) -> None:
        signed = self._metadata(role).signed
        signed.version += 1
        signed.expires = expires if expires is not None else _now() + LIFETIMES[role]

    def add_target(self, name: str, data: bytes, custom: dict | None = None) -> TargetFile:
        """Stores `data` as target `name` (under its hash) and publishes new targets, snapshot
        and timestamp metadata."""
        digest = hashlib.sha256(data).hexdigest()
        write_atomically(self.targets_dir / f"{digest}.{name}", data)
        target = TargetFile.from_data(name, data, ["sha256"])
        if custom:
            target.unrecognized_fields["custom"] = custom
        self.targets.signed.targets[name] = target
        self._bump(Targets.type)
        self._sign_and_write(Targets.type)
        self.publish_snapshot()
        return target

    def publish_snapshot(self) -> None:
        """A new snapshot naming the current targets version, then a new timestamp."""
        self.snapshot.signed.meta["targets.json"] = MetaFile(self.targets.signed.version)
        self._bump(Snapshot.type)
        self._sign_and_write(Snapshot.type)
        self.publish_timestamp()

    def publish_timestamp(self, expires: datetime | None = None,
                          signers: list[Signer] | None = None,
                          snapshot_version: int | None = None) -> None:
        """A new timestamp naming the current snapshot version. `expires`, `signers` and
        `snapshot_version` default to the normal lifetime, the timestamp role's keys and the
        current snapshot (the tests pass others to play attacks)."""
        if snapshot_version is None:
            snapshot_version = self.snapshot.signed.version
        self.timestamp.signed.snapshot_meta = MetaFile(snapshot_version)
        self._bump(Timestamp.type, expires)
        self._sign_and_write(Timestamp.type, signers)

    def rotate_root(self, new_root_signers: list[Signer],
                    signers: list[Signer] | None = None) -> None:
        """Root version + 1 whose root keys are `new_root_signers` (same threshold). A client
        accepts it only if it carries a threshold of signatures from the old root keys and from
        the new ones; by default both sets sign (the tests pass fewer)."""
        root = self.root.signed
        for signer in self.keys[Root.type].signers:
            root.revoke_key(signer.public_key.keyid, Root.type)
        for signer in new_root_signers:
            root.add_key(signer.public_key, Root.type)
        old = self.keys[Root.type].signers
        self.keys[Root.type] = RoleKeys(new_root_signers, self.root_threshold)
        self._bump(Root.type)
        self._sign_and_write(Root.type, signers if signers is not None else old + new_root_signers)


@dataclass
class ModelPublisher:
    """Converts, signs and publishes models to `repository` as target `target_name`."""
    repository: TufRepository
    signing_key: Ed25519PrivateKey
    target_name: str = TARGET_NAME

    def build(self, onnx_model, model_version: int) -> bytes:
        """The signed .ember file of `onnx_model` (an onnx.ModelProto or a path)."""
        body = Converter.from_onnx(onnx_model).convert(model_version=model_version)
        return sign_model(body, self.signing_key)

    def publish(self, onnx_model, model_version: int) -> TargetFile:
        return self.publish_file(self.build(onnx_model, model_version), model_version)

    def publish_file(self, data: bytes, model_version: int | None = None) -> TargetFile:
        """Publishes `data` as it is; the model version in the target's custom metadata is a
        hint for people reading the repository, the device reads the version from the file."""
        custom = {"model_version": model_version} if model_version is not None else None
        return self.repository.add_target(self.target_name, data, custom)
