"""The OTA example (examples/ota) on loopback: a TUF repository publishes signed models, a client
installs them, and every attack the issue names is refused with the running model untouched.

Each test starts from a device running model version 1 (y = 2x); the oracle for what a model
computes is ONNX Runtime on the same ONNX graph. Refusals are asserted by exception class: the
TUF ones come from python-tuf, the model ones from Emberlite's loader.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conftest import require_module
from emberlite import Interpreter, errors
from emberlite.converter import Converter
from examples.ota.model import scale_shift_model
from tests.helpers import convert_onnx, run_ort

X = np.array([[1.0, -2.0, 3.5, 0.25]], dtype=np.float32)
V1 = (2.0, 0.0)   # (scale, shift) of model version 1
V2 = (3.0, 1.0)   # and of version 2


def expected(params: tuple[float, float]) -> np.ndarray:
    return run_ort(scale_shift_model(*params), [X])[0]


@dataclass
class Ota:
    """One repository, its server and a device running model version 1."""
    tuf_exceptions: ModuleType
    publisher_module: ModuleType
    repository: object
    publisher: object
    client: object
    signing_key: object

    def serves(self, params: tuple[float, float]) -> bool:
        return np.array_equal(self.client.slot.infer([X])[0], expected(params))

    def assert_refused_untouched(self, result, error_class: type, version: int,
                                 params: tuple[float, float], installed: bytes) -> None:
        """`result` refused the update with `error_class` and the device still runs (and has
        installed) what it ran before."""
        assert not result.installed, result.message
        assert isinstance(result.error, error_class), result.message
        assert error_class.__name__ in result.message
        assert self.client.slot.model_version == version
        assert self.serves(params)
        assert self.client.installed_path.read_bytes() == installed
        leftovers = [p.name for p in self.client.models_dir.iterdir()
                     if p != self.client.installed_path]
        assert not leftovers, f"downloads left behind: {leftovers}"


@pytest.fixture
def ota(tmp_path: Path):
    require_module("cryptography")
    require_module("tuf")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from tuf.api import exceptions as tuf_exceptions

    from emberlite.signing import load_public_key
    from examples.ota import publisher as publisher_module
    from examples.ota.client import DirectFetcher, OtaClient
    from examples.ota.server import RepositoryServer

    signing_key = Ed25519PrivateKey.generate()
    repository = publisher_module.TufRepository(tmp_path / "repository")
    publisher = publisher_module.ModelPublisher(repository, signing_key)
    publisher.publish(scale_shift_model(*V1), model_version=1)
    with RepositoryServer(repository.directory) as server:
        client = OtaClient.provision(tmp_path / "device", repository.root_json(), server.url,
                                     trusted_keys=[load_public_key(signing_key.public_key())],
                                     fetcher=DirectFetcher())
        first = client.update()
        assert first.installed, first.message
        setup = Ota(tuf_exceptions, publisher_module, repository, publisher, client,
                    signing_key)
        assert setup.serves(V1)
        yield setup


def test_update_installs_the_new_model_and_serves_its_outputs(ota: Ota) -> None:
    target = ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    result = ota.client.update()
    assert result.installed, result.message
    assert result.model_version == 2
    assert ota.serves(V2)
    info = ota.client.slot.model_info()
    assert info["model_version"] == 2
    assert info["verified_key_id"] is not None
    installed = ota.client.installed_path.read_bytes()
    assert len(installed) == target.length
    assert installed == (ota.repository.targets_dir
                         / f"{target.hashes['sha256']}.model.ember").read_bytes()

    again = ota.client.update()
    assert not again.installed and again.error is None, again.message
    assert ota.serves(V2)


def test_restarted_client_verifies_and_installs_the_published_model(ota: Ota) -> None:
    from examples.ota.client import OtaClient

    restarted = OtaClient(ota.client.directory, ota.client.repository_url,
                          ota.client.trusted_keys, fetcher=ota.client.fetcher)
    result = restarted.update()
    assert result.installed, result.message
    assert np.array_equal(restarted.slot.infer([X])[0], expected(V1))


def test_inference_during_an_update_sees_the_old_or_the_new_model_only(ota: Ota) -> None:
    old, new = expected(V1), expected(V2)
    seen, serving, stop = [], threading.Event(), threading.Event()

    def infer_until_stopped() -> None:
        while not stop.is_set():
            seen.append(ota.client.slot.infer([X])[0])
            serving.set()

    worker = threading.Thread(target=infer_until_stopped)
    worker.start()
    try:
        assert serving.wait(timeout=30)
        ota.publisher.publish(scale_shift_model(*V2), model_version=2)
        result = ota.client.update()
    finally:
        stop.set()
        worker.join()
    assert result.installed, result.message
    assert seen
    assert all(np.array_equal(y, old) or np.array_equal(y, new) for y in seen)
    assert ota.serves(V2)


def test_republished_older_model_is_refused_as_a_rollback(ota: Ota) -> None:
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    assert ota.client.update().installed
    installed = ota.client.installed_path.read_bytes()
    # Correctly signed and correctly published: only the model version gives it away.
    ota.publisher.publish(scale_shift_model(*V1), model_version=1)
    ota.assert_refused_untouched(ota.client.update(), errors.RollbackError, 2, V2, installed)


def test_replayed_timestamp_is_refused_by_tuf(ota: Ota) -> None:
    stale_timestamp = ota.repository.metadata_path("timestamp").read_bytes()
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    assert ota.client.update().installed
    installed = ota.client.installed_path.read_bytes()
    # A mirror (or a network attacker) serves the older, validly signed timestamp again.
    ota.repository.metadata_path("timestamp").write_bytes(stale_timestamp)
    ota.assert_refused_untouched(ota.client.update(),
                                 ota.tuf_exceptions.BadVersionNumberError, 2, V2, installed)


def test_timestamp_naming_an_older_snapshot_is_refused_by_tuf(ota: Ota) -> None:
    """Whoever holds the online timestamp key signs a fresh timestamp that points the device
    back at the snapshot (and so the targets) of the previous release."""
    previous_snapshot = ota.repository.snapshot.signed.version
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    assert ota.client.update().installed
    installed = ota.client.installed_path.read_bytes()
    ota.repository.publish_timestamp(snapshot_version=previous_snapshot)
    ota.assert_refused_untouched(ota.client.update(),
                                 ota.tuf_exceptions.BadVersionNumberError, 2, V2, installed)


@pytest.mark.parametrize("change", ["flip", "append"])
def test_target_changed_on_the_server_is_refused_by_tuf(ota: Ota, change: str) -> None:
    installed = ota.client.installed_path.read_bytes()
    target = ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    served = ota.repository.targets_dir / f"{target.hashes['sha256']}.model.ember"
    data = bytearray(served.read_bytes())
    if change == "flip":
        data[len(data) // 2] ^= 0x01
        error = ota.tuf_exceptions.LengthOrHashMismatchError
    else:
        data += b"\0"
        error = ota.tuf_exceptions.DownloadLengthMismatchError
    served.write_bytes(bytes(data))
    ota.assert_refused_untouched(ota.client.update(), error, 1, V1, installed)


def test_weights_changed_by_a_compromised_repository_are_refused_by_emberlite(ota: Ota) -> None:
    """The repository's TUF keys are compromised: it publishes a model whose weights it changed
    with valid TUF metadata, but cannot sign the change with the model signing key."""
    installed = ota.client.installed_path.read_bytes()
    genuine = ota.publisher.build(scale_shift_model(*V2), model_version=2)
    scale = np.full(4, V2[0], np.float32).tobytes()
    assert genuine.count(scale) == 1
    forged = genuine.replace(scale, np.full(4, 30.0, np.float32).tobytes())
    ota.publisher.publish_file(forged, model_version=2)
    ota.assert_refused_untouched(ota.client.update(), errors.HashMismatchError, 1, V1,
                                 installed)


def test_other_model_under_a_copied_signature_is_refused_by_emberlite(ota: Ota) -> None:
    """The compromised repository converts its own model (so its content hash is right) and
    appends the signature block of a genuine release."""
    installed = ota.client.installed_path.read_bytes()
    genuine = ota.publisher.build(scale_shift_model(*V2), model_version=2)
    signature_block = genuine[Interpreter(model_content=genuine).model_info()["body_size"]:]
    body = Converter.from_onnx(scale_shift_model(30.0, 0.0)).convert(model_version=2)
    ota.publisher.publish_file(body + signature_block, model_version=2)
    ota.assert_refused_untouched(ota.client.update(), errors.BadSignatureError, 1, V1,
                                 installed)


def test_expired_timestamp_is_refused_by_tuf(ota: Ota) -> None:
    installed = ota.client.installed_path.read_bytes()
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    # The repository stopped re-signing its timestamp: it expired an hour ago.
    ota.repository.publish_timestamp(expires=datetime.now(timezone.utc) - timedelta(hours=1))
    ota.assert_refused_untouched(ota.client.update(),
                                 ota.tuf_exceptions.ExpiredMetadataError, 1, V1, installed)


def test_model_signed_with_an_untrusted_key_is_refused_by_emberlite(ota: Ota) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    installed = ota.client.installed_path.read_bytes()
    impostor = ota.publisher_module.ModelPublisher(ota.repository,
                                                   Ed25519PrivateKey.generate())
    impostor.publish(scale_shift_model(*V2), model_version=2)
    ota.assert_refused_untouched(ota.client.update(), errors.UnsignedModelError, 1, V1,
                                 installed)


def test_unsigned_model_is_refused_by_emberlite(ota: Ota) -> None:
    installed = ota.client.installed_path.read_bytes()
    ota.publisher.publish_file(convert_onnx(scale_shift_model(*V2)), model_version=None)
    ota.assert_refused_untouched(ota.client.update(), errors.UnsignedModelError, 1, V1,
                                 installed)


def test_timestamp_signed_with_an_unknown_key_is_refused_by_tuf(ota: Ota) -> None:
    installed = ota.client.installed_path.read_bytes()
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    ota.repository.publish_timestamp(signers=[ota.publisher_module.new_signer()])
    ota.assert_refused_untouched(ota.client.update(),
                                 ota.tuf_exceptions.UnsignedMetadataError, 1, V1, installed)


def test_root_rotation_below_the_old_roots_threshold_is_refused_by_tuf(ota: Ota) -> None:
    """Root needs 2 of its 3 keys: a new root signed by one old key (and all the new ones)
    is not trusted, and nothing it would allow gets installed."""
    installed = ota.client.installed_path.read_bytes()
    old_root_signers = ota.repository.keys["root"].signers
    new_root_signers = [ota.publisher_module.new_signer() for _ in range(3)]
    ota.repository.rotate_root(new_root_signers,
                               signers=old_root_signers[:1] + new_root_signers)
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    ota.assert_refused_untouched(ota.client.update(),
                                 ota.tuf_exceptions.UnsignedMetadataError, 1, V1, installed)


def test_root_rotation_with_the_threshold_is_followed(ota: Ota) -> None:
    old_root_signers = ota.repository.keys["root"].signers
    new_root_signers = [ota.publisher_module.new_signer() for _ in range(3)]
    ota.repository.rotate_root(new_root_signers,
                               signers=old_root_signers[1:] + new_root_signers[:2])
    ota.publisher.publish(scale_shift_model(*V2), model_version=2)
    result = ota.client.update()
    assert result.installed, result.message
    assert ota.serves(V2)
