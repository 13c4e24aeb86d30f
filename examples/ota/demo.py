"""Runs the OTA loop once, end to end, on loopback, printing each step:

    python -m examples.ota.demo [DIRECTORY]

DIRECTORY (a new temporary one by default, removed at the end) receives repository/ (what the
server serves) and device/ (the client's state). The model is tiny: y = (x + shift) * scale,
with a different scale and shift in each published version, so the outputs show which version
runs.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from onnx import TensorProto, helper, numpy_helper

from emberlite.signing import key_id, load_public_key

from examples.ota.client import DirectFetcher, OtaClient
from examples.ota.publisher import ModelPublisher, TufRepository
from examples.ota.server import RepositoryServer

INPUT = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)


def scale_shift_model(scale: float, shift: float) -> onnx.ModelProto:
    """y = (x + shift) * scale over x of shape [1, 4]."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "shift"], ["s"]),
         helper.make_node("Mul", ["s", "scale"], ["y"])],
        "scale_shift",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(np.full([1, 4], shift, np.float32), "shift"),
         numpy_helper.from_array(np.full([1, 4], scale, np.float32), "scale")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


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
