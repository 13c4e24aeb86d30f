"""The device side of the OTA example: refreshes TUF metadata, downloads the model target, checks
it with Emberlite (signature by a trusted key, no rollback, structure) and only then swaps it in.

Order of the checks, each one able to refuse the update with the running model untouched:

1. TUF (tuf.ngclient.Updater): the metadata chain from the provisioned root down to the target
   entry is signed by threshold keys, fresh (not expired) and not older than what this device
   saw before; the downloaded file has the length and SHA-256 the targets metadata names.
2. Emberlite (Interpreter with trusted_keys and min_model_version): the file is signed by a
   model signing key this device trusts, its content hash covers every byte, its model version
   is not below the running model's, and its structure verifies.
3. allocate_tensors(): every node prepares and the arena fits.

Only then is the file renamed into place and the interpreter swapped into the ModelSlot.
"""
from __future__ import annotations

import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tuf.api.exceptions import DownloadError, DownloadHTTPError, RepositoryError
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

from emberlite import Interpreter
from emberlite.errors import EmberRuntimeError
from emberlite.files import write_atomically

from examples.ota.common import TARGET_NAME

TRUSTED_ROOT = "trusted_root.json"


class DirectFetcher(FetcherInterface):
    """Fetches over plain urllib and ignores any *_proxy variable: the example's repository is
    on the loopback interface, which a proxy could not reach. A real device would keep tuf's
    default fetcher (which honours the proxy variables) and an https:// repository URL."""

    def __init__(self, timeout_s: float = 10.0, chunk_size: int = 1 << 16):
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._timeout_s = timeout_s
        self._chunk_size = chunk_size

    def _fetch(self, url: str) -> Iterator[bytes]:
        # Opened here rather than in the generator so that an HTTP error reaches tuf as
        # DownloadHTTPError when fetch() is called (it treats 404 as "no newer root").
        try:
            response = self._opener.open(url, timeout=self._timeout_s)
        except urllib.error.HTTPError as e:
            raise DownloadHTTPError(f"{url}: {e.reason}", e.code) from e
        return self._chunks(response)

    def _chunks(self, response) -> Iterator[bytes]:
        with response:
            while chunk := response.read(self._chunk_size):
                yield chunk


class ModelSlot:
    """The running model: one Interpreter behind a lock.

    infer() holds the lock for one inference, so a swap waits for an inference in flight and no
    inference ever sees a half-installed model. Everything slow (download, verification,
    allocate_tensors) happens before swap() on another Interpreter, while infer() keeps
    serving the old one.
    """

    def __init__(self, interpreter: Interpreter | None = None):
        self._lock = threading.Lock()
        self._interpreter = interpreter

    @property
    def model_version(self) -> int:
        """The running model's version, 0 while no model runs (any version is then newer)."""
        with self._lock:
            if self._interpreter is None:
                return 0
            return self._interpreter.model_info()["model_version"]

    def model_info(self) -> dict | None:
        with self._lock:
            return None if self._interpreter is None else self._interpreter.model_info()

    def swap(self, interpreter: Interpreter) -> Interpreter | None:
        """Installs a verified, allocated `interpreter`; returns the one it replaces."""
        with self._lock:
            previous, self._interpreter = self._interpreter, interpreter
        return previous

    def infer(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Runs the running model on `inputs` (in the order of its inputs); copies of outputs."""
        with self._lock:
            interpreter = self._interpreter
            if interpreter is None:
                raise RuntimeError("no model is installed yet")
            for detail, value in zip(interpreter.get_input_details(), inputs):
                interpreter.set_tensor(detail["index"], np.require(value, requirements="C"))
            interpreter.invoke()
            return [interpreter.get_tensor(d["index"]).copy()
                    for d in interpreter.get_output_details()]


@dataclass
class UpdateResult:
    """What one update() did. `installed` is True only when a new model now runs; otherwise
    `message` says why not and `error` holds the exception that refused it (None when there
    was simply nothing new)."""
    installed: bool
    message: str
    error: Exception | None = None
    model_version: int | None = None


class OtaClient:
    """A device's updater. Its directory holds, all written atomically:

        trusted_root.json   the root metadata copied at provisioning (the trust anchor)
        tuf/                tuf's cache of the metadata it trusts (for rollback protection)
        models/model.ember  the installed model, the one the slot runs
    """

    def __init__(self, directory: str | Path, repository_url: str,
                 trusted_keys: Sequence, slot: ModelSlot | None = None,
                 target_name: str = TARGET_NAME, fetcher: FetcherInterface | None = None):
        self.directory = Path(directory)
        self.repository_url = repository_url.rstrip("/") + "/"
        self.trusted_keys = list(trusted_keys)
        self.slot = slot if slot is not None else ModelSlot()
        self.target_name = target_name
        self.fetcher = fetcher
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def provision(cls, directory: str | Path, root_json: bytes, *args, **kwargs) -> "OtaClient":
        """A client whose trust anchor is `root_json` (what a factory would install)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / TRUSTED_ROOT, root_json)
        return cls(directory, *args, **kwargs)

    @property
    def metadata_dir(self) -> Path:
        return self.directory / "tuf"

    @property
    def models_dir(self) -> Path:
        return self.directory / "models"

    @property
    def installed_path(self) -> Path:
        return self.models_dir / self.target_name

    def _updater(self) -> Updater:
        # A new Updater for each update: an Updater refreshes once. It starts from the
        # provisioned root and walks the newer roots it cached in tuf/ before asking the server.
        return Updater(str(self.metadata_dir), self.repository_url + "metadata/",
                       str(self.models_dir), self.repository_url + "targets/",
                       fetcher=self.fetcher,
                       bootstrap=(self.directory / TRUSTED_ROOT).read_bytes())

    def update(self) -> UpdateResult:
        """One update attempt; never raises for a refused update (see UpdateResult)."""
        try:
            updater = self._updater()
            updater.refresh()
            target = updater.get_targetinfo(self.target_name)
        except (RepositoryError, DownloadError) as e:
            return _refused("TUF refused the repository's metadata", e)
        if target is None:
            return UpdateResult(False, f"the repository has no target {self.target_name!r}")
        # A client restarted with an empty slot installs (and so verifies) the file again.
        if self.slot.model_info() is not None and \
                updater.find_cached_target(target, str(self.installed_path)):
            return UpdateResult(False, "the installed model is the published one",
                                model_version=self.slot.model_version)

        fd, temp = tempfile.mkstemp(dir=self.models_dir, prefix=".download-")
        os.close(fd)
        try:
            return self._install(updater, target, Path(temp))
        finally:
            Path(temp).unlink(missing_ok=True)

    def _install(self, updater: Updater, target, temp: Path) -> UpdateResult:
        try:
            updater.download_target(target, str(temp))
        except (RepositoryError, DownloadError) as e:
            return _refused("TUF refused the downloaded target", e)
        running_version = self.slot.model_version
        try:
            candidate = Interpreter(model_content=temp.read_bytes(),
                                    trusted_keys=self.trusted_keys,
                                    min_model_version=running_version)
            candidate.allocate_tensors()
        except EmberRuntimeError as e:
            return _refused("Emberlite refused the model", e)
        os.replace(temp, self.installed_path)
        self.slot.swap(candidate)
        version = candidate.model_info()["model_version"]
        return UpdateResult(True, f"installed model version {version} "
                                  f"(was {running_version})", model_version=version)


def _refused(stage: str, error: Exception) -> UpdateResult:
    return UpdateResult(False, f"{stage}: {type(error).__name__}: {error}", error)
