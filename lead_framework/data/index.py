"""The data set index (``index.json``): shards, routes and per-sample bucket attributes.

Layout of the JSON document::

    {"format": "lead_shards", "version": 1,
     "shards": {"shard-w0-000000.tar": {"route": "r1", "samples": 120, "bytes": 9216, "sha256": "..."}},
     "routes": {"r1": {"status": "committed", "error": null, "writer": "w0", "samples": 120,
                        "shards": ["shard-w0-000000.tar"], "record": {...}, "metadata": {...},
                        "keys": ["r1/frame_000000", ...],
                        "attributes": {"town": ["Town01", ...], "speed": [3.2, ...]}}}}

Per-sample attributes are stored by column (one list per attribute, aligned with ``keys``) so
that a data set of a million frames keeps a compact index. The file is replaced atomically
(write to a temporary file, fsync, rename), and writers serialise their updates with an
exclusive ``fcntl.flock`` on ``index.lock``, so readers always see a complete index.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lead_framework.data.errors import IndexFormatError

INDEX_FILE = "index.json"
LOCK_FILE = "index.lock"
TEMP_DIR = ".tmp"
FORMAT_NAME = "lead_shards"
FORMAT_VERSION = 1

STATUS_COMMITTED = "committed"
STATUS_FAILED = "failed"


def empty_index() -> dict[str, Any]:
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "shards": {}, "routes": {}}


def load_index(root: Path, *, missing_ok: bool = False) -> dict[str, Any]:
    """The parsed index of the data set in ``root`` (an empty one if absent and ``missing_ok``)."""
    path = Path(root) / INDEX_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return empty_index()
        raise IndexFormatError(
            f"{path}: no index; {root} is not a data set folder written by DatasetWriter (or nothing was committed yet)"
        ) from None
    try:
        index = json.loads(text)
    except json.JSONDecodeError as error:
        raise IndexFormatError(f"{path}: not valid JSON ({error}); run `leadfw data verify {root}`") from error
    if not isinstance(index, dict) or index.get("format") != FORMAT_NAME:
        raise IndexFormatError(f"{path}: 'format' must be {FORMAT_NAME!r}; this file is not a LEAD shard index")
    if index.get("version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path}: index version {index.get('version')!r} is not supported (this code reads version {FORMAT_VERSION})"
        )
    return index


def fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, temp_path: Path) -> None:
    """Replace ``path`` by ``data`` so that readers see either the old or the new content."""
    with open(temp_path, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp_path, path)
    fsync_directory(path.parent)


def save_index(root: Path, index: dict[str, Any]) -> None:
    """Atomically replace ``index.json``; call only while holding :func:`index_lock`."""
    root = Path(root)
    data = json.dumps(index, separators=(",", ":")).encode("utf-8")
    write_atomic(root / INDEX_FILE, data, root / f".{INDEX_FILE}.writing")


@contextlib.contextmanager
def index_lock(root: Path) -> Iterator[None]:
    """Exclusive lock serialising index updates across processes (released on exit or death)."""
    with open(Path(root) / LOCK_FILE, "a+b") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


def next_shard_number(index: dict[str, Any], writer_id: str) -> int:
    """One past the highest shard number this writer id has in the index (0 if none)."""
    prefix = f"shard-{writer_id}-"
    numbers = [int(name[len(prefix) : -len(".tar")]) for name in index["shards"] if name.startswith(prefix)]
    return max(numbers, default=-1) + 1


def shard_file_name(writer_id: str, number: int) -> str:
    return f"shard-{writer_id}-{number:06d}.tar"


def temp_file_owner(path: Path) -> str:
    """Writer id owning a file in the temporary folder (``<writer id>.<anything>``)."""
    return path.name.partition(".")[0]


def writer_alive(temp_dir: Path, owner: str) -> bool:
    """True while a process holds the writer lock ``<temp_dir>/<owner>.lock``."""
    lock_path = temp_dir / f"{owner}.lock"
    try:
        stream = open(lock_path, "rb")
    except FileNotFoundError:
        return False
    with stream:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
    return False
