"""Crash-safe writing of a data set folder: routes buffered on disk, committed into shards.

Guarantees:

* A route's samples reach the data set only when its ``with writer.route(...)`` block exits
  without an exception (or when :meth:`RouteWriter.commit` is called). Until then they sit in
  temporary tar parts under ``<root>/.tmp/`` (on disk, so long routes cost no memory).
* Shards never mix routes and are never visible half-written: a part is completed, fsynced and
  only then renamed to ``shard-<writer id>-<number>.tar``. Bytes are reproducible (``mtime=0``,
  fixed owner and mode), so the same samples give the same sha256.
* Several processes may write one folder. Each writes its own shard names (the writer id is part
  of the name) and updates ``index.json`` under an exclusive ``fcntl.flock`` on ``index.lock``;
  the rename of a route's shards and the index update happen under that lock, so any shard that
  the index does not list is debris of a killed process and is removed on the next open.
* Opening a folder removes the temporary files of writers that are no longer alive (each writer
  holds an flock on ``.tmp/<writer id>.lock`` for its lifetime, so a dead one is detected reliably).
* Duplicate routes: entering a route that the index already lists raises
  :class:`RouteExistsError` (resume loops check :meth:`DatasetWriter.is_done` first). If another
  process commits the same route id while this one is driving it, the later commit is dropped with
  a log line and the first copy is kept, so no route is ever stored twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from lead_framework.data.codecs import encode_json, encode_member
from lead_framework.data.errors import (
    CodecError,
    DataError,
    InvalidKeyError,
    RouteExistsError,
    WriterInUseError,
)
from lead_framework.data.index import (
    STATUS_COMMITTED,
    STATUS_FAILED,
    TEMP_DIR,
    fsync_directory,
    index_lock,
    load_index,
    next_shard_number,
    save_index,
    shard_file_name,
    temp_file_owner,
)

log = logging.getLogger(__name__)

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
_MEMBER_PATTERN = re.compile(r"^[A-Za-z0-9_-]+\.[a-z0-9]+$")
#: tar stores each member as a 512-byte header plus its data padded to 512 bytes.
_TAR_BLOCK = 512


def sample_key(route_id: str, frame_index: int) -> str:
    """The WebDataset key of a frame: ``<route id>/frame_<index, 6 digits>``."""
    return f"{route_id}/frame_{frame_index:06d}"


def check_name(kind: str, name: str) -> str:
    """Route and writer ids become parts of keys and file names: letters, digits, '_' and '-' only."""
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise InvalidKeyError(
            f"{kind} {name!r} may contain only letters, digits, '_' and '-' (no dots or slashes: "
            f"WebDataset splits member names at the first dot); e.g. 'route_0007'"
        )
    return name


def default_writer_id() -> str:
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}"


def _attribute_value(route_id: str, name: str, value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise CodecError(
        f"route {route_id!r}: bucket attribute {name!r} must be a str, number, bool or None, got "
        f"{type(value).__name__}; attributes are flat values used for bucket selection"
    )


class _HashingFile:
    """Write-only file wrapper that counts bytes and computes their sha256 on the way."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.stream.write(data)


class _ShardPart:
    """One temporary tar file that becomes a shard when its route commits."""

    def __init__(self, path: Path):
        from webdataset import (
            TarWriter,  # on use: importing webdataset also imports torch when installed
        )

        self.path = path
        self.file = open(path, "wb")
        self.hashing = _HashingFile(self.file)
        self.tar = TarWriter(self.hashing, encoder=False, mtime=0, user="lead", group="lead", mode=0o444)
        self.samples = 0
        self.payload_bytes = 0
        self.closed = False

    def write(self, sample: dict[str, Any], payload_bytes: int) -> None:
        self.tar.write(sample)
        self.samples += 1
        self.payload_bytes += payload_bytes

    def close(self, *, durable: bool = True) -> None:
        if not self.closed:
            self.tar.close()
            self.file.flush()
            if durable:
                os.fsync(self.file.fileno())
            self.file.close()
            self.closed = True

    def discard(self) -> None:
        self.close(durable=False)
        self.path.unlink(missing_ok=True)


class RouteWriter:
    """Collects the samples of one route; use through :meth:`DatasetWriter.route`."""

    def __init__(self, writer: DatasetWriter, route_id: str, metadata: Mapping[str, Any] | None):
        self.writer = writer
        self.route_id = route_id
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.keys: list[str] = []
        self.attributes: list[dict[str, Any]] = []
        self.parts: list[_ShardPart] = []
        self.last_frame = -1
        self.finished = False
        self.committed = False

    @property
    def samples(self) -> int:
        return len(self.keys)

    def add(self, frame_index: int, members: Mapping[str, Any], attributes: Mapping[str, Any] | None = None) -> str:
        """Encode and buffer one frame; returns its key. Frame indices must increase."""
        self._require_open("add")
        if int(frame_index) <= self.last_frame:
            raise InvalidKeyError(
                f"route {self.route_id!r}: frame index {frame_index} after {self.last_frame}; "
                f"frame indices must be >= 0 and increase"
            )
        if not members:
            raise CodecError(f"route {self.route_id!r}, frame {frame_index}: a sample needs at least one member")
        key = sample_key(self.route_id, int(frame_index))
        sample: dict[str, Any] = {"__key__": key}
        for member, value in members.items():
            if not isinstance(member, str) or not _MEMBER_PATTERN.match(member):
                raise InvalidKeyError(
                    f"route {self.route_id!r}, frame {frame_index}: member name {member!r} must look like "
                    f"'rgb.jpg' (letters, digits, '_' or '-', then one dot and the extension)"
                )
            sample[member] = encode_member(member, value, jpeg_quality=self.writer.jpeg_quality)
        flat = {name: _attribute_value(self.route_id, name, value) for name, value in (attributes or {}).items()}
        payload = sum(_TAR_BLOCK + -(-len(data) // _TAR_BLOCK) * _TAR_BLOCK for name, data in sample.items() if name != "__key__")
        self._part_for(payload).write(sample, payload)
        self.keys.append(key)
        self.attributes.append(flat)
        self.last_frame = int(frame_index)
        return key

    def _part_for(self, payload: int) -> _ShardPart:
        current = self.parts[-1] if self.parts else None
        full = current is not None and (
            current.samples >= self.writer.shard_max_samples
            or current.payload_bytes + payload > self.writer.shard_max_bytes
        )
        if current is None or full:
            if current is not None:
                current.close()
            current = _ShardPart(self.writer.temp_path(f"{self.route_id}-part{len(self.parts):04d}.tar"))
            self.parts.append(current)
        return current

    def commit(
        self,
        record: Mapping[str, Any] | None = None,
        *,
        error: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> bool:
        """Publish the route's samples. ``error`` marks the route failed (kept, but skipped by readers).

        ``record`` is the route's result (e.g. ``RouteRecord.to_json()``); ``metadata`` is merged into
        the metadata given at :meth:`DatasetWriter.route`. Returns False when another process
        committed the same route id first (this copy is then dropped).
        """
        self._require_open("commit")
        if metadata:
            self.metadata.update(metadata)
        # Normalise to plain JSON now, so a bad value fails before any shard is published.
        self.metadata = json.loads(encode_json("route metadata", self.metadata))
        record = None if record is None else json.loads(encode_json("route record", dict(record)))
        self.finished = True
        for part in self.parts:
            part.close()
        try:
            self.committed = self.writer._publish(self, record=record, error=error)
        finally:
            self.writer._open_routes.discard(self.route_id)
        return self.committed

    def abort(self, reason: str) -> None:
        """Drop everything buffered for this route; nothing reaches the data set."""
        if self.finished:
            return
        self.finished = True
        for part in self.parts:
            part.discard()
        self.writer._open_routes.discard(self.route_id)
        log.info("route %s aborted after %d samples: %s", self.route_id, self.samples, reason)

    def _require_open(self, action: str) -> None:
        if self.finished:
            raise DataError(f"route {self.route_id!r}: cannot {action} after the route was committed or aborted")

    def column_attributes(self) -> dict[str, list[Any]]:
        """Per-sample attributes as columns aligned with ``keys`` (missing values are None)."""
        names = sorted({name for flat in self.attributes for name in flat})
        return {name: [flat.get(name) for flat in self.attributes] for name in names}

    def __enter__(self) -> RouteWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self.abort(f"{exc_type.__name__}: {exc}")
        elif not self.finished:
            self.commit()


class DatasetWriter:
    """Writes routes into one data set folder; safe to resume and to share between processes."""

    def __init__(
        self,
        root: Path | str,
        *,
        shard_max_samples: int = 1000,
        shard_max_bytes: int = 1 << 30,
        writer_id: str | None = None,
        jpeg_quality: int = 90,
    ):
        if shard_max_samples < 1 or shard_max_bytes < 1:
            raise ValueError(
                f"shard_max_samples ({shard_max_samples}) and shard_max_bytes ({shard_max_bytes}) must be >= 1"
            )
        self.root = Path(root)
        self.shard_max_samples = int(shard_max_samples)
        self.shard_max_bytes = int(shard_max_bytes)
        self.jpeg_quality = int(jpeg_quality)
        self.writer_id = check_name("writer id", writer_id or default_writer_id())
        self.temp_dir = self.root / TEMP_DIR
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        self._open_routes: set[str] = set()
        self._lock_stream = self._acquire_writer_lock()
        self._remove_debris()

    # -- liveness and cleanup -------------------------------------------------------------
    def _acquire_writer_lock(self) -> BinaryIO:
        path = self.temp_dir / f"{self.writer_id}.lock"
        while True:
            stream = open(path, "a+b")
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                stream.close()
                raise WriterInUseError(
                    f"{self.root}: writer id {self.writer_id!r} is in use by a live process; give each "
                    f"concurrent DatasetWriter its own writer_id"
                ) from None
            try:
                same_file = os.stat(path).st_ino == os.fstat(stream.fileno()).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                return stream
            stream.close()  # the file was removed by a cleanup between open and lock; retry

    def _remove_debris(self) -> None:
        """Delete temporary files of dead writers and shards a killed commit left unlisted."""
        with index_lock(self.root):
            for owner in sorted({temp_file_owner(path) for path in self.temp_dir.iterdir()}):
                if owner == self.writer_id:
                    self._remove_temp_files(owner)
                    continue
                lock_path = self.temp_dir / f"{owner}.lock"
                with open(lock_path, "a+b") as stream:
                    try:
                        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # its writer is alive
                    self._remove_temp_files(owner)
                    lock_path.unlink(missing_ok=True)  # still locked by us: no live writer can hold it
            listed = set(load_index(self.root, missing_ok=True)["shards"])
            for shard in self.root.glob("shard-*.tar"):
                if shard.name not in listed:
                    log.warning("removing %s: a killed writer renamed it but never listed it in the index", shard)
                    shard.unlink()

    def _remove_temp_files(self, owner: str) -> None:
        for path in self.temp_dir.glob(f"{owner}.*"):
            if path.name != f"{owner}.lock":
                log.info("removing leftover temporary file %s", path)
                path.unlink(missing_ok=True)

    def temp_path(self, name: str) -> Path:
        return self.temp_dir / f"{self.writer_id}.{name}"

    # -- routes ---------------------------------------------------------------------------
    def route_status(self, route_id: str) -> str | None:
        """'committed', 'failed' or None (not in the index); re-reads the index (other writers)."""
        entry = load_index(self.root, missing_ok=True)["routes"].get(route_id)
        return None if entry is None else entry["status"]

    def is_done(self, route_id: str) -> bool:
        """True when the route is in the index (committed or failed): resume skips it."""
        return self.route_status(route_id) is not None

    def route(self, route_id: str, *, metadata: Mapping[str, Any] | None = None) -> RouteWriter:
        """A context manager collecting one route; it commits on normal exit, aborts on exception."""
        check_name("route id", route_id)
        if self._lock_stream is None:
            raise DataError(f"{self.root}: the DatasetWriter is closed")
        if route_id in self._open_routes:
            raise RouteExistsError(f"{self.root}: route {route_id!r} is already being written by this DatasetWriter")
        status = self.route_status(route_id)
        if status is not None:
            raise RouteExistsError(
                f"{self.root}: route {route_id!r} is already in the index (status {status}); "
                f"skip it when writer.is_done({route_id!r}) is true"
            )
        self._open_routes.add(route_id)
        return RouteWriter(self, route_id, metadata)

    def _publish(self, route: RouteWriter, *, record: Mapping[str, Any] | None, error: str | None) -> bool:
        with index_lock(self.root):
            index = load_index(self.root, missing_ok=True)
            if route.route_id in index["routes"]:
                log.warning(
                    "route %s was committed by writer %s meanwhile; dropping this copy (%d samples)",
                    route.route_id, index["routes"][route.route_id]["writer"], route.samples,
                )
                for part in route.parts:
                    part.discard()
                return False
            number = next_shard_number(index, self.writer_id)
            shard_names = []
            for part in route.parts:
                name = shard_file_name(self.writer_id, number)
                number += 1
                os.replace(part.path, self.root / name)
                index["shards"][name] = {
                    "route": route.route_id,
                    "samples": part.samples,
                    "bytes": part.hashing.size,
                    "sha256": part.hashing.sha256.hexdigest(),
                }
                shard_names.append(name)
            fsync_directory(self.root)
            index["routes"][route.route_id] = {
                "status": STATUS_FAILED if error is not None else STATUS_COMMITTED,
                "error": error,
                "writer": self.writer_id,
                "samples": route.samples,
                "shards": shard_names,
                "record": dict(record) if record is not None else None,
                "metadata": route.metadata,
                "keys": route.keys,
                "attributes": route.column_attributes(),
            }
            save_index(self.root, index)
        log.info("route %s committed: %d samples in %d shards", route.route_id, route.samples, len(shard_names))
        return True

    def close(self) -> None:
        """Release the writer id."""
        if self._lock_stream is not None:
            (self.temp_dir / f"{self.writer_id}.lock").unlink(missing_ok=True)
            fcntl.flock(self._lock_stream.fileno(), fcntl.LOCK_UN)
            self._lock_stream.close()
            self._lock_stream = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
