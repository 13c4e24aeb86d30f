"""Runs the OTA loop once, end to end, on loopback, printing each step:

    python -m examples.ota.demo [DIRECTORY]

DIRECTORY (a new temporary one by default, removed at the end) receives repository/ (what the
server serves) and device/ (the client's state). The model is tiny (examples/ota/model.py), so
the outputs show which version runs.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from emberlite.signing import key_id, load_public_key

from examples.ota.client import DirectFetcher, OtaClient
from examples.ota.model import scale_shift_model
from examples.ota.publisher import ModelPublisher, TufRepository
from examples.ota.server import RepositoryServer

INPUT = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)


def show(step: str, detail: str = "") -> None:
    print(f"[ota] {step}" + (f": {detail}" if detail else ""))


def run(directory: Path) -> None:
    signing_key = Ed25519PrivateKey.generate()
    public_key = load_public_key(signing_key.public_key())
    repository = TufRepository(directory / "repository")
    publisher = ModelPublisher(repository, signing_key)
    show("repository created", f"{repository.directory} (root: {repository.root_threshold} of "
         f"{repository.root_keys} keys; targets, snapshot, timestamp: 1 key each)")
    show("model signing key", key_id(public_key))

    publisher.publish(scale_shift_model(scale=2.0, shift=0.0), model_version=1)
    show("published model version 1", "y = 2x")
    with RepositoryServer(repository.directory) as server:
        show("serving", server.url)
        device = OtaClient.provision(directory / "device", repository.root_json(), server.url,
                                     trusted_keys=[public_key], fetcher=DirectFetcher())
        show("device provisioned", "trusted root v1 and the model signing key")

        show("update", device.update().message)
        show("inference", f"{INPUT.tolist()} -> {device.slot.infer([INPUT])[0].tolist()}")

        publisher.publish(scale_shift_model(scale=3.0, shift=1.0), model_version=2)
        show("published model version 2", "y = 3(x + 1)")
        show("update", device.update().message)
        show("inference", f"{INPUT.tolist()} -> {device.slot.infer([INPUT])[0].tolist()}")
        show("update again", device.update().message)

        publisher.publish(scale_shift_model(scale=2.0, shift=0.0), model_version=1)
        show("repository republished version 1 (a rollback)")
        show("update", device.update().message)

        genuine = publisher.build(scale_shift_model(scale=4.0, shift=0.0), model_version=3)
        tampered = bytearray(genuine)
        tampered[len(tampered) // 2] ^= 0x01
        publisher.publish_file(bytes(tampered), model_version=3)
        show("a compromised repository published a modified version 3 with valid TUF metadata")
        show("update", device.update().message)
        show("inference", f"{INPUT.tolist()} -> {device.slot.infer([INPUT])[0].tolist()} "
             f"(still version {device.slot.model_version})")


def main(argv: list[str]) -> int:
    if argv:
        run(Path(argv[0]))
    else:
        with tempfile.TemporaryDirectory(prefix="ember-ota-") as directory:
            run(Path(directory))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
